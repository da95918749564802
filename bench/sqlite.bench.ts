/**
 * `npm run bench -- sqlite`: the SQLite store, against raw better-sqlite3 on the same disk in the
 * same run.
 *
 * - raw: better-sqlite3 single-row inserts into a table like the store's, WAL, synchronous FULL,
 *   each insert its own transaction (so one fsync each): what the disk allows one writer.
 * - API creates of ConfigMaps through `createApiServer({ store: sqliteStore({ path }) })`,
 *   sequential (one writer awaiting each create) and with 64 concurrent writers (group commit).
 * - the same two with `store.create` directly, to show what the API layer costs.
 * - watch latency: from the start of an API create to the watcher's callback, in-process; and
 *   from a write on another connection to the file (as another process would) to the callback,
 *   which the poll interval bounds.
 *
 * The disk's fsync rate drifts with other load, so raw and API runs alternate for `--rounds`
 * rounds and the medians are reported. Options (after `--`): `--n <creates per round>` (default
 * 2000), `--rounds <n>` (default 3).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiServer, kinds, type Store } from '@harbormaster/core';
import { sqliteStore } from '@harbormaster/store-sqlite';
import Database from 'better-sqlite3';
import { percentile, printReport } from './report.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

const perSecond = (n: number, ms: number): number => Math.round((n / ms) * 1000);
const median = (xs: readonly number[]): number => percentile(xs, 50);

function configMap(namespace: string, name: string) {
  return { metadata: { name, namespace }, data: { k: 'v' } };
}

/** Single-row inserts, each its own transaction, into a table shaped like the store's log. */
function rawInserts(path: string, n: number): number {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS log (
      id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, op INTEGER NOT NULL,
      create_revision INTEGER NOT NULL, prev_revision INTEGER NOT NULL, value TEXT);
    CREATE INDEX IF NOT EXISTS log_key ON log (key);
    CREATE UNIQUE INDEX IF NOT EXISTS log_key_prev_revision ON log (key, prev_revision);`);
  const insert = db.prepare('INSERT INTO log (key, op, create_revision, prev_revision, value) VALUES (?, 0, 0, 0, ?)');
  // About what the API stores for a small ConfigMap.
  const value = JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cm', namespace: 'default', uid: '8c7e1bb8-0d5c-4a53-9d59-6f1b1f9b6f2e', creationTimestamp: '2026-11-25T12:00:00Z' },
    data: { k: 'v' },
  });
  const base = (db.prepare('SELECT count(*) AS n FROM log').get() as { n: number }).n;
  const t = performance.now();
  for (let i = 0; i < n; i++) insert.run(`/registry/configmaps/raw/cm-${base + i}`, value);
  const ms = performance.now() - t;
  db.close();
  return perSecond(n, ms);
}

async function sequential(n: number, create: (i: number) => Promise<unknown>): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < n; i++) await create(i);
  return perSecond(n, performance.now() - t);
}

async function concurrent(n: number, writers: number, create: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < n) await create(next++);
    }),
  );
  return perSecond(n, performance.now() - t);
}

export default async function run(): Promise<void> {
  const n = arg('n', 2000);
  const rounds = arg('rounds', 3);
  const writers = 64;
  const dir = mkdtempSync(join(tmpdir(), 'hm-bench-sqlite-'));
  const path = join(dir, 'store.db');
  const store: Store = sqliteStore({ path });
  const api = createApiServer({ store });
  try {
    await api.ready();
    const { client } = api;
    for (const name of ['warmup', 'seq', 'conc', 'watch']) await client.create(kinds.Namespace, { metadata: { name } });
    // Warm up the code paths (JIT) of both the API and the store.
    await concurrent(500, writers, (i) => client.create(kinds.ConfigMap, configMap('warmup', `w-${i}`)));
    rawInserts(join(dir, 'raw.db'), 200);

    const raw: number[] = [];
    const apiSeq: number[] = [];
    const apiConc: number[] = [];
    const storeSeq: number[] = [];
    const storeConc: number[] = [];
    for (let round = 0; round < rounds; round++) {
      raw.push(rawInserts(join(dir, 'raw.db'), n));
      apiSeq.push(await sequential(n, (i) => client.create(kinds.ConfigMap, configMap('seq', `r${round}-${i}`))));
      apiConc.push(await concurrent(4 * n, writers, (i) => client.create(kinds.ConfigMap, configMap('conc', `r${round}-${i}`))));
      storeSeq.push(await sequential(n, (i) => store.create(`/bench/seq/r${round}-${i}`, { i })));
      storeConc.push(await concurrent(4 * n, writers, (i) => store.create(`/bench/conc/r${round}-${i}`, { i })));
    }

    // Watch latency in-process: API create start to watcher callback.
    const watchWrites = 500;
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    const start = (await client.list(kinds.ConfigMap, { namespace: 'watch', limit: 1 })).metadata.resourceVersion;
    const subscription = client.watch(kinds.ConfigMap, { namespace: 'watch', resourceVersion: start }).subscribe((event) => {
      const at = sentAt.get(event.object.metadata.name ?? '');
      if (at !== undefined) latencies.push(performance.now() - at);
    });
    for (let i = 0; i < watchWrites; i++) {
      const name = `w-${i}`;
      sentAt.set(name, performance.now());
      await client.create(kinds.ConfigMap, configMap('watch', name));
    }
    subscription.unsubscribe();
    if (latencies.length !== watchWrites) throw new Error(`the watcher saw ${latencies.length} of ${watchWrites} creates`);

    // Watch latency across connections: another store on the same file writes, this one polls.
    const crossWrites = 100;
    const writer = sqliteStore({ path, compaction: false });
    const crossLatencies: number[] = [];
    const crossSentAt = new Map<string, number>();
    const crossSubscription = store.watch('/bench/cross/', await store.revision()).subscribe((event) => {
      const at = crossSentAt.get(event.entry.key);
      if (at !== undefined) crossLatencies.push(performance.now() - at);
    });
    for (let i = 0; i < crossWrites; i++) {
      const key = `/bench/cross/${i}`;
      crossSentAt.set(key, performance.now());
      await writer.create(key, { i });
      // Spread the writes over the poll interval.
      await new Promise((resolve) => setTimeout(resolve, 7 + (i % 13) * 5));
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
    crossSubscription.unsubscribe();
    await writer.close();
    if (crossLatencies.length !== crossWrites) throw new Error(`the watcher saw ${crossLatencies.length} of ${crossWrites} writes`);

    const rawRate = median(raw);
    const seqRate = median(apiSeq);
    const concRate = median(apiConc);
    const watchP50 = percentile(latencies, 50);
    const watchP99 = percentile(latencies, 99);
    const crossP50 = percentile(crossLatencies, 50);
    const crossP99 = percentile(crossLatencies, 99);
    const pct = (x: number): string => `${Math.round(x * 100)}% of raw`;
    printReport({
      title: `sqlite: sqliteStore (WAL, synchronous FULL) vs raw better-sqlite3, ${n} creates x ${rounds} rounds, medians (Node ${process.version}, ${cpus().length} cores)`,
      rows: [
        { name: 'raw inserts', value: rawRate, unit: 'ops/s', note: `one row per transaction; rounds: ${raw.join(', ')}` },
        { name: 'API creates, sequential', value: seqRate, unit: 'ops/s', note: `${pct(seqRate / rawRate)} (target >= 50%); rounds: ${apiSeq.join(', ')}` },
        { name: `API creates, ${writers} writers`, value: concRate, unit: 'ops/s', note: `${pct(concRate / rawRate)} (target > 100%); rounds: ${apiConc.join(', ')}` },
        { name: 'store.create, sequential', value: median(storeSeq), unit: 'ops/s', note: `${pct(median(storeSeq) / rawRate)}` },
        { name: `store.create, ${writers} writers`, value: median(storeConc), unit: 'ops/s', note: `${pct(median(storeConc) / rawRate)}` },
        { name: 'watch latency p50', value: watchP50, unit: 'ms', note: 'API create start to watcher callback, same process' },
        { name: 'watch latency p99', value: watchP99, unit: 'ms' },
        { name: 'cross-process watch p50', value: crossP50, unit: 'ms', note: 'write on another connection to callback, poll every 100 ms' },
        { name: 'cross-process watch p99', value: crossP99, unit: 'ms' },
      ],
      json: {
        n,
        rounds,
        raw_inserts_per_s: rawRate,
        api_creates_per_s: seqRate,
        api_creates_64_per_s: concRate,
        store_creates_per_s: median(storeSeq),
        store_creates_64_per_s: median(storeConc),
        api_sequential_ratio_to_raw: Number((seqRate / rawRate).toFixed(2)),
        api_64_ratio_to_raw: Number((concRate / rawRate).toFixed(2)),
        watch_p50_ms: Number(watchP50.toFixed(3)),
        watch_p99_ms: Number(watchP99.toFixed(3)),
        cross_process_watch_p50_ms: Number(crossP50.toFixed(3)),
        cross_process_watch_p99_ms: Number(crossP99.toFixed(3)),
      },
    });
  } finally {
    await api.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

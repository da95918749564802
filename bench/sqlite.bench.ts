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
 *   across processes: a child process (this file run again with `node --import tsx`, its own
 *   `sqliteStore` on the file) creates keys, sending over IPC the wall-clock time
 *   (`performance.timeOrigin + performance.now()`) at which each create started; this process
 *   notes the wall-clock time its watch (polling every 100 ms, the default) delivers each one.
 *   Both clocks are the machine's; the difference is the latency: the child's commit, then at
 *   most one poll interval.
 *
 * The disk's fsync rate drifts with other load (a shared machine can swing it tenfold within a
 * minute), so the measurements are interleaved: the run is cut in chunks of 100 sequential writes
 * (400 for the concurrent ones), each chunk runs raw, API and store in turn, and each rate is the
 * total of its chunks. The ratios to raw then compare like with like. Options (after `--`):
 * `--n <sequential writes per measurement>` (default 3000).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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

function configMap(namespace: string, name: string) {
  return { metadata: { name, namespace }, data: { k: 'v' } };
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable between processes. */
const wallClock = (): number => performance.timeOrigin + performance.now();

/** The argument that makes this file, run directly, the writer process of the watch measurement. */
const WRITER = '--sqlite-bench-writer';

/** What the writer process sends its parent over IPC. */
type WriterMessage = { readonly type: 'wrote'; readonly key: string; readonly startedAt: number };

/**
 * The writer process: `count` creates of `/bench/cross/<i>` through its own store on `path`,
 * spread over the poll interval, each reported (with the wall-clock time it started) once it has
 * committed.
 */
async function writer(path: string, count: number): Promise<void> {
  const send = (message: WriterMessage): Promise<void> =>
    new Promise((done, fail) => process.send?.(message, undefined, undefined, (e) => (e ? fail(e) : done())));
  const store = sqliteStore({ path, compaction: false });
  try {
    for (let i = 0; i < count; i++) {
      const key = `/bench/cross/${i}`;
      const startedAt = wallClock();
      await store.create(key, { i });
      await send({ type: 'wrote', key, startedAt });
      // Spread the writes over the poll interval.
      await new Promise((r) => setTimeout(r, 7 + (i % 13) * 5));
    }
  } finally {
    await store.close();
    process.disconnect?.();
  }
}

/**
 * Run {@link writer} in a child process and measure, for each of its writes, the time from its
 * start to the delivery by `store`'s watch (in this process).
 */
async function crossProcessLatencies(store: Store, path: string, count: number): Promise<number[]> {
  const seenAt = new Map<string, number>();
  const startedAt = new Map<string, number>();
  const subscription = store.watch('/bench/cross/', await store.revision()).subscribe((event) => {
    seenAt.set(event.entry.key, wallClock());
  });
  try {
    const self = fileURLToPath(import.meta.url);
    const child = spawn(process.execPath, ['--import', 'tsx', self, WRITER, path, String(count)], {
      cwd: resolve(self, '../..'),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (message: WriterMessage) => startedAt.set(message.key, message.startedAt));
    // 'close' comes after the exit and after the IPC channel has closed, so every message is in.
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    if (code !== 0) throw new Error(`the writer process exited with ${code ?? signal}`);
    // The last writes may still wait for the next poll.
    for (let waited = 0; seenAt.size < count && waited < 2000; waited += 10) await new Promise((r) => setTimeout(r, 10));
  } finally {
    subscription.unsubscribe();
  }
  if (startedAt.size !== count || seenAt.size !== count) {
    throw new Error(`the writer reported ${startedAt.size} and the watcher saw ${seenAt.size} of ${count} writes`);
  }
  return [...startedAt].map(([key, at]) => (seenAt.get(key) ?? Number.NaN) - at);
}

/** Single-row inserts, each its own transaction, into a table shaped like the store's log. */
function rawInserter(path: string): { insert: (n: number) => void; close: () => void } {
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
  let next = 0;
  return {
    insert: (n) => {
      for (let i = 0; i < n; i++) insert.run(`/registry/configmaps/raw/cm-${next++}`, value);
    },
    close: () => db.close(),
  };
}

/** `n` creates, one after the other. */
async function sequential(from: number, n: number, create: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = from; i < from + n; i++) await create(i);
}

/** `n` creates by `writers` concurrent writers. */
async function concurrent(from: number, n: number, writers: number, create: (i: number) => Promise<unknown>): Promise<void> {
  let next = from;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < from + n) await create(next++);
    }),
  );
}

/** Accumulates the time of one measurement over many chunks. */
class Timer {
  ms = 0;
  ops = 0;
  async time(ops: number, work: () => unknown): Promise<void> {
    const t = performance.now();
    await work();
    this.ms += performance.now() - t;
    this.ops += ops;
  }
  get perSecond(): number {
    return perSecond(this.ops, this.ms);
  }
}

export default async function run(): Promise<void> {
  const n = arg('n', 3000);
  const chunk = 100;
  const writers = 64;
  const dir = mkdtempSync(join(tmpdir(), 'hm-bench-sqlite-'));
  const path = join(dir, 'store.db');
  const store: Store = sqliteStore({ path });
  const api = createApiServer({ store });
  try {
    await api.ready();
    const { client } = api;
    for (const name of ['warmup', 'seq', 'conc', 'watch']) await client.create(kinds.Namespace, { metadata: { name } });
    const rawDb = rawInserter(join(dir, 'raw.db'));
    // Warm up the code paths (JIT) of both the API and the store.
    await concurrent(0, 500, writers, (i) => client.create(kinds.ConfigMap, configMap('warmup', `w-${i}`)));
    await sequential(500, 200, (i) => client.create(kinds.ConfigMap, configMap('warmup', `w-${i}`)));
    rawDb.insert(200);

    const raw = new Timer();
    const apiSeq = new Timer();
    const apiConc = new Timer();
    const storeSeq = new Timer();
    const storeConc = new Timer();
    for (let from = 0; from < n; from += chunk) {
      await raw.time(chunk, () => rawDb.insert(chunk));
      await apiSeq.time(chunk, () => sequential(from, chunk, (i) => client.create(kinds.ConfigMap, configMap('seq', `cm-${i}`))));
      await storeSeq.time(chunk, () => sequential(from, chunk, (i) => store.create(`/bench/seq/${i}`, { i })));
      const c = 4 * chunk;
      await apiConc.time(c, () => concurrent(4 * from, c, writers, (i) => client.create(kinds.ConfigMap, configMap('conc', `cm-${i}`))));
      await storeConc.time(c, () => concurrent(4 * from, c, writers, (i) => store.create(`/bench/conc/${i}`, { i })));
    }
    rawDb.close();

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

    // Watch latency across processes: a child process writes, this one's watch finds it by polling.
    const crossWrites = 100;
    const crossLatencies = await crossProcessLatencies(store, path, crossWrites);

    const rawRate = raw.perSecond;
    const seqRate = apiSeq.perSecond;
    const concRate = apiConc.perSecond;
    const watchP50 = percentile(latencies, 50);
    const watchP99 = percentile(latencies, 99);
    const crossP50 = percentile(crossLatencies, 50);
    const crossP99 = percentile(crossLatencies, 99);
    const pct = (x: number): string => `${Math.round(x * 100)}% of raw`;
    printReport({
      title: `sqlite: sqliteStore (WAL, synchronous FULL) vs raw better-sqlite3, ${n} sequential and ${4 * n} concurrent writes each, interleaved in chunks (Node ${process.version}, ${cpus().length} cores)`,
      rows: [
        { name: 'raw inserts', value: rawRate, unit: 'ops/s', note: 'one row per transaction (one fsync each)' },
        { name: 'API creates, sequential', value: seqRate, unit: 'ops/s', note: `${pct(seqRate / rawRate)} (target >= 50%)` },
        { name: `API creates, ${writers} writers`, value: concRate, unit: 'ops/s', note: `${pct(concRate / rawRate)} (target > 100%)` },
        { name: 'store.create, sequential', value: storeSeq.perSecond, unit: 'ops/s', note: pct(storeSeq.perSecond / rawRate) },
        { name: `store.create, ${writers} writers`, value: storeConc.perSecond, unit: 'ops/s', note: pct(storeConc.perSecond / rawRate) },
        { name: 'watch latency p50', value: watchP50, unit: 'ms', note: 'API create start to watcher callback, same process' },
        { name: 'watch latency p99', value: watchP99, unit: 'ms' },
        {
          name: 'cross-process watch p50',
          value: crossP50,
          unit: 'ms',
          note: `${crossWrites} creates in a child process, start to this process's watcher callback, poll every 100 ms`,
        },
        { name: 'cross-process watch p99', value: crossP99, unit: 'ms' },
      ],
      json: {
        n,
        raw_inserts_per_s: rawRate,
        api_creates_per_s: seqRate,
        api_creates_64_per_s: concRate,
        store_creates_per_s: storeSeq.perSecond,
        store_creates_64_per_s: storeConc.perSecond,
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

// Run directly as the writer process of the cross-process watch measurement.
if (process.argv[2] === WRITER && resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  writer(process.argv[3] ?? '', Number(process.argv[4])).catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}

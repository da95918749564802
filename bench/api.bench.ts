/**
 * `npm run bench -- api`: the API layer on the memory store, against a plain Map in the same run.
 *
 * Measures, through `createApiServer({ store: memoryStore() })`: creates, gets, updates and lists
 * of ConfigMaps (and creates of full Pods, the heaviest schema), and the latency of watch fan-out
 * to 100 watchers. The Map baseline does the same creates and gets with `map.set`/`map.get` of
 * the same objects, so the ratio shows what the API's semantics cost (validation, defaulting,
 * admission, copy-on-read, revisions).
 *
 * Options (after `--`): `--n <objects>` (default 10000).
 */
import { createApiServer, kinds } from '@harbormaster/core';
import { memoryStore } from '@harbormaster/store-memory';
import { percentile, printReport } from './report.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

const perSecond = (n: number, ms: number): number => Math.round((n / ms) * 1000);

function configMap(i: number) {
  return {
    metadata: { name: `cm-${i}`, namespace: 'default', labels: { app: `app-${i % 10}`, tier: i % 2 === 0 ? 'front' : 'back' } },
    data: { index: String(i), payload: 'x'.repeat(64) },
  };
}

export default async function run(): Promise<void> {
  const n = arg('n', 10_000);
  const watchers = 100;
  const watchWrites = 1_000;

  // --- Baseline: a plain Map doing the same creates and gets.
  const map = new Map<string, unknown>();
  const objects = Array.from({ length: n }, (_, i) => configMap(i));
  let t = performance.now();
  for (let i = 0; i < n; i++) map.set(`/registry/core/configmaps/default/cm-${i}`, objects[i]);
  const mapCreateMs = performance.now() - t;
  t = performance.now();
  let sink = 0;
  for (let i = 0; i < n; i++) if (map.get(`/registry/core/configmaps/default/cm-${(i * 7919) % n}`) !== undefined) sink++;
  const mapGetMs = performance.now() - t;
  if (sink !== n) throw new Error('map baseline lost objects');

  // --- The API on the memory store.
  const store = memoryStore();
  const api = createApiServer({ store });
  await api.ready();
  const { client } = api;

  // Warm up the code paths (JIT) on another namespace's worth of objects.
  await client.create(kinds.Namespace, { metadata: { name: 'warmup' } });
  for (let i = 0; i < 500; i++) await client.create(kinds.ConfigMap, { ...configMap(i), metadata: { ...configMap(i).metadata, namespace: 'warmup' } });

  t = performance.now();
  for (let i = 0; i < n; i++) await client.create(kinds.ConfigMap, objects[i] as ReturnType<typeof configMap>);
  const createMs = performance.now() - t;

  t = performance.now();
  for (let i = 0; i < n; i++) await client.get(kinds.ConfigMap, { namespace: 'default', name: `cm-${(i * 7919) % n}` });
  const getMs = performance.now() - t;

  t = performance.now();
  for (let i = 0; i < n; i++) {
    const cm = await client.get(kinds.ConfigMap, { namespace: 'default', name: `cm-${i}` });
    cm.data = { ...cm.data, updated: 'yes' };
    await client.update(kinds.ConfigMap, cm);
  }
  const getUpdateMs = performance.now() - t;

  const listRuns = 10;
  t = performance.now();
  for (let i = 0; i < listRuns; i++) {
    const l = await client.list(kinds.ConfigMap, { namespace: 'default' });
    if (l.items.length !== n) throw new Error(`list returned ${l.items.length}`);
  }
  const listMs = (performance.now() - t) / listRuns;
  t = performance.now();
  for (let i = 0; i < listRuns; i++) await client.list(kinds.ConfigMap, { namespace: 'default', labelSelector: 'app=app-3,tier=back' });
  const listSelectedMs = (performance.now() - t) / listRuns;
  t = performance.now();
  let pages = 0;
  let token: string | undefined;
  do {
    const page = await client.list(kinds.ConfigMap, { namespace: 'default', limit: 500, ...(token === undefined ? {} : { continue: token }) });
    token = page.metadata.continue;
    pages++;
  } while (token !== undefined);
  const pagedMs = performance.now() - t;

  // Pods: the largest built-in schema.
  const podN = Math.min(n, 5_000);
  t = performance.now();
  for (let i = 0; i < podN; i++) {
    await client.create(kinds.Pod, {
      metadata: { name: `pod-${i}`, namespace: 'default', labels: { app: 'web' } },
      spec: {
        containers: [
          {
            name: 'web',
            image: 'acme/storefront:v2.1',
            ports: [{ containerPort: 8080 }],
            resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
            readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 5 },
          },
        ],
      },
    });
  }
  const podCreateMs = performance.now() - t;

  // --- Watch fan-out: 100 watchers, 1000 writes; latency from the start of each write to each watcher's callback.
  const start = (await client.list(kinds.ConfigMap, { namespace: 'default', limit: 1 })).metadata.resourceVersion;
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let received = 0;
  const subs = Array.from({ length: watchers }, () =>
    client.watch(kinds.ConfigMap, { namespace: 'default', resourceVersion: start }).subscribe((ev) => {
      const at = sentAt.get(ev.object.metadata.resourceVersion ?? '') ?? sentAt.get(`pending:${ev.object.metadata.name ?? ''}`);
      if (at !== undefined) latencies.push(performance.now() - at);
      received++;
    }),
  );
  await new Promise((r) => setImmediate(r));
  t = performance.now();
  for (let i = 0; i < watchWrites; i++) {
    const name = `w-${i}`;
    sentAt.set(`pending:${name}`, performance.now());
    await client.create(kinds.ConfigMap, { metadata: { name, namespace: 'default' }, data: { i: String(i) } });
  }
  const watchMs = performance.now() - t;
  for (const s of subs) s.unsubscribe();
  if (received !== watchers * watchWrites) throw new Error(`watchers received ${received} of ${watchers * watchWrites} events`);

  const createsPerS = perSecond(n, createMs);
  const mapCreatesPerS = perSecond(n, mapCreateMs);
  const getsPerS = perSecond(n, getMs);
  const mapGetsPerS = perSecond(n, mapGetMs);
  const watchP50 = percentile(latencies, 50);
  const watchP99 = percentile(latencies, 99);
  printReport({
    title: `api: createApiServer on memoryStore, ${n} ConfigMaps (Node ${process.version}, ${(await import('node:os')).cpus().length} cores)`,
    rows: [
      { name: 'creates', value: createsPerS, unit: 'ops/s', note: `Map.set: ${mapCreatesPerS} ops/s (${(mapCreatesPerS / createsPerS).toFixed(0)}x)` },
      { name: 'gets', value: getsPerS, unit: 'ops/s', note: `Map.get: ${mapGetsPerS} ops/s (${(mapGetsPerS / getsPerS).toFixed(0)}x)` },
      { name: 'get + update', value: perSecond(n, getUpdateMs), unit: 'ops/s', note: 'read, change, write with resourceVersion' },
      { name: `list ${n}`, value: listMs, unit: 'ms', note: 'one namespace, no selector' },
      { name: 'list with selector', value: listSelectedMs, unit: 'ms', note: `app=app-3,tier=back over ${n}` },
      { name: 'paged list', value: pagedMs, unit: 'ms', note: `${pages} pages of 500` },
      { name: 'pod creates', value: perSecond(podN, podCreateMs), unit: 'ops/s', note: `${podN} Pods with resources and a probe` },
      { name: 'watch fan-out writes', value: perSecond(watchWrites, watchMs), unit: 'ops/s', note: `${watchers} watchers each get every write` },
      { name: 'watch latency p50', value: watchP50, unit: 'ms', note: 'write start to watcher callback' },
      { name: 'watch latency p99', value: watchP99, unit: 'ms' },
    ],
    json: {
      n,
      creates_per_s: createsPerS,
      map_creates_per_s: mapCreatesPerS,
      gets_per_s: getsPerS,
      map_gets_per_s: mapGetsPerS,
      get_updates_per_s: perSecond(n, getUpdateMs),
      list_ms: Number(listMs.toFixed(2)),
      list_selector_ms: Number(listSelectedMs.toFixed(2)),
      paged_list_ms: Number(pagedMs.toFixed(2)),
      pod_creates_per_s: perSecond(podN, podCreateMs),
      watchers,
      watch_writes_per_s: perSecond(watchWrites, watchMs),
      watch_p50_ms: Number(watchP50.toFixed(3)),
      watch_p99_ms: Number(watchP99.toFixed(3)),
      create_ratio_to_map: Number((mapCreatesPerS / createsPerS).toFixed(1)),
      get_ratio_to_map: Number((mapGetsPerS / getsPerS).toFixed(1)),
    },
  });
  await api.close();
  await store.close();
}

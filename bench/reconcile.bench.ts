/**
 * `npm run bench -- reconcile`: the reconcile machinery end to end — informer (list + watch),
 * work queue, controller workers — with a no-op reconciler over 10,000 Pods on the memory store,
 * and the memory the informer's cache takes per object.
 *
 * Phases:
 * 1. initial sync: the manager starts with 10,000 Pods stored; time until every Pod has been
 *    reconciled once (list, cache, queue, reconcile);
 * 2. changes: every Pod is patched; time until every change has been reconciled (watch events
 *    through the cache into the queue).
 *
 * Baselines in the same run: calling the no-op reconciler directly in a loop (the ceiling), and
 * the heap taken by the same Pods held in a plain Map (what any cache must at least pay).
 *
 * Options (after `--`): `--n <pods>` (default 10000), `--workers <n>` (default 1).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { cpus } from 'node:os';
import { controller, createApiServer, createManager, Informer, kinds, type Request } from '@harbormaster/core';
import { memoryStore } from '@harbormaster/store-memory';
import { printReport } from './report.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

function heapUsed(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

function pod(i: number) {
  return {
    metadata: { name: `pod-${i}`, namespace: 'default', labels: { app: `app-${i % 50}`, 'pod-template-hash': '5d8f9c7b6d' } },
    spec: {
      nodeName: `node-${i % 100}`,
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
  };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setImmediate(r));
}

export default async function run(): Promise<void> {
  const n = arg('n', 10_000);
  const workers = arg('workers', 1);
  const store = memoryStore({ historyLimit: 4 * n });
  const api = createApiServer({ store });
  await api.ready();
  for (let i = 0; i < n; i++) await api.client.create(kinds.Pod, pod(i));
  const stored = (await api.client.list(kinds.Pod)).items;

  // Baseline 0: the same patches through the API with nothing watching (the write cost alone).
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await api.client.patch(kinds.Pod, { namespace: 'default', name: `pod-${i}` }, { metadata: { annotations: { warm: String(i) } } });
  const apiPatchMs = performance.now() - t0;

  // Baseline 1: the no-op reconciler called directly.
  let direct = 0;
  const noop = async (req: Request): Promise<undefined> => {
    if (req.name !== '') direct++;
    return undefined;
  };
  let t = performance.now();
  for (const p of stored) await noop({ namespace: 'default', name: p.metadata.name ?? '' });
  const directMs = performance.now() - t;

  // The cache alone: one informer listing and caching every Pod (heap delta after a full GC).
  let before = heapUsed();
  const cacheStop = new AbortController();
  const informer = new Informer({ client: api.client, kind: kinds.Pod });
  const informerRun = informer.start(cacheStop.signal);
  await informer.waitForSync();
  const cacheBytes = (heapUsed() - before) / n;
  const cached = informer.cache.size;
  cacheStop.abort();
  await informerRun;

  // Baseline 2: the same Pods held in a plain Map (fresh plain copies, as any cache must hold them).
  before = heapUsed();
  const map = new Map<string, unknown>();
  for (const p of stored) map.set(`default/${p.metadata.name ?? ''}`, JSON.parse(JSON.stringify(p)) as unknown);
  const mapBytes = (heapUsed() - before) / n;
  map.clear();


  // The machinery: manager, shared informer, queue, controller.
  const manager = createManager({ api });
  let reconciles = 0;
  controller(manager)
    .for(kinds.Pod)
    .withOptions({ maxConcurrentReconciles: workers })
    .complete(async (req) => {
      if (req.name !== '') reconciles++;
      return undefined;
    });
  const stop = new AbortController();
  t = performance.now();
  const running = manager.start(stop.signal);
  await until(() => reconciles >= n);
  const syncMs = performance.now() - t;

  const afterSync = reconciles;
  t = performance.now();
  for (let i = 0; i < n; i++) await api.client.patch(kinds.Pod, { namespace: 'default', name: `pod-${i}` }, { metadata: { annotations: { touched: String(i) } } });
  await until(() => reconciles - afterSync >= n);
  const changeMs = performance.now() - t;
  stop.abort();
  await running;
  await store.close();

  const syncPerS = Math.round((n / syncMs) * 1000);
  const changePerS = Math.round((n / changeMs) * 1000);
  const directPerS = Math.round((direct / directMs) * 1000);
  const apiPatchPerS = Math.round((n / apiPatchMs) * 1000);
  printReport({
    title: `reconcile: no-op controller over ${n} Pods on memoryStore, ${workers} worker(s) (Node ${process.version}, ${cpus().length} cores)`,
    rows: [
      { name: 'initial sync + reconcile', value: syncPerS, unit: 'reconciles/s', note: `${syncMs.toFixed(0)} ms for list, cache, queue and ${n} reconciles` },
      { name: 'changes reconciled', value: changePerS, unit: 'reconciles/s', note: `${n} patches through watch → cache → queue → reconcile` },
      { name: 'the same patches, nothing watching', value: apiPatchPerS, unit: 'patches/s', note: 'API write cost alone (baseline for the line above)' },
      { name: 'direct calls (ceiling)', value: directPerS, unit: 'calls/s', note: 'the same no-op reconciler called in a loop' },
      { name: 'cache memory', value: Math.round(cacheBytes), unit: 'bytes/object', note: `${cached} Pods in one informer's cache, with its indexes (heap delta)` },
      { name: 'plain Map memory', value: Math.round(mapBytes), unit: 'bytes/object', note: 'the same Pods in a Map (baseline)' },
    ],
    json: {
      n,
      workers,
      reconciles_per_s: changePerS,
      initial_sync_reconciles_per_s: syncPerS,
      direct_calls_per_s: directPerS,
      api_patches_per_s: apiPatchPerS,
      cache_bytes_per_object: Math.round(cacheBytes),
      map_bytes_per_object: Math.round(mapBytes),
    },
  });
}

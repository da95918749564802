/**
 * `npm run bench -- deployment`: a Deployment of 10,000 replicas on 1000 simulated nodes, from
 * create to every pod Ready, through the whole control plane (API server, Deployment and
 * ReplicaSet controllers, the scheduler with its default plugins, the simulated nodes' agents),
 * on the memory store and on the SQLite store (synchronous=FULL, in a temp directory).
 *
 * Baseline in the same run: the same number of Pods created through the API alone (no controller,
 * no scheduler, no node), on each store — the floor of the write path.
 *
 * Options (after `--`): `--replicas <n>` (default 10000), `--nodes <n>` (default 1000),
 * `--store memory|sqlite|both` (default both).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createControlPlane } from '@harbormaster/control-plane';
import { createApiServer, kinds, type Store } from '@harbormaster/core';
import { memoryStore } from '@harbormaster/store-memory';
import { sqliteStore } from '@harbormaster/store-sqlite';
import { printReport } from './report.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

interface Run {
  readonly seconds: number;
  readonly apiOnlySeconds: number;
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function deployment(makeStore: () => Promise<{ store: Store; cleanup: () => Promise<void> }>, replicas: number, nodes: number): Promise<Run> {
  // Baseline: the Pods alone, through the API.
  let apiOnlySeconds: number;
  {
    const { store, cleanup } = await makeStore();
    const api = createApiServer({ store });
    await api.ready();
    const t = performance.now();
    const batch = 64;
    for (let i = 0; i < replicas; i += batch) {
      await Promise.all(
        Array.from({ length: Math.min(batch, replicas - i) }, (_, j) =>
          api.client.create(kinds.Pod, { metadata: { name: `p-${i + j}`, namespace: 'default', labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'acme/web:1' }] } }),
        ),
      );
    }
    apiOnlySeconds = (performance.now() - t) / 1000;
    await api.close();
    await cleanup();
  }

  const { store, cleanup } = await makeStore();
  const cp = await createControlPlane({ store, nodes: { nodes, capacity: { cpu: '64', memory: '256Gi', pods: '110' }, tickMs: 50 } });
  await cp.start();
  await until(async () => (await cp.client.list(kinds.Node)).items.length === nodes, 60_000);
  let ready = 0;
  const counter = cp.manager.informers.informerFor(kinds.Pod);
  const isReady = (p: kinds.Pod): boolean => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  const t = performance.now();
  await cp.client.create(kinds.Deployment, {
    metadata: { name: 'web' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'acme/web:1', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] } },
    },
  });
  let last = 0;
  await until(async () => {
    ready = counter.cache.list({ filter: isReady }).length;
    if (ready - last >= 1000 || ready === replicas) {
      process.stderr.write(`  ${ready}/${replicas} ready after ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
      last = ready;
    }
    return ready === replicas;
  }, 600_000);
  const seconds = (performance.now() - t) / 1000;
  const d = await cp.client.get(kinds.Deployment, { name: 'web' });
  if (d.status?.readyReplicas !== replicas) {
    await until(async () => (await cp.client.get(kinds.Deployment, { name: 'web' })).status?.readyReplicas === replicas, 60_000);
  }
  await cp.stop();
  await cleanup();
  return { seconds, apiOnlySeconds };
}

export default async function run(): Promise<void> {
  const replicas = Number(arg('replicas', '10000'));
  const nodes = Number(arg('nodes', '1000'));
  const which = arg('store', 'both');
  const results: Record<string, Run> = {};
  if (which === 'memory' || which === 'both') {
    process.stderr.write('memory store…\n');
    results['memory'] = await deployment(async () => ({ store: memoryStore({ historyLimit: 200_000 }), cleanup: async () => undefined }), replicas, nodes);
  }
  if (which === 'sqlite' || which === 'both') {
    process.stderr.write('sqlite store…\n');
    results['sqlite'] = await deployment(async () => {
      const dir = await mkdtemp(join(tmpdir(), 'hm-deploy-bench-'));
      const store = sqliteStore({ path: join(dir, 'state.db') });
      return { store, cleanup: async () => rm(dir, { recursive: true, force: true }) };
    }, replicas, nodes);
  }
  const m = results['memory'];
  const s = results['sqlite'];
  printReport({
    title: `deployment: ${replicas} replicas on ${nodes} simulated nodes, create to all Ready (Node ${process.version}, ${cpus().length} cores)`,
    rows: [
      ...(m ? [
        { name: 'memory store', value: Number(m.seconds.toFixed(2)), unit: 's', note: `target < 15 s; ${Math.round(replicas / m.seconds)} pods/s` },
        { name: 'memory: pods through the API alone', value: Number(m.apiOnlySeconds.toFixed(2)), unit: 's', note: 'baseline: the same Pod creates, no controllers' },
      ] : []),
      ...(s ? [
        { name: 'sqlite store', value: Number(s.seconds.toFixed(2)), unit: 's', note: `target < 30 s; ${Math.round(replicas / s.seconds)} pods/s` },
        { name: 'sqlite: pods through the API alone', value: Number(s.apiOnlySeconds.toFixed(2)), unit: 's', note: 'baseline: the same Pod creates, no controllers' },
      ] : []),
    ],
    json: {
      replicas,
      nodes,
      ...(m ? { memory_seconds: Number(m.seconds.toFixed(2)), memory_api_only_seconds: Number(m.apiOnlySeconds.toFixed(2)) } : {}),
      ...(s ? { sqlite_seconds: Number(s.seconds.toFixed(2)), sqlite_api_only_seconds: Number(s.apiOnlySeconds.toFixed(2)) } : {}),
    },
  });
}

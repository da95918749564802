/**
 * `npm run bench -- scheduler`: the scheduler with the default plugins, in-process on the memory
 * store, in the shape of Kubernetes' scheduler_perf `SchedulingBasic` (5000 nodes): 5000 nodes
 * (4 CPU, 32 GiB, 110 pods, spread over 10 zones), 1000 pods already placed on them, and 10,000
 * pending pods (100m CPU, 500 MiB each) to schedule.
 *
 * The pending pods are created through the API before the scheduler starts; the clock starts
 * when the scheduler's informers have synced and stops when the last pod has `PodScheduled=True`
 * (every binding written: one write through the pods/binding subresource, which sets
 * `spec.nodeName` and the condition together, plus a `Scheduled` event). So the figure is the
 * whole scheduling and binding path, API writes included, on one Node.js thread.
 *
 * Options (after `--`): `--nodes <n>` (default 5000), `--placed <n>` (1000), `--pods <n>` (10000),
 * `--spread hostname|zone` (default none): give every pending pod the label `app=spread` and a
 * `topologySpreadConstraints` entry on that key (maxSkew 1, `DoNotSchedule`, selecting
 * `app=spread`), the shape of scheduler_perf's `TopologySpreading`. The variant only changes the
 * title line; the rows and the JSON keys stay the same.
 */
import { createApiServer, createManager, kinds, silentLogger } from '@harbormaster/core';
import { createScheduler } from '@harbormaster/scheduler-plugins';
import { memoryStore } from '@harbormaster/store-memory';
import { printReport } from './report.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

const ZONES = 10;

function node(i: number) {
  const name = `node-${i}`;
  const allocatable = { cpu: '4', memory: '32Gi', pods: '110' };
  return {
    metadata: {
      name,
      labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': `zone-${i % ZONES}`, 'topology.kubernetes.io/region': 'region-1' },
    },
    status: { capacity: allocatable, allocatable, conditions: [{ type: 'Ready', status: 'True' as const }] },
  };
}

const SPREAD_KEYS = { hostname: 'kubernetes.io/hostname', zone: 'topology.kubernetes.io/zone' } as const;
type Spread = keyof typeof SPREAD_KEYS;

function spreadArg(): Spread | undefined {
  const i = process.argv.indexOf('--spread');
  if (i < 0) return undefined;
  const v = process.argv[i + 1];
  if (v === 'hostname' || v === 'zone') return v;
  throw new Error(`--spread takes hostname or zone, not ${String(v)}`);
}

function pod(name: string, nodeName?: string, spread?: Spread) {
  return {
    metadata: { name, namespace: 'default', ...(spread === undefined ? {} : { labels: { app: 'spread' } }) },
    spec: {
      containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m', memory: '500Mi' } } }],
      ...(nodeName === undefined ? {} : { nodeName }),
      ...(spread === undefined
        ? {}
        : {
            topologySpreadConstraints: [
              { maxSkew: 1, topologyKey: SPREAD_KEYS[spread], whenUnsatisfiable: 'DoNotSchedule' as const, labelSelector: { matchLabels: { app: 'spread' } } },
            ],
          }),
    },
  };
}

/** Create `n` objects with at most `concurrency` writes in flight. */
async function createAll(n: number, concurrency: number, create: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= n) return;
        await create(i);
      }
    }),
  );
}

export default async function run(): Promise<void> {
  const numNodes = arg('nodes', 5000);
  const numPlaced = arg('placed', 1000);
  const numPods = arg('pods', 10_000);
  const spread = spreadArg();

  const store = memoryStore();
  const api = createApiServer({ store });
  await api.ready();
  const { client } = api;

  let t = performance.now();
  await createAll(numNodes, 64, (i) => client.create(kinds.Node, node(i)));
  await createAll(numPlaced, 64, (i) => client.create(kinds.Pod, pod(`placed-${i}`, `node-${(i * 7) % numNodes}`)));
  await createAll(numPods, 64, (i) => client.create(kinds.Pod, pod(`pod-${i}`, undefined, spread)));
  const setupMs = performance.now() - t;

  const manager = createManager({ api, logger: silentLogger });
  const scheduler = createScheduler({ manager });
  manager.add(scheduler);

  let scheduled = 0;
  let done!: () => void;
  const allScheduled = new Promise<void>((resolve) => (done = resolve));
  const isScheduled = (p: kinds.Pod): boolean => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'True') ?? false;
  manager.informers.informerFor(kinds.Pod).addEventHandler({
    onUpdate: (oldPod, newPod) => {
      if (!newPod.metadata.name?.startsWith('pod-')) return;
      if (!isScheduled(oldPod) && isScheduled(newPod) && ++scheduled === numPods) done();
    },
  });

  const stop = new AbortController();
  const running = manager.start(stop.signal);
  const syncStart = performance.now();
  await manager.informers.waitForCacheSync(stop.signal);
  t = performance.now();
  const syncMs = t - syncStart;
  const cpuBefore = process.cpuUsage();
  await allScheduled;
  const scheduleMs = performance.now() - t;
  const cpu = process.cpuUsage(cpuBefore);
  stop.abort();
  await running;

  // Check the result: every pod bound, no node over its capacity.
  const pods = await client.list(kinds.Pod, {});
  const perNode = new Map<string, number>();
  let unbound = 0;
  for (const p of pods.items) {
    if (p.spec.nodeName === undefined) unbound++;
    else perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
  }
  const maxPerNode = Math.max(...perNode.values());
  if (unbound > 0) throw new Error(`${unbound} pods were left unbound`);
  if (maxPerNode > 40) throw new Error(`a node got ${maxPerNode} pods: over its 4 CPU`);
  const events = (await client.list(kinds.Event, { fieldSelector: 'reason=Scheduled' })).items.length;
  await api.close();
  await store.close();

  const podsPerSecond = Math.round((numPods / scheduleMs) * 1000);
  printReport({
    title: `scheduler: ${numNodes} nodes, ${numPlaced} pods placed, ${numPods} pods to schedule${spread === undefined ? '' : ` spread by ${SPREAD_KEYS[spread]} (maxSkew 1)`} (default plugins, memory store)`,
    rows: [
      { name: 'setup (API creates)', value: Math.round(setupMs), unit: 'ms', note: `${numNodes} nodes, ${numPlaced + numPods} pods` },
      { name: 'informer sync', value: Math.round(syncMs), unit: 'ms' },
      { name: 'scheduled and bound', value: numPods, unit: 'pods', note: 'PodScheduled=True on all' },
      { name: 'time', value: Math.round(scheduleMs), unit: 'ms' },
      { name: 'throughput', value: podsPerSecond, unit: 'pods/s', note: 'target ≥ 1000 on 2 cores; Kubernetes CI floor 680' },
      { name: 'CPU time', value: Math.round((cpu.user + cpu.system) / 1000), unit: 'ms', note: 'user + system, all threads' },
      { name: 'nodes used', value: perNode.size, unit: 'nodes' },
      { name: 'most pods on a node', value: maxPerNode, unit: 'pods' },
      { name: 'Scheduled events', value: events, unit: 'events' },
    ],
    json: {
      nodes: numNodes,
      placed: numPlaced,
      pods: numPods,
      pods_per_s: podsPerSecond,
      schedule_ms: Math.round(scheduleMs),
      cpu_ms: Math.round((cpu.user + cpu.system) / 1000),
      setup_ms: Math.round(setupMs),
      sync_ms: Math.round(syncMs),
      nodes_used: perNode.size,
      max_pods_per_node: maxPerNode,
      scheduled_events: events,
    },
  });
}

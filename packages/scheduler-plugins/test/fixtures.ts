/**
 * Test fixtures: nodes and pods as the API would hold them, a NodeInfo built from them, and a
 * running scheduler on a test environment (memory store, fake clock).
 */
import { randomUUID } from 'node:crypto';
import { createApiServer, InformerFactory, kinds, silentLogger, type ApiServer, type EventRecorder, type InputOf } from '@harbormaster/core';
import { createTestEnv, FakeClock, type TestEnv } from '@harbormaster/core/testing';
import { memoryStore } from '@harbormaster/store-memory';
import {
  createScheduler,
  CycleState,
  defaultRegistry,
  Framework,
  NodeInfo,
  PodInfo,
  resolveProfile,
  SchedulerCache,
  Status,
  type KubeSchedulerProfile,
  type Registry,
  type Scheduler,
  type SchedulerOptions,
} from '@harbormaster/scheduler-plugins';


export interface NodeSpecInput {
  readonly cpu?: string;
  readonly memory?: string;
  readonly pods?: number;
  readonly labels?: Record<string, string>;
  readonly taints?: kinds.Taint[];
  readonly unschedulable?: boolean;
  readonly images?: { names: string[]; sizeBytes: number }[];
  readonly extra?: Record<string, string>;
}

/** A Node object input (for client.create). */
export function nodeInput(name: string, o: NodeSpecInput = {}): InputOf<typeof kinds.Node> {
  const allocatable = { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: String(o.pods ?? 110), ...(o.extra ?? {}) };
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: { ...(o.taints === undefined ? {} : { taints: o.taints }), ...(o.unschedulable === undefined ? {} : { unschedulable: o.unschedulable }) },
    status: { capacity: allocatable, allocatable, ...(o.images === undefined ? {} : { images: o.images }) },
  };
}

/** A parsed Node object (defaults applied), for unit tests. */
export function node(name: string, o: NodeSpecInput = {}): kinds.Node {
  return kinds.Node.schema.parse({ apiVersion: 'v1', kind: 'Node', ...nodeInput(name, o) });
}

export interface PodSpecInput {
  readonly namespace?: string;
  readonly cpu?: string;
  readonly memory?: string;
  readonly labels?: Record<string, string>;
  readonly priority?: number;
  readonly nodeName?: string;
  readonly spec?: Partial<kinds.PodSpec>;
  readonly containers?: kinds.Container[];
}

/** A Pod object input (for client.create). */
export function podInput(name: string, o: PodSpecInput = {}): InputOf<typeof kinds.Pod> {
  const requests: Record<string, string> = {};
  if (o.cpu !== undefined) requests.cpu = o.cpu;
  if (o.memory !== undefined) requests.memory = o.memory;
  return {
    metadata: { name, namespace: o.namespace ?? 'default', labels: o.labels ?? {} },
    spec: {
      containers: o.containers ?? [{ name: 'app', image: 'registry.example/app:1.0', resources: Object.keys(requests).length > 0 ? { requests } : {} }],
      ...(o.priority === undefined ? {} : { priority: o.priority }),
      ...(o.nodeName === undefined ? {} : { nodeName: o.nodeName }),
      ...(o.spec ?? {}),
    },
  };
}

/** A parsed Pod object with a uid (defaults applied), for unit tests. */
export function pod(name: string, o: PodSpecInput = {}): kinds.Pod {
  const p = kinds.Pod.schema.parse({ apiVersion: 'v1', kind: 'Pod', ...podInput(name, o) });
  p.metadata.uid = randomUUID();
  p.metadata.generation = 1;
  return p;
}

/** A NodeInfo for `n` with these pods on it. */
export function nodeInfo(n: kinds.Node, pods: kinds.Pod[] = []): NodeInfo {
  const ni = new NodeInfo(n.metadata.name ?? '', n);
  for (const p of pods) ni.addPod(PodInfo.of(p));
  return ni;
}

export interface SchedulerEnv extends TestEnv {
  readonly scheduler: Scheduler;
}

/** A test environment with a scheduler added and started. */
export async function startScheduler(options: Omit<SchedulerOptions, 'manager'> = {}): Promise<SchedulerEnv> {
  const env = await createTestEnv({ store: memoryStore() });
  let n = 0;
  const scheduler = createScheduler({ random: () => ((n = (n * 9301 + 49297) % 233280), n / 233280), ...options, manager: env.manager });
  env.manager.add(scheduler);
  await env.start();
  return Object.assign(env, { scheduler });
}

/** The pod, fresh from the API. */
export function getPod(env: TestEnv, name: string, namespace = 'default'): Promise<kinds.Pod> {
  return env.client.get(kinds.Pod, { namespace, name });
}

/** The pod's PodScheduled condition. */
export function podScheduled(p: kinds.Pod): kinds.PodCondition | undefined {
  return p.status?.conditions?.find((c) => c.type === 'PodScheduled');
}

/** Wait until the pod is bound; returns the node name. */
export async function waitForBinding(env: TestEnv, name: string, namespace = 'default'): Promise<string> {
  return env.eventually(async () => (await getPod(env, name, namespace)).spec.nodeName, { timeoutMs: 30_000 });
}

/** The events about an object with this reason. */
export async function eventsFor(env: TestEnv, name: string, reason: string): Promise<kinds.Event[]> {
  const list = await env.client.list(kinds.Event, {});
  return list.items.filter((e) => e.involvedObject.name === name && e.reason === reason);
}


/** A framework with only `plugin` (plus the required QueueSort and Bind), over a cache of `nodes` and bound `pods`. */
export interface Harness {
  readonly framework: Framework;
  readonly cache: SchedulerCache;
  readonly clock: FakeClock;
  /** Run PreFilter and Filter on every node: the status per node (Success for feasible ones). */
  filter(pod: kinds.Pod): Map<string, Status>;
  /** Run PreScore, Score and NormalizeScore on `nodes` (default: every node). */
  score(pod: kinds.Pod, nodes?: readonly string[]): Map<string, number>;
}

export function harness(options: {
  readonly plugin: string;
  readonly nodes: readonly kinds.Node[];
  readonly pods?: readonly kinds.Pod[];
  readonly args?: Record<string, unknown>;
  readonly registry?: Registry;
  readonly profile?: KubeSchedulerProfile;
  /** The API server and its clock the plugins use (to read Services, ReplicaSets, …). @default a new one */
  readonly api?: { readonly api: ApiServer; readonly clock: FakeClock };
  /** The informers the plugins read through. @default new ones on the API server, not started */
  readonly informers?: InformerFactory;
}): Harness {
  const cache = new SchedulerCache();
  for (const n of options.nodes) cache.addNode(n);
  for (const p of options.pods ?? []) cache.addPod(PodInfo.of(p));
  const clock = options.api?.clock ?? new FakeClock();
  const api = options.api?.api ?? createApiServer({ store: memoryStore(), clock });
  const recorder: EventRecorder = { event: () => undefined };
  const others = ['PrioritySort', 'DefaultBinder'].filter((n) => n !== options.plugin);
  const profile = options.profile ?? {
    plugins: { multiPoint: { disabled: [{ name: '*' }], enabled: [...others.map((name) => ({ name })), { name: options.plugin }] } },
    ...(options.args === undefined ? {} : { pluginConfig: [{ name: options.plugin, args: options.args }] }),
  };
  const framework = Framework.create({
    profile: resolveProfile(profile),
    registry: options.registry ?? defaultRegistry(),
    deps: {
      client: api.client,
      clock,
      logger: silentLogger,
      recorder,
      informers: options.informers ?? new InformerFactory({ client: api.client, clock }),
      snapshot: cache,
      nominator: { size: 0, podsForNode: () => [] },
      activate: () => undefined,
      random: () => 0,
    },
  });
  return {
    framework,
    cache,
    clock,
    filter(pod) {
      const state = new CycleState();
      const out = new Map<string, Status>();
      const pre = framework.runPreFilterPlugins(state, pod, cache.list());
      for (const ni of cache.list()) {
        if (!pre.status.isSuccess()) out.set(ni.name, pre.status);
        else if (pre.nodeNames !== undefined && !pre.nodeNames.has(ni.name)) out.set(ni.name, Status.unresolvable('not in the PreFilter result'));
        else out.set(ni.name, framework.runFilterPlugins(state, pod, ni));
      }
      return out;
    },
    score(pod, names) {
      const state = new CycleState();
      const nodes = names === undefined ? cache.list() : names.map((n) => cache.get(n) as NodeInfo);
      framework.runPreFilterPlugins(state, pod, cache.list());
      const s = framework.runPreScorePlugins(state, pod, nodes);
      if (!s.isSuccess()) throw s.asError();
      const totals = framework.runScorePlugins(state, pod, nodes);
      return new Map(nodes.map((n, i) => [n.name, totals[i] as number]));
    },
  };
}

/** The node names whose status is Success. */
export function feasible(statuses: Map<string, Status>): string[] {
  return [...statuses].filter(([, s]) => s.isSuccess()).map(([n]) => n);
}

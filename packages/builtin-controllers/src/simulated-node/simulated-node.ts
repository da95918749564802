/**
 * A simulated node, in the manner of kwok: a Node that behaves like one backed by a kubelet, with
 * no containers behind it. Use it to run Deployments, the scheduler and the node lifecycle
 * controller in tests and benchmarks.
 *
 * While it runs, the node:
 * - registers a Node with `capacity`/`allocatable` (default 4 CPUs, 16Gi, 110 pods), the usual
 *   `kubernetes.io/hostname|os|arch` labels, its taints, a pod CIDR, an InternalIP, and the
 *   conditions `Ready=True` (`KubeletReady`), `MemoryPressure`/`DiskPressure`/`PIDPressure=False`;
 *   a node that finds its Node already registered (a restart) keeps the Node's spec;
 * - renews its Lease `kube-node-lease/<name>` (holder = node name, `leaseDurationSeconds: 40`)
 *   every `leaseRenewMs` (10 s), and reports its status every `statusReportMs` (5 min), as a
 *   kubelet does;
 * - runs the pods bound to it (`spec.nodeName`): `startupDelayMs` after it sees a pod, the pod is
 *   `Running` with a pod IP from the node's range, `hostIP`, `startTime`, the conditions
 *   `PodReadyToStartContainers`, `Initialized`, `Ready`, `ContainersReady` and `PodScheduled`,
 *   and a running status per container; `readyDelayMs` later it is Ready;
 * - plays container failures: with a {@link PodBehavior} `exitAfterMs`, containers exit and
 *   restart per `restartPolicy` with CrashLoopBackOff (10 s doubling to 5 min, `restartCount`
 *   rising), or the pod ends `Succeeded`/`Failed`; {@link SimulatedNode.crashContainer} makes one
 *   exit now;
 * - finishes graceful deletion: `deletionDelayMs` after a pod gets its `deletionTimestamp`, the
 *   node deletes it with `gracePeriodSeconds: 0`.
 *
 * Stopping the node (`stop()`, or aborting its signal) simulates a node failure: it stops renewing
 * its Lease and stops updating anything, leaving its Node and pods as they were. Starting it again
 * is a node coming back.
 *
 * Every wait uses the injected clock. For many nodes use {@link simulatedCluster}, which shares
 * one pod watch among all of them.
 *
 * @example
 * ```ts
 * const node = simulatedNode({ name: 'node-1', client: api.client, clock, readyDelayMs: 2000 });
 * manager.add(node); // or: void node.start(signal)
 * ```
 *
 * @module
 */
import { silentLogger, systemClock, type Client, type Clock, type InformerFactory, type kinds, type Logger, type ObjectKey, type Runnable } from '@harbormaster/core';
import { defaultNodeAddresses } from './address-range.js';
import { SimulatedNodeAgent, type SimulatedNodeAgentConfig, type NodeCapacity, type PodBehavior } from './simulated-node-agent.js';
import { PodHub } from './pod-hub.js';
import { TickScheduler } from './tick-scheduler.js';

/** Options of {@link simulatedNode}. */
export interface SimulatedNodeOptions {
  /** The Node's name. */
  readonly name: string;
  /** The API client the node writes through. */
  readonly client: Client;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default silentLogger */
  readonly logger?: Logger;
  /**
   * Watch pods through this informer factory's shared pod informer (e.g. `manager.informers`)
   * instead of a watch of the node's own. The factory must be running.
   */
  readonly informers?: InformerFactory;
  /** @default { cpu: '4', memory: '16Gi', pods: '110' } */
  readonly capacity?: NodeCapacity;
  /** @default capacity */
  readonly allocatable?: NodeCapacity;
  /** Labels besides `kubernetes.io/hostname`, `kubernetes.io/os` and `kubernetes.io/arch`. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Annotations the Node registers with. */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Taints the node registers with. */
  readonly taints?: readonly kinds.Taint[];
  /** From a pod being bound to its containers running. @default 0 */
  readonly startupDelayMs?: number;
  /** From the containers running to the pod being Ready. @default 0 */
  readonly readyDelayMs?: number;
  /** From a pod's `deletionTimestamp` to the node deleting it. @default 0 */
  readonly deletionDelayMs?: number;
  /** How often the Lease is renewed. @default 10000 */
  readonly leaseRenewMs?: number;
  /** The Lease's `leaseDurationSeconds`. @default 40 */
  readonly leaseDurationSeconds?: number;
  /** How often the Node's status is reported when nothing changes. @default 300000 */
  readonly statusReportMs?: number;
  /** The node's pod range. @default 10.244.0.0/24 */
  readonly podCIDR?: string;
  /** The node's address. @default 172.16.0.2 */
  readonly internalIP?: string;
  /** Per-pod behaviour: e.g. `(pod) => pod.spec.containers[0]?.image === 'web:broken' ? { neverReady: true } : undefined`. */
  readonly podBehavior?: (pod: kinds.Pod) => PodBehavior | undefined;
  /**
   * Delays are rounded up to this tick, and what falls due in the same tick happens together
   * (one timer per tick instead of one per pod). 0 keeps delays exact. @default 100
   */
  readonly tickMs?: number;
}

/** A running simulated node. See the module documentation. */
export interface SimulatedNode extends Runnable {
  /** The Node's name, also the runnable's name in the manager. */
  readonly name: string;
  /** Never leader-elected: every replica of a program runs its nodes. */
  readonly needLeaderElection: false;
  /** Whether the node is running (registered, renewing its Lease, running pods). */
  readonly running: boolean;
  /**
   * Run the node until `signal` aborts or {@link SimulatedNode.stop} is called. Resolves once every
   * timer is cleared and every write has settled.
   * @throws Error if the node is running already (or, for a node of a cluster, if the cluster is not).
   */
  start(signal: AbortSignal): Promise<void>;
  /** Stop the node (a node failure) and wait until it has stopped. Does nothing if it is not running. */
  stop(): Promise<void>;
  /**
   * Make the containers of a pod running on this node exit now (they restart as `restartPolicy`
   * says). Returns false if the node does not run that pod.
   */
  crashContainer(pod: ObjectKey, options?: { readonly exitCode?: number }): boolean;
}

export type { NodeCapacity, PodBehavior };

/** The agent configuration for options, with defaults. */
export function nodeAgentConfig(options: SimulatedNodeOptions, index: number, scheduler: TickScheduler): SimulatedNodeAgentConfig {
  const needDefaults = options.podCIDR === undefined || options.internalIP === undefined;
  const defaults = needDefaults ? defaultNodeAddresses(index) : undefined;
  return {
    name: options.name,
    client: options.client,
    clock: options.clock ?? systemClock,
    logger: options.logger ?? silentLogger,
    capacity: options.capacity ?? { cpu: '4', memory: '16Gi', pods: '110' },
    allocatable: options.allocatable,
    labels: options.labels ?? {},
    annotations: options.annotations ?? {},
    taints: options.taints ?? [],
    startupDelayMs: options.startupDelayMs ?? 0,
    readyDelayMs: options.readyDelayMs ?? 0,
    deletionDelayMs: options.deletionDelayMs ?? 0,
    leaseRenewMs: options.leaseRenewMs ?? 10_000,
    leaseDurationSeconds: options.leaseDurationSeconds ?? 40,
    statusReportMs: options.statusReportMs ?? 300_000,
    podCIDR: options.podCIDR ?? defaults?.podCIDR ?? '10.244.0.0/24',
    internalIP: options.internalIP ?? defaults?.internalIP ?? '172.16.0.2',
    podBehavior: options.podBehavior,
    scheduler,
  };
}

/** Where a node's pod events come from while it runs. */
export type HubProvider = (signal: AbortSignal) => { readonly hub: PodHub; readonly running?: Promise<void> };

/** A {@link SimulatedNode} over an agent; `hubFor` supplies the pod watch for each run. */
export class SimulatedNodeHandle implements SimulatedNode {
  readonly name: string;
  readonly needLeaderElection = false as const;
  readonly #agent: SimulatedNodeAgent;
  readonly #hubFor: HubProvider;
  #stopper: AbortController | undefined;
  #done: Promise<void> | undefined;

  constructor(agent: SimulatedNodeAgent, hubFor: HubProvider) {
    this.name = agent.config.name;
    this.#agent = agent;
    this.#hubFor = hubFor;
  }

  get running(): boolean {
    return this.#stopper !== undefined;
  }

  start(signal: AbortSignal): Promise<void> {
    if (this.#stopper !== undefined) return Promise.reject(new Error(`simulated node ${this.name} is running already`));
    const stopper = new AbortController();
    const onAbort = (): void => stopper.abort();
    if (signal.aborted) stopper.abort();
    else signal.addEventListener('abort', onAbort, { once: true });
    let source: ReturnType<HubProvider>;
    try {
      source = this.#hubFor(stopper.signal);
    } catch (e) {
      signal.removeEventListener('abort', onAbort);
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    this.#stopper = stopper;
    const run = async (): Promise<void> => {
      try {
        if (await source.hub.waitForSync(stopper.signal)) await this.#agent.run(stopper.signal, source.hub);
      } finally {
        stopper.abort();
        await source.running;
        signal.removeEventListener('abort', onAbort);
        this.#stopper = undefined;
      }
    };
    this.#done = run();
    return this.#done;
  }

  async stop(): Promise<void> {
    this.#stopper?.abort();
    await this.#done?.catch(() => undefined);
  }

  crashContainer(pod: ObjectKey, options: { readonly exitCode?: number } = {}): boolean {
    return this.#agent.crashContainer(pod, options.exitCode ?? 1);
  }
}

/**
 * Make a simulated node. It does nothing until started: add it to a manager (`manager.add(node)`)
 * or call `start(signal)`.
 *
 * @example
 * ```ts
 * const node = simulatedNode({ name: 'node-1', client: api.client, clock, capacity: { cpu: 8, memory: '32Gi', pods: 110 } });
 * const running = node.start(signal);
 * // … later, a node failure:
 * await node.stop();
 * ```
 */
export function simulatedNode(options: SimulatedNodeOptions): SimulatedNode {
  const config = nodeAgentConfig(options, 0, new TickScheduler(options.clock ?? systemClock, options.tickMs ?? 100));
  return new SimulatedNodeHandle(new SimulatedNodeAgent(config), (signal) => {
    const hub = new PodHub({ client: config.client, clock: config.clock, logger: config.logger, informers: options.informers, nodeName: config.name });
    return { hub, running: hub.run(signal) };
  });
}

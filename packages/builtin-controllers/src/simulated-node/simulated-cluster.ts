/**
 * Many simulated nodes at once, cheaply: every node of the cluster shares one pod watch (a pod
 * informer indexed by `spec.nodeName`), so a thousand nodes cost one watch and one cache, plus a
 * Lease renewal per node every 10 s. Nodes are named `<namePrefix><i>` (`node-1` … `node-n`),
 * with pod CIDRs `10.244.0.0/24`, `10.244.1.0/24`, … and InternalIPs from `172.16.0.2`.
 *
 * Each node is a {@link SimulatedNode}: stop one to simulate its failure, start it again (while
 * the cluster runs) to bring it back.
 *
 * @example
 * ```ts
 * const cluster = simulatedCluster({ client: api.client, clock, nodes: 1000, readyDelayMs: 1000 });
 * void cluster.start(signal);
 * await cluster.node('node-7')?.stop(); // node-7 fails
 * ```
 *
 * @module
 */
import { silentLogger, systemClock, type Runnable } from '@harbormaster/core';
import { SimulatedNodeAgent } from './simulated-node-agent.js';
import { PodHub } from './pod-hub.js';
import { nodeAgentConfig, SimulatedNodeHandle, type SimulatedNode, type SimulatedNodeOptions } from './simulated-node.js';
import { TickScheduler } from './tick-scheduler.js';

/** Options of {@link simulatedCluster}: the defaults of every node, and how many. */
export interface SimulatedClusterOptions extends Omit<SimulatedNodeOptions, 'name' | 'podCIDR' | 'internalIP'> {
  /** How many nodes. */
  readonly nodes: number;
  /** Node names are this prefix and a number from 1. @default "node-" */
  readonly namePrefix?: string;
  /** Options of the node with this index (0-based), over the defaults: e.g. zone labels. */
  readonly nodeOptions?: (index: number) => Partial<Omit<SimulatedNodeOptions, 'client' | 'clock' | 'logger' | 'informers' | 'tickMs'>>;
}

/** A running group of simulated nodes. */
export interface SimulatedCluster extends Runnable {
  readonly needLeaderElection: false;
  /** The nodes, in order. */
  readonly nodes: readonly SimulatedNode[];
  /** The node with this name. */
  node(name: string): SimulatedNode | undefined;
  /**
   * Run the pod watch and every node until `signal` aborts or {@link SimulatedCluster.stop} is
   * called. Resolves once all nodes have stopped.
   */
  start(signal: AbortSignal): Promise<void>;
  /** Stop every node and the pod watch. */
  stop(): Promise<void>;
}

/**
 * Make a group of simulated nodes sharing one pod watch. See the module documentation.
 * @throws Error for more than 2816 nodes without `nodeOptions` giving their addresses.
 */
export function simulatedCluster(options: SimulatedClusterOptions): SimulatedCluster {
  const prefix = options.namePrefix ?? 'node-';
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  let hub: PodHub | undefined;
  let stopper: AbortController | undefined;
  let done: Promise<void> | undefined;
  const hubFor = () => {
    if (hub === undefined) throw new Error('start the simulated cluster before starting one of its nodes');
    return { hub };
  };
  const scheduler = new TickScheduler(clock, options.tickMs ?? 100);
  const nodes = Array.from({ length: options.nodes }, (_, i) => {
    const config = nodeAgentConfig({ ...options, name: `${prefix}${i + 1}`, ...options.nodeOptions?.(i) }, i, scheduler);
    return new SimulatedNodeHandle(new SimulatedNodeAgent(config), hubFor);
  });
  const byName = new Map(nodes.map((n) => [n.name, n]));

  return {
    needLeaderElection: false,
    nodes,
    node: (name) => byName.get(name),
    start(signal) {
      if (stopper !== undefined) return Promise.reject(new Error('the simulated cluster is running already'));
      const s = new AbortController();
      stopper = s;
      const onAbort = (): void => s.abort();
      if (signal.aborted) s.abort();
      else signal.addEventListener('abort', onAbort, { once: true });
      const h = new PodHub({ client: options.client, clock, logger, informers: options.informers });
      hub = h;
      const run = async (): Promise<void> => {
        const watching = h.run(s.signal);
        try {
          if (await h.waitForSync(s.signal)) {
            // Each node gets a signal of its own (a thousand listeners on one signal would be a
            // leak warning); the cluster stops them with stop() below.
            for (const n of nodes) {
              n.start(new AbortController().signal).catch((e: unknown) => logger.error({ err: e, node: n.name }, 'simulated node failed'));
            }
            await new Promise<void>((resolve) => {
              if (s.signal.aborted) resolve();
              else s.signal.addEventListener('abort', () => resolve(), { once: true });
            });
          }
        } finally {
          s.abort();
          // Nodes restarted on their own signal stop with the cluster too.
          await Promise.all(nodes.map((n) => n.stop()));
          await watching;
          signal.removeEventListener('abort', onAbort);
          hub = undefined;
          stopper = undefined;
        }
      };
      done = run();
      return done;
    },
    async stop() {
      stopper?.abort();
      await done?.catch(() => undefined);
    },
  };
}

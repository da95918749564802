/**
 * An embedded Kubernetes control plane in one call: a store (in memory unless you give one), the
 * API server, a manager running the scheduler and every built-in controller, and nodes — simulated
 * ones (in the manner of kwok) or a node agent running real containers on Docker or as local
 * processes.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { createControlPlane } from '@harbormaster/control-plane';
 * import { kinds } from '@harbormaster/core';
 *
 * const cp = await createControlPlane({ nodes: 3 });
 * await cp.start();
 * await cp.client.apply(readFileSync('storefront.yaml', 'utf8'));
 * // … the Deployment's pods are scheduled onto the simulated nodes and become Ready …
 * await cp.stop();
 * ```
 *
 * @module
 */
import {
  createApiServer,
  createManager,
  systemClock,
  type AdmissionPlugin,
  type AnyKind,
  type ApiServer,
  type Client,
  type Clock,
  type ContainerRuntime,
  type LeaderElectionOptions,
  type Logger,
  type Manager,
  type Metrics,
  type Store,
} from '@harbormaster/core';
import {
  containerMetricsSource,
  nodeAgent,
  setupBuiltinControllers,
  simulatedCluster,
  staticMetricsSource,
  type BuiltinControllersOptions,
  type MetricsSource,
  type NodeAgent,
  type NodeAgentOptions,
  type NodeLifecycleOptions,
  type SimulatedCluster,
  type SimulatedClusterOptions,
  type StaticMetricsSource,
} from '@harbormaster/builtin-controllers';
import { createScheduler, type Scheduler, type SchedulerOptions } from '@harbormaster/scheduler-plugins';
import { memoryStore } from '@harbormaster/store-memory';

/** Where containers run, for a control plane with a real node. */
export type RuntimeChoice =
  | ContainerRuntime
  /** A Docker Engine (DOCKER_HOST, else /var/run/docker.sock). */
  | 'docker'
  /** Local child processes (`@harbormaster/runtime-process`). */
  | 'process'
  /** Docker if an engine answers, else local processes. */
  | 'auto';

/** Options of {@link createControlPlane}. */
export interface ControlPlaneOptions {
  /** @default memoryStore() */
  readonly store?: Store;
  /** @default systemClock */
  readonly clock?: Clock;
  /**
   * Where the control plane's components log (the manager's logger, shared by the controllers,
   * the scheduler, the node agent and the simulated nodes).
   * @default the manager's default: warnings and errors as JSON lines on stderr
   */
  readonly logger?: Logger;
  /** Where the manager's controllers and work queues record metrics. @default noopMetrics */
  readonly metrics?: Metrics;
  /** Your own kinds to serve. */
  readonly kinds?: Iterable<AnyKind>;
  /** Admission plugins to add. */
  readonly admission?: Iterable<AdmissionPlugin>;
  /** Simulated nodes: how many, or the cluster's options. @default none */
  readonly nodes?: number | Omit<SimulatedClusterOptions, 'client' | 'clock' | 'logger' | 'informers'>;
  /** Run a node agent on a real runtime, as a node named `nodeName`. @default none */
  readonly runtime?: RuntimeChoice;
  /** Options of that node agent. */
  readonly nodeAgent?: Omit<NodeAgentOptions, 'runtime' | 'nodeName'> & { readonly nodeName?: string };
  /** Scheduler options (profiles, plugins). */
  readonly scheduler?: Omit<SchedulerOptions, 'manager'>;
  /**
   * Where the HPA reads metrics. @default container stats of the node agent when there is one,
   * else a static source you set through `controlPlane.metricsSource`
   */
  readonly hpaMetrics?: MetricsSource;
  /** HPA controller settings, e.g. `{ syncPeriodMs: 5000 }`. @default Kubernetes' (15 s sync) */
  readonly hpa?: BuiltinControllersOptions['hpa'];
  /**
   * The range Services' cluster IPs are allocated from (kube-apiserver's
   * `--service-cluster-ip-range`), an IPv4 CIDR such as `'10.0.0.0/24'`.
   * @default '10.96.0.0/12'
   */
  readonly serviceClusterIPRange?: string;
  /**
   * Node lifecycle controller settings (kube-controller-manager's `--node-monitor-period`,
   * `--node-monitor-grace-period`, `--node-eviction-rate`, …), e.g. `{ nodeMonitorGracePeriodMs: 20_000 }`
   * to notice a silent node sooner. @default Kubernetes' (5 s monitor period, 50 s grace period)
   */
  readonly nodeLifecycle?: NodeLifecycleOptions;
  /** Run controllers only while holding this Lease. @default none */
  readonly leaderElection?: LeaderElectionOptions;
  /** Built-in controllers to leave out (see `setupBuiltinControllers`). */
  readonly disableControllers?: readonly string[];
}

/** A running (or ready to run) control plane. */
export interface ControlPlane {
  /** The store objects live in. */
  readonly store: Store;
  /** The API server over `store`. */
  readonly api: ApiServer;
  /** The manager's client: read-your-writes. */
  readonly client: Client;
  /** The manager running the built-in controllers and the scheduler; add your own controllers to it. */
  readonly manager: Manager;
  /** The clock the API server, the manager and the nodes share. */
  readonly clock: Clock;
  /** The scheduler, which binds pending pods to nodes. */
  readonly scheduler: Scheduler;
  /** The simulated nodes, if any. */
  readonly cluster: SimulatedCluster | undefined;
  /** The node agent, if a runtime was given. */
  readonly agent: NodeAgent | undefined;
  /** The runtime the node agent uses, if any. */
  readonly runtime: ContainerRuntime | undefined;
  /** The HPA's static metrics source, when no other was given and there is no node agent. */
  readonly metricsSource: StaticMetricsSource | undefined;
  /** Start everything in the background; resolves once the shared caches have synced. */
  start(): Promise<void>;
  /** Stop everything; resolves after a clean shutdown (the store is closed if the control plane made it). */
  stop(): Promise<void>;
}

async function resolveRuntime(choice: RuntimeChoice): Promise<ContainerRuntime> {
  if (typeof choice === 'object') return choice;
  if (choice === 'docker' || choice === 'auto') {
    try {
      const docker = await import('@harbormaster/runtime-docker');
      if (choice === 'docker' || (await docker.isDockerAvailable({}))) return docker.dockerRuntime();
    } catch (e) {
      if (choice === 'docker') throw e;
    }
  }
  const proc = await import('@harbormaster/runtime-process');
  return proc.processRuntime();
}

/** Make a control plane. Add your own controllers to `manager` before `start()`. */
export async function createControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const clock = options.clock ?? systemClock;
  const ownStore = options.store === undefined;
  const store = options.store ?? memoryStore();
  const api = createApiServer({
    store,
    clock,
    ...(options.kinds === undefined ? {} : { kinds: options.kinds }),
    ...(options.admission === undefined ? {} : { admission: options.admission }),
  });
  await api.ready();
  const manager = createManager({
    api,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    ...(options.leaderElection === undefined ? {} : { leaderElection: options.leaderElection }),
  });

  const runtime = options.runtime === undefined ? undefined : await resolveRuntime(options.runtime);
  const agent =
    runtime === undefined
      ? undefined
      : nodeAgent(manager, { ...options.nodeAgent, nodeName: options.nodeAgent?.nodeName ?? 'local', runtime });
  const metricsSource = options.hpaMetrics === undefined && agent === undefined ? staticMetricsSource({ clock }) : undefined;
  const hpaMetrics = options.hpaMetrics ?? (agent !== undefined ? containerMetricsSource({ agents: [agent], client: manager.client }) : metricsSource);
  setupBuiltinControllers(manager, {
    api,
    ...(hpaMetrics === undefined ? {} : { metrics: hpaMetrics }),
    ...(options.hpa === undefined ? {} : { hpa: options.hpa }),
    ...(options.serviceClusterIPRange === undefined ? {} : { serviceClusterIPRange: options.serviceClusterIPRange }),
    ...(options.nodeLifecycle === undefined ? {} : { nodeLifecycle: options.nodeLifecycle }),
    ...(options.disableControllers === undefined ? {} : { disable: options.disableControllers }),
  });
  const scheduler = createScheduler({ manager, ...options.scheduler });
  manager.add(scheduler);
  if (agent !== undefined) manager.add(agent);
  const nodes = typeof options.nodes === 'number' ? { nodes: options.nodes } : options.nodes;
  const cluster =
    nodes === undefined || nodes.nodes === 0
      ? undefined
      : simulatedCluster({ ...nodes, client: manager.client, clock, informers: manager.informers, logger: manager.logger });
  if (cluster !== undefined) manager.add(cluster);

  const stopper = new AbortController();
  let running: Promise<void> | undefined;
  let failure: { error: unknown } | undefined;
  return {
    store,
    api,
    client: manager.client,
    manager,
    clock,
    scheduler,
    cluster,
    agent,
    runtime,
    metricsSource,
    async start() {
      if (running !== undefined) throw new Error('the control plane is started already');
      running = manager.start(stopper.signal).catch((e: unknown) => {
        failure = { error: e };
      });
      await manager.informers.waitForCacheSync(stopper.signal);
      if (failure !== undefined) throw failure.error;
    },
    async stop() {
      stopper.abort();
      await running;
      await api.close();
      if (runtime !== undefined) await runtime.close();
      if (ownStore) await store.close();
      if (failure !== undefined) throw failure.error;
    },
  };
}

/**
 * The test environment of the workload scenario tests: an API server on the in-memory store, a
 * manager, a fake clock, simulated nodes sharing the manager's pod informer, the test binder, and
 * the controllers under test.
 *
 * (`@harbormaster/core/testing` has `createTestEnv` and `eventually` in its sources but does not
 * export them yet, so this file carries the few lines it needs.)
 */
import { createApiServer, createManager, type AdmissionPlugin, type ApiServer, type Client, type Manager } from '@harbormaster/core';
import { FakeClock, flushMicrotasks } from '@harbormaster/core/testing';
import { memoryStore } from '@harbormaster/store-memory';
import { simulatedCluster, type SimulatedCluster, type SimulatedClusterOptions } from '../../src/simulated-node/index.js';
import { setupDeploymentController, type SetupDeploymentControllerOptions } from '../../src/deployment/index.js';
import { setupReplicaSetController } from '../../src/replicaset/index.js';
import { setupTestBinder } from './test-binder.js';

/** Options of {@link eventually}. */
export interface EventuallyOptions {
  /** Fake milliseconds per step. @default 100 */
  readonly stepMs?: number;
  /** Give up after this much fake time. @default 60000 */
  readonly timeoutMs?: number;
}

/**
 * Call `check` until it returns something other than false/undefined/null without throwing,
 * advancing the fake clock between calls.
 */
export async function eventually<T>(clock: FakeClock, check: () => T | Promise<T>, options: EventuallyOptions = {}): Promise<Exclude<T, false | null | undefined>> {
  const step = options.stepMs ?? 100;
  const timeout = options.timeoutMs ?? 60_000;
  let lastError: unknown;
  for (let elapsed = 0; ; elapsed += step) {
    try {
      const value = await check();
      if (value !== false && value !== undefined && value !== null) return value as Exclude<T, false | null | undefined>;
      lastError = new Error(`condition not met (returned ${String(value)})`);
    } catch (e) {
      lastError = e;
    }
    if (elapsed >= timeout) {
      const message = lastError instanceof Error ? lastError.message : String(lastError);
      throw new Error(`eventually: still failing after ${timeout} ms: ${message}`, { cause: lastError });
    }
    await clock.advance(step);
  }
}

/** Options of {@link createWorkloadEnv}. */
export interface WorkloadEnvOptions {
  /** How many simulated nodes. @default 3 */
  readonly nodes?: number;
  /** Options of the simulated nodes. */
  readonly cluster?: Omit<SimulatedClusterOptions, 'client' | 'clock' | 'nodes' | 'informers'>;
  /** Run the ReplicaSet controller. @default true */
  readonly replicaSets?: boolean;
  /** Run the Deployment controller (with these options). @default true */
  readonly deployments?: boolean | SetupDeploymentControllerOptions;
  /** Run the test binder. @default true */
  readonly binder?: boolean;
  /** Admission plugins for the API server (e.g. to make pod creation fail). */
  readonly admission?: readonly AdmissionPlugin[];
}

/** A running environment. */
export interface WorkloadEnv {
  readonly clock: FakeClock;
  readonly api: ApiServer;
  /** The manager's read-your-writes client. */
  readonly client: Client;
  readonly manager: Manager;
  readonly cluster: SimulatedCluster;
  /** {@link eventually} on this environment's clock. */
  eventually<T>(check: () => T | Promise<T>, options?: EventuallyOptions): Promise<Exclude<T, false | null | undefined>>;
  /** Advance the fake clock in steps of `stepMs` (default 100) for `ms`. */
  advance(ms: number, stepMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Create and start the environment; its caches have synced when it resolves. */
export async function createWorkloadEnv(options: WorkloadEnvOptions = {}): Promise<WorkloadEnv> {
  const clock = new FakeClock();
  const store = memoryStore();
  const api = createApiServer({ store, clock, ...(options.admission ? { admission: options.admission } : {}) });
  await api.ready();
  const manager = createManager({ api });
  if (options.replicaSets !== false) setupReplicaSetController(manager);
  if (options.deployments !== false) setupDeploymentController(manager, typeof options.deployments === 'object' ? options.deployments : {});
  if (options.binder !== false) setupTestBinder(manager);
  const cluster = simulatedCluster({ ...options.cluster, client: manager.client, clock, nodes: options.nodes ?? 3, informers: manager.informers });
  manager.add(cluster);
  const stopper = new AbortController();
  let failure: Error | undefined;
  const running = manager.start(stopper.signal).catch((e: unknown) => {
    failure = e instanceof Error ? e : new Error(String(e));
  });
  await eventually(clock, async () => (await manager.informers.waitForCacheSync(stopper.signal)) && cluster.nodes.every((n) => n.running));
  await flushMicrotasks();
  if (failure !== undefined) throw failure;
  return {
    clock,
    api,
    client: manager.client,
    manager,
    cluster,
    eventually: (check, opts) => eventually(clock, check, opts),
    async advance(ms, stepMs = 100) {
      for (let t = 0; t < ms; t += stepMs) await clock.advance(Math.min(stepMs, ms - t));
    },
    async stop() {
      stopper.abort();
      await running;
      await api.close();
      await store.close();
      if (failure !== undefined) throw failure;
    },
  };
}

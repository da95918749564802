/**
 * The test environment of the workload scenario tests: core's test environment (an API server on
 * the in-memory store, a manager, a fake clock) plus simulated nodes sharing the manager's pod
 * informer, the test binder, and the controllers under test.
 */
import type { AdmissionPlugin, ApiServer, Client, Manager } from '@harbormaster/core';
import { createTestEnv, flushMicrotasks, type EventuallyOptions, type FakeClock } from '@harbormaster/core/testing';
import { memoryStore } from '@harbormaster/store-memory';
import { simulatedCluster, type SimulatedCluster, type SimulatedClusterOptions } from '../../src/simulated-node/index.js';
import { setupDeploymentController, type SetupDeploymentControllerOptions } from '../../src/deployment/index.js';
import { setupReplicaSetController } from '../../src/replicaset/index.js';
import { setupTestBinder } from './test-binder.js';

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
  /** Core's `eventually` on this environment's fake clock (100 ms steps, 60 s by default). */
  eventually<T>(check: () => T | Promise<T>, options?: Omit<EventuallyOptions, 'clock'>): Promise<Exclude<T, false | null | undefined>>;
  /** Advance the fake clock in steps of `stepMs` (default 100) for `ms`. */
  advance(ms: number, stepMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Create and start the environment; its caches have synced and its nodes run when it resolves. */
export async function createWorkloadEnv(options: WorkloadEnvOptions = {}): Promise<WorkloadEnv> {
  const env = await createTestEnv({ store: memoryStore(), ...(options.admission ? { admission: options.admission } : {}) });
  const { manager, clock } = env;
  if (options.replicaSets !== false) setupReplicaSetController(manager);
  if (options.deployments !== false) setupDeploymentController(manager, typeof options.deployments === 'object' ? options.deployments : {});
  if (options.binder !== false) setupTestBinder(manager);
  const cluster = simulatedCluster({ ...options.cluster, client: manager.client, clock, nodes: options.nodes ?? 3, informers: manager.informers });
  manager.add(cluster);
  await env.start();
  await env.eventually(() => cluster.nodes.every((n) => n.running));
  await flushMicrotasks();
  return {
    clock,
    api: env.api,
    client: env.client,
    manager,
    cluster,
    eventually: (check, opts) => env.eventually(check, opts),
    async advance(ms, stepMs = 100) {
      for (let t = 0; t < ms; t += stepMs) await clock.advance(Math.min(stepMs, ms - t));
    },
    stop: () => env.stop(),
  };
}

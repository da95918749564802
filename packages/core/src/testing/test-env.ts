/**
 * A one-line test environment for controller unit tests: a store, an API server, a manager and a
 * fake clock, wired together.
 *
 * @example
 * ```ts
 * import { memoryStore } from '@harbormaster/store-memory';
 * import { createTestEnv } from '@harbormaster/core/testing';
 *
 * const env = await createTestEnv({ store: memoryStore(), kinds: [Website] });
 * controller(env.manager).for(Website).owns(kinds.ConfigMap).complete(new WebsiteReconciler());
 * await env.start();
 * await env.client.create(Website, { metadata: { name: 'home' }, spec: { html: '<h1>hi</h1>' } });
 * const cm = await env.eventually(() => env.client.get(kinds.ConfigMap, { name: 'home' }));
 * await env.stop();
 * ```
 *
 * @module
 */
import { createApiServer, type ApiServer } from '../api/api-server.js';
import type { AdmissionPlugin } from '../api/admission.js';
import type { Client } from '../api/client.js';
import type { AnyKind } from '../kinds/kind.js';
import { createManager, type Manager, type ManagerOptions } from '../manager/manager.js';
import { silentLogger } from '../observability/logger.js';
import type { Store } from '../store/store.js';
import { eventually, type EventuallyOptions } from './eventually.js';
import { FakeClock } from './fake-clock.js';

/** Options of {@link createTestEnv}. */
export interface TestEnvOptions {
  /** The store, e.g. `memoryStore()` from `@harbormaster/store-memory`. */
  readonly store: Store;
  /** Your own kinds to serve. */
  readonly kinds?: Iterable<AnyKind>;
  /** Admission plugins to add. */
  readonly admission?: Iterable<AdmissionPlugin>;
  /** The fake clock. @default a FakeClock at 2026-01-01T00:00:00Z */
  readonly clock?: FakeClock;
  /** Manager options besides the API, clock and store. The logger defaults to `silentLogger` here (tests stay quiet). */
  readonly manager?: Omit<ManagerOptions, 'api' | 'client' | 'clock'>;
}

/** A running test environment. */
export interface TestEnv {
  /** The fake clock the API server and the manager share; advance it to move time. */
  readonly clock: FakeClock;
  /** The store from {@link TestEnvOptions.store}; `stop` closes it. */
  readonly store: Store;
  /** The API server over `store`. */
  readonly api: ApiServer;
  /** The manager's client (read-your-writes). */
  readonly client: Client;
  /** The manager; add controllers to it before `start`. */
  readonly manager: Manager;
  /** Start the manager in the background and wait until its informers have synced. */
  start(): Promise<void>;
  /** Stop the manager, wait for a clean shutdown, close the API and the store. */
  stop(): Promise<void>;
  /** {@link eventually} on this environment's fake clock. */
  eventually<T>(check: () => T | Promise<T>, options?: Omit<EventuallyOptions, 'clock'>): Promise<Exclude<T, false | null | undefined>>;
}

/** Create a test environment. Add controllers to `env.manager`, then `await env.start()`. */
export async function createTestEnv(options: TestEnvOptions): Promise<TestEnv> {
  const clock = options.clock ?? new FakeClock();
  const api = createApiServer({
    store: options.store,
    clock,
    ...(options.kinds === undefined ? {} : { kinds: options.kinds }),
    ...(options.admission === undefined ? {} : { admission: options.admission }),
  });
  await api.ready();
  const manager = createManager({ api, logger: silentLogger, ...options.manager });
  const stopper = new AbortController();
  let running: Promise<void> | undefined;
  let failure: { error: unknown } | undefined;
  return {
    clock,
    store: options.store,
    api,
    client: manager.client,
    manager,
    async start() {
      if (running !== undefined) throw new Error('the test environment is started already');
      running = manager.start(stopper.signal).catch((e: unknown) => {
        failure = { error: e };
      });
      await eventually(() => manager.informers.waitForCacheSync(stopper.signal), { clock });
      if (failure !== undefined) throw failure.error;
    },
    async stop() {
      stopper.abort();
      await running;
      await api.close();
      await options.store.close();
      if (failure !== undefined) throw failure.error;
    },
    eventually: (check, opts) => eventually(check, { ...opts, clock }),
  };
}

/**
 * The manager: the easy path to running controllers. It owns the shared informers, the cached
 * reader, event recorders, metrics and logging, and runs every controller (and any other
 * {@link Runnable}) until its signal aborts.
 *
 * `start(signal)`:
 * 1. starts the shared informers (they run for the manager's whole life);
 * 2. starts runnables that do not need leader election;
 * 3. with leader election, campaigns for the Lease and starts the rest once elected; without it,
 *    starts them at once (controllers wait for their caches to sync before reconciling);
 * 4. on abort, stops controllers (their reconciles see the signal and drain), then informers,
 *    flushes event recorders, releases the Lease, and resolves. No timer or watch is left.
 *
 * If a runnable fails or leadership is lost, the manager stops everything cleanly and `start`
 * rejects with that error: a failure is never silent.
 *
 * The manager's `client` gives read-your-writes: when a write through it resolves, the shared
 * cache of that kind (if any) has seen the write. A delete resolves once the cache has seen the
 * deletion's revision and, when the object went at once (no finalizers, no grace period), once the
 * object is gone from the cache.
 *
 * Failures are not silent: without a `logger`, the manager logs warnings and errors as JSON lines
 * on stderr (pass `silentLogger` to drop them, or your own pino logger).
 *
 * @example
 * ```ts
 * const manager = createManager({ api });
 * controller(manager).for(Website).owns(kinds.ConfigMap).complete(new WebsiteReconciler());
 * const stop = new AbortController();
 * process.once('SIGTERM', () => stop.abort());
 * await manager.start(stop.signal);
 * ```
 *
 * @module
 */
import { setMaxListeners } from 'node:events';
import { Subscription } from 'rxjs';
import { systemClock, type Clock } from '../clock/clock.js';
import type { ApiServer } from '../api/api-server.js';
import type { Client, WriteOptions } from '../api/client.js';
import { cacheKey } from '../informer/cache.js';
import type { Informer } from '../informer/informer.js';
import { cachedReader, type CachedReader } from '../controller/cached-reader.js';
import type { Runnable } from '../controller/controller.js';
import { ApiEventRecorder, type EventRecorder } from '../events/event-recorder.js';
import { InformerFactory } from '../informer/informer-factory.js';
import type { AnyKind } from '../kinds/kind.js';
import { Pod } from '../kinds/core/pod.js';
import type { KubeObject } from '../meta/object-meta.js';
import { jsonLogger, type Logger } from '../observability/logger.js';
import { noopMetrics, type Metrics } from '../observability/metrics.js';
import { LeaderElector, type LeaderElectionOptions } from './leader-election.js';

/** Options of {@link createManager}. Give `api`, or `client` (and `clock`). */
export interface ManagerOptions {
  /** The API server to manage controllers for (its client and clock are used). */
  readonly api?: ApiServer;
  /** The API client, when there is no `api`. */
  readonly client?: Client;
  /** @default the api's clock, else systemClock */
  readonly clock?: Clock;
  /** @default warnings and errors as JSON lines on stderr (`jsonLogger({ level: 'warn' })`, timed by `clock`) */
  readonly logger?: Logger;
  /** @default noopMetrics */
  readonly metrics?: Metrics;
  /** Run leader-elected runnables only while holding this Lease. @default no leader election */
  readonly leaderElection?: LeaderElectionOptions | false;
  /** Resync period of the shared informers; 0 disables. @default 0 */
  readonly resyncPeriodMs?: number;
  /** How long (clock time) a write through the manager's client waits for the cache to see it. @default 10000 */
  readonly readYourWritesTimeoutMs?: number;
}

/** Runs controllers. See the module documentation. */
export interface Manager {
  /** A client whose writes are in the shared caches by the time they resolve. */
  readonly client: Client;
  /** Cached reads from the shared informers. */
  readonly cache: CachedReader;
  /** The shared informers, one per kind, that `cache` reads from. */
  readonly informers: InformerFactory;
  /** The clock of the manager's controllers, informers and leader election. */
  readonly clock: Clock;
  /** The logger the manager's controllers, informers and event recorders log to. */
  readonly logger: Logger;
  /** Where the manager's controllers and their work queues record metrics. */
  readonly metrics: Metrics;
  /** This manager's identity in leader election (undefined without it). */
  readonly identity: string | undefined;
  /** An event recorder reporting as `component`. */
  recorderFor(component: string): EventRecorder;
  /**
   * Add a runnable (controllers are added by the builder).
   * @throws Error if a runnable of that name exists, or the manager has started.
   */
  add(runnable: Runnable & { readonly name?: string }): void;
  /** Whether this manager currently runs the leader-elected runnables. */
  isLeader(): boolean;
  /** Run until `signal` aborts; resolves after a clean shutdown. See the module documentation. */
  start(signal: AbortSignal): Promise<void>;
}

/** Create a manager. */
export function createManager(options: ManagerOptions): Manager {
  return new ManagerImpl(options);
}

class ManagerImpl implements Manager {
  readonly client: Client;
  readonly cache: CachedReader;
  readonly informers: InformerFactory;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly identity: string | undefined;
  readonly #rawClient: Client;
  readonly #runnables: (Runnable & { readonly name?: string })[] = [];
  readonly #recorders = new Map<string, ApiEventRecorder>();
  readonly #elector: LeaderElector | undefined;
  readonly #cacheSignal = new AbortController();
  readonly #rywTimeoutMs: number;
  #started = false;
  #leader = false;

  constructor(options: ManagerOptions) {
    const client = options.client ?? options.api?.client;
    if (client === undefined) throw new Error('createManager needs an api or a client');
    this.#rawClient = client;
    this.clock = options.clock ?? options.api?.clock ?? systemClock;
    const clock = this.clock;
    this.logger = options.logger ?? jsonLogger({ level: 'warn', now: () => clock.now() });
    this.metrics = options.metrics ?? noopMetrics;
    this.#rywTimeoutMs = options.readYourWritesTimeoutMs ?? 10_000;
    this.informers = new InformerFactory({ client, clock: this.clock, logger: this.logger, resyncPeriodMs: options.resyncPeriodMs ?? 0 });
    // Every reconcile that reads a cache before it has synced waits on this signal.
    setMaxListeners(0, this.#cacheSignal.signal);
    this.cache = cachedReader(this.informers, this.#cacheSignal.signal);
    this.client = this.#readYourWritesClient(client);
    if (options.leaderElection) {
      this.#elector = new LeaderElector({ ...options.leaderElection, client, clock: this.clock, logger: this.logger });
      this.identity = this.#elector.identity;
    } else {
      this.identity = undefined;
    }
  }

  recorderFor(component: string): EventRecorder {
    let r = this.#recorders.get(component);
    if (r === undefined) {
      r = new ApiEventRecorder({ client: this.#rawClient, component, clock: this.clock, logger: this.logger });
      this.#recorders.set(component, r);
    }
    return r;
  }

  add(runnable: Runnable & { readonly name?: string }): void {
    if (this.#started) throw new Error('add runnables before starting the manager');
    if (runnable.name !== undefined && this.#runnables.some((r) => r.name === runnable.name)) {
      throw new Error(`a runnable named ${runnable.name} is registered already`);
    }
    this.#runnables.push(runnable);
  }

  isLeader(): boolean {
    return this.#leader;
  }

  async start(signal: AbortSignal): Promise<void> {
    if (this.#started) throw new Error('the manager is started already');
    this.#started = true;
    const stop = new AbortController();
    // Every runnable and informer listens on it.
    setMaxListeners(0, stop.signal);
    const onAbort = (): void => stop.abort(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });

    let failure: { error: unknown } | undefined;
    const fail = (e: unknown): void => {
      failure ??= { error: e };
      stop.abort(e);
    };
    const informersStop = new AbortController();
    const informersRun = this.informers.start(informersStop.signal);
    const run = (r: Runnable, s: AbortSignal): Promise<void> =>
      r.start(s).catch((e: unknown) => {
        this.logger.error({ err: e, runnable: (r as { name?: string }).name }, 'runnable failed; stopping the manager');
        fail(e);
      });

    const free = this.#runnables.filter((r) => r.needLeaderElection === false);
    const elected = this.#runnables.filter((r) => r.needLeaderElection !== false);
    const running: Promise<void>[] = free.map((r) => run(r, stop.signal));
    if (this.#elector === undefined) {
      this.#leader = true;
      running.push(...elected.map((r) => run(r, stop.signal)));
    } else {
      const elector = this.#elector;
      running.push(
        elector
          .run(stop.signal, {
            onStartedLeading: async (leading) => {
              this.#leader = true;
              await Promise.all(elected.map((r) => run(r, leading)));
            },
            onStoppedLeading: () => {
              this.#leader = false;
            },
          })
          .catch(fail),
      );
    }
    // Wait for the stop signal (or a failure), then for everything to wind down.
    await new Promise<void>((resolve) => {
      if (stop.signal.aborted) resolve();
      else stop.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await Promise.all(running);
    this.#leader = false;
    await Promise.all([...this.#recorders.values()].map((r) => r.flush()));
    this.#cacheSignal.abort();
    informersStop.abort();
    await informersRun;
    signal.removeEventListener('abort', onAbort);
    if (failure !== undefined) throw failure.error;
  }

  /** A client whose writes resolve once the shared cache of their kind has seen them. */
  #readYourWritesClient(client: Client): Client {
    /** Run `wait` for at most the read-your-writes timeout; on timeout, log and carry on. */
    const bounded = async (fields: Record<string, unknown>, wait: (signal: AbortSignal) => Promise<void>): Promise<void> => {
      const timeout = new AbortController();
      const timer = this.clock.setTimeout(() => timeout.abort(new Error('read-your-writes timeout')), this.#rywTimeoutMs);
      try {
        await wait(timeout.signal);
      } catch {
        this.logger.warn(fields, 'the cache did not see a write in time; a later read may be stale');
      } finally {
        this.clock.clearTimeout(timer);
      }
    };
    const synced = (kind: AnyKind): Informer<AnyKind, KubeObject> | undefined => {
      const informer = this.informers.existing(kind) as Informer<AnyKind, KubeObject> | undefined;
      return informer?.hasSynced() === true ? informer : undefined;
    };
    // A dry run stores nothing: there is nothing for the cache to see.
    const settle = async <T extends KubeObject>(kind: AnyKind, written: T, options: WriteOptions | undefined): Promise<T> => {
      const informer = synced(kind);
      const rv = written.metadata.resourceVersion;
      if (informer === undefined || rv === undefined || options?.dryRun === true) return written;
      await bounded({ kind: kind.kind, resourceVersion: rv }, (signal) => informer.waitForResourceVersion(rv, signal));
      return written;
    };
    const settleDelete = async <T extends KubeObject>(kind: AnyKind, deleted: T, options: WriteOptions | undefined): Promise<T> => {
      const informer = synced(kind);
      if (informer === undefined || options?.dryRun === true) return deleted;
      const rv = deleted.metadata.resourceVersion;
      const key = cacheKey(deleted);
      // Without a deletionTimestamp the object went at once: wait until the cache has dropped it
      // (a new object of the same name has another uid). With one, it stays (finalizers, a grace
      // period) and the revision of the delete is what the cache must reach.
      const removed = deleted.metadata.deletionTimestamp === undefined || deleted.metadata.deletionTimestamp === null;
      const gone = (): boolean => {
        const cached = informer.cache.get(key);
        return cached === undefined || cached.metadata.uid !== deleted.metadata.uid;
      };
      await bounded({ kind: kind.kind, key, resourceVersion: rv }, async (signal) => {
        if (rv !== undefined) await informer.waitForResourceVersion(rv, signal);
        if (removed) await until(informer, gone, signal);
      });
      return deleted;
    };
    return {
      get: (kind, key) => client.get(kind, key),
      list: (kind, options) => client.list(kind, options),
      watch: (kind, options) => client.watch(kind, options),
      create: async (kind, object, options) => settle(kind, await client.create(kind, object, options), options),
      update: async (kind, object, options) => settle(kind, await client.update(kind, object, options), options),
      updateStatus: async (kind, object, options) => settle(kind, await client.updateStatus(kind, object, options), options),
      patch: async (kind, key, patch, options) => settle(kind, await client.patch(kind, key, patch, options), options),
      delete: async (kind, key, options) => settleDelete(kind, await client.delete(kind, key, options), options),
      apply: (manifests, options) => client.apply(manifests, options),
      bind: async (key, target, options) => settle(Pod, await client.bind(key, target, options), options),
    };
  }
}

/** Resolves once `condition()` holds, checking after every change to the informer's cache (or when it stops); rejects when `signal` aborts. */
function until(informer: Informer<AnyKind, KubeObject>, condition: () => boolean, signal: AbortSignal): Promise<void> {
  if (condition()) return Promise.resolve();
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise((resolve, reject) => {
    let done = false;
    // Closed by finish(), even while subscribing (the informer may have stopped already).
    const subscription = new Subscription();
    const finish = (error?: { reason: unknown }): void => {
      if (done) return;
      done = true;
      subscription.unsubscribe();
      signal.removeEventListener('abort', onAbort);
      if (error === undefined) resolve();
      else reject(error.reason);
    };
    const onAbort = (): void => finish({ reason: signal.reason });
    signal.addEventListener('abort', onAbort, { once: true });
    subscription.add(
      informer.events$.subscribe({
        next: () => {
          if (condition()) finish();
        },
        // The informer stopped: nothing more will change.
        complete: () => finish(),
      }),
    );
  });
}

/**
 * A controller: sources feed requests into a rate-limited work queue; workers take one request at
 * a time per key and call the reconciler.
 *
 * - One reconcile per key at a time; a key that changes while it is reconciled runs again after.
 * - A thrown error retries with the queue's per-item back-off (5 ms doubling to 1000 s, within an
 *   overall 10 qps, burst 100); a {@link TerminalError} (or an error whose `cause` chain holds one)
 *   is logged and not retried. Both count in `controller_runtime_reconcile_errors_total`; terminal
 *   ones also in `controller_runtime_terminal_reconcile_errors_total`, as in controller-runtime.
 *   Failures are logged as warnings (terminal ones as errors), except a 409 Conflict, an expected
 *   race under optimistic concurrency, which is logged at `info`.
 * - `{ requeueAfter }` reconciles again after that long; success forgets the back-off.
 * - Every reconcile gets an AbortSignal, aborted when the controller stops. `start(signal)`
 *   resolves once every running reconcile has returned and no timer is left.
 *
 * Most users build controllers with {@link controller} (the builder) and let the manager run
 * them; a Controller also works on its own.
 *
 * @module
 */
import { systemClock, type Clock } from '../clock/clock.js';
import type { Client } from '../api/client.js';
import { isConflict } from '../errors.js';
import type { EventRecorder } from '../events/event-recorder.js';
import type { AnyKind, TypeOf } from '../kinds/kind.js';
import type { KubeObject } from '../meta/object-meta.js';
import type { Informer } from '../informer/informer.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import { noopMetrics, type Metrics } from '../observability/metrics.js';
import { WorkQueue } from '../queue/work-queue.js';
import { defaultControllerRateLimiter, type RateLimiter } from '../queue/rate-limiter.js';
import type { CachedReader } from './cached-reader.js';
import { passes, type Predicate } from './predicates.js';
import {
  isTerminalError,
  requestFromKey,
  requestKey,
  type ReconcileContext,
  type Reconciler,
  type Request,
} from './reconciler.js';

/** Something that runs until its signal aborts: a controller, an informer factory, your own loop. */
export interface Runnable {
  /** Run until `signal` aborts; resolve after a clean stop. */
  start(signal: AbortSignal): Promise<void>;
  /** Whether it may run only on the elected leader. @default true for controllers */
  readonly needLeaderElection?: boolean;
}

/**
 * Where a controller's requests come from: typically an informer's events, mapped to requests
 * and filtered by predicates. `start` registers and returns a function that unregisters; a source
 * may ask for a request to be queued after a delay (to batch bursts of updates).
 */
export interface Source {
  /** Begin feeding requests to `enqueue`; returns a function that stops. */
  start(enqueue: (request: Request, delayMs?: number) => void): () => void;
  /** Resolves true once the source's cache has synced. */
  waitForSync(signal: AbortSignal): Promise<boolean>;
}

/** Options of {@link informerSource}. */
export interface InformerSourceOptions<T extends KubeObject> {
  /** The requests for an object (the object's own key, its owner's, …). */
  readonly map: (obj: T) => readonly Request[];
  /** Filters on the events: an event that any predicate rejects queues nothing. @default [] */
  readonly predicates?: readonly Predicate<T>[];
  /**
   * Queue the requests of update events this long after the update, collapsing a burst of
   * updates into one reconcile (as Kubernetes' `--endpoint-updates-batch-period`). Creates and
   * deletes are queued at once. @default 0
   */
  readonly updateBatchPeriodMs?: number;
}

/** A source on an informer: each event's objects are mapped to requests. */
export function informerSource<K extends AnyKind>(informer: Informer<K>, options: InformerSourceOptions<TypeOf<K>>): Source {
  const predicates = options.predicates ?? [];
  const batch = options.updateBatchPeriodMs ?? 0;
  return {
    start(enqueue) {
      const add = (obj: TypeOf<K>, delayMs = 0): void => {
        for (const r of options.map(obj)) enqueue(r, delayMs);
      };
      return informer.addEventHandler({
        onAdd: (obj) => {
          if (passes(predicates, { type: 'create', obj })) add(obj);
        },
        onUpdate: (oldObj, newObj) => {
          if (!passes(predicates, { type: 'update', oldObj, newObj })) return;
          // An update can move ownership or a mapping: enqueue both sides.
          add(oldObj, batch);
          add(newObj, batch);
        },
        onDelete: (obj) => {
          if (passes(predicates, { type: 'delete', obj })) add(obj);
        },
      });
    },
    waitForSync: (signal) => informer.waitForSync(signal),
  };
}

/** Options of {@link Controller}. */
export interface ControllerOptions {
  /** Unique among the controllers of a manager; used in logs and metrics. */
  readonly name: string;
  /** What each request is handed to. */
  readonly reconciler: Reconciler;
  /** The client that reconcilers write through, passed on in {@link ReconcileContext.client}. */
  readonly client: Client;
  /** The cache that reconcilers read from, passed on in {@link ReconcileContext.cache}. */
  readonly cache: CachedReader;
  /** Records Kubernetes Events, passed on in {@link ReconcileContext.recorder}. */
  readonly recorder: EventRecorder;
  /** How many different keys may reconcile at once. @default 1 */
  readonly maxConcurrentReconciles?: number;
  /** @default defaultControllerRateLimiter */
  readonly rateLimiter?: RateLimiter<string>;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** @default noopMetrics */
  readonly metrics?: Metrics;
  /** Whether the controller runs only on the elected leader. @default true */
  readonly needLeaderElection?: boolean;
}

/** A controller. See the module documentation. */
export class Controller implements Runnable {
  /** The name from {@link ControllerOptions.name}. */
  readonly name: string;
  readonly needLeaderElection: boolean;
  /** The work queue of request keys (`namespace/name`, or `name` when cluster-scoped). */
  readonly queue: WorkQueue<string>;
  readonly #options: ControllerOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #metrics: Metrics;
  readonly #sources: Source[] = [];
  #started = false;

  constructor(options: ControllerOptions) {
    this.name = options.name;
    this.needLeaderElection = options.needLeaderElection ?? true;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.logger ?? silentLogger).child({ controller: options.name });
    this.#metrics = options.metrics ?? noopMetrics;
    this.queue = new WorkQueue<string>({
      name: options.name,
      clock: this.#clock,
      rateLimiter: options.rateLimiter ?? defaultControllerRateLimiter<string>({ clock: this.#clock }),
      metrics: this.#metrics,
    });
  }

  /**
   * Add a source of requests. Sources added before `start` begin with it.
   * @throws Error after start.
   */
  watch(source: Source): void {
    if (this.#started) throw new Error(`controller ${this.name}: add sources before starting it`);
    this.#sources.push(source);
  }

  /** Queue a request, now or after `delayMs` (a request already waiting keeps the earlier time). */
  enqueue(request: Request, delayMs = 0): void {
    if (delayMs > 0) this.queue.addAfter(requestKey(request), delayMs);
    else this.queue.add(requestKey(request));
  }

  /**
   * Start the sources, wait for their caches, then reconcile with `maxConcurrentReconciles`
   * workers until `signal` aborts. Resolves when every worker has returned.
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.#started) throw new Error(`controller ${this.name} is started already`);
    this.#started = true;
    const stops = this.#sources.map((s) => s.start((r, delayMs) => this.enqueue(r, delayMs)));
    try {
      const synced = await Promise.all(this.#sources.map((s) => s.waitForSync(signal)));
      if (!synced.every(Boolean)) return;
      const workers = Math.max(1, this.#options.maxConcurrentReconciles ?? 1);
      this.#log.debug({ workers }, 'starting workers');
      const onAbort = (): void => {
        void this.queue.shutdownWithDrain();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) onAbort();
      await Promise.all(Array.from({ length: workers }, () => this.#worker(signal)));
      signal.removeEventListener('abort', onAbort);
    } finally {
      for (const stop of stops) stop();
      this.queue.shutdown();
      await this.queue.shutdownWithDrain();
    }
  }

  async #worker(signal: AbortSignal): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.#reconcileKey(key, signal);
      } finally {
        this.queue.done(key);
      }
    }
  }

  async #reconcileKey(key: string, signal: AbortSignal): Promise<void> {
    const request = requestFromKey(key);
    const log = this.#log.child({ key, ...(request.namespace === undefined ? {} : { namespace: request.namespace }), name: request.name });
    const context: ReconcileContext = {
      signal,
      client: this.#options.client,
      cache: this.#options.cache,
      log,
      recorder: this.#options.recorder,
      clock: this.#clock,
      controller: this.name,
    };
    const labels = { controller: this.name };
    const started = this.#clock.now();
    this.#metrics.activeWorkers.inc(labels);
    try {
      const result = await this.#options.reconciler.reconcile(request, context);
      if (result && result.requeueAfter !== undefined && result.requeueAfter > 0) {
        this.queue.forget(key);
        this.queue.addAfter(key, result.requeueAfter);
        this.#metrics.reconcileTotal.inc({ ...labels, result: 'requeue_after' });
      } else if (result && result.requeue === true) {
        this.queue.addRateLimited(key);
        this.#metrics.reconcileTotal.inc({ ...labels, result: 'requeue' });
      } else {
        this.queue.forget(key);
        this.#metrics.reconcileTotal.inc({ ...labels, result: 'success' });
      }
    } catch (e) {
      if (signal.aborted) {
        // Shutting down: the error is most likely the abort itself.
        log.debug({ err: e }, 'reconcile ended by shutdown');
        this.queue.forget(key);
      } else if (isTerminalError(e)) {
        log.error({ err: e }, 'reconcile failed with a terminal error; not retrying');
        this.queue.forget(key);
        this.#metrics.reconcileErrors.inc(labels);
        this.#metrics.terminalReconcileErrors.inc(labels);
        this.#metrics.reconcileTotal.inc({ ...labels, result: 'error' });
      } else {
        const fields = { err: e, retries: this.queue.numRequeues(key) };
        // A 409 Conflict is optimistic concurrency at work (the object changed since it was read),
        // not a failure to warn about; the retry reads the new version.
        if (isConflict(e)) log.info(fields, 'reconcile hit a conflict; retrying with back-off');
        else log.warn(fields, 'reconcile failed; retrying with back-off');
        this.queue.addRateLimited(key);
        this.#metrics.reconcileErrors.inc(labels);
        this.#metrics.reconcileTotal.inc({ ...labels, result: 'error' });
      }
    } finally {
      this.#metrics.activeWorkers.dec(labels);
      this.#metrics.reconcileTime.observe(labels, (this.#clock.now() - started) / 1000);
    }
  }
}

/** The request of an object itself. */
export function requestForObject(obj: KubeObject): Request[] {
  return [{ ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}), name: obj.metadata.name ?? '' }];
}

/**
 * The request of an object's owner of kind `owner` (by its controller reference when
 * `onlyController`, else by any owner reference of that kind).
 */
export function requestsForOwner(owner: AnyKind, onlyController = true): (obj: KubeObject) => Request[] {
  return (obj) => {
    const out: Request[] = [];
    for (const ref of obj.metadata.ownerReferences ?? []) {
      if (onlyController && ref.controller !== true) continue;
      if (ref.kind !== owner.kind) continue;
      const group = ref.apiVersion.includes('/') ? ref.apiVersion.slice(0, ref.apiVersion.indexOf('/')) : '';
      if (group !== owner.group) continue;
      out.push({ ...(owner.namespaced && obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}), name: ref.name });
    }
    return out;
  };
}

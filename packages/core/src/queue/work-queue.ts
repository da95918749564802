/**
 * The work queue of the reconcile machinery, with client-go's `util/workqueue` semantics (the
 * plain, delaying and rate-limiting queues in one class):
 *
 * - **Fair**: items are handed out in the order they were added (FIFO).
 * - **Stingy**: an item added several times before it is handed out is handed out once; an item
 *   is never handed out to two workers at once. An item added while it is being processed is
 *   marked dirty and queued again when {@link WorkQueue.done} is called.
 * - **Delays**: {@link WorkQueue.addAfter} adds an item later, on timers of the injected
 *   {@link Clock}; {@link WorkQueue.addRateLimited} waits as long as the {@link RateLimiter} says.
 * - **Shutdown**: {@link WorkQueue.shutdown} stops adds, cancels timers and releases waiting
 *   workers; {@link WorkQueue.shutdownWithDrain} also waits for the items being processed.
 *   Unlike client-go, whose `Get` keeps handing out what is still queued, items queued at
 *   shutdown are dropped and `get()` resolves with `undefined` at once: a stopped controller
 *   relists when it starts again, so nothing is lost.
 *
 * Defaults: the system clock, {@link defaultControllerRateLimiter} (per item 5 ms doubling to
 * 1000 s, overall 10 qps with a burst of 100) and no metrics. Items are compared by identity, so
 * controllers queue string keys such as `"namespace/name"`. Add, get and done are O(1).
 *
 * Metrics, labelled `{ name }`: `queueDepth` (items waiting to be handed out, including items
 * added again while being processed, as client-go counts it), `queueAdds`, `queueRetries` (one
 * per {@link WorkQueue.addRateLimited}), `queueLatency` (seconds from add to get) and
 * `workDuration` (seconds from get to done), all timed by the clock.
 *
 * @module
 */
import type { Clock, TimerHandle } from '../clock/clock.js';
import { systemClock } from '../clock/clock.js';
import type { MetricLabels, Metrics } from '../observability/metrics.js';
import { noopMetrics } from '../observability/metrics.js';
import type { RateLimiter } from './rate-limiter.js';
import { defaultControllerRateLimiter } from './rate-limiter.js';

/**
 * Options of {@link WorkQueue}.
 *
 * @example
 * ```ts
 * const options: WorkQueueOptions<string> = { name: 'replicaset', clock, metrics };
 * const queue = new WorkQueue(options);
 * ```
 */
export interface WorkQueueOptions<T> {
  /** The `name` label of the queue's metrics. @default '' */
  readonly name?: string;
  /** Where time and timers come from. @default systemClock */
  readonly clock?: Clock;
  /** Decides the delay of {@link WorkQueue.addRateLimited}. @default defaultControllerRateLimiter({ clock }) */
  readonly rateLimiter?: RateLimiter<T>;
  /** Where queue depth, adds, retries, latency and work duration are recorded. @default noopMetrics */
  readonly metrics?: Metrics;
}

/** Node's timers overflow above 2^31 − 1 ms (~24.8 days); longer delays are waited in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A FIFO on a growable ring buffer: push and shift in O(1), amortized. */
class Fifo<T> {
  #buffer: (T | undefined)[] = new Array<T | undefined>(16);
  #head = 0;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(value: T): void {
    if (this.#size === this.#buffer.length) this.#grow();
    this.#buffer[(this.#head + this.#size) & (this.#buffer.length - 1)] = value;
    this.#size++;
  }

  /** The oldest value; the FIFO must not be empty. */
  shift(): T {
    const value = this.#buffer[this.#head] as T;
    this.#buffer[this.#head] = undefined; // let the item be collected
    this.#head = (this.#head + 1) & (this.#buffer.length - 1);
    this.#size--;
    return value;
  }

  clear(): void {
    this.#buffer = new Array<T | undefined>(16);
    this.#head = 0;
    this.#size = 0;
  }

  #grow(): void {
    const old = this.#buffer;
    const grown = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.#size; i++) grown[i] = old[(this.#head + i) & (old.length - 1)];
    this.#buffer = grown;
    this.#head = 0;
  }
}

/** A pending {@link WorkQueue.get}. */
interface Getter<T> {
  readonly resolve: (item: T | undefined) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

/** An item waiting for its {@link WorkQueue.addAfter} time. */
interface Waiting {
  readonly readyAt: number;
  readonly handle: TimerHandle;
}

/**
 * A work queue for controllers: deduplicating, FIFO, one worker per item at a time, with delayed
 * and rate-limited adds. See the module documentation for the guarantees.
 *
 * A worker loop gets an item, processes it and calls {@link WorkQueue.done}; on failure it calls
 * {@link WorkQueue.addRateLimited}, on success {@link WorkQueue.forget}.
 *
 * @example
 * ```ts
 * const queue = new WorkQueue<string>({ name: 'replicaset', clock });
 * queue.add('default/web');
 *
 * async function worker(signal: AbortSignal): Promise<void> {
 *   for (;;) {
 *     const key = await queue.get(signal);
 *     if (key === undefined) return; // shut down or aborted
 *     try {
 *       await reconcile(key);
 *       queue.forget(key);
 *     } catch {
 *       queue.addRateLimited(key);
 *     } finally {
 *       queue.done(key);
 *     }
 *   }
 * }
 * ```
 */
export class WorkQueue<T> {
  readonly #labels: MetricLabels;
  readonly #clock: Clock;
  readonly #rateLimiter: RateLimiter<T>;
  readonly #metrics: Metrics;

  /** Items to hand out, in order. Each is in #dirty and not in #processing. */
  readonly #queue = new Fifo<T>();
  /** Items that need processing (queued, or added again while processing), with when they were added. */
  readonly #dirty = new Map<T, number>();
  /** Items handed out and not yet done, with when they were handed out. */
  readonly #processing = new Map<T, number>();
  /** Items waiting for an addAfter time. */
  readonly #waiting = new Map<T, Waiting>();
  /** Pending get() calls, oldest first. Non-empty while #queue is empty, or until the next dispatch. */
  readonly #getters = new Set<Getter<T>>();
  /** Resolvers of shutdownWithDrain() calls. */
  #drained: (() => void)[] = [];
  #shuttingDown = false;
  #dispatchScheduled = false;

  /**
   * @example
   * ```ts
   * const queue = new WorkQueue<string>({ name: 'deployment', clock: new FakeClock() });
   * ```
   */
  constructor(options: WorkQueueOptions<T> = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter<T>({ clock: this.#clock });
    this.#metrics = options.metrics ?? noopMetrics;
    this.#labels = { name: options.name ?? '' };
  }

  /**
   * Queue `item`. An item already queued is not queued twice; an item being processed is marked
   * dirty and queued again when {@link WorkQueue.done} is called for it. Ignored once shut down.
   *
   * @example
   * ```ts
   * queue.add('default/web');
   * queue.add('default/web'); // still one item
   * ```
   */
  add(item: T): void {
    if (this.#shuttingDown || this.#dirty.has(item)) return;
    this.#dirty.set(item, this.#clock.now());
    this.#metrics.queueAdds.inc(this.#labels);
    this.#recordDepth();
    if (this.#processing.has(item)) return;
    this.#enqueue(item);
  }

  /**
   * Add `item` after `delayMs` milliseconds of clock time. If the item is already waiting, the
   * earlier of the two times is kept. A delay of 0 or less adds it now. Ignored once shut down.
   *
   * @throws RangeError when `delayMs` is NaN.
   *
   * @example
   * ```ts
   * queue.addAfter('default/web', 30_000); // requeueAfter: 30 s
   * ```
   */
  addAfter(item: T, delayMs: number): void {
    if (Number.isNaN(delayMs)) throw new RangeError('delayMs must be a number, got NaN');
    if (this.#shuttingDown) return;
    if (delayMs <= 0) {
      this.add(item);
      return;
    }
    const readyAt = this.#clock.now() + delayMs;
    const waiting = this.#waiting.get(item);
    if (waiting !== undefined) {
      if (waiting.readyAt <= readyAt) return;
      this.#clock.clearTimeout(waiting.handle);
    }
    this.#arm(item, readyAt);
  }

  /**
   * Add `item` after the delay the rate limiter gives for it (which counts a retry of it), and
   * record a retry in the metrics. Ignored once shut down.
   *
   * @example
   * ```ts
   * try { await reconcile(key); queue.forget(key); } catch { queue.addRateLimited(key); } finally { queue.done(key); }
   * ```
   */
  addRateLimited(item: T): void {
    if (this.#shuttingDown) return;
    this.#metrics.queueRetries.inc(this.#labels);
    this.addAfter(item, this.#rateLimiter.when(item));
  }

  /**
   * Tell the rate limiter that `item` succeeded: its back-off starts over. It does not remove the
   * item from the queue or cancel an {@link WorkQueue.addAfter}.
   *
   * @example
   * ```ts
   * queue.forget('default/web');
   * ```
   */
  forget(item: T): void {
    this.#rateLimiter.forget(item);
  }

  /**
   * How many times `item` was rate-limited since it was last forgotten.
   *
   * @example
   * ```ts
   * if (queue.numRequeues(key) > 5) log.info('still failing', { key });
   * ```
   */
  numRequeues(item: T): number {
    return this.#rateLimiter.numRequeues(item);
  }

  /**
   * The next item, oldest first, waiting until there is one. The item is then being processed
   * until {@link WorkQueue.done} is called for it, and no other `get` returns it meanwhile.
   * Resolves with `undefined` once the queue is shut down, or when `signal` aborts (then no item
   * is taken). Never rejects.
   *
   * @example
   * ```ts
   * const key = await queue.get(signal);
   * if (key !== undefined) {
   *   try { await reconcile(key); } finally { queue.done(key); }
   * }
   * ```
   */
  get(signal?: AbortSignal): Promise<T | undefined> {
    if (this.#shuttingDown || signal?.aborted === true) return Promise.resolve(undefined);
    if (this.#queue.size > 0) {
      const item = this.#queue.shift();
      this.#start(item);
      return Promise.resolve(item);
    }
    return new Promise<T | undefined>((resolve) => {
      const getter: Getter<T> = {
        resolve,
        signal,
        onAbort: () => {
          this.#getters.delete(getter);
          resolve(undefined);
        },
      };
      signal?.addEventListener('abort', getter.onAbort, { once: true });
      this.#getters.add(getter);
    });
  }

  /**
   * Mark `item` as processed. If it was added while being processed, it is queued again now.
   * Calling it for an item that is not being processed does nothing.
   *
   * @example
   * ```ts
   * queue.done('default/web');
   * ```
   */
  done(item: T): void {
    const startedAt = this.#processing.get(item);
    if (startedAt === undefined) return;
    this.#processing.delete(item);
    this.#metrics.workDuration.observe(this.#labels, (this.#clock.now() - startedAt) / 1000);
    if (this.#dirty.has(item)) this.#enqueue(item);
    else if (this.#processing.size === 0 && this.#shuttingDown) this.#resolveDrained();
  }

  /**
   * How many items are queued: neither being processed nor waiting for an
   * {@link WorkQueue.addAfter} time.
   *
   * @example
   * ```ts
   * expect(queue.length).toBe(0);
   * ```
   */
  get length(): number {
    return this.#queue.size;
  }

  /**
   * Whether {@link WorkQueue.shutdown} or {@link WorkQueue.shutdownWithDrain} was called.
   *
   * @example
   * ```ts
   * if (queue.shuttingDown) return;
   * ```
   */
  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /**
   * Shut the queue down: later adds are ignored, every {@link WorkQueue.addAfter} timer is
   * cancelled, items still queued are dropped, and every pending and later
   * {@link WorkQueue.get} resolves with `undefined`. Items being processed may still be
   * {@link WorkQueue.done}, and are not queued again. Calling it twice does nothing more.
   *
   * @example
   * ```ts
   * signal.addEventListener('abort', () => queue.shutdown());
   * ```
   */
  shutdown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    for (const waiting of this.#waiting.values()) this.#clock.clearTimeout(waiting.handle);
    this.#waiting.clear();
    this.#queue.clear();
    this.#dirty.clear();
    this.#recordDepth();
    for (const getter of this.#getters) {
      getter.signal?.removeEventListener('abort', getter.onAbort);
      getter.resolve(undefined);
    }
    this.#getters.clear();
    if (this.#processing.size === 0) this.#resolveDrained();
  }

  /**
   * {@link WorkQueue.shutdown}, then resolve once every item being processed has been
   * {@link WorkQueue.done} (at once if none is). Never rejects.
   *
   * @example
   * ```ts
   * await queue.shutdownWithDrain(); // workers finished their current items
   * ```
   */
  shutdownWithDrain(): Promise<void> {
    this.shutdown();
    if (this.#processing.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.#drained.push(resolve));
  }

  /**
   * Queue `item` (dirty, not processing) and, if a get() is waiting, hand items out in a
   * microtask rather than now: adds made in the same turn (an update event enqueues the old and
   * the new object's keys) then still collapse into one item, as with client-go's condition
   * variable, instead of the first add starting processing and the second marking it dirty.
   */
  #enqueue(item: T): void {
    this.#queue.push(item);
    if (this.#getters.size > 0 && !this.#dispatchScheduled) {
      this.#dispatchScheduled = true;
      queueMicrotask(() => this.#dispatch());
    }
  }

  /** Hand queued items to waiting get() calls, oldest first. */
  #dispatch(): void {
    this.#dispatchScheduled = false;
    while (this.#queue.size > 0) {
      const oldest = this.#getters.values().next();
      if (oldest.done === true) return;
      const getter = oldest.value;
      this.#getters.delete(getter);
      getter.signal?.removeEventListener('abort', getter.onAbort);
      const item = this.#queue.shift();
      this.#start(item);
      getter.resolve(item);
    }
  }

  /** Move `item` from dirty to processing. */
  #start(item: T): void {
    const now = this.#clock.now();
    const addedAt = this.#dirty.get(item) ?? now;
    this.#dirty.delete(item);
    this.#processing.set(item, now);
    this.#metrics.queueLatency.observe(this.#labels, (now - addedAt) / 1000);
    this.#recordDepth();
  }

  /** Set a timer that adds `item` at `readyAt`, in steps if it is further than a timer can wait. */
  #arm(item: T, readyAt: number): void {
    const delayMs = readyAt - this.#clock.now();
    const step = Math.min(delayMs, MAX_TIMER_MS);
    const handle = this.#clock.setTimeout(() => {
      if (this.#waiting.get(item)?.handle !== handle) return;
      if (step < delayMs) {
        this.#arm(item, readyAt); // one step of a long wait
        return;
      }
      this.#waiting.delete(item);
      this.add(item);
    }, step);
    this.#waiting.set(item, { readyAt, handle });
  }

  #recordDepth(): void {
    this.#metrics.queueDepth.set(this.#labels, this.#dirty.size);
  }

  #resolveDrained(): void {
    const drained = this.#drained;
    this.#drained = [];
    for (const resolve of drained) resolve();
  }
}

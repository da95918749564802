/**
 * Rate limiters for the work queue: how long an item must wait before it is retried. They follow
 * client-go's `util/workqueue` rate limiters.
 *
 * - {@link itemExponentialFailureRateLimiter}: per item, `baseDelayMs × 2^failures`, from 5 ms
 *   doubling to at most 1000 s by default; {@link RateLimiter.forget} resets the item.
 * - {@link bucketRateLimiter}: one token bucket for all items, 10 qps with a burst of 100 by
 *   default; time is read from the injected {@link Clock}.
 * - {@link maxOfRateLimiter}: the longest delay of several limiters.
 * - {@link defaultControllerRateLimiter}: the max of the two defaults above, as client-go's
 *   `DefaultTypedControllerRateLimiter`; what a `WorkQueue` uses unless told otherwise.
 *
 * @module
 */
import type { Clock } from '../clock/clock.js';

/**
 * Decides how long an item waits before it is retried. `when` is called once per retry and
 * counts it; `forget` is called when the item succeeded, so its next failure starts over.
 *
 * @example
 * ```ts
 * // A limiter that always waits one second.
 * const oneSecond: RateLimiter<string> = { when: () => 1000, forget: () => undefined, numRequeues: () => 0 };
 * ```
 */
export interface RateLimiter<T> {
  /** The delay in milliseconds before `item` may be retried; records one more retry of it. */
  when(item: T): number;
  /** Stop tracking `item`: its retries are counted from zero again. */
  forget(item: T): void;
  /** How many times `item` has been retried since it was last forgotten. */
  numRequeues(item: T): number;
}

/**
 * Options of {@link itemExponentialFailureRateLimiter}.
 *
 * @example
 * ```ts
 * const options: ItemExponentialFailureRateLimiterOptions = { baseDelayMs: 1000, maxDelayMs: 300_000 };
 * ```
 */
export interface ItemExponentialFailureRateLimiterOptions {
  /** The delay after the first failure, in milliseconds. @default 5 */
  readonly baseDelayMs?: number;
  /** The longest delay, in milliseconds. @default 1_000_000 (1000 s) */
  readonly maxDelayMs?: number;
}

function assertNonNegative(name: string, value: number): void {
  if (!(value >= 0)) throw new RangeError(`${name} must be a number >= 0, got ${String(value)}`);
}

/**
 * Per-item exponential back-off: the n-th consecutive retry of an item (counting from 0) waits
 * `baseDelayMs × 2^n`, capped at `maxDelayMs`. Items are compared by identity.
 *
 * @throws RangeError when a delay is negative or not a number.
 *
 * @example
 * ```ts
 * const limiter = itemExponentialFailureRateLimiter<string>();
 * limiter.when('default/web'); // 5
 * limiter.when('default/web'); // 10
 * limiter.when('default/web'); // 20
 * limiter.forget('default/web');
 * limiter.when('default/web'); // 5
 * ```
 */
export function itemExponentialFailureRateLimiter<T>(options: ItemExponentialFailureRateLimiterOptions = {}): RateLimiter<T> {
  const baseDelayMs = options.baseDelayMs ?? 5;
  const maxDelayMs = options.maxDelayMs ?? 1_000_000;
  assertNonNegative('baseDelayMs', baseDelayMs);
  assertNonNegative('maxDelayMs', maxDelayMs);
  const failures = new Map<T, number>();
  return {
    when(item) {
      const exponent = failures.get(item) ?? 0;
      failures.set(item, exponent + 1);
      // 2^exponent overflows to Infinity after ~1024 failures; the cap still holds then.
      return Math.min(baseDelayMs * 2 ** exponent, maxDelayMs);
    },
    forget(item) {
      failures.delete(item);
    },
    numRequeues(item) {
      return failures.get(item) ?? 0;
    },
  };
}

/**
 * Options of {@link bucketRateLimiter}.
 *
 * @example
 * ```ts
 * const options: BucketRateLimiterOptions = { clock: systemClock, qps: 50, burst: 300 };
 * ```
 */
export interface BucketRateLimiterOptions {
  /** Where time comes from. */
  readonly clock: Clock;
  /** Tokens added per second; `Infinity` means no limit. @default 10 */
  readonly qps?: number;
  /** The size of the bucket: how many items pass at once after a quiet period. @default 100 */
  readonly burst?: number;
}

/**
 * One token bucket shared by all items (golang.org/x/time/rate, as client-go's
 * `TypedBucketRateLimiter`). The bucket starts full with `burst` tokens and refills at `qps`
 * tokens per second of clock time; each {@link RateLimiter.when} reserves a token and returns how
 * long to wait for it (0 while tokens remain). It counts no retries and `forget` does nothing.
 *
 * @throws RangeError when `qps` is not > 0 or `burst` is not an integer >= 1.
 *
 * @example
 * ```ts
 * const limiter = bucketRateLimiter<string>({ clock: systemClock, qps: 10, burst: 100 });
 * // The first 100 calls return 0, the next ones 100, 200, 300, … ms (until the bucket refills).
 * const delayMs = limiter.when('default/web');
 * ```
 */
export function bucketRateLimiter<T>(options: BucketRateLimiterOptions): RateLimiter<T> {
  const { clock } = options;
  const qps = options.qps ?? 10;
  const burst = options.burst ?? 100;
  if (!(qps > 0)) throw new RangeError(`qps must be > 0, got ${String(qps)}`);
  if (!Number.isInteger(burst) || burst < 1) throw new RangeError(`burst must be an integer >= 1, got ${String(burst)}`);
  // The token bucket kept as a "theoretical arrival time" (GCRA), which is the same bucket but
  // stays in whole milliseconds when 1000 / qps is whole: each token costs `interval` ms, and
  // `nextFreeAt` is when the bucket would be full again if nothing else were taken. A reservation
  // at `now` must wait until `nextFreeAt` is within `burst` tokens of now.
  const interval = 1000 / qps;
  const tolerance = (burst - 1) * interval;
  let nextFreeAt = Number.NEGATIVE_INFINITY;
  return {
    when() {
      if (qps === Number.POSITIVE_INFINITY) return 0;
      const now = clock.now();
      const start = Math.max(nextFreeAt, now);
      nextFreeAt = start + interval;
      return Math.max(0, start - tolerance - now);
    },
    forget() {
      // The bucket is shared: there is nothing per item to forget.
    },
    numRequeues() {
      return 0;
    },
  };
}

/**
 * Combines limiters: `when` asks every one (so each records the retry) and returns the longest
 * delay; `numRequeues` is the largest count; `forget` forgets in all. With no limiters, every
 * delay and count is 0.
 *
 * @example
 * ```ts
 * const limiter = maxOfRateLimiter<string>(
 *   itemExponentialFailureRateLimiter({ baseDelayMs: 100 }),
 *   bucketRateLimiter({ clock, qps: 1, burst: 1 }),
 * );
 * limiter.when('a'); // 100: the bucket had a token, the back-off says 100 ms
 * limiter.when('b'); // 1000: the bucket is empty for the next second
 * ```
 */
export function maxOfRateLimiter<T>(...limiters: RateLimiter<T>[]): RateLimiter<T> {
  return {
    when(item) {
      let delay = 0;
      for (const limiter of limiters) delay = Math.max(delay, limiter.when(item));
      return delay;
    },
    forget(item) {
      for (const limiter of limiters) limiter.forget(item);
    },
    numRequeues(item) {
      let count = 0;
      for (const limiter of limiters) count = Math.max(count, limiter.numRequeues(item));
      return count;
    },
  };
}

/**
 * Options of {@link defaultControllerRateLimiter}.
 *
 * @example
 * ```ts
 * const options: DefaultControllerRateLimiterOptions = { clock: new FakeClock() };
 * ```
 */
export interface DefaultControllerRateLimiterOptions {
  /** Where the token bucket reads time. */
  readonly clock: Clock;
}

/**
 * The rate limiter of a controller's queue, as client-go's `DefaultTypedControllerRateLimiter`:
 * the max of a per-item exponential back-off (5 ms doubling to 1000 s) and an overall token
 * bucket (10 qps, burst 100). The back-off slows down one failing item; the bucket keeps many
 * failing items together from overwhelming the API.
 *
 * @example
 * ```ts
 * const queue = new WorkQueue<string>({ clock, rateLimiter: defaultControllerRateLimiter({ clock }) });
 * ```
 */
export function defaultControllerRateLimiter<T>(options: DefaultControllerRateLimiterOptions): RateLimiter<T> {
  return maxOfRateLimiter<T>(
    itemExponentialFailureRateLimiter<T>({ baseDelayMs: 5, maxDelayMs: 1_000_000 }),
    bucketRateLimiter<T>({ clock: options.clock, qps: 10, burst: 100 }),
  );
}

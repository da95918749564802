/**
 * Waiting for a condition in tests without sleeping: {@link eventually} checks, and between
 * checks lets promises settle and (with a {@link FakeClock}) moves fake time forward, so timers
 * that the code under test set (back-off, requeueAfter, leases) fire deterministically.
 *
 * @example
 * ```ts
 * const cm = await eventually(() => client.get(kinds.ConfigMap, { namespace: 'default', name: 'site' }), { clock });
 * await eventually(async () => expect((await client.get(kinds.Deployment, key)).status?.readyReplicas).toBe(3), { clock });
 * ```
 *
 * @module
 */
import type { FakeClock } from './fake-clock.js';
import { flushMicrotasks } from './fake-clock.js';

/** Options of {@link eventually}. */
export interface EventuallyOptions {
  /** A fake clock to advance between checks. Without one, checks only let promises settle. */
  readonly clock?: FakeClock;
  /** Fake milliseconds to advance per step. @default 100 */
  readonly stepMs?: number;
  /** Give up after this much fake time (with a clock) or this many steps × stepMs (without). @default 60000 */
  readonly timeoutMs?: number;
  /**
   * Real milliseconds, counted from the first check, before giving up at the earliest. Fake time
   * runs out in a few real milliseconds, while the code under test may be waiting on real I/O
   * (files, sockets, child processes) that a loaded machine takes longer over: once `timeoutMs`
   * is spent, checks go on every 10 real milliseconds, the fake clock standing still, until this
   * much wall time has passed.
   * @default 10000
   */
  readonly realTimeoutMs?: number;
}

/** Real milliseconds between checks once the fake time is spent. */
const REAL_STEP_MS = 10;

/**
 * Call `check` until it returns a value that is not `false`/`undefined`/`null` without throwing,
 * and return that value. Rethrows the last error (or fails) when time is up: `timeoutMs` of fake
 * time and at least `realTimeoutMs` of wall time.
 */
export async function eventually<T>(check: () => T | Promise<T>, options: EventuallyOptions = {}): Promise<Exclude<T, false | null | undefined>> {
  const step = options.stepMs ?? 100;
  const timeout = options.timeoutMs ?? 60_000;
  const realDeadline = performance.now() + (options.realTimeoutMs ?? 10_000);
  let elapsed = 0;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== false && value !== undefined && value !== null) return value as Exclude<T, false | null | undefined>;
      lastError = new Error(`condition not met (returned ${String(value)})`);
    } catch (e) {
      lastError = e;
    }
    if (elapsed >= timeout) {
      if (performance.now() < realDeadline) {
        await new Promise((resolve) => setTimeout(resolve, REAL_STEP_MS));
        continue;
      }
      if (lastError instanceof Error) {
        lastError.message = `eventually: still failing after ${timeout} ms: ${lastError.message}`;
        throw lastError;
      }
      throw new Error(`eventually: still failing after ${timeout} ms: ${String(lastError)}`);
    }
    if (options.clock) await options.clock.advance(step);
    else await flushMicrotasks();
    elapsed += step;
  }
}

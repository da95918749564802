/**
 * Time, injected. Everything in Harbormaster that waits (back-off, requeueAfter, resync, leases,
 * probe periods, HPA windows) reads time and sets timers through a {@link Clock}, so tests can
 * drive it with the fake clock of `@harbormaster/core/testing` and never sleep.
 *
 * @module
 */

/** A handle returned by {@link Clock.setTimeout}; pass it to {@link Clock.clearTimeout}. */
export interface TimerHandle {
  /** Keep the process alive while the timer is pending (real clock only; the default). */
  ref?(): void;
  /** Let the process exit while the timer is pending (real clock only). */
  unref?(): void;
}

/** A source of time and timers. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Call `callback` once after `ms` milliseconds. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Cancel a timer; cancelling a fired or cancelled timer does nothing. */
  clearTimeout(handle: TimerHandle): void;
}

/** The clock of the machine: `Date.now()` and the global timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/**
 * Resolve after `ms` milliseconds of `clock` time, or reject with the signal's reason when
 * `signal` aborts first (the timer is cleared).
 *
 * @example
 * ```ts
 * await sleep(systemClock, 1000, signal);
 * ```
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(signal?.reason as Error);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Kubernetes' timestamp format: RFC 3339 in UTC with second precision, e.g. `2026-11-25T11:43:02Z`. */
export function formatTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Kubernetes' MicroTime format: RFC 3339 in UTC with microseconds, e.g. `2026-11-25T11:43:02.123000Z`. */
export function formatMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Resolve after `ms` milliseconds of `clock` time, or as soon as `signal` aborts (resolving, not
 * rejecting, and clearing the timer): for loops that check the signal themselves.
 */
export function delay(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      resolve();
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

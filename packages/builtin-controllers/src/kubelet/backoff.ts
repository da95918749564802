/**
 * Per-key exponential back-off on the clock, as the kubelet keeps it for container restarts
 * (CrashLoopBackOff) and image pulls (ImagePullBackOff): 10 s doubling to 300 s, forgotten once a
 * key has stayed healthy for 10 minutes.
 *
 * @module
 * @internal
 */
import type { Clock } from '@harbormaster/core';

/** Options of {@link Backoff}. */
export interface BackoffOptions {
  /** @default 10000 */
  readonly initialMs?: number;
  /** @default 300000 */
  readonly maxMs?: number;
}

interface Entry {
  delayMs: number;
  /** When the key may try again. */
  until: number;
}

/** Per-key back-off. */
export class Backoff {
  readonly #clock: Clock;
  readonly #initial: number;
  readonly #max: number;
  readonly #entries = new Map<string, Entry>();

  constructor(clock: Clock, options: BackoffOptions = {}) {
    this.#clock = clock;
    this.#initial = options.initialMs ?? 10_000;
    this.#max = options.maxMs ?? 300_000;
  }

  /**
   * Whether `key` is still backing off from a failure at `since` (ms): as the kubelet's
   * `IsInBackOffSince`, true while less than the current delay has passed since then.
   */
  inBackoffSince(key: string, since: number): boolean {
    const e = this.#entries.get(key);
    return e !== undefined && this.#clock.now() - since < e.delayMs;
  }

  /**
   * Record a failure of `key` at `since`: the first failure sets the initial delay, each later one
   * doubles it, up to the maximum (the kubelet's `Next`). Returns the delay.
   */
  next(key: string, since: number = this.#clock.now()): number {
    const e = this.#entries.get(key);
    const delayMs = e === undefined ? this.#initial : Math.min(this.#max, e.delayMs * 2);
    this.#entries.set(key, { delayMs, until: since + delayMs });
    return delayMs;
  }

  /** The current delay of `key` (0 if none). */
  delayOf(key: string): number {
    return this.#entries.get(key)?.delayMs ?? 0;
  }

  /** Milliseconds until `key` may try again (0 if it may now). */
  remaining(key: string): number {
    const e = this.#entries.get(key);
    return e === undefined ? 0 : Math.max(0, e.until - this.#clock.now());
  }

  /** Whether `key` has failed before (and not been reset). */
  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** Forget `key`: its next failure starts at the initial delay. */
  reset(key: string): void {
    this.#entries.delete(key);
  }

  /** Forget every key starting with `prefix` (a deleted pod's containers). */
  resetPrefix(prefix: string): void {
    for (const key of [...this.#entries.keys()]) if (key.startsWith(prefix)) this.#entries.delete(key);
  }
}

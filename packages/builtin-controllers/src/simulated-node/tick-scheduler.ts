/**
 * Timers in ticks: callbacks due in the same tick (100 ms by default) share one clock timer and
 * run together. Simulated nodes schedule every pod transition and Lease renewal here, so a
 * thousand nodes and ten thousand pods cost a timer per tick rather than one per pod, and pods
 * that become ready in the same tick have their status written in one burst (which the
 * controllers then handle in one reconcile, as they would a burst of kubelet updates).
 *
 * @module
 */
import type { Clock, TimerHandle } from '@harbormaster/core';

/** A scheduled callback; pass it to {@link TickScheduler.cancel}. */
export interface Ticket {
  readonly at: number;
}

interface Entry extends Ticket {
  readonly fn: () => void;
}

interface Bucket {
  readonly timer: TimerHandle;
  readonly entries: Set<Entry>;
}

/** Coalesces timers into ticks. See the module documentation. */
export class TickScheduler {
  readonly #clock: Clock;
  readonly #tickMs: number;
  readonly #buckets = new Map<number, Bucket>();

  /** @param tickMs The tick; 0 gives every distinct due time its own timer. */
  constructor(clock: Clock, tickMs: number) {
    this.#clock = clock;
    this.#tickMs = Math.max(0, tickMs);
  }

  /** Call `fn` once, `ms` from now rounded up to the next tick. */
  schedule(ms: number, fn: () => void): Ticket {
    const now = this.#clock.now();
    const due = now + Math.max(0, ms);
    const at = this.#tickMs > 0 ? Math.ceil(due / this.#tickMs) * this.#tickMs : due;
    const entry: Entry = { at, fn };
    let bucket = this.#buckets.get(at);
    if (bucket === undefined) {
      bucket = { timer: this.#clock.setTimeout(() => this.#fire(at), at - now), entries: new Set() };
      this.#buckets.set(at, bucket);
    }
    bucket.entries.add(entry);
    return entry;
  }

  /** Cancel a callback that has not run yet. */
  cancel(ticket: Ticket): void {
    const bucket = this.#buckets.get(ticket.at);
    if (bucket === undefined || !bucket.entries.delete(ticket as Entry)) return;
    if (bucket.entries.size === 0) {
      this.#clock.clearTimeout(bucket.timer);
      this.#buckets.delete(ticket.at);
    }
  }

  /** How many clock timers are pending. */
  get pendingTicks(): number {
    return this.#buckets.size;
  }

  #fire(at: number): void {
    const bucket = this.#buckets.get(at);
    this.#buckets.delete(at);
    if (bucket === undefined) return;
    for (const e of bucket.entries) {
      try {
        e.fn();
      } catch {
        // A callback's failure is its own; the others still run.
      }
    }
  }
}

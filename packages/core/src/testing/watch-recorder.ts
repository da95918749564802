/**
 * A subscriber that records what a store watch delivers, for tests.
 *
 * A store may deliver watch events after the write that caused them has resolved (a SQLite store
 * polls, for instance), so tests wait for the events they expect with {@link WatchRecorder.waitForCount}
 * and a bounded timeout, and then compare. Waiting never decides the outcome: when the time is up
 * the recorder simply returns what it has, and the comparison that follows fails with a diff.
 *
 * @module
 */
import type { Observable, Subscription } from 'rxjs';
import type { StoreEvent } from '../store/store.js';

/** Records the events, error and completion of one watch subscription. */
export class WatchRecorder {
  /** Every event received, in order. */
  readonly events: StoreEvent[] = [];
  /** The error the watch failed with, if it failed. */
  error: unknown = undefined;
  /** Whether the watch failed. */
  failed = false;
  /** Whether the watch completed. */
  completed = false;
  readonly #subscription: Subscription;
  readonly #timeout: number;

  /**
   * Subscribe to `source` at once.
   * @param timeout How long the `waitFor…` methods wait, in milliseconds.
   */
  constructor(source: Observable<StoreEvent>, timeout: number) {
    this.#timeout = timeout;
    this.#subscription = source.subscribe({
      next: (event) => {
        this.events.push(event);
      },
      error: (error: unknown) => {
        this.failed = true;
        this.error = error;
      },
      complete: () => {
        this.completed = true;
      },
    });
  }

  /** Whether the watch has ended, by error or completion. */
  get ended(): boolean {
    return this.failed || this.completed;
  }

  /** Wait until at least `count` events have arrived or the watch ended (or the timeout passed). */
  async waitForCount(count: number): Promise<readonly StoreEvent[]> {
    await waitUntil(() => this.events.length >= count || this.ended, this.#timeout);
    return this.events;
  }

  /** Wait until the watch has ended (or the timeout passed). */
  async waitForEnd(): Promise<void> {
    await waitUntil(() => this.ended, this.#timeout);
  }

  /** Stop the subscription. */
  unsubscribe(): void {
    this.#subscription.unsubscribe();
  }
}

/**
 * Resolve once `condition()` holds or `timeout` milliseconds have passed, whichever is first;
 * returns whether the condition held. Checks at once, then on each turn of the event loop.
 */
export async function waitUntil(condition: () => boolean, timeout: number): Promise<boolean> {
  if (condition()) return true;
  const deadline = Date.now() + timeout;
  let turns = 0;
  while (Date.now() < deadline) {
    // First a few quick turns (macrotasks, so I/O callbacks run), then poll more gently.
    await new Promise<void>((resolve) => (turns++ < 20 ? setImmediate(resolve) : setTimeout(resolve, 5)));
    if (condition()) return true;
  }
  return condition();
}

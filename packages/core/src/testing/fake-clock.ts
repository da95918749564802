/**
 * A fake clock for tests: time stands still until the test advances it, and timers fire in
 * order as it does. Pass it wherever a {@link Clock} is accepted (the API server, informers,
 * queues, the manager) and no test ever sleeps.
 *
 * @example
 * ```ts
 * const clock = new FakeClock();
 * const api = createApiServer({ store: memoryStore(), clock });
 * // … start a controller that requeues after 30 s …
 * await clock.advance(30_000); // fires the timer, lets the promise chains it started settle
 * ```
 *
 * @module
 */
import type { Clock, TimerHandle } from '../clock/clock.js';

interface FakeTimer extends TimerHandle {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

/** Let pending promise callbacks (and I/O callbacks already due) run. Uses a real macrotask turn, never a delay. */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A {@link Clock} whose time moves only when told to. Timers live in a binary heap, so many are cheap. */
export class FakeClock implements Clock {
  #now: number;
  #nextId = 1;
  /** Min-heap by (at, id); cancelled timers are dropped lazily. */
  readonly #heap: FakeTimer[] = [];
  readonly #live = new Set<number>();

  /** @param start The initial time, in milliseconds since the epoch. @default 2026-01-01T00:00:00Z */
  constructor(start: number = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer: FakeTimer = { id: this.#nextId++, at: this.#now + Math.max(0, ms), callback };
    this.#live.add(timer.id);
    this.#push(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    const id = (handle as Partial<FakeTimer>).id;
    if (id !== undefined) this.#live.delete(id);
  }

  /** How many timers are waiting. */
  get pendingTimers(): number {
    return this.#live.size;
  }

  /** When the next timer is due, or `undefined` if none is. */
  nextTimerAt(): number | undefined {
    this.#dropCancelled();
    return this.#heap[0]?.at;
  }

  #takeDue(until: number): FakeTimer | undefined {
    this.#dropCancelled();
    const top = this.#heap[0];
    if (top === undefined || top.at > until) return undefined;
    this.#pop();
    this.#live.delete(top.id);
    return top;
  }

  /**
   * Move time forward by `ms`, firing every timer that falls due, in order of due time, with the
   * clock set to each timer's time as it fires. Promise callbacks run between timers, so work a
   * timer starts (and timers it sets within the window) complete inside the same advance.
   */
  async advance(ms: number): Promise<void> {
    const target = this.#now + Math.max(0, ms);
    await flushMicrotasks();
    for (;;) {
      const timer = this.#takeDue(target);
      if (timer === undefined) break;
      this.#now = Math.max(this.#now, timer.at);
      timer.callback();
      await flushMicrotasks();
    }
    this.#now = target;
    await flushMicrotasks();
  }

  /** Set the time to `ms` since the epoch (forward only), firing what falls due. */
  async setTime(ms: number): Promise<void> {
    await this.advance(ms - this.#now);
  }

  /**
   * Fire timers until none remains, at most `maxTimers` of them (a guard against timers that
   * re-arm forever). Returns how many fired.
   */
  async runAll(maxTimers = 10_000): Promise<number> {
    let fired = 0;
    await flushMicrotasks();
    while (fired < maxTimers) {
      const at = this.nextTimerAt();
      if (at === undefined) break;
      const timer = this.#takeDue(at);
      if (timer === undefined) break;
      this.#now = Math.max(this.#now, timer.at);
      timer.callback();
      fired++;
      await flushMicrotasks();
    }
    return fired;
  }

  #dropCancelled(): void {
    while (this.#heap.length > 0 && !this.#live.has((this.#heap[0] as FakeTimer).id)) this.#pop();
  }

  static #before(a: FakeTimer, b: FakeTimer): boolean {
    return a.at < b.at || (a.at === b.at && a.id < b.id);
  }

  #push(timer: FakeTimer): void {
    const heap = this.#heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!FakeClock.#before(heap[i] as FakeTimer, heap[parent] as FakeTimer)) break;
      [heap[i], heap[parent]] = [heap[parent] as FakeTimer, heap[i] as FakeTimer];
      i = parent;
    }
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < heap.length && FakeClock.#before(heap[l] as FakeTimer, heap[smallest] as FakeTimer)) smallest = l;
      if (r < heap.length && FakeClock.#before(heap[r] as FakeTimer, heap[smallest] as FakeTimer)) smallest = r;
      if (smallest === i) break;
      [heap[i], heap[smallest]] = [heap[smallest] as FakeTimer, heap[i] as FakeTimer];
      i = smallest;
    }
  }
}

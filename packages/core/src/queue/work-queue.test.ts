import { describe, expect, it } from 'vitest';
import { sleep } from '../clock/clock.js';
import type { Counter, Gauge, Histogram, MetricLabels, Metrics } from '../observability/metrics.js';
import { FakeClock, flushMicrotasks } from '../testing/fake-clock.js';
import type { RateLimiter } from './rate-limiter.js';
import { itemExponentialFailureRateLimiter } from './rate-limiter.js';
import { WorkQueue } from './work-queue.js';

/** Watch a promise without awaiting it. */
function track<T>(promise: Promise<T>): { settled: boolean; value: T | undefined } {
  const state: { settled: boolean; value: T | undefined } = { settled: false, value: undefined };
  void promise.then((value) => {
    state.settled = true;
    state.value = value;
  });
  return state;
}

interface Recorded {
  readonly metric: string;
  readonly op: string;
  readonly labels: MetricLabels;
  readonly value: number;
}

/** Metrics that remember every call. */
function recordingMetrics(): { metrics: Metrics; calls: Recorded[]; of(metric: string, op?: string): number[] } {
  const calls: Recorded[] = [];
  const counter = (metric: string): Counter => ({ inc: (labels, value = 1) => void calls.push({ metric, op: 'inc', labels, value }) });
  const gauge = (metric: string): Gauge => ({
    set: (labels, value) => void calls.push({ metric, op: 'set', labels, value }),
    inc: (labels, value = 1) => void calls.push({ metric, op: 'inc', labels, value }),
    dec: (labels, value = 1) => void calls.push({ metric, op: 'dec', labels, value }),
  });
  const histogram = (metric: string): Histogram => ({ observe: (labels, value) => void calls.push({ metric, op: 'observe', labels, value }) });
  const metrics: Metrics = {
    reconcileTotal: counter('reconcileTotal'),
    reconcileErrors: counter('reconcileErrors'),
    terminalReconcileErrors: counter('terminalReconcileErrors'),
    reconcileTime: histogram('reconcileTime'),
    activeWorkers: gauge('activeWorkers'),
    queueDepth: gauge('queueDepth'),
    queueAdds: counter('queueAdds'),
    queueRetries: counter('queueRetries'),
    queueLatency: histogram('queueLatency'),
    workDuration: histogram('workDuration'),
  };
  const of = (metric: string, op?: string): number[] =>
    calls.filter((c) => c.metric === metric && (op === undefined || c.op === op)).map((c) => c.value);
  return { metrics, calls, of };
}

/** A deterministic PRNG (mulberry32), so a failing stress run can be replayed. */
function prng(seed: number): (below: number) => number {
  let state = seed >>> 0;
  return (below) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * below);
  };
}

function newQueue(options: { rateLimiter?: RateLimiter<string>; metrics?: Metrics } = {}): { clock: FakeClock; queue: WorkQueue<string> } {
  const clock = new FakeClock();
  return { clock, queue: new WorkQueue<string>({ name: 'test', clock, ...options }) };
}

describe('WorkQueue: add, get, done', () => {
  it('deduplicates an item that is queued already', async () => {
    const { queue } = newQueue();
    queue.add('a');
    queue.add('a');
    queue.add('b');
    queue.add('a');
    expect(queue.length).toBe(2);
    expect(await queue.get()).toBe('a');
    expect(await queue.get()).toBe('b');
    expect(queue.length).toBe(0);
    const next = track(queue.get());
    await flushMicrotasks();
    expect(next.settled).toBe(false);
  });

  it('hands items out in FIFO order, also across many adds (ring buffer growth)', async () => {
    const { queue } = newQueue();
    const keys = Array.from({ length: 1000 }, (_, i) => `k${i}`);
    for (const key of keys.slice(0, 10)) queue.add(key);
    const got: string[] = [];
    for (let i = 0; i < 5; i++) got.push((await queue.get()) ?? '');
    for (const key of keys.slice(10)) queue.add(key); // wraps around, then grows
    while (queue.length > 0) got.push((await queue.get()) ?? '');
    expect(got).toEqual(keys);
  });

  it('a waiting get() receives the next add, oldest waiter first', async () => {
    const { queue } = newQueue();
    const first = track(queue.get());
    const second = track(queue.get());
    await flushMicrotasks();
    expect(first.settled || second.settled).toBe(false);
    queue.add('a');
    await flushMicrotasks();
    expect(first).toEqual({ settled: true, value: 'a' });
    expect(second.settled).toBe(false);
    expect(queue.length).toBe(0);
    queue.add('b');
    await flushMicrotasks();
    expect(second).toEqual({ settled: true, value: 'b' });
  });

  it('an item added during processing is processed again after done, never twice at once', async () => {
    const { queue } = newQueue();
    queue.add('a');
    expect(await queue.get()).toBe('a');
    const waiter = track(queue.get());
    queue.add('a'); // being processed: marked dirty, not handed out
    queue.add('a');
    await flushMicrotasks();
    expect(waiter.settled).toBe(false);
    expect(queue.length).toBe(0);
    queue.add('b'); // other items are not held back
    await flushMicrotasks();
    expect(waiter.value).toBe('b');

    queue.done('a'); // queued again, once
    expect(queue.length).toBe(1);
    expect(await queue.get()).toBe('a');
    queue.done('a'); // not dirty this time: gone
    queue.done('b');
    expect(queue.length).toBe(0);
  });

  it('done() of an item that is not being processed does nothing', async () => {
    const { queue } = newQueue();
    queue.done('a');
    queue.add('a');
    queue.done('a'); // queued, not processing
    expect(queue.length).toBe(1);
    expect(await queue.get()).toBe('a');
    queue.done('a');
    queue.done('a');
    expect(queue.length).toBe(0);
  });

  it('compares items by identity', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue<{ key: string }>({ clock });
    const a = { key: 'a' };
    queue.add(a);
    queue.add(a);
    queue.add({ key: 'a' });
    expect(queue.length).toBe(2);
    expect(await queue.get()).toBe(a);
  });
});

describe('WorkQueue: stress', () => {
  it('8 workers, 50 keys, 20,000 random adds: no key processed twice at once, no lost wakeup, ends empty', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue<string>({ clock });
    const random = prng(20_260_101);
    const keys = Array.from({ length: 50 }, (_, i) => `ns/key-${i}`);
    const totalAdds = 20_000;

    let adds = 0;
    let processings = 0;
    /** Bumped on every add of a key; a processing that starts later "sees" it. */
    const version = new Map<string, number>();
    const seen = new Map<string, number>();
    const active = new Set<string>();
    const violations: string[] = [];
    /** Workers inside get(). Once promise callbacks have run, none may wait while items are queued. */
    let idle = 0;
    const checkNoIdleWhileQueued = (): void => {
      if (idle > 0 && queue.length > 0) violations.push(`${idle} workers wait while ${queue.length} items are queued`);
    };

    const addKey = (key: string): void => {
      if (adds >= totalAdds) return;
      adds++;
      version.set(key, (version.get(key) ?? 0) + 1);
      queue.add(key);
    };
    const addRandom = (): void => addKey(keys[random(keys.length)] ?? 'ns/key-0');

    const worker = async (): Promise<void> => {
      for (;;) {
        idle++;
        const key = await queue.get();
        idle--;
        if (key === undefined) return;
        if (active.has(key)) violations.push(`${key} handed out while being processed`);
        active.add(key);
        processings++;
        seen.set(key, version.get(key) ?? 0);
        if (random(4) === 0) addRandom(); // adds from inside processing, sometimes of itself
        await sleep(clock, random(20));
        if (random(3) === 0) addRandom();
        if (random(10) === 0) addKey(key); // the very key being processed, just before done
        active.delete(key);
        queue.done(key);
      }
    };
    const workers = Array.from({ length: 8 }, () => worker());

    // Busy spells (bursts faster than 8 workers can go) alternate with quiet ones (workers wait
    // in get() and are handed items directly), so both paths of the queue are exercised.
    while (adds < totalAdds) {
      const burst = random(4) === 0 ? 1 + random(40) : random(3);
      for (let i = 0; i < burst; i++) addRandom();
      await clock.advance(random(5) === 0 ? random(100) : random(4));
      checkNoIdleWhileQueued();
    }
    // Let the workers finish what is queued.
    for (let rounds = 0; (queue.length > 0 || active.size > 0) && rounds < 1000; rounds++) {
      await clock.advance(10);
      checkNoIdleWhileQueued();
    }

    expect(violations).toEqual([]);
    expect(adds).toBe(totalAdds);
    expect(queue.length).toBe(0);
    expect(active.size).toBe(0);
    expect(idle).toBe(8);
    for (const key of keys) expect(seen.get(key), key).toBe(version.get(key));
    expect(processings).toBeGreaterThan(keys.length);
    expect(processings).toBeLessThan(totalAdds); // dedup did work

    queue.shutdown();
    await Promise.all(workers);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('WorkQueue: addAfter', () => {
  it('adds the item when the delay has passed on the clock', async () => {
    const { clock, queue } = newQueue();
    queue.addAfter('a', 1000);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(999);
    expect(queue.length).toBe(0);
    await clock.advance(1);
    expect(queue.length).toBe(1);
    expect(clock.pendingTimers).toBe(0);
    expect(await queue.get()).toBe('a');
  });

  it('wakes a waiting get() when the delay passes', async () => {
    const { clock, queue } = newQueue();
    const waiter = track(queue.get());
    queue.addAfter('a', 50);
    await clock.advance(49);
    expect(waiter.settled).toBe(false);
    await clock.advance(1);
    expect(waiter).toEqual({ settled: true, value: 'a' });
  });

  it('keeps the earlier of two times for a waiting item', async () => {
    const { clock, queue } = newQueue();
    queue.addAfter('a', 5000);
    queue.addAfter('a', 1000); // earlier: replaces
    queue.addAfter('b', 1000);
    queue.addAfter('b', 5000); // later: ignored
    expect(clock.pendingTimers).toBe(2);
    await clock.advance(1000);
    expect(queue.length).toBe(2);
    expect(clock.pendingTimers).toBe(0);
    expect(await queue.get()).toBe('a');
    expect(await queue.get()).toBe('b');
    queue.done('a');
    queue.done('b');
    await clock.advance(10_000);
    expect(queue.length).toBe(0); // nothing fires at 5000
  });

  it('a delay of 0 or less adds now; NaN is refused', () => {
    const { clock, queue } = newQueue();
    queue.addAfter('a', 0);
    queue.addAfter('b', -5);
    expect(queue.length).toBe(2);
    expect(clock.pendingTimers).toBe(0);
    expect(() => queue.addAfter('c', Number.NaN)).toThrow(RangeError);
  });

  it('an item already queued is not queued twice when its timer fires', async () => {
    const { clock, queue } = newQueue();
    queue.addAfter('a', 10);
    queue.add('a');
    await clock.advance(10);
    expect(queue.length).toBe(1);
  });

  it('waits longer than a timer can (> 2^31 - 1 ms) in steps', async () => {
    const { clock, queue } = newQueue();
    const thirtyDays = 30 * 24 * 3600 * 1000;
    queue.addAfter('a', thirtyDays);
    await clock.advance(thirtyDays - 1);
    expect(queue.length).toBe(0);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(1);
    expect(queue.length).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('shutdown cancels every pending timer', async () => {
    const { clock, queue } = newQueue();
    queue.addAfter('a', 100);
    queue.addAfter('b', 200);
    queue.addAfter('c', 1_000_000);
    expect(clock.pendingTimers).toBe(3);
    queue.shutdown();
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(2_000_000);
    expect(queue.length).toBe(0);
    queue.addAfter('d', 10); // ignored once shut down
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('WorkQueue: rate limiting', () => {
  it('addRateLimited waits as the rate limiter says; forget resets; numRequeues counts', async () => {
    const { clock, queue } = newQueue({ rateLimiter: itemExponentialFailureRateLimiter({ baseDelayMs: 100 }) });
    queue.addRateLimited('a');
    expect(queue.numRequeues('a')).toBe(1);
    await clock.advance(99);
    expect(queue.length).toBe(0);
    await clock.advance(1);
    expect(await queue.get()).toBe('a');
    queue.addRateLimited('a'); // while processing: waits 200 ms, then is dirty until done
    queue.done('a');
    await clock.advance(199);
    expect(queue.length).toBe(0);
    await clock.advance(1);
    expect(queue.length).toBe(1);
    expect(queue.numRequeues('a')).toBe(2);
    queue.forget('a');
    expect(queue.numRequeues('a')).toBe(0);
    expect(await queue.get()).toBe('a');
    queue.addRateLimited('a');
    queue.done('a');
    await clock.advance(100);
    expect(queue.length).toBe(1);
  });

  it('uses the default controller rate limiter on the queue clock', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue<string>({ clock });
    queue.addRateLimited('a');
    queue.addRateLimited('a'); // waiting already: keeps the 5 ms time (the limiter says 10 ms)
    expect(queue.numRequeues('a')).toBe(2);
    await clock.advance(4);
    expect(queue.length).toBe(0);
    await clock.advance(1);
    expect(queue.length).toBe(1);
  });

  it('addRateLimited is ignored once shut down and asks the limiter nothing', () => {
    const { queue } = newQueue();
    queue.shutdown();
    queue.addRateLimited('a');
    expect(queue.numRequeues('a')).toBe(0);
  });
});

describe('WorkQueue: shutdown and abort', () => {
  it('shutdown releases every waiting get() with undefined; later gets and adds too', async () => {
    const { queue } = newQueue();
    const waiters = [track(queue.get()), track(queue.get()), track(queue.get())];
    await flushMicrotasks();
    expect(queue.shuttingDown).toBe(false);
    queue.shutdown();
    await flushMicrotasks();
    expect(waiters).toEqual(Array.from({ length: 3 }, () => ({ settled: true, value: undefined })));
    expect(queue.shuttingDown).toBe(true);
    queue.add('a');
    expect(queue.length).toBe(0);
    expect(await queue.get()).toBeUndefined();
    queue.shutdown(); // twice is fine
  });

  it('shutdown drops queued items, and items being processed are not queued again', async () => {
    const { queue } = newQueue();
    queue.add('a');
    queue.add('b');
    expect(await queue.get()).toBe('a');
    queue.add('a'); // dirty
    queue.shutdown();
    expect(queue.length).toBe(0);
    queue.done('a');
    expect(queue.length).toBe(0);
    expect(await queue.get()).toBeUndefined();
  });

  it('an aborted signal releases its get() with undefined and takes no item', async () => {
    const { queue } = newQueue();
    const controller = new AbortController();
    const aborted = track(queue.get(controller.signal));
    const other = track(queue.get());
    controller.abort();
    await flushMicrotasks();
    expect(aborted).toEqual({ settled: true, value: undefined });
    queue.add('a'); // goes to the other waiter, not the aborted one
    queue.add('b');
    await flushMicrotasks();
    expect(other.value).toBe('a');
    expect(queue.length).toBe(1);

    // Already aborted: undefined at once, even with items queued, and the item stays queued.
    expect(await queue.get(AbortSignal.abort())).toBeUndefined();
    expect(queue.length).toBe(1);
  });

  it('aborting after get() returned an item changes nothing', async () => {
    const { queue } = newQueue();
    const controller = new AbortController();
    const got = track(queue.get(controller.signal));
    queue.add('a');
    await flushMicrotasks();
    controller.abort();
    await flushMicrotasks();
    expect(got.value).toBe('a');
    queue.add('a');
    queue.done('a'); // still processed by that get: dirty, so queued again
    expect(queue.length).toBe(1);
  });

  it('shutdownWithDrain resolves only when every item being processed is done', async () => {
    const { queue } = newQueue();
    queue.add('a');
    queue.add('b');
    queue.add('c');
    expect(await queue.get()).toBe('a');
    expect(await queue.get()).toBe('b');
    const drained = track(queue.shutdownWithDrain());
    const again = track(queue.shutdownWithDrain());
    await flushMicrotasks();
    expect(queue.shuttingDown).toBe(true);
    expect(await queue.get()).toBeUndefined(); // 'c' is not handed out during the drain
    queue.add('d');
    queue.done('a');
    await flushMicrotasks();
    expect(drained.settled).toBe(false);
    queue.done('b');
    await flushMicrotasks();
    expect(drained.settled).toBe(true);
    expect(again.settled).toBe(true);
    expect(queue.length).toBe(0);
  });

  it('shutdownWithDrain with nothing in flight resolves at once', async () => {
    const { queue } = newQueue();
    queue.add('a');
    await queue.shutdownWithDrain();
    expect(queue.length).toBe(0);
  });
});

describe('WorkQueue: metrics', () => {
  it('records depth, adds, retries, latency and work duration, labelled with the name', async () => {
    const recording = recordingMetrics();
    const { clock, queue } = newQueue({ metrics: recording.metrics });
    queue.add('a');
    queue.add('a'); // deduplicated: not an add
    queue.add('b');
    expect(recording.of('queueAdds')).toEqual([1, 1]);
    expect(recording.of('queueDepth')).toEqual([1, 2]);

    await clock.advance(2000);
    expect(await queue.get()).toBe('a');
    expect(recording.of('queueLatency')).toEqual([2]);
    expect(recording.of('queueDepth')).toEqual([1, 2, 1]);

    await clock.advance(500);
    queue.done('a');
    expect(recording.of('workDuration')).toEqual([0.5]);

    queue.addRateLimited('c');
    expect(recording.of('queueRetries')).toEqual([1]);
    await clock.advance(5); // the default limiter: 5 ms
    expect(recording.of('queueAdds')).toEqual([1, 1, 1]);
    expect(recording.of('queueDepth')).toEqual([1, 2, 1, 2]);

    expect(await queue.get()).toBe('b');
    expect(recording.of('queueLatency')).toEqual([2, 2.505]);
    queue.shutdown();
    expect(recording.of('queueDepth').at(-1)).toBe(0);

    const names = new Set(recording.calls.map((c) => c.labels['name']));
    expect(names).toEqual(new Set(['test']));
    expect(recording.calls.every((c) => c.metric.startsWith('queue') || c.metric === 'workDuration')).toBe(true);
  });

  it('counts an item added during processing as waiting from its add', async () => {
    const recording = recordingMetrics();
    const { clock, queue } = newQueue({ metrics: recording.metrics });
    queue.add('a');
    expect(await queue.get()).toBe('a');
    await clock.advance(100);
    queue.add('a');
    expect(recording.of('queueDepth')).toEqual([1, 0, 1]);
    await clock.advance(300);
    queue.done('a');
    expect(await queue.get()).toBe('a');
    expect(recording.of('queueLatency')).toEqual([0, 0.3]);
    expect(recording.of('workDuration')).toEqual([0.4]);
  });
});

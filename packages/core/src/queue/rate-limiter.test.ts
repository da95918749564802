import { describe, expect, it } from 'vitest';
import { FakeClock } from '../testing/fake-clock.js';
import type { RateLimiter } from './rate-limiter.js';
import { bucketRateLimiter, defaultControllerRateLimiter, itemExponentialFailureRateLimiter, maxOfRateLimiter } from './rate-limiter.js';

function whenTimes<T>(limiter: RateLimiter<T>, item: T, times: number): number[] {
  return Array.from({ length: times }, () => limiter.when(item));
}

describe('itemExponentialFailureRateLimiter', () => {
  it('doubles from 5 ms per item and counts requeues', () => {
    const limiter = itemExponentialFailureRateLimiter<string>();
    expect(whenTimes(limiter, 'a', 6)).toEqual([5, 10, 20, 40, 80, 160]);
    expect(limiter.numRequeues('a')).toBe(6);
    // Items are independent.
    expect(limiter.when('b')).toBe(5);
    expect(limiter.numRequeues('b')).toBe(1);
  });

  it('caps at 1000 s, also after very many failures', () => {
    const limiter = itemExponentialFailureRateLimiter<string>();
    const delays = whenTimes(limiter, 'a', 2000);
    expect(delays[17]).toBe(5 * 2 ** 17); // 655.36 s
    expect(delays[18]).toBe(1_000_000); // 5 × 2^18 ms = 1310.72 s > 1000 s
    expect(delays.slice(18).every((d) => d === 1_000_000)).toBe(true);
    expect(Math.max(...delays)).toBe(1_000_000);
  });

  it('forget resets the item only', () => {
    const limiter = itemExponentialFailureRateLimiter<string>();
    whenTimes(limiter, 'a', 3);
    whenTimes(limiter, 'b', 3);
    limiter.forget('a');
    expect(limiter.numRequeues('a')).toBe(0);
    expect(limiter.when('a')).toBe(5);
    expect(limiter.when('b')).toBe(40);
  });

  it('takes custom delays and compares items by identity', () => {
    const limiter = itemExponentialFailureRateLimiter<object>({ baseDelayMs: 100, maxDelayMs: 350 });
    const item = {};
    expect(whenTimes(limiter, item, 4)).toEqual([100, 200, 350, 350]);
    expect(limiter.when({})).toBe(100);
  });

  it('rejects negative or NaN delays', () => {
    expect(() => itemExponentialFailureRateLimiter({ baseDelayMs: -1 })).toThrow(RangeError);
    expect(() => itemExponentialFailureRateLimiter({ maxDelayMs: Number.NaN })).toThrow(RangeError);
  });
});

describe('bucketRateLimiter', () => {
  it('lets a burst of 100 through, then spaces items 100 ms apart at 10 qps', () => {
    const clock = new FakeClock();
    const limiter = bucketRateLimiter<string>({ clock });
    const burst = Array.from({ length: 100 }, (_, i) => limiter.when(`k${i}`));
    expect(burst.every((d) => d === 0)).toBe(true);
    expect(whenTimes(limiter, 'x', 3)).toEqual([100, 200, 300]);
    expect(limiter.numRequeues('x')).toBe(0);
  });

  it('refills over clock time, up to the burst', async () => {
    const clock = new FakeClock();
    const limiter = bucketRateLimiter<string>({ clock });
    whenTimes(limiter, 'x', 100);
    await clock.advance(1000); // 10 tokens back
    expect(whenTimes(limiter, 'x', 11)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100]);

    await clock.advance(3_600_000); // idle for an hour: full, but no more than the burst
    const delays = whenTimes(limiter, 'x', 101);
    expect(delays.slice(0, 100).every((d) => d === 0)).toBe(true);
    expect(delays[100]).toBe(100);
  });

  it('a reserved wait counts: waiting it out does not free another token', async () => {
    const clock = new FakeClock();
    const limiter = bucketRateLimiter<string>({ clock, qps: 1, burst: 1 });
    expect(limiter.when('a')).toBe(0);
    expect(limiter.when('b')).toBe(1000);
    await clock.advance(1000);
    expect(limiter.when('c')).toBe(1000);
    await clock.advance(500);
    expect(limiter.when('d')).toBe(1500);
  });

  it('forget does nothing; qps Infinity never waits; bad options are refused', () => {
    const clock = new FakeClock();
    const limiter = bucketRateLimiter<string>({ clock, qps: 2, burst: 1 });
    limiter.when('a');
    limiter.forget('a');
    expect(limiter.when('a')).toBe(500);

    const unlimited = bucketRateLimiter<string>({ clock, qps: Number.POSITIVE_INFINITY, burst: 1 });
    expect(whenTimes(unlimited, 'a', 1000).every((d) => d === 0)).toBe(true);

    expect(() => bucketRateLimiter({ clock, qps: 0 })).toThrow(RangeError);
    expect(() => bucketRateLimiter({ clock, burst: 0 })).toThrow(RangeError);
    expect(() => bucketRateLimiter({ clock, burst: 1.5 })).toThrow(RangeError);
  });
});

describe('maxOfRateLimiter', () => {
  it('returns the larger delay, asking every limiter', () => {
    const clock = new FakeClock();
    const exponential = itemExponentialFailureRateLimiter<string>({ baseDelayMs: 100 });
    const bucket = bucketRateLimiter<string>({ clock, qps: 1, burst: 1 });
    const limiter = maxOfRateLimiter(exponential, bucket);
    expect(limiter.when('a')).toBe(100); // bucket: 0
    expect(limiter.when('b')).toBe(1000); // bucket: 1000, exponential: 100
    expect(limiter.when('a')).toBe(2000); // bucket: 2000, exponential: 200
    expect(exponential.numRequeues('a')).toBe(2);
    expect(limiter.numRequeues('a')).toBe(2);
  });

  it('forgets in every limiter; with no limiters it never waits', () => {
    const first = itemExponentialFailureRateLimiter<string>({ baseDelayMs: 1 });
    const second = itemExponentialFailureRateLimiter<string>({ baseDelayMs: 3 });
    const limiter = maxOfRateLimiter(first, second);
    expect(whenTimes(limiter, 'a', 3)).toEqual([3, 6, 12]);
    limiter.forget('a');
    expect(first.numRequeues('a')).toBe(0);
    expect(second.numRequeues('a')).toBe(0);

    const none = maxOfRateLimiter<string>();
    expect(none.when('a')).toBe(0);
    expect(none.numRequeues('a')).toBe(0);
  });
});

describe('defaultControllerRateLimiter', () => {
  it('is the max of per-item back-off (5 ms .. 1000 s) and the 10 qps, burst 100 bucket', async () => {
    const clock = new FakeClock();
    const limiter = defaultControllerRateLimiter<string>({ clock });
    // Per-item back-off while the bucket has tokens.
    expect(whenTimes(limiter, 'a', 3)).toEqual([5, 10, 20]);
    expect(limiter.numRequeues('a')).toBe(3);
    // 97 more tokens: each first failure waits 5 ms.
    for (let i = 0; i < 97; i++) expect(limiter.when(`k${i}`)).toBe(5);
    // The bucket is empty: it dominates the 5 ms back-off.
    expect(limiter.when('b')).toBe(100);
    expect(limiter.when('c')).toBe(200);

    // Much later, a long-failing item: the back-off dominates, capped at 1000 s.
    await clock.advance(3_600_000);
    limiter.forget('a');
    const delays = whenTimes(limiter, 'a', 20);
    expect(delays.slice(0, 4)).toEqual([5, 10, 20, 40]);
    expect(delays[19]).toBe(1_000_000);
    limiter.forget('a');
    expect(limiter.when('a')).toBe(5);
  });
});

import { describe, expect, it } from 'vitest';
import { slowStartBatch } from './slow-start.js';

describe('slowStartBatch', () => {
  it('runs batches of 1, 2, 4, … (the last one smaller) until done', async () => {
    const batches: number[] = [];
    let pending = 0;
    const result = await slowStartBatch(10, 1, async () => {
      // Calls of one batch start together, before any of them settles.
      if (pending === 0) batches.push(0);
      pending++;
      batches[batches.length - 1] = (batches[batches.length - 1] ?? 0) + 1;
      await Promise.resolve();
      pending--;
    });
    expect(result).toEqual({ successes: 10 });
    expect(batches).toEqual([1, 2, 4, 3]);
  });

  it('stops after the first batch with a failure', async () => {
    let calls = 0;
    const result = await slowStartBatch(100, 1, () => {
      calls++;
      return calls >= 4 ? Promise.reject(new Error('quota')) : Promise.resolve();
    });
    // Batches 1 and 2 succeed (3 calls); the batch of 4 has failures and is the last.
    expect(calls).toBe(7);
    expect(result.successes).toBe(3);
    expect(result.error).toEqual(new Error('quota'));
  });
});

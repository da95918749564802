/** Options of `sqliteStore`: out-of-range timing options fail at once, before the file is touched. */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sqliteStore, type SqliteStoreOptions } from './index.js';
import { tempDatabase } from '../test/temp-database.js';

/** Expect `sqliteStore` to throw a RangeError naming `option`, without creating the file. */
function expectRangeError(option: string, options: Omit<SqliteStoreOptions, 'path'>): void {
  const path = tempDatabase();
  let thrown: unknown;
  try {
    sqliteStore({ path, ...options });
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `${option}: ${JSON.stringify(options)}`).toBeInstanceOf(RangeError);
  expect((thrown as RangeError).message).toContain(option);
  expect(existsSync(path)).toBe(false);
}

const notPositive = [0, -1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 31];

describe('sqliteStore options', () => {
  it('refuses a pollIntervalMs that is not a positive finite number', () => {
    for (const pollIntervalMs of notPositive) expectRangeError('pollIntervalMs', { pollIntervalMs });
    expectRangeError('pollIntervalMs', { pollIntervalMs: '100' as unknown as number });
  });

  it('refuses a compaction.intervalMs that is not a positive finite number', () => {
    for (const intervalMs of notPositive) expectRangeError('compaction.intervalMs', { compaction: { intervalMs } });
  });

  it('refuses a compaction.minRetainedRevisions that is not a non-negative integer', () => {
    for (const minRetainedRevisions of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expectRangeError('compaction.minRetainedRevisions', { compaction: { minRetainedRevisions } });
    }
  });

  it('refuses a busyTimeoutMs that is not a non-negative integer', () => {
    for (const busyTimeoutMs of [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) expectRangeError('busyTimeoutMs', { busyTimeoutMs });
  });

  it('accepts the edges of the ranges', async () => {
    const store = sqliteStore({
      path: tempDatabase(),
      pollIntervalMs: 0.5,
      busyTimeoutMs: 0,
      compaction: { intervalMs: 2 ** 31 - 1, minRetainedRevisions: 0 },
    });
    await store.create('/a', 1);
    expect(await store.revision()).toBe(1);
    await store.close();
    // With automatic compaction off, the other options are still checked.
    expectRangeError('pollIntervalMs', { compaction: false, pollIntervalMs: 0 });
  });
});

/** Compaction: what it removes from the file, automatic compaction, and live watches across it. */
import type { Clock, StoreEvent, TimerHandle } from '@harbormaster/core';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { sqliteStore } from './index.js';
import { tempDatabase } from '../test/temp-database.js';

/** A clock whose timers run only when the test says so. */
class ManualClock implements Clock {
  #now = 0;
  readonly #timers = new Map<TimerHandle, { at: number; callback: () => void }>();
  now(): number {
    return this.#now;
  }
  setTimeout(callback: () => void, ms: number): TimerHandle {
    const handle: TimerHandle = {};
    this.#timers.set(handle, { at: this.#now + ms, callback });
    return handle;
  }
  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle);
  }
  advance(ms: number): void {
    this.#now += ms;
    for (const [handle, timer] of [...this.#timers]) {
      if (timer.at <= this.#now) {
        this.#timers.delete(handle);
        timer.callback();
      }
    }
  }
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function rowCount(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM log').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('sqliteStore compaction', () => {
  it('removes superseded versions and deletes, keeping the current row of each key', async () => {
    const path = tempDatabase();
    const store = sqliteStore({ path, compaction: false });
    try {
      for (let i = 0; i < 10; i++) await store.create(`/k/${i}`, 0);
      for (let round = 1; round <= 4; round++) {
        for (let i = 0; i < 10; i++) await store.update(`/k/${i}`, round, (await store.get(`/k/${i}`))?.modRevision ?? 0);
      }
      for (let i = 0; i < 3; i++) await store.delete(`/k/${i}`);
      expect(rowCount(path)).toBe(53);
      await store.compact(30);
      // Rows up to 30 superseded by rows up to 30 are gone: the first three versions of each key.
      expect(rowCount(path)).toBe(53 - 20);
      await store.compact(await store.revision());
      expect(rowCount(path)).toBe(7);
      expect((await store.list('/k/')).items.map((e) => e.value)).toEqual([4, 4, 4, 4, 4, 4, 4]);
    } finally {
      await store.close();
    }
  });

  it('compacts itself on the clock, keeping the minimum history', async () => {
    const clock = new ManualClock();
    const store = sqliteStore({ path: tempDatabase(), clock, compaction: { intervalMs: 1000, minRetainedRevisions: 5 } });
    try {
      for (let i = 0; i < 20; i++) await store.create(`/k/${i}`, i);
      clock.advance(999);
      await flush();
      expect(await store.compactedRevision()).toBe(0);
      clock.advance(1);
      await flush();
      expect(await store.compactedRevision()).toBe(15);
      // Nothing new: the next interval compacts nothing more.
      clock.advance(1000);
      await flush();
      expect(await store.compactedRevision()).toBe(15);
      for (let i = 0; i < 3; i++) await store.update(`/k/${i}`, -1, i + 1);
      clock.advance(1000);
      await flush();
      expect(await store.compactedRevision()).toBe(18);
    } finally {
      await store.close();
    }
  });

  it('keeps live watches exact across compactions interleaved with writes', async () => {
    const store = sqliteStore({ path: tempDatabase(), compaction: false });
    try {
      const events: StoreEvent[] = [];
      let failure: unknown;
      store.watch('', 0).subscribe({ next: (e) => events.push(e), error: (e: unknown) => (failure = e) });
      for (let round = 0; round < 10; round++) {
        // Twenty writes and a compaction to the revision before them, queued together.
        const writes: Promise<unknown>[] = [];
        for (let i = 0; i < 20; i++) {
          const key = `/k/${i % 7}`;
          const entry = await store.get(key);
          writes.push((entry === undefined ? store.create(key, i) : store.update(key, i, entry.modRevision)).catch(() => undefined));
          if (i === 10) writes.push(store.compact(await store.revision()));
        }
        await Promise.all(writes);
      }
      const head = await store.revision();
      expect(failure).toBeUndefined();
      expect(events.map((e) => e.revision)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
      expect(await store.compactedRevision()).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it('polls on the clock while a watch is open', async () => {
    const clock = new ManualClock();
    const path = tempDatabase();
    const store = sqliteStore({ path, clock, pollIntervalMs: 100, compaction: false });
    const other = sqliteStore({ path, compaction: false });
    try {
      const events: StoreEvent[] = [];
      const subscription = store.watch('', 0).subscribe((e) => events.push(e));
      await other.create('/from/other', 1);
      clock.advance(99);
      expect(events).toEqual([]);
      clock.advance(1);
      expect(events.map((e) => e.entry.key)).toEqual(['/from/other']);
      subscription.unsubscribe();
    } finally {
      await other.close();
      await store.close();
    }
  });
});

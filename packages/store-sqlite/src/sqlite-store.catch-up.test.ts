/**
 * Catching up on the writes of other connections to the file: a write (or compaction) of this
 * store delivers them to its watchers before its own, in revision order. It reads them outside the
 * write lock where it can, and at most a page of them while it holds the lock, however many there
 * are.
 *
 * The other connection here is another store object or a plain better-sqlite3 connection in this
 * process (a worker thread, when it must commit while this thread waits for the lock): to SQLite
 * that is the same as another process.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { CompactedError, type StoreEvent } from '@harbormaster/core';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { sqliteStore, sqliteStoreWithInternals } from './sqlite-store.js';
import { tempDatabase } from '../test/temp-database.js';

/** Rows a store reads per query (PAGE_SIZE in sqlite-store.ts). */
const PAGE = 512;

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Watch everything from `after`, collecting events and the error, if any. */
function collect(store: ReturnType<typeof sqliteStore>, after = 0): { events: StoreEvent[]; failure: () => unknown } {
  const events: StoreEvent[] = [];
  let failure: unknown;
  store.watch('', after).subscribe({ next: (e) => events.push(e), error: (e: unknown) => (failure = e) });
  return { events, failure: () => failure };
}

/** Create `count` keys under `prefix` through `store`, in batches of 500 (group commits). */
async function createMany(store: ReturnType<typeof sqliteStore>, prefix: string, count: number): Promise<void> {
  for (let from = 0; from < count; from += 500) {
    await Promise.all(range(from, Math.min(count, from + 500) - 1).map((i) => store.create(`${prefix}${i}`, { i })));
  }
}

/**
 * A store on `path` that does not poll (only its own writes catch up on other connections), and
 * the number of rows each catch-up read while holding the write lock.
 */
function storeCountingLockedReads(path: string, busyTimeoutMs?: number): { store: ReturnType<typeof sqliteStore>; underLock: number[] } {
  const underLock: number[] = [];
  const store = sqliteStoreWithInternals(
    { path, compaction: false, pollIntervalMs: 60_000, ...(busyTimeoutMs !== undefined ? { busyTimeoutMs } : {}) },
    { onCatchUpUnderLock: (rows) => underLock.push(rows) },
  );
  return { store, underLock };
}

/**
 * A worker thread that takes the write lock on `path`, appends `count` creates as the store would
 * (keys `${prefix}1` …), says `locked`, holds the lock for `holdMs`, commits and says `committed`.
 * While it holds the lock, a write of the store on this thread blocks in SQLite's busy handler,
 * then finds all `count` rows committed when it gets the lock.
 */
function lockAndAppend(path: string, prefix: string, count: number, holdMs: number): { locked: Promise<void>; committed: Promise<void> } {
  const require = createRequire(import.meta.url);
  const worker = new Worker(
    `
    const { workerData, parentPort } = require('node:worker_threads');
    const Database = require(workerData.driver);
    const db = new Database(workerData.path, { timeout: 10000 });
    db.exec('BEGIN IMMEDIATE');
    const head = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'log'").get()?.seq ?? 0;
    const insert = db.prepare('INSERT INTO log (id, key, op, create_revision, prev_revision, value) VALUES (?, ?, 0, ?, 0, ?)');
    for (let i = 1; i <= workerData.count; i++) insert.run(head + i, workerData.prefix + i, head + i, JSON.stringify({ i }));
    parentPort.postMessage('locked');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.holdMs);
    db.exec('COMMIT');
    db.close();
    parentPort.postMessage('committed');
    `,
    { eval: true, workerData: { driver: require.resolve('better-sqlite3'), path, prefix, count, holdMs } },
  );
  const message = (expected: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const onMessage = (m: unknown): void => {
        if (m === expected) {
          worker.off('message', onMessage);
          resolve();
        }
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
  return { locked: message('locked'), committed: message('committed') };
}

describe('sqliteStore catching up on other connections', () => {
  it('delivers what another connection wrote before it waits for the write lock', async () => {
    const path = tempDatabase();
    // No polling during the test: only the write can find the other connection's rows.
    const store = sqliteStore({ path, compaction: false, pollIntervalMs: 60_000, busyTimeoutMs: 100 });
    const other = sqliteStore({ path, compaction: false });
    const locker = new Database(path);
    try {
      const { events, failure } = collect(store);
      await createMany(other, '/other/', 3 * PAGE);
      locker.exec('BEGIN IMMEDIATE');
      // The write cannot get the lock, but the rows committed before it tried are delivered.
      await expect(store.create('/mine', 1)).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
      expect(events.map((e) => e.revision)).toEqual(range(1, 3 * PAGE));
      locker.exec('ROLLBACK');
      expect(await store.create('/mine', 1)).toMatchObject({ modRevision: 3 * PAGE + 1 });
      expect(events.map((e) => e.revision)).toEqual(range(1, 3 * PAGE + 1));
      expect(failure()).toBeUndefined();
    } finally {
      locker.close();
      await other.close();
      await store.close();
    }
  });

  it('delivers every event in order when another connection wrote more than a page between polls', async () => {
    const path = tempDatabase();
    const { store, underLock } = storeCountingLockedReads(path);
    const other = sqliteStore({ path, compaction: false });
    try {
      await store.create('/mine/0', 0);
      const { events, failure } = collect(store);
      const prefixed: StoreEvent[] = [];
      store.watch('/other/', 0).subscribe((e) => prefixed.push(e));
      const gap = 4 * PAGE + 17;
      await createMany(other, '/other/', gap);
      // A write of this store, then one of the other, then one of this store again.
      await store.create('/mine/1', 1);
      const updated = await other.update('/other/0', { i: -1 }, 2);
      await store.create('/mine/2', 2);
      const head = gap + 4;
      expect(await store.revision()).toBe(head);
      expect(failure()).toBeUndefined();
      expect(events.map((e) => e.revision)).toEqual(range(1, head));
      expect(prefixed.map((e) => e.revision)).toEqual([...range(2, gap + 1), updated.modRevision]);
      const update = events.find((e) => e.revision === updated.modRevision);
      expect(update).toMatchObject({ type: 'updated', entry: { key: '/other/0', value: { i: -1 } }, prev: { modRevision: 2 } });
      expect(Math.max(0, ...underLock)).toBeLessThanOrEqual(PAGE);
    } finally {
      await other.close();
      await store.close();
    }
  });

  it('reads at most a page under the write lock when more arrive while it waits for the lock', async () => {
    const path = tempDatabase();
    const { store, underLock } = storeCountingLockedReads(path, 10_000);
    try {
      await store.create('/mine/0', 0);
      const { events, failure } = collect(store);
      const count = 3 * PAGE + 5;
      const worker = lockAndAppend(path, '/other/', count, 300);
      await worker.locked;
      // This write waits for the worker's lock; when it gets it, `count` rows it has not seen are there.
      const mine = await store.create('/mine/1', 1);
      await worker.committed;
      expect(mine.modRevision).toBe(count + 2);
      expect(underLock).toEqual([PAGE]);
      expect(failure()).toBeUndefined();
      expect(events.map((e) => e.revision)).toEqual(range(1, count + 2));
      expect(events.at(-1)?.entry.key).toBe('/mine/1');
      expect(await store.revision()).toBe(count + 2);
    } finally {
      await store.close();
    }
  });

  it('starts a compaction over rather than compact rows its watchers have not had', async () => {
    const path = tempDatabase();
    const { store, underLock } = storeCountingLockedReads(path, 10_000);
    try {
      await store.create('/mine/0', 0);
      const { events, failure } = collect(store);
      const count = 3 * PAGE;
      const worker = lockAndAppend(path, '/other/', count, 300);
      await worker.locked;
      // Compact to a revision among the worker's rows, past the first page of them.
      await store.compact(count);
      await worker.committed;
      expect(underLock[0]).toBe(PAGE);
      expect(Math.max(...underLock)).toBeLessThanOrEqual(PAGE);
      expect(failure()).toBeUndefined();
      expect(events.map((e) => e.revision)).toEqual(range(1, count + 1));
      expect(await store.compactedRevision()).toBe(count);
      // The compaction did happen: watching from below it fails.
      expect(collect(store, 1).failure()).toBeInstanceOf(CompactedError);
    } finally {
      await store.close();
    }
  });
});

/**
 * Group commit: writes that arrive together commit in one transaction, each compare-and-swap
 * checked on its own, and each acknowledged only after the commit.
 */
import { statSync } from 'node:fs';
import { KeyExistsError, KeyNotFoundError, RevisionConflictError, type Entry } from '@harbormaster/core';
import Database from 'better-sqlite3';
import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { sqliteStore } from './index.js';
import { tempDatabase } from '../test/temp-database.js';

describe('sqliteStore group commit', () => {
  it('commits writes that arrive together in one transaction', async () => {
    const path = tempDatabase();
    const store = sqliteStore({ path, compaction: false });
    try {
      await store.create('/warm', 0);
      // Each commit appends the pages it changed to the WAL, so the WAL's growth counts commits.
      const wal = (): number => statSync(`${path}-wal`).size;
      const start = wal();
      await Promise.all(Array.from({ length: 100 }, (_, i) => store.create(`/together/${i}`, { i })));
      const together = wal() - start;
      for (let i = 0; i < 100; i++) await store.create(`/apart/${i}`, { i });
      const apart = wal() - start - together;
      const page = 4096 + 24;
      expect(together).toBeLessThan(10 * page);
      expect(apart).toBeGreaterThan(100 * page);
    } finally {
      await store.close();
    }
  });

  it('checks each write of a batch on its own: a failed check fails only that write', async () => {
    const store = sqliteStore({ path: tempDatabase(), compaction: false });
    try {
      const a = await store.create('/a', 1);
      await store.create('/b', 1);
      const settle = <T>(p: Promise<T>) => p.then((value) => ({ value }), (error: unknown) => ({ error }));
      const results = await Promise.all([
        settle(store.update('/a', 2, a.modRevision)), // 3
        settle(store.update('/a', 3, a.modRevision)), // conflict: the write before it moved /a to 3
        settle(store.create('/b', 2)), // exists
        settle(store.create('/c', 1)), // 4
        settle(store.delete('/nope')), // not found
        settle(store.update('/c', 2, 4)), // sees the create before it in the same batch: 5
        settle(store.delete('/b', 2)), // 6
      ]);
      expect(results[0]).toEqual({ value: { key: '/a', value: 2, createRevision: 1, modRevision: 3 } });
      expect((results[1] as { error: unknown }).error).toBeInstanceOf(RevisionConflictError);
      expect((results[1] as { error: unknown }).error).toMatchObject({ expectedModRevision: 1, actualModRevision: 3 });
      expect((results[2] as { error: unknown }).error).toBeInstanceOf(KeyExistsError);
      expect(results[3]).toEqual({ value: { key: '/c', value: 1, createRevision: 4, modRevision: 4 } });
      expect((results[4] as { error: unknown }).error).toBeInstanceOf(KeyNotFoundError);
      expect(results[5]).toEqual({ value: { key: '/c', value: 2, createRevision: 4, modRevision: 5 } });
      expect(results[6]).toEqual({ value: { key: '/b', value: 1, createRevision: 2, modRevision: 2, deleteRevision: 6 } });
      expect(await store.revision()).toBe(6);
    } finally {
      await store.close();
    }
  });

  it('answers each delete of a batch with its own revision, counting other store objects\' writes before it', async () => {
    const path = tempDatabase();
    const store = sqliteStore({ path, compaction: false });
    const other = sqliteStore({ path, compaction: false });
    try {
      const events = firstValueFrom(store.watch('', 0).pipe(take(7), toArray()));
      await store.create('/a', 'a'); // 1
      await store.create('/b', 'b'); // 2
      await other.create('/o/1', 1); // 3, found by this store's catch-up
      await other.create('/o/2', 2); // 4
      const [a, c, b] = await Promise.all([store.delete('/a'), store.create('/c', 'c'), store.delete('/b', 2)]);
      expect(a).toEqual({ key: '/a', value: 'a', createRevision: 1, modRevision: 1, deleteRevision: 5 });
      expect(c).toEqual({ key: '/c', value: 'c', createRevision: 6, modRevision: 6 });
      expect(b).toEqual({ key: '/b', value: 'b', createRevision: 2, modRevision: 2, deleteRevision: 7 });
      const deletes = (await events).filter((e) => e.type === 'deleted');
      expect(deletes.map((e) => [e.entry.key, e.revision])).toEqual([
        ['/a', a.deleteRevision],
        ['/b', b.deleteRevision],
      ]);
      expect(await store.revision()).toBe(7);
    } finally {
      await other.close();
      await store.close();
    }
  });

  it('acknowledges a write only once another connection can read it', async () => {
    const path = tempDatabase();
    const store = sqliteStore({ path, compaction: false });
    const reader = new Database(path, { readonly: true });
    try {
      const byId = reader.prepare('SELECT key FROM log WHERE id = ?');
      const seen = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.create(`/k/${i}`, i).then((entry: Entry) => byId.get(entry.modRevision) as { key: string } | undefined),
        ),
      );
      expect(seen.map((row) => row?.key)).toEqual(Array.from({ length: 50 }, (_, i) => `/k/${i}`));
    } finally {
      reader.close();
      await store.close();
    }
  });

  it('fails every write of a batch that cannot commit, and writes none of them', async () => {
    const path = tempDatabase();
    const store = sqliteStore({ path, compaction: false, busyTimeoutMs: 50 });
    const other = new Database(path);
    try {
      await store.create('/before', 0);
      other.exec('BEGIN IMMEDIATE'); // another connection holds the write lock
      const results = await Promise.allSettled([store.create('/x', 1), store.create('/y', 2)]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      expect((results[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_BUSY' });
      other.exec('ROLLBACK');
      expect(await store.get('/x')).toBeUndefined();
      expect(await store.revision()).toBe(1);
      // The store goes on once the lock is free, without a gap.
      expect(await store.create('/x', 1)).toMatchObject({ modRevision: 2 });
    } finally {
      other.close();
      await store.close();
    }
  });

  it('commits the writes accepted before close()', async () => {
    const path = tempDatabase();
    const store = sqliteStore({ path, compaction: false });
    const writes = [store.create('/a', 1), store.create('/b', 2)];
    const closed = store.close();
    await expect(store.create('/c', 3)).rejects.toMatchObject({ code: 'StoreClosed' });
    await Promise.all([...writes, closed]);
    const reopened = sqliteStore({ path, compaction: false });
    expect((await reopened.list('')).items.map((e) => e.key)).toEqual(['/a', '/b']);
    await reopened.close();
  });
});

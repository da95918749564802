/**
 * Several processes on one file: compare-and-swap holds between them, a watcher sees every write of
 * every process in revision order without gaps, a fresh file opened by several processes at once is
 * created once, and another process's compaction is handled.
 */
import type { Entry, StoreEvent } from '@harbormaster/core';
import { CompactedError } from '@harbormaster/core';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { sqliteStore } from './index.js';
import { runChild } from '../test/child-process.js';
import { counter } from '../test/fixtures/counter.js';
import { startTogether } from '../test/fixtures/start-together.js';
import { tempDatabase } from '../test/temp-database.js';

const options = { compaction: false, busyTimeoutMs: 10_000 } as const;

function revisionsOf(events: readonly StoreEvent[]): number[] {
  return events.map((event) => event.revision);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe('sqliteStore across processes', () => {
  it('holds compare-and-swap between three processes incrementing one counter', { timeout: 60_000 }, async () => {
    const path = tempDatabase();
    const store = sqliteStore({ path, ...options });
    try {
      const increments = 150;
      const startAt = Date.now() + 1500;
      // This process takes part too, through the same read, think, compare-and-swap loop.
      const local = startTogether(startAt).then(() => counter(store, '/counter', increments, 1));
      const children = [1, 2].map(() => runChild({ mode: 'counter', path, key: '/counter', increments, thinkMs: 1, startAt }));
      const [localConflicts, ...results] = await Promise.all([local, ...children]);
      const childConflicts = results.map((r) => Number(r.lines.at(-1)?.split(' ')[1]));

      const final = await store.get('/counter');
      expect(final?.value).toEqual({ n: 3 * increments });
      // One revision per successful increment, none for a failed one.
      expect(final?.modRevision).toBe(3 * increments);
      expect(await store.revision()).toBe(3 * increments);
      // The processes really did race.
      expect(localConflicts + childConflicts.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it('delivers the writes of every process to a watcher, in order, without gaps', { timeout: 60_000 }, async () => {
    const path = tempDatabase();
    const store = sqliteStore({ path, ...options, pollIntervalMs: 10 });
    try {
      const events: StoreEvent[] = [];
      let failure: unknown;
      const subscription = store.watch('', 0).subscribe({ next: (e) => events.push(e), error: (e: unknown) => (failure = e) });
      const prefixed: StoreEvent[] = [];
      const subscription2 = store.watch('/p1/', 0).subscribe((e) => prefixed.push(e));
      // Two other processes and this one write at once, pausing between writes so that SQLite's
      // write lock (which is not fair) changes hands: this process then finds ids of other
      // processes both before and between its own.
      const startAt = Date.now() + 1500;
      const local = (async () => {
        await startTogether(startAt);
        for (let i = 0; i < 100; i++) {
          await store.create(`/p0/${i}`, { i });
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      })();
      await Promise.all([
        local,
        runChild({ mode: 'creates', path, prefix: '/p1/', count: 300, concurrency: 8, startAt, pauseMs: 2 }),
        runChild({ mode: 'creates', path, prefix: '/p2/', count: 300, concurrency: 8, startAt, pauseMs: 2 }),
      ]);
      const head = await store.revision();
      expect(head).toBe(700);
      // revision() promises that every change up to it has been handed to every watch.
      expect(failure).toBeUndefined();
      expect(revisionsOf(events)).toEqual(range(1, head));
      expect(events.every((e) => e.type === 'created')).toBe(true);
      expect(new Set(events.map((e) => e.entry.key)).size).toBe(700);
      expect(prefixed.map((e) => e.entry.key).sort()).toEqual(range(0, 299).map((i) => `/p1/${i}`).sort());
      // The processes' commits did interleave: in revision order, the writer changes many times.
      const writers = events.map((e) => e.entry.key.slice(0, 4));
      expect(writers.filter((w, i) => i > 0 && w !== writers[i - 1]).length).toBeGreaterThan(3);
      // What the watch delivered is what the file holds.
      const listed = await store.list('');
      expect(listed.items.map((e) => e.modRevision).sort((a, b) => a - b)).toEqual(range(1, head));
      subscription.unsubscribe();
      subscription2.unsubscribe();
    } finally {
      await store.close();
    }
  });

  it('finds another process\'s writes by polling, within the poll interval', { timeout: 30_000 }, async () => {
    const path = tempDatabase();
    const store = sqliteStore({ path, ...options, pollIntervalMs: 25 });
    try {
      const arrived = new Promise<StoreEvent>((resolve) => {
        store.watch('/remote/', 0).subscribe(resolve);
      });
      await runChild({ mode: 'creates', path, prefix: '/remote/', count: 1, concurrency: 1 });
      const exited = performance.now();
      // No revision() call here: only the poll timer can find it.
      const event = await arrived;
      expect(event.entry.key).toBe('/remote/0');
      expect(performance.now() - exited).toBeLessThan(1000);
    } finally {
      await store.close();
    }
  });

  it('creates a new file once when several processes open it at the same time', { timeout: 60_000 }, async () => {
    const path = tempDatabase();
    await Promise.all(
      [0, 1, 2, 3].map((n) => runChild({ mode: 'creates', path, prefix: `/open/${n}/`, count: 50, concurrency: 4 })),
    );
    const db = new Database(path, { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(1);
      expect(db.prepare('SELECT count(*) AS n, max(id) AS hi FROM log').get()).toEqual({ n: 200, hi: 200 });
    } finally {
      db.close();
    }
  });

  it('lets a watcher go on when another process compacts only what it has seen', { timeout: 30_000 }, async () => {
    const path = tempDatabase();
    const store = sqliteStore({ path, ...options, pollIntervalMs: 60_000 });
    try {
      for (let i = 0; i < 5; i++) await store.create(`/k/${i}`, i);
      const events: StoreEvent[] = [];
      let failure: unknown;
      store.watch('/k/', 0).subscribe({ next: (e) => events.push(e), error: (e: unknown) => (failure = e) });
      await runChild({ mode: 'creates', path, prefix: '/k/x', count: 5, concurrency: 1 });
      await runChild({ mode: 'compact', path, revision: 5 });
      expect(await store.revision()).toBe(10);
      expect(failure).toBeUndefined();
      expect(revisionsOf(events)).toEqual(range(1, 10));
      expect(await store.compactedRevision()).toBe(5);
    } finally {
      await store.close();
    }
  });

  it('fails a watcher with CompactedError when another process compacts past what it has seen', { timeout: 30_000 }, async () => {
    const path = tempDatabase();
    // No polling during the test: the other process compacts before this one looks.
    const store = sqliteStore({ path, ...options, pollIntervalMs: 60_000 });
    try {
      await store.create('/k/a', 1);
      const events: StoreEvent[] = [];
      let failure: unknown;
      store.watch('/k/', 0).subscribe({ next: (e) => events.push(e), error: (e: unknown) => (failure = e) });
      await runChild({ mode: 'creates', path, prefix: '/k/x', count: 5, concurrency: 1 });
      await runChild({ mode: 'compact', path });
      expect(await store.revision()).toBe(6);
      expect(revisionsOf(events)).toEqual([1]);
      expect(failure).toBeInstanceOf(CompactedError);
      expect(failure).toMatchObject({ requestedRevision: 1, compactedRevision: 6 });
      // A new watch from the compacted revision works.
      const after: StoreEvent[] = [];
      store.watch('/k/', 6).subscribe((e) => after.push(e));
      await store.create('/k/b', 2);
      expect(revisionsOf(after)).toEqual([7]);
    } finally {
      await store.close();
    }
  });

  it(
    'keeps a watch exact while other processes write and compact, or ends it with CompactedError',
    { timeout: 60_000 },
    async () => {
      const path = tempDatabase();
      const store = sqliteStore({ path, ...options, pollIntervalMs: 5 });
      // What the watcher believes the store holds, built from its events (and from a list after a
      // relist), checked against each event as it comes.
      const state = new Map<string, Entry>();
      let last = 0;
      const problems: string[] = [];
      let events = 0;
      let compactedErrors = 0;
      let relists = 0;
      let relisting: Promise<void> | undefined;

      const check = (e: StoreEvent): void => {
        events++;
        if (e.revision !== last + 1) problems.push(`revision ${e.revision} after ${last}`);
        if (e.entry.modRevision !== e.revision) problems.push(`event ${e.revision}: entry.modRevision ${e.entry.modRevision}`);
        const before = state.get(e.entry.key);
        if (e.type === 'created') {
          if (before !== undefined) problems.push(`event ${e.revision}: created ${e.entry.key}, which exists at ${before.modRevision}`);
          if (e.entry.createRevision !== e.revision) problems.push(`event ${e.revision}: createRevision ${e.entry.createRevision}`);
        } else if (before === undefined) {
          problems.push(`event ${e.revision}: ${e.type} ${e.entry.key}, which the watcher does not have`);
        } else {
          if (e.prev.modRevision !== before.modRevision) {
            problems.push(`event ${e.revision}: prev.modRevision ${e.prev.modRevision}, but ${e.entry.key} was last changed at ${before.modRevision}`);
          }
          if (JSON.stringify(e.prev.value) !== JSON.stringify(before.value)) problems.push(`event ${e.revision}: prev.value differs`);
          if (e.entry.createRevision !== before.createRevision) problems.push(`event ${e.revision}: createRevision changed`);
        }
        if (e.type === 'deleted') state.delete(e.entry.key);
        else state.set(e.entry.key, e.entry);
        last = e.revision;
      };

      // The contract: a watch delivers every revision after its start, or ends with CompactedError.
      // After one, resume from the last revision seen (which must again deliver every revision or
      // fail with CompactedError); if that fails before delivering anything, relist and watch from
      // the list's revision, as an informer does.
      const follow = (from: number, resumed: boolean): void => {
        let delivered = 0;
        store.watch('', from).subscribe({
          next: (e) => {
            delivered++;
            check(e);
          },
          error: (error: unknown) => {
            if (!(error instanceof CompactedError)) {
              problems.push(`the watch failed with ${String(error)}`);
              return;
            }
            compactedErrors++;
            if (error.requestedRevision > last) problems.push(`CompactedError at ${error.requestedRevision}, past ${last}`);
            if (!resumed || delivered > 0) {
              follow(last, true);
              return;
            }
            relists++;
            relisting = (async () => {
              const listed = await store.list('');
              state.clear();
              for (const entry of listed.items) state.set(entry.key, entry);
              last = listed.revision;
              follow(listed.revision, false);
            })().catch((e: unknown) => {
              problems.push(`relist failed: ${String(e)}`);
            });
          },
        });
      };
      follow(0, false);

      const startAt = Date.now() + 1000;
      const children = [1, 2, 3].map((seed) =>
        runChild({ mode: 'churn', path, keys: 12, writes: 250, compactEvery: 40, keep: 25, seed, startAt }),
      );
      const results = await Promise.all(children);
      const writes = results.map((r) => Number(r.lines.at(-1)?.split(' ')[1]));
      const compactions = results.map((r) => Number(r.lines.at(-1)?.split(' ')[3]));
      // Let the watcher reach the end: revision() hands it everything up to the head.
      for (;;) {
        await store.revision();
        const pending = relisting;
        if (pending === undefined) break;
        relisting = undefined;
        await pending;
      }

      const head = await store.revision();
      expect(problems).toEqual([]);
      expect(writes).toEqual([250, 250, 250]);
      expect(head).toBe(750);
      expect(last).toBe(head);
      expect(compactions.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      expect(await store.compactedRevision()).toBeGreaterThan(0);
      // A watch that never fell behind saw every revision; each relist skipped to a list.
      if (relists === 0) expect(events).toBe(head);
      // What the watcher built is what the file holds.
      const listed = await store.list('');
      expect(listed.revision).toBe(head);
      expect([...state.values()].sort((a, b) => (a.key < b.key ? -1 : 1))).toEqual(listed.items);
      if (process.env['HM_CHURN_STATS']) console.log({ events, compactedErrors, relists, compactions });
    },
  );
});

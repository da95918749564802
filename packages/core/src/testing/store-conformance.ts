/**
 * The store conformance suite: every {@link Store} backend runs it, so that they all keep the same
 * contract.
 *
 * {@link storeConformanceSuite} registers vitest `describe`/`it` blocks. Each test gets a fresh
 * store from the factory and closes it afterwards. The suite checks the writes and their errors,
 * revisions, list paging and snapshots, watches (order, gaps, duplicates, atomicity under
 * concurrent writers, replay, compaction, many watchers, unsubscribe, close), compaction, and
 * finally runs a fast-check property that applies random operation sequences to the store and to
 * the reference {@link StoreModel} and requires identical results and identical watch streams.
 *
 * The suite works for asynchronous backends: it never assumes a watch delivers before the write
 * resolves, but waits (up to `eventTimeout`) for the events it expects and then compares. Timing
 * never decides whether a correct store passes.
 *
 * Requirements on the factory: each call returns a new, empty store (revision 0), and the store's
 * automatic compaction, if any, keeps at least the 2,000 most recent revisions.
 *
 * @example
 * ```ts
 * // packages/store-memory/src/memory-store.test.ts
 * import { storeConformanceSuite } from '@harbormaster/core/testing';
 * import { memoryStore } from './memory-store.js';
 *
 * storeConformanceSuite('memoryStore', () => memoryStore());
 * ```
 *
 * @module
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CompactedError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionConflictError,
  StoreClosedError,
} from '../store/errors.js';
import type { DeletedEntry, Entry, JsonValue, ListResult, Store, StoreEvent } from '../store/store.js';
import { StoreModel, type ModelCursor, type ModelListResult } from './store-model.js';
import { WatchRecorder, waitUntil } from './watch-recorder.js';

/** Test timeout of the heavier tests, in ms: above any test runner's default, for slower backends. */
const HEAVY_TEST_TIMEOUT = 60_000;
/** How long the property may run, shrinking included, in ms. */
const PROPERTY_TIME_LIMIT = 90_000;

/** Options of {@link storeConformanceSuite}. */
export interface StoreConformanceOptions {
  /**
   * How many random operation sequences the model-based property test runs.
   * @default 200
   */
  readonly propertyRuns?: number;
  /**
   * How long to wait, in milliseconds, for events a watch must deliver before comparing what
   * arrived. Only a store that fails to deliver ever waits this long.
   * @default 5000
   */
  readonly eventTimeout?: number;
}

/**
 * Register the store conformance tests for one backend.
 *
 * @param name Shown in the test names, e.g. `'memoryStore'`.
 * @param factory Returns a new, empty store; called once per test (and once per property run).
 *   The suite closes every store it gets.
 * @param options See {@link StoreConformanceOptions}.
 *
 * @example
 * ```ts
 * storeConformanceSuite('sqliteStore', () => sqliteStore({ path: ':memory:' }), { propertyRuns: 50 });
 * ```
 */
export function storeConformanceSuite(
  name: string,
  factory: () => Store | Promise<Store>,
  options: StoreConformanceOptions = {},
): void {
  const propertyRuns = options.propertyRuns ?? 200;
  const eventTimeout = options.eventTimeout ?? 5000;

  describe(`store conformance: ${name}`, () => {
    let store: Store;
    let recorders: WatchRecorder[] = [];

    /** Open a recorded watch on the test's store; it is unsubscribed after the test. */
    const watch = (prefix: string, afterRevision: number): WatchRecorder => {
      const recorder = new WatchRecorder(store.watch(prefix, afterRevision), eventTimeout);
      recorders.push(recorder);
      return recorder;
    };

    beforeEach(async () => {
      store = await factory();
      recorders = [];
    });

    afterEach(async () => {
      for (const recorder of recorders) recorder.unsubscribe();
      await closeQuietly(store);
    });

    describe('writes', () => {
      it('starts empty at revision 0', async () => {
        expect(await store.revision()).toBe(0);
        expect(await store.compactedRevision()).toBe(0);
        expect(await store.get('/a/x')).toBeUndefined();
        expect(normalizePage(await store.list(''))).toEqual({ items: [], revision: 0, more: false });
      });

      it('create resolves with the new entry, and get returns it', async () => {
        const entry = await store.create('/a/x', { n: 1 });
        expect(entry).toEqual({ key: '/a/x', value: { n: 1 }, createRevision: 1, modRevision: 1 });
        expect(await store.get('/a/x')).toEqual(entry);
        expect(await store.revision()).toBe(1);
      });

      it('create of an existing key fails with KeyExistsError and writes nothing', async () => {
        const entry = await store.create('/a/x', { n: 1 });
        const error = await rejection(() => store.create('/a/x', { n: 2 }));
        expect(error).toBeInstanceOf(KeyExistsError);
        expect(error).toMatchObject({ code: 'KeyExists', key: '/a/x' });
        expect(await store.get('/a/x')).toEqual(entry);
        expect(await store.revision()).toBe(1);
      });

      it('update is a compare-and-swap on modRevision', async () => {
        await store.create('/a/x', { n: 1 });
        const updated = await store.update('/a/x', { n: 2 }, 1);
        expect(updated).toEqual({ key: '/a/x', value: { n: 2 }, createRevision: 1, modRevision: 2 });
        expect(await store.get('/a/x')).toEqual(updated);

        const error = await rejection(() => store.update('/a/x', { n: 3 }, 1));
        expect(error).toBeInstanceOf(RevisionConflictError);
        expect(error).toMatchObject({ code: 'RevisionConflict', key: '/a/x', expectedModRevision: 1, actualModRevision: 2 });
        expect(await store.get('/a/x')).toEqual(updated);
        expect(await store.revision()).toBe(2);

        const again = await store.update('/a/x', { n: 3 }, 2);
        expect(again).toEqual({ key: '/a/x', value: { n: 3 }, createRevision: 1, modRevision: 3 });
      });

      it('update of a missing or deleted key fails with KeyNotFoundError', async () => {
        const missing = await rejection(() => store.update('/a/x', 1, 0));
        expect(missing).toBeInstanceOf(KeyNotFoundError);
        expect(missing).toMatchObject({ code: 'KeyNotFound', key: '/a/x' });
        await store.create('/a/x', 1);
        await store.delete('/a/x');
        expect(await rejection(() => store.update('/a/x', 2, 1))).toBeInstanceOf(KeyNotFoundError);
        expect(await store.revision()).toBe(2);
      });

      it('delete resolves with the last entry and the revision of the delete, with or without expectedModRevision', async () => {
        await store.create('/a/x', { n: 1 });
        const last = await store.update('/a/x', { n: 2 }, 1);
        expect(await store.delete('/a/x', 2)).toEqual({ ...last, deleteRevision: 3 });
        expect(await store.get('/a/x')).toBeUndefined();
        expect(await store.revision()).toBe(3);

        const y = await store.create('/a/y', { n: 3 });
        expect(await store.delete('/a/y')).toEqual({ ...y, deleteRevision: 5 });
        expect(await store.get('/a/y')).toBeUndefined();
        expect(await store.revision()).toBe(5);
      });

      it("delete's deleteRevision is the store's revision after it and the revision of its deleted event", async () => {
        const recorder = watch('/r/', 0);
        const a = await store.create('/r/a', 'a');
        await store.create('/r/b', 'b');
        const deleted = await store.delete('/r/a', a.modRevision);
        expect(deleted.deleteRevision).toBe(await store.revision());
        const events = await recorder.waitForCount(3);
        expect(events[2]).toEqual({
          type: 'deleted',
          revision: deleted.deleteRevision,
          entry: { key: '/r/a', value: 'a', createRevision: 1, modRevision: deleted.deleteRevision },
          prev: { key: '/r/a', value: 'a', createRevision: 1, modRevision: 1 },
        });
      });

      it('writes issued together each resolve with their own revision; each delete with the revision of its event', async () => {
        // Backends that commit writes in groups must still answer each delete with its own revision.
        const recorder = watch('/g/', 0);
        for (const key of ['/g/a', '/g/b', '/g/c', '/g/d']) await store.create(key, key);
        const [a, e, b, c, conflict, d] = await Promise.all([
          store.delete('/g/a'),
          store.create('/g/e', 'e'),
          store.delete('/g/b', 2),
          store.update('/g/c', 'c2', 3),
          store.delete('/g/c', 99).catch((error: unknown) => error),
          store.delete('/g/d'),
        ]);
        const final = await store.revision();
        expect(final).toBe(9);
        expect(conflict).toBeInstanceOf(RevisionConflictError);
        const written = [a.deleteRevision, e.modRevision, b.deleteRevision, c.modRevision, d.deleteRevision];
        expect(written.sort((x, y) => x - y)).toEqual([5, 6, 7, 8, 9]);
        const events = await recorder.waitForCount(final);
        for (const { deleteRevision, ...last } of [a, b, d]) {
          expect(events[deleteRevision - 1]).toEqual({
            type: 'deleted',
            revision: deleteRevision,
            entry: { ...last, modRevision: deleteRevision },
            prev: last,
          });
        }
      });

      it('delete with a stale expectedModRevision fails with RevisionConflictError and keeps the key', async () => {
        await store.create('/a/x', 1);
        const current = await store.update('/a/x', 2, 1);
        const error = await rejection(() => store.delete('/a/x', 1));
        expect(error).toBeInstanceOf(RevisionConflictError);
        expect(error).toMatchObject({ key: '/a/x', expectedModRevision: 1, actualModRevision: 2 });
        expect(await store.get('/a/x')).toEqual(current);
        expect(await store.revision()).toBe(2);
      });

      it('delete of a missing key fails with KeyNotFoundError', async () => {
        const error = await rejection(() => store.delete('/a/x'));
        expect(error).toBeInstanceOf(KeyNotFoundError);
        expect(error).toMatchObject({ key: '/a/x' });
        expect(await rejection(() => store.delete('/a/x', 3))).toBeInstanceOf(KeyNotFoundError);
        await store.create('/a/x', 1);
        await store.delete('/a/x', 1);
        expect(await rejection(() => store.delete('/a/x'))).toBeInstanceOf(KeyNotFoundError);
        expect(await store.revision()).toBe(2);
      });

      it('a key created again after its delete gets a new createRevision', async () => {
        await store.create('/a/x', 1);
        await store.delete('/a/x');
        const again = await store.create('/a/x', 2);
        expect(again).toEqual({ key: '/a/x', value: 2, createRevision: 3, modRevision: 3 });
        expect(await store.update('/a/x', 3, 3)).toEqual({ key: '/a/x', value: 3, createRevision: 3, modRevision: 4 });
      });

      it('revisions rise by exactly one per write across all keys; failed writes take none', async () => {
        const revisions: number[] = [];
        const note = (entry: Entry): void => {
          revisions.push(entry.modRevision);
        };
        note(await store.create('/a/1', 1));
        note(await store.create('/b/2', 2));
        note(await store.update('/a/1', 3, 1));
        await rejection(() => store.create('/a/1', 4));
        await rejection(() => store.update('/b/2', 5, 99));
        await rejection(() => store.delete('/c/3'));
        note(await store.create('/c/3', 6));
        expect(await store.revision()).toBe(4);
        await store.delete('/b/2', 2);
        expect(await store.revision()).toBe(5);
        note(await store.update('/c/3', 7, 4));
        expect(revisions).toEqual([1, 2, 3, 4, 6]);
        expect(await store.revision()).toBe(6);
      });

      it('stores JSON values of every shape', async () => {
        const values: JsonValue[] = [
          null,
          true,
          false,
          0,
          -17,
          3.25,
          1e21,
          Number.MAX_SAFE_INTEGER,
          '',
          'ünïcødé ☸ 𝔨8𝔰',
          [],
          {},
          [1, 'two', null, [3, [4]], { five: 5 }],
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'web', labels: { app: 'web' }, annotations: {} },
            spec: { replicas: 3, template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] } } },
          },
        ];
        for (const [i, value] of values.entries()) {
          const key = `/v/${String(i).padStart(2, '0')}`;
          expect((await store.create(key, value)).value).toEqual(value);
          expect((await store.get(key))?.value).toEqual(value);
        }
        expect((await store.list('/v/')).items.map((entry) => entry.value)).toEqual(values);
      });

      it('keeps its own copy: changing the written or returned object does not change the store', async () => {
        const value = { spec: { replicas: 1, ports: [80] } };
        await store.create('/a/x', value);
        value.spec.replicas = 5;
        value.spec.ports.push(443);
        const stored = await store.get('/a/x');
        expect(stored?.value).toEqual({ spec: { replicas: 1, ports: [80] } });
        try {
          // A store may hand out frozen objects (then this throws) or fresh copies.
          (stored?.value as { spec: { replicas: number } }).spec.replicas = 9;
        } catch {
          // frozen: fine
        }
        expect((await store.get('/a/x'))?.value).toEqual({ spec: { replicas: 1, ports: [80] } });
        expect((await store.list('/a/')).items[0]?.value).toEqual({ spec: { replicas: 1, ports: [80] } });
      });
    });

    describe('list', () => {
      it('returns only keys under the prefix, in ascending key order', async () => {
        for (const key of ['/a/z', '/ab/x', '/a/b/c', '/b/x', '/a', '/a/', '/a/a', '/a/b']) await store.create(key, key);
        const page = await store.list('/a/');
        expect(page.items.map((entry) => entry.key)).toEqual(['/a/', '/a/a', '/a/b', '/a/b/c', '/a/z']);
        expect(page.revision).toBe(8);
        expect(page.continue).toBeUndefined();
        expect(page.remainingItemCount).toBeUndefined();
        expect((await store.list('/a/b/')).items.map((entry) => entry.key)).toEqual(['/a/b/c']);
        expect((await store.list('/ab/')).items.map((entry) => entry.key)).toEqual(['/ab/x']);
        expect((await store.list('/c/')).items).toEqual([]);
        expect((await store.list('')).items.map((entry) => entry.key)).toEqual([
          '/a', '/a/', '/a/a', '/a/b', '/a/b/c', '/a/z', '/ab/x', '/b/x',
        ]);
      });

      it('returns current entries and leaves out deleted keys', async () => {
        const mirror = new Mirror(store);
        await mirror.create('/a/1', 1);
        await mirror.create('/a/2', 2);
        await mirror.create('/a/3', 3);
        await mirror.update('/a/2', 20);
        await mirror.delete('/a/3');
        const page = await store.list('/a/');
        expect(normalizePage(page)).toEqual(normalizeModelPage(mirror.model.list('/a/')));
        expect(page.revision).toBe(5);
      });

      it('pages with limit and continue, counting the remaining items', async () => {
        const keys = Array.from({ length: 10 }, (_, i) => `/p/${String(i).padStart(2, '0')}`);
        for (const key of keys) await store.create(key, key);
        await store.create('/q/00', 'other prefix');

        const seen: string[] = [];
        const remaining: (number | undefined)[] = [];
        let page = await store.list('/p/', { limit: 3 });
        for (;;) {
          expect(page.revision).toBe(11);
          seen.push(...page.items.map((entry) => entry.key));
          remaining.push(page.remainingItemCount);
          if (page.continue === undefined) break;
          page = await store.list('/p/', { limit: 3, continue: page.continue });
        }
        expect(seen).toEqual(keys);
        expect(remaining).toEqual([7, 4, 1, undefined]);

        const exact = await store.list('/p/', { limit: 10 });
        expect(exact.items).toHaveLength(10);
        expect(exact.continue).toBeUndefined();
        expect(exact.remainingItemCount).toBeUndefined();
        expect((await store.list('/p/', { limit: 0 })).items).toHaveLength(10);
        const first = await store.list('/p/', { limit: 9 });
        expect(first.remainingItemCount).toBe(1);
        expect(first.continue).toEqual(expect.any(String));
      });

      it('serves every page of a list from the snapshot of the first', async () => {
        const mirror = new Mirror(store);
        for (const key of ['/s/a', '/s/b', '/s/c', '/s/d', '/s/e', '/s/f', '/s/g']) await mirror.create(key, { v: key });
        const snapshot = mirror.model.list('/s/');
        const first = await store.list('/s/', { limit: 3 });
        expect(first.items.map((entry) => entry.key)).toEqual(['/s/a', '/s/b', '/s/c']);
        expect(first.remainingItemCount).toBe(4);

        // Between pages: change a key still to come, delete one still to come and one already
        // returned, create keys before and after the position, and write under other prefixes.
        await mirror.update('/s/d', { v: 'changed' });
        await mirror.delete('/s/e');
        await mirror.delete('/s/a');
        await mirror.create('/s/bb', { v: 'new before' });
        await mirror.create('/s/dd', { v: 'new after' });
        await mirror.create('/s/z', { v: 'new last' });
        await mirror.create('/t/a', { v: 'elsewhere' });

        const pages: ListResult[] = [first];
        let next = first.continue;
        while (next !== undefined) {
          const page = await store.list('/s/', { limit: 3, continue: next });
          pages.push(page);
          next = page.continue;
        }
        expect(pages.map((page) => page.revision)).toEqual(pages.map(() => 7));
        expect(pages.flatMap((page) => page.items)).toEqual(snapshot.items);
        expect(pages.map((page) => page.remainingItemCount)).toEqual([4, 1, undefined]);

        // A new list sees the current state.
        expect(normalizePage(await store.list('/s/'))).toEqual(normalizeModelPage(mirror.model.list('/s/')));
      });

      it('reads at an explicit past revision', async () => {
        const mirror = new Mirror(store);
        await randomWrites(mirror, { count: 40, keys: ['/r/a', '/r/b', '/r/c', '/r/a/x', '/rr/a'], seed: 7 });
        const current = await store.revision();
        for (let revision = 0; revision <= current; revision++) {
          for (const prefix of ['', '/r/', '/r/a']) {
            const page = await store.list(prefix, { revision });
            expect(normalizePage(page), `list(${prefix}) at ${revision}`).toEqual(
              normalizeModelPage(mirror.model.list(prefix, { revision })),
            );
          }
          const paged = await listAll(store, '/r/', { revision, limit: 2 });
          expect(paged.items).toEqual(mirror.model.list('/r/', { revision }).items);
          expect(paged.revisions.every((r) => r === revision)).toBe(true);
        }
      }, HEAVY_TEST_TIMEOUT);

      it('rejects a revision newer than the store with RangeError', async () => {
        await store.create('/a/x', 1);
        expect(await rejection(() => store.list('/a/', { revision: 2 }))).toBeInstanceOf(RangeError);
        expect(await rejection(() => store.list('/a/', { revision: 1000 }))).toBeInstanceOf(RangeError);
        expect((await store.list('/a/', { revision: 1 })).items).toHaveLength(1);
      });

      it('fails with CompactedError below the compacted revision, for a revision or a continue token', async () => {
        const mirror = new Mirror(store);
        for (let i = 0; i < 6; i++) await mirror.create(`/c/${i}`, i);
        const first = await store.list('/c/', { limit: 2 });
        expect(first.revision).toBe(6);
        await mirror.update('/c/0', 'x');
        await mirror.update('/c/5', 'y');
        await store.compact(7);

        const byRevision = await rejection(() => store.list('/c/', { revision: 6 }));
        expect(byRevision).toBeInstanceOf(CompactedError);
        expect(byRevision).toMatchObject({ code: 'Compacted', requestedRevision: 6, compactedRevision: 7 });
        const byToken = await rejection(() => store.list('/c/', { limit: 2, continue: first.continue ?? '' }));
        expect(byToken).toBeInstanceOf(CompactedError);
        expect(byToken).toMatchObject({ requestedRevision: 6, compactedRevision: 7 });

        // At the compacted revision itself the state is still known.
        mirror.model.compact(7);
        expect(normalizePage(await store.list('/c/', { revision: 7 }))).toEqual(
          normalizeModelPage(mirror.model.list('/c/', { revision: 7 })),
        );
        expect(normalizePage(await store.list('/c/', { revision: 8 }))).toEqual(
          normalizeModelPage(mirror.model.list('/c/', { revision: 8 })),
        );
      });

      it('rejects a malformed continue token, or one from another prefix, with TypeError', async () => {
        for (let i = 0; i < 4; i++) await store.create(`/a/${i}`, i);
        await store.create('/b/0', 0);
        const first = await store.list('/a/', { limit: 2 });
        expect(first.continue).toEqual(expect.any(String));
        for (const token of ['not a token', '', '%%%', 'eyJmb28iOiJiYXIifQ']) {
          expect(await rejection(() => store.list('/a/', { limit: 2, continue: token })), token).toBeInstanceOf(TypeError);
        }
        expect(await rejection(() => store.list('/b/', { limit: 2, continue: first.continue ?? '' }))).toBeInstanceOf(TypeError);
      });
    });

    describe('watch', () => {
      it('replays history strictly after the given revision, then follows live writes', async () => {
        const mirror = new Mirror(store);
        await mirror.create('/w/a', 1);
        await mirror.create('/w/b', 2);
        await mirror.update('/w/a', 3);
        await mirror.delete('/w/b');
        await mirror.create('/w/c', 5);
        const fromTwo = watch('/w/', 2);
        const fromZero = watch('/w/', 0);
        const fromNow = watch('/w/', 5);
        await mirror.update('/w/c', 6);
        await mirror.create('/w/b', 7);
        await mirror.delete('/w/a');

        const expectedFromTwo = mirror.model.events('/w/', 2);
        expect(expectedFromTwo.map((event) => event.revision)).toEqual([3, 4, 5, 6, 7, 8]);
        await expectStream(fromTwo, expectedFromTwo);
        await expectStream(fromZero, mirror.model.events('/w/', 0));
        await expectStream(fromNow, mirror.model.events('/w/', 5));
      });

      it('delivers whole events: type, revision, entry and prev', async () => {
        const recorder = watch('/e/', 0);
        await store.create('/e/x', { n: 1 });
        await store.update('/e/x', { n: 2 }, 1);
        await store.delete('/e/x', 2);
        const events = await recorder.waitForCount(3);
        expect(events[0]).toEqual({
          type: 'created',
          revision: 1,
          entry: { key: '/e/x', value: { n: 1 }, createRevision: 1, modRevision: 1 },
        });
        expect(events[1]).toEqual({
          type: 'updated',
          revision: 2,
          entry: { key: '/e/x', value: { n: 2 }, createRevision: 1, modRevision: 2 },
          prev: { key: '/e/x', value: { n: 1 }, createRevision: 1, modRevision: 1 },
        });
        expect(events[2]).toEqual({
          type: 'deleted',
          revision: 3,
          entry: { key: '/e/x', value: { n: 2 }, createRevision: 1, modRevision: 3 },
          prev: { key: '/e/x', value: { n: 2 }, createRevision: 1, modRevision: 2 },
        });
        expect(events).toHaveLength(3);
        expect(recorder.ended).toBe(false);
      });

      it('delivers only keys under its prefix', async () => {
        const mirror = new Mirror(store);
        const a = watch('/a/', 0);
        const ab = watch('/ab/', 0);
        for (const key of ['/a/1', '/ab/x', '/a', '/a/b/c', '/abc', '/b/a/']) await mirror.create(key, key);
        await mirror.update('/ab/x', 'changed');
        await expectStream(a, mirror.model.events('/a/', 0));
        await expectStream(ab, mirror.model.events('/ab/', 0));
        expect(a.events.map((event) => event.entry.key)).toEqual(['/a/1', '/a/b/c']);
      });

      it('resumes from any retained revision with exactly the rest of the history', async () => {
        const mirror = new Mirror(store);
        await randomWrites(mirror, { count: 30, keys: ['/h/a', '/h/b', '/h/c/d', '/i/a'], seed: 3 });
        const current = await store.revision();
        const recorders: [prefix: string, after: number, recorder: WatchRecorder][] = [];
        for (let after = 0; after <= current; after++) {
          for (const prefix of ['', '/h/']) recorders.push([prefix, after, watch(prefix, after)]);
        }
        await mirror.create('/h/z', 'live');
        await expectStreams(modelChecks(mirror.model, recorders));
      }, HEAVY_TEST_TIMEOUT);

      it('fails with CompactedError below the compacted revision', async () => {
        const mirror = new Mirror(store);
        await randomWrites(mirror, { count: 20, keys: ['/k/a', '/k/b', '/k/c'], seed: 11 });
        await mirror.compact(12);
        for (const after of [0, 5, 11]) {
          const recorder = watch('/k/', after);
          await recorder.waitForEnd();
          expect(recorder.error, `watch from ${after}`).toBeInstanceOf(CompactedError);
          expect(recorder.error).toMatchObject({ code: 'Compacted', requestedRevision: after, compactedRevision: 12 });
          expect(recorder.events).toEqual([]);
        }
        const atCompacted = watch('/k/', 12);
        await mirror.create('/k/new', 1);
        await expectStream(atCompacted, mirror.model.events('/k/', 12));
      });

      it('stops delivering after unsubscribe', async () => {
        const recorder = watch('/u/', 0);
        const probe = watch('/u/', 0);
        await store.create('/u/a', 1);
        await recorder.waitForCount(1);
        recorder.unsubscribe();
        await store.create('/u/b', 2);
        await store.update('/u/a', 3, 1);
        await probe.waitForCount(3);
        expect(probe.events).toHaveLength(3);
        expect(recorder.events.map((event) => event.revision)).toEqual([1]);
        expect(recorder.ended).toBe(false);
      });

      it('keeps 100 watchers on different and overlapping prefixes exact', async () => {
        const mirror = new Mirror(store);
        const keys: string[] = [];
        for (let a = 0; a < 5; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 3; c++) keys.push(`/m/${a}/${b}/k${c}`);
        keys.push('/ma/x', '/n/x');
        await randomWrites(mirror, { count: 30, keys, seed: 5 });
        const current = await store.revision();
        const watchers: [prefix: string, after: number, recorder: WatchRecorder][] = [];
        for (let i = 0; i < 100; i++) {
          const prefix = [
            '',
            '/m/',
            `/m/${i % 5}/`,
            `/m/${i % 5}/${i % 3}/`,
            `/m/${i % 5}/${i % 3}/k${i % 2}`,
            '/m',
            '/x/',
          ][i % 7] ?? '';
          const after = i % 3 === 0 ? 0 : i % 3 === 1 ? current : (i * 7) % (current + 1);
          watchers.push([prefix, after, watch(prefix, after)]);
        }
        await randomWrites(mirror, { count: 300, keys, seed: 6 });
        await expectStreams(modelChecks(mirror.model, watchers));
      }, HEAVY_TEST_TIMEOUT);

      it('stays exact when watchers write, subscribe and unsubscribe from inside their callbacks', async () => {
        const writes: Promise<unknown>[] = [];
        const opened: [prefix: string, after: number, recorder: WatchRecorder][] = [];
        // Reacts to each trigger by writing two keys and opening two watches, all from inside `next`.
        const reactor = store.watch('/r/trigger/', 0).subscribe((event) => {
          if (event.type !== 'created') return;
          const n = event.entry.key.slice('/r/trigger/'.length);
          writes.push(store.create(`/r/x/${n}`, { n }), store.create(`/r/y/${n}`, { n }));
          opened.push(['/r/', 0, watch('/r/', 0)], ['', event.revision - 1, watch('', event.revision - 1)]);
        });
        // Unsubscribes itself from inside `next` after two events.
        const quitter: StoreEvent[] = [];
        const quitterSubscription = store.watch('/r/', 0).subscribe((event) => {
          quitter.push(event);
          if (quitter.length === 2) quitterSubscription.unsubscribe();
        });
        for (const prefix of ['', '/r/x/', '/r/']) opened.push([prefix, 0, watch(prefix, 0)]);
        try {
          for (let i = 0; i < 5; i++) writes.push(store.create(`/r/trigger/${i}`, { i }));
          // The reactor writes as the triggers' events arrive, which may be after they resolve.
          await waitUntil(() => writes.length >= 15, eventTimeout);
          await Promise.all(writes);
        } finally {
          reactor.unsubscribe();
        }

        const final = await store.revision();
        expect(final).toBe(15);
        const history = await watch('', 0).waitForCount(final);
        const model = replayIntoModel(history);
        expect(history.map((event) => event.revision)).toEqual(Array.from({ length: final }, (_, i) => i + 1));
        await expectStreams(modelChecks(model, opened));
        expect(quitter).toEqual(model.events('/r/', 0).slice(0, 2));
      });

      it('stays ordered, gapless, unique and atomic under 20 concurrent writers', async () => {
        const writers = 20;
        const writesPerWriter = 50;
        const prefixes = ['', '/c/', '/c/0/', '/c/1/', '/c/2/', '/c/3/', '/c/1', '/cas/', '/none/'];
        const shared = '/cas/x';
        await store.create(shared, { n: 0 });
        interface Watched {
          readonly prefix: string;
          readonly after: number;
          readonly recorder: WatchRecorder;
        }
        const watched: Watched[] = prefixes.map((prefix) => ({ prefix, after: 0, recorder: watch(prefix, 0) }));
        const root = watched[0]?.recorder;
        if (root === undefined) throw new Error('unreachable');

        interface Outcome {
          readonly op: 'create' | 'update' | 'delete';
          readonly key: string;
          readonly entry?: Entry;
          readonly error?: unknown;
          readonly expected?: number;
        }
        const outcomes: Outcome[] = [];
        const casUpdate = async (expected: number, value: JsonValue): Promise<void> => {
          try {
            outcomes.push({ op: 'update', key: shared, entry: await store.update(shared, value, expected) });
          } catch (error) {
            outcomes.push({ op: 'update', key: shared, error, expected });
          }
        };
        const writer = async (w: number): Promise<void> => {
          const own = new Map<string, number>(); // this writer's keys → their modRevision
          for (let j = 0; j < writesPerWriter; j++) {
            if (w === 0 && j === writesPerWriter / 2) {
              // Open more watches mid-way: from the start (replay, then live) and from now.
              for (const prefix of prefixes) watched.push({ prefix, after: 0, recorder: watch(prefix, 0) });
              const now = await store.revision();
              for (const prefix of prefixes) watched.push({ prefix, after: now, recorder: watch(prefix, now) });
            }
            if (j % 10 === 9) {
              // Two compare-and-swaps from the same read: at most one can win.
              const current = await store.get(shared);
              const expected = current?.modRevision ?? 0;
              await Promise.all([casUpdate(expected, { w, j, n: 1 }), casUpdate(expected, { w, j, n: 2 })]);
              continue;
            }
            const key = `/c/${w % 4}/w${w}-${j % 7}`;
            const revision = own.get(key);
            if (revision === undefined) {
              const entry = await store.create(key, { w, j });
              own.set(key, entry.modRevision);
              outcomes.push({ op: 'create', key, entry });
            } else if (j % 3 === 0) {
              const entry = await (j % 2 === 0 ? store.delete(key, revision) : store.delete(key));
              own.delete(key);
              outcomes.push({ op: 'delete', key, entry });
            } else {
              const entry = await store.update(key, { w, j }, revision);
              own.set(key, entry.modRevision);
              outcomes.push({ op: 'update', key, entry });
            }
          }
        };
        await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));

        const final = await store.revision();
        const succeeded = outcomes.filter((outcome) => outcome.entry !== undefined);
        expect(succeeded.length + 1).toBe(final);

        // The root watch must hold every revision exactly once, in order.
        const history = await root.waitForCount(final);
        expect(root.error).toBeUndefined();
        expect(history.map((event) => event.revision)).toEqual(Array.from({ length: final }, (_, i) => i + 1));

        // Each event must be a whole, valid write.
        const model = replayIntoModel(history);

        // The events agree with what the writes resolved with: a create or update with the event
        // at its modRevision, a delete with the deleted event at its deleteRevision.
        for (const outcome of succeeded) {
          if (outcome.entry === undefined) continue;
          if (outcome.op === 'delete') {
            const { deleteRevision, ...last } = outcome.entry as DeletedEntry;
            expect(history[deleteRevision - 1]).toEqual({
              type: 'deleted',
              revision: deleteRevision,
              entry: { ...last, modRevision: deleteRevision },
              prev: last,
            });
            continue;
          }
          expect(history[outcome.entry.modRevision - 1]).toMatchObject({
            type: outcome.op === 'create' ? 'created' : 'updated',
            entry: outcome.entry,
          });
        }
        // One delete result per deleted event, and no two the same.
        const deleteRevisions = succeeded.flatMap((o) => (o.op === 'delete' ? [(o.entry as DeletedEntry).deleteRevision] : []));
        expect(new Set(deleteRevisions).size).toBe(history.filter((event) => event.type === 'deleted').length);
        expect(deleteRevisions).toHaveLength(new Set(deleteRevisions).size);

        // Conflicts happened, and each names a revision the shared key really had.
        const failed = outcomes.filter((outcome) => outcome.entry === undefined);
        expect(failed.length).toBeGreaterThan(0);
        const sharedRevisions = new Set(history.filter((e) => e.entry.key === shared).map((e) => e.revision));
        for (const outcome of failed) {
          expect(outcome.error).toBeInstanceOf(RevisionConflictError);
          const error = outcome.error as RevisionConflictError;
          expect(error.key).toBe(shared);
          expect(error.expectedModRevision).toBe(outcome.expected);
          expect(error.actualModRevision).toBeGreaterThan(outcome.expected ?? 0);
          expect(sharedRevisions.has(error.actualModRevision)).toBe(true);
        }

        expect((await store.list('')).items).toEqual(model.list('').items);
        await expectStreams(modelChecks(model, watched.map(({ prefix, after, recorder }) => [prefix, after, recorder] as const)));
      }, HEAVY_TEST_TIMEOUT);
    });

    describe('compact', () => {
      it('keeps the current value of every key', async () => {
        const mirror = new Mirror(store);
        await randomWrites(mirror, { count: 60, keys: ['/k/a', '/k/b', '/k/c', '/k/d', '/l/a'], seed: 9 });
        const current = await store.revision();
        const before = await store.list('');
        await mirror.compact(current);
        expect(await store.compactedRevision()).toBe(current);
        expect(await store.list('')).toEqual(before);
        expect(await store.list('', { revision: current })).toEqual(before);
        for (const entry of before.items) expect(await store.get(entry.key)).toEqual(entry);
        expect(await rejection(() => store.list('', { revision: current - 1 }))).toBeInstanceOf(CompactedError);
        // Writes go on from the next revision.
        const next = await mirror.create('/k/new', 1);
        expect(next.modRevision).toBe(current + 1);
      });

      it('drops deleted keys, which can then be created again', async () => {
        const mirror = new Mirror(store);
        await mirror.create('/d/x', 1);
        await mirror.create('/d/y', 2);
        await mirror.delete('/d/x');
        await mirror.update('/d/y', 3);
        await mirror.compact(4);
        expect(await store.get('/d/x')).toBeUndefined();
        expect((await store.list('/d/', { revision: 4 })).items.map((e) => e.key)).toEqual(['/d/y']);
        const recorder = watch('/d/', 4);
        const again = await mirror.create('/d/x', 4);
        expect(again).toMatchObject({ createRevision: 5, modRevision: 5 });
        await expectStream(recorder, mirror.model.events('/d/', 4));
        expect(normalizePage(await store.list('/d/'))).toEqual(normalizeModelPage(mirror.model.list('/d/')));
      });

      it('does nothing at or below the compacted revision', async () => {
        const mirror = new Mirror(store);
        await randomWrites(mirror, { count: 10, keys: ['/k/a', '/k/b'], seed: 1 });
        await mirror.compact(6);
        await mirror.compact(6);
        await mirror.compact(2);
        await mirror.compact(0);
        expect(await store.compactedRevision()).toBe(6);
        expect(normalizePage(await store.list('', { revision: 6 }))).toEqual(
          normalizeModelPage(mirror.model.list('', { revision: 6 })),
        );
        await mirror.compact(8);
        expect(await store.compactedRevision()).toBe(8);
      });

      it('rejects a revision newer than the store with RangeError', async () => {
        await store.create('/a', 1);
        expect(await rejection(() => store.compact(2))).toBeInstanceOf(RangeError);
        expect(await store.compactedRevision()).toBe(0);
      });
    });

    describe('close', () => {
      it('completes open watches', async () => {
        const recorder = watch('', 0);
        const other = watch('/x/', 0);
        await store.create('/a', 1);
        await recorder.waitForCount(1);
        await store.close();
        await recorder.waitForEnd();
        await other.waitForEnd();
        expect(recorder.completed).toBe(true);
        expect(recorder.error).toBeUndefined();
        expect(recorder.events).toHaveLength(1);
        expect(other.completed).toBe(true);
      });

      it('rejects every later call with StoreClosedError', async () => {
        await store.create('/a', 1);
        await store.close();
        const calls: [string, () => Promise<unknown>][] = [
          ['get', () => store.get('/a')],
          ['list', () => store.list('')],
          ['create', () => store.create('/b', 1)],
          ['update', () => store.update('/a', 2, 1)],
          ['delete', () => store.delete('/a')],
          ['compact', () => store.compact(1)],
          ['revision', () => store.revision()],
          ['compactedRevision', () => store.compactedRevision()],
        ];
        for (const [method, call] of calls) {
          const error = await rejection(call);
          expect(error, method).toBeInstanceOf(StoreClosedError);
          expect(error).toMatchObject({ code: 'StoreClosed' });
        }
        const recorder = watch('', 0);
        await recorder.waitForEnd();
        expect(recorder.error).toBeInstanceOf(StoreClosedError);
      });
    });

    describe('model', () => {
      it(`matches the reference model on random operation sequences (${propertyRuns} runs)`, async () => {
        await fc.assert(
          fc.asyncProperty(operationsArbitrary, (operations) => checkAgainstModel(factory, operations, eventTimeout)),
          // A store that loses events makes every failing run wait for them; the time limit keeps
          // shrinking from taking forever (the failure is still reported, perhaps less shrunk).
          { numRuns: propertyRuns, interruptAfterTimeLimit: PROPERTY_TIME_LIMIT, markInterruptAsFailure: true },
        );
      }, PROPERTY_TIME_LIMIT + 30_000);
    });
  });
}

// ── The model-based property ─────────────────────────────────────────────────────────────

/** The key space of the property: small, so that operations collide. */
const propertyKeys = ['/k/a', '/k/b', '/k/ab', '/k/a/x', '/k/b/y', '/j/a'] as const;
/** Prefixes the property lists and watches, matching none, some and all keys. */
const propertyPrefixes = ['', '/', '/k/', '/k/a', '/k/a/', '/k/b/', '/j/', '/z/'] as const;

/** Which expected modRevision an update or delete passes. */
type RevisionChoice = 'current' | 'stale' | number;

/**
 * One step of the property. `at` values are percentages of the current revision range; `existing`
 * picks the key among the live ones (if any), so that updates and deletes mostly find their key.
 */
type Operation =
  | { readonly op: 'create'; readonly key: number; readonly value: JsonValue }
  | {
      readonly op: 'update';
      readonly key: number;
      readonly existing: boolean;
      readonly value: JsonValue;
      readonly expected: RevisionChoice;
    }
  | { readonly op: 'delete'; readonly key: number; readonly existing: boolean; readonly expected: RevisionChoice | 'none' }
  | { readonly op: 'get'; readonly key: number; readonly existing: boolean }
  | {
      readonly op: 'list';
      readonly prefix: number;
      readonly limit: number;
      readonly at: number | 'current';
      readonly drain: boolean;
    }
  | { readonly op: 'continue'; readonly cursor: number }
  | { readonly op: 'compact'; readonly at: number }
  | { readonly op: 'revision' }
  | { readonly op: 'watch'; readonly prefix: number; readonly at: number };

const valueArbitrary: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constant(null),
  fc.boolean(),
  fc.string({ maxLength: 3 }),
  fc.record({ n: fc.integer({ min: 0, max: 9 }), tags: fc.array(fc.string({ maxLength: 2 }), { maxLength: 2 }) }),
);
const keyArbitrary = fc.nat({ max: propertyKeys.length - 1 });
const existingArbitrary = fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) });
const prefixArbitrary = fc.nat({ max: propertyPrefixes.length - 1 });
const percentArbitrary = fc.nat({ max: 100 });
const revisionChoiceArbitrary: fc.Arbitrary<RevisionChoice> = fc.oneof(
  { weight: 4, arbitrary: fc.constant('current' as const) },
  { weight: 1, arbitrary: fc.constant('stale' as const) },
  { weight: 1, arbitrary: fc.nat({ max: 40 }) },
);

const operationsArbitrary: fc.Arbitrary<Operation[]> = fc.array(
  fc.oneof<fc.MaybeWeightedArbitrary<Operation>[]>(
    { weight: 5, arbitrary: fc.record({ op: fc.constant('create' as const), key: keyArbitrary, value: valueArbitrary }) },
    {
      weight: 5,
      arbitrary: fc.record({
        op: fc.constant('update' as const),
        key: keyArbitrary,
        existing: existingArbitrary,
        value: valueArbitrary,
        expected: revisionChoiceArbitrary,
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('delete' as const),
        key: keyArbitrary,
        existing: existingArbitrary,
        expected: fc.oneof(revisionChoiceArbitrary, fc.constant('none' as const)),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('get' as const), key: keyArbitrary, existing: fc.boolean() }) },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('list' as const),
        prefix: prefixArbitrary,
        limit: fc.nat({ max: 4 }),
        at: fc.oneof(fc.constant('current' as const), percentArbitrary),
        drain: fc.boolean(),
      }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('continue' as const), cursor: fc.nat({ max: 7 }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('compact' as const), at: percentArbitrary }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('revision' as const) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('watch' as const), prefix: prefixArbitrary, at: percentArbitrary }) },
  ),
  // `size: 'max'` lets sequences reach maxLength (fast-check's default size keeps arrays short).
  { maxLength: 50, size: 'max' },
);

interface OpenCursor {
  readonly prefix: string;
  readonly limit: number;
  readonly token: string;
  readonly cursor: ModelCursor;
}

interface OpenWatch {
  readonly prefix: string;
  readonly after: number;
  readonly recorder: WatchRecorder;
  /** The error the model says the watch fails with at once, if any. */
  readonly error?: unknown;
}

/** Apply `operations` to a fresh store and to the model; every result and watch stream must match. */
async function checkAgainstModel(
  factory: () => Store | Promise<Store>,
  operations: readonly Operation[],
  eventTimeout: number,
): Promise<void> {
  const store = await factory();
  const model = new StoreModel();
  const watches: OpenWatch[] = [];
  const cursors: OpenCursor[] = [];
  const expectedEvents = (w: OpenWatch): StoreEvent[] =>
    model.history.filter((event) => event.revision > w.after && event.entry.key.startsWith(w.prefix));
  /** Wait until a watch has what it should have by now (or has ended, if it should fail). */
  const caughtUp = async (w: OpenWatch): Promise<void> => {
    if (w.error === undefined) await w.recorder.waitForCount(expectedEvents(w).length);
    else await w.recorder.waitForEnd();
  };
  const openWatch = (prefix: string, after: number): void => {
    const expected = attempt(() => model.events(prefix, after));
    const recorder = new WatchRecorder(store.watch(prefix, after), eventTimeout);
    watches.push(expected.ok ? { prefix, after, recorder } : { prefix, after, recorder, error: expected.error });
  };
  const pageStep = async (
    prefix: string,
    limit: number,
    request: { readonly revision?: number; readonly from?: OpenCursor },
    context: string,
  ): Promise<OpenCursor | undefined> => {
    const at = request.revision !== undefined ? { revision: request.revision } : {};
    const actual = await settle(store.list(prefix, { limit, ...(request.from ? { continue: request.from.token } : at) }));
    const expected = attempt(() => model.list(prefix, { limit, ...(request.from ? { after: request.from.cursor } : at) }));
    expect(mapOutcome(actual, normalizePage), context).toEqual(mapOutcome(expected, normalizeModelPage));
    if (!actual.ok || !expected.ok || actual.value.continue === undefined || expected.value.next === undefined) return undefined;
    return { prefix, limit, token: actual.value.continue, cursor: expected.value.next };
  };

  try {
    openWatch('', 0);
    for (const [step, operation] of operations.entries()) {
      const context = `step ${step}: ${JSON.stringify(operation)}`;
      switch (operation.op) {
        case 'create': {
          const key = propertyKeys[operation.key] ?? '';
          await expectSameOutcome(store.create(key, operation.value), () => model.create(key, operation.value), context);
          break;
        }
        case 'update': {
          const key = pickKey(model, operation);
          const expected = chooseRevision(model, key, operation.expected);
          await expectSameOutcome(
            store.update(key, operation.value, expected),
            () => model.update(key, operation.value, expected),
            context,
          );
          break;
        }
        case 'delete': {
          const key = pickKey(model, operation);
          if (operation.expected === 'none') {
            await expectSameOutcome(store.delete(key), () => model.delete(key), context);
          } else {
            const expected = chooseRevision(model, key, operation.expected);
            await expectSameOutcome(store.delete(key, expected), () => model.delete(key, expected), context);
          }
          break;
        }
        case 'get': {
          const key = pickKey(model, operation);
          await expectSameOutcome(store.get(key), () => model.get(key), context);
          break;
        }
        case 'list': {
          const prefix = propertyPrefixes[operation.prefix] ?? '';
          const revision = operation.at === 'current' ? undefined : Math.floor((operation.at / 100) * (model.revision + 2));
          let cursor = await pageStep(prefix, operation.limit, revision === undefined ? {} : { revision }, context);
          if (!operation.drain) {
            if (cursor !== undefined) cursors.push(cursor);
            break;
          }
          for (let page = 1; cursor !== undefined; page++) {
            cursor = await pageStep(prefix, operation.limit, { from: cursor }, `${context}, page ${page}`);
          }
          break;
        }
        case 'continue': {
          if (cursors.length === 0) break;
          const [from] = cursors.splice(operation.cursor % cursors.length, 1);
          if (from === undefined) break;
          const next = await pageStep(from.prefix, from.limit, { from }, context);
          if (next !== undefined) cursors.push(next);
          break;
        }
        case 'compact': {
          // A watch may fail with Compacted if it lags behind a compaction; let them catch up first.
          await Promise.all(watches.map(caughtUp));
          const revision = Math.min(model.revision, Math.floor((operation.at / 100) * (model.revision + 1)));
          await expectSameOutcome(store.compact(revision), () => model.compact(revision), context);
          expect(await store.compactedRevision(), context).toBe(model.compactedRevision);
          break;
        }
        case 'revision': {
          expect(await store.revision(), context).toBe(model.revision);
          expect(await store.compactedRevision(), context).toBe(model.compactedRevision);
          break;
        }
        case 'watch': {
          if (watches.length >= 4) break;
          const prefix = propertyPrefixes[operation.prefix] ?? '';
          openWatch(prefix, Math.floor((operation.at / 100) * model.revision));
          break;
        }
      }
    }
    expect(await store.revision()).toBe(model.revision);
    await Promise.all(watches.map(caughtUp));
    for (const w of watches) {
      const label = `watch(${JSON.stringify(w.prefix)}, ${w.after})`;
      if (w.error !== undefined) {
        await w.recorder.waitForEnd();
        expect(w.recorder.failed, label).toBe(true);
        expect(describeError(w.recorder.error), label).toEqual(describeError(w.error));
        expect(w.recorder.events, label).toEqual([]);
        continue;
      }
      const expected = expectedEvents(w);
      await w.recorder.waitForCount(expected.length);
      expect(w.recorder.error, label).toBeUndefined();
      expect(w.recorder.events, label).toEqual(expected);
    }
  } finally {
    for (const w of watches) w.recorder.unsubscribe();
    await closeQuietly(store);
  }
}

/** The key an operation names: by index in the key space, or among the live keys if `existing`. */
function pickKey(model: StoreModel, { key, existing }: { readonly key: number; readonly existing: boolean }): string {
  const live = existing ? propertyKeys.filter((k) => model.get(k) !== undefined) : [];
  const keys: readonly string[] = live.length > 0 ? live : propertyKeys;
  return keys[key % keys.length] ?? '';
}

/** The expected modRevision an update or delete passes for `choice`. */
function chooseRevision(model: StoreModel, key: string, choice: RevisionChoice): number {
  const current = model.get(key)?.modRevision ?? 1;
  if (choice === 'current') return current;
  if (choice === 'stale') return current - 1;
  return choice;
}

// ── Helpers ──────────────────────────────────────────────────────────────────────────────

/**
 * Applies writes to a store and to a {@link StoreModel} alike, and expects the same result from
 * both. Used where a test needs the model's view (expected events, past lists) of its writes.
 */
class Mirror {
  readonly model = new StoreModel();
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  async create(key: string, value: JsonValue): Promise<Entry> {
    const actual = await this.#store.create(key, value);
    expect(actual).toEqual(this.model.create(key, value));
    return actual;
  }

  /** Update `key` with its current modRevision. */
  async update(key: string, value: JsonValue): Promise<Entry> {
    const expected = this.model.get(key)?.modRevision ?? 0;
    const actual = await this.#store.update(key, value, expected);
    expect(actual).toEqual(this.model.update(key, value, expected));
    return actual;
  }

  /** Delete `key`, alternately with and without its current modRevision. */
  async delete(key: string): Promise<DeletedEntry> {
    const expected = this.model.revision % 2 === 0 ? this.model.get(key)?.modRevision : undefined;
    const actual = await this.#store.delete(key, expected);
    expect(actual).toEqual(this.model.delete(key, expected));
    return actual;
  }

  async compact(revision: number): Promise<void> {
    await this.#store.compact(revision);
    this.model.compact(revision);
    expect(await this.#store.compactedRevision()).toBe(this.model.compactedRevision);
  }
}

/** A deterministic pseudo-random generator (mulberry32), so a failing test fails the same way again. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` sequential writes (create, update or delete) over `keys`, through a mirror. */
async function randomWrites(
  mirror: Mirror,
  { count, keys, seed }: { readonly count: number; readonly keys: readonly string[]; readonly seed: number },
): Promise<void> {
  const next = random(seed);
  for (let i = 0; i < count; i++) {
    const key = keys[Math.floor(next() * keys.length)] ?? '';
    if (mirror.model.get(key) === undefined) await mirror.create(key, { i });
    else if (next() < 0.25) await mirror.delete(key);
    else await mirror.update(key, { i, tag: `t${i % 3}` });
  }
}

/** Every page of a list, following continue tokens. */
async function listAll(
  store: Store,
  prefix: string,
  options: { readonly revision?: number; readonly limit: number },
): Promise<{ items: Entry[]; revisions: number[] }> {
  const items: Entry[] = [];
  const revisions: number[] = [];
  let page = await store.list(prefix, options);
  for (;;) {
    items.push(...page.items);
    revisions.push(page.revision);
    if (page.continue === undefined) return { items, revisions };
    page = await store.list(prefix, { limit: options.limit, continue: page.continue });
  }
}

/**
 * Replay a watch's events through a new model, requiring each to be a whole, valid write (the right
 * prev, revisions one apart) and to equal the event the model makes of it.
 */
function replayIntoModel(history: readonly StoreEvent[]): StoreModel {
  const model = new StoreModel();
  for (const event of history) {
    try {
      if (event.type === 'created') model.create(event.entry.key, event.entry.value);
      else if (event.type === 'updated') model.update(event.entry.key, event.entry.value, event.prev.modRevision);
      else model.delete(event.entry.key, event.prev.modRevision);
    } catch (error) {
      throw new Error(`event at revision ${event.revision} is not a valid write: ${String(error)}`, { cause: error });
    }
  }
  expect(history).toEqual(model.history);
  return model;
}

/** One watch and the events it must deliver. */
interface StreamCheck {
  readonly recorder: WatchRecorder;
  readonly expected: readonly StoreEvent[];
  readonly label?: string;
}

/** Wait for as many events as expected, then require exactly them and no error. */
async function expectStream(recorder: WatchRecorder, expected: readonly StoreEvent[], label?: string): Promise<void> {
  await expectStreams([{ recorder, expected, ...(label !== undefined && { label }) }]);
}

/** A watch opened as `watch(prefix, after)`, and its recorder. */
type OpenedWatch = readonly [prefix: string, after: number, recorder: WatchRecorder];

/** What each watch must deliver according to `model`. */
function modelChecks(model: StoreModel, watches: readonly OpenedWatch[]): StreamCheck[] {
  return watches.map(([prefix, after, recorder]) => ({
    recorder,
    expected: model.events(prefix, after),
    label: `watch(${JSON.stringify(prefix)}, ${after})`,
  }));
}

/** {@link expectStream} for many watches, waiting for all of them at once (one timeout, not one each). */
async function expectStreams(checks: readonly StreamCheck[]): Promise<void> {
  await Promise.all(checks.map((check) => check.recorder.waitForCount(check.expected.length)));
  for (const { recorder, expected, label } of checks) {
    expect(recorder.error, label).toBeUndefined();
    expect(recorder.events, label).toEqual(expected);
  }
}

/** The error `call` rejects with; fails the test if it resolves or throws synchronously. */
async function rejection(call: () => Promise<unknown>): Promise<unknown> {
  let promise: Promise<unknown>;
  try {
    promise = call();
  } catch (error) {
    throw new Error(`expected a rejected promise, but the call threw synchronously: ${String(error)}`, { cause: error });
  }
  try {
    const value = await promise;
    throw new ResolvedError(value);
  } catch (error) {
    if (error instanceof ResolvedError) {
      throw new Error(`expected a rejection, but it resolved with ${JSON.stringify(error.value)}`);
    }
    return error;
  }
}

class ResolvedError extends Error {
  constructor(readonly value: unknown) {
    super('resolved');
  }
}

type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

async function settle<T>(promise: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

function attempt<T>(run: () => T): Outcome<T> {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Comparable form of an outcome: the value mapped by `f`, or the described error. */
function mapOutcome<T, U>(outcome: Outcome<T>, f: (value: T) => U): { value: U } | { error: object } {
  return outcome.ok ? { value: f(outcome.value) } : { error: describeError(outcome.error) };
}

async function expectSameOutcome<T>(actual: Promise<T>, expected: () => T, context: string): Promise<void> {
  expect(mapOutcome(await settle(actual), (v) => v), context).toEqual(mapOutcome(attempt(expected), (v) => v));
}

/** The class and the fields of an error that the contract fixes. */
function describeError(error: unknown): object {
  if (error instanceof KeyExistsError) return { error: 'KeyExistsError', key: error.key };
  if (error instanceof KeyNotFoundError) return { error: 'KeyNotFoundError', key: error.key };
  if (error instanceof RevisionConflictError) {
    return {
      error: 'RevisionConflictError',
      key: error.key,
      expectedModRevision: error.expectedModRevision,
      actualModRevision: error.actualModRevision,
    };
  }
  if (error instanceof CompactedError) {
    return { error: 'CompactedError', requestedRevision: error.requestedRevision, compactedRevision: error.compactedRevision };
  }
  if (error instanceof StoreClosedError) return { error: 'StoreClosedError' };
  if (error instanceof RangeError) return { error: 'RangeError' };
  if (error instanceof TypeError) return { error: 'TypeError' };
  return { error: 'unexpected', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
}

/** A list page without its opaque token. */
function normalizePage(page: ListResult): object {
  return {
    items: page.items,
    revision: page.revision,
    more: page.continue !== undefined,
    ...(page.remainingItemCount !== undefined && { remainingItemCount: page.remainingItemCount }),
  };
}

function normalizeModelPage(page: ModelListResult): object {
  return {
    items: page.items,
    revision: page.revision,
    more: page.next !== undefined,
    ...(page.remainingItemCount !== undefined && { remainingItemCount: page.remainingItemCount }),
  };
}

async function closeQuietly(store: Store): Promise<void> {
  try {
    await store.close();
  } catch (error) {
    if (!(error instanceof StoreClosedError)) throw error;
  }
}

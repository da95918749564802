import { CompactedError, type JsonValue, type StoreEvent } from '@harbormaster/core';
import type { Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { memoryStore } from './memory-store.js';

/** Collect a watch synchronously (the memory store delivers inside the write). */
function record(observable: Observable<StoreEvent>) {
  const result = { events: [] as StoreEvent[], error: undefined as unknown, completed: false };
  const subscription = observable.subscribe({
    next: (event) => result.events.push(event),
    error: (error: unknown) => {
      result.error = error;
    },
    complete: () => {
      result.completed = true;
    },
  });
  return Object.assign(result, { unsubscribe: () => subscription.unsubscribe() });
}

function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  return Object.isFrozen(value) && Object.values(value).every(isDeepFrozen);
}

describe('memoryStore: history window', () => {
  it('compacts automatically to keep the historyLimit most recent revisions', async () => {
    const store = memoryStore({ historyLimit: 5 });
    for (let i = 1; i <= 12; i++) await store.create(`/k/${String(i).padStart(2, '0')}`, i);
    expect(await store.revision()).toBe(12);
    expect(await store.compactedRevision()).toBe(7);
    // Every key keeps its current value.
    expect((await store.list('/k/')).items.map((entry) => entry.value)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    // Lists reach back to the compacted revision, and no further.
    expect((await store.list('/k/', { revision: 7 })).items).toHaveLength(7);
    const listError = await store.list('/k/', { revision: 6 }).catch((error: unknown) => error);
    expect(listError).toBeInstanceOf(CompactedError);
    expect(listError).toMatchObject({ requestedRevision: 6, compactedRevision: 7 });
    // So do watches.
    const tooOld = record(store.watch('/k/', 6));
    expect(tooOld.error).toBeInstanceOf(CompactedError);
    expect(tooOld.error).toMatchObject({ requestedRevision: 6, compactedRevision: 7 });
    expect(record(store.watch('/k/', 7)).events.map((event) => event.revision)).toEqual([8, 9, 10, 11, 12]);
    await store.close();
  });

  it('keeps the versions a past read needs, and forgets replaced and deleted ones', async () => {
    const store = memoryStore({ historyLimit: 3 });
    await store.create('/k/a', 1); // 1
    await store.create('/k/b', 1); // 2
    await store.update('/k/a', 2, 1); // 3
    await store.delete('/k/b'); // 4
    await store.update('/k/a', 3, 3); // 5
    await store.create('/k/c', 1); // 6, compacted revision 3
    expect(await store.compactedRevision()).toBe(3);
    expect((await store.list('/k/', { revision: 3 })).items.map((e) => [e.key, e.value])).toEqual([
      ['/k/a', 2],
      ['/k/b', 1],
    ]);
    expect((await store.list('/k/', { revision: 4 })).items.map((e) => [e.key, e.value])).toEqual([['/k/a', 2]]);
    await store.create('/k/d', 1); // 7, compacted revision 4: the deleted /k/b is gone
    expect((await store.list('/k/', { revision: 4 })).items.map((e) => [e.key, e.value])).toEqual([['/k/a', 2]]);
    expect(record(store.watch('/k/', 4)).events.map((e) => [e.type, e.entry.key])).toEqual([
      ['updated', '/k/a'],
      ['created', '/k/c'],
      ['created', '/k/d'],
    ]);
    await store.create('/k/b', 2); // a deleted key can come back after its history is gone
    expect((await store.get('/k/b'))?.createRevision).toBe(8);
    await store.close();
  });

  it('defaults to 10_000 revisions', async () => {
    const store = memoryStore();
    await store.create('/k/x', 0);
    for (let i = 1; i < 10_005; i++) await store.update('/k/x', i, i);
    expect(await store.revision()).toBe(10_005);
    expect(await store.compactedRevision()).toBe(5);
    expect((await store.list('/k/', { revision: 5 })).items[0]?.value).toBe(4);
    await store.close();
  });

  it('never lets a live watch fall behind, however far compaction moves', async () => {
    const store = memoryStore({ historyLimit: 1 });
    const watch = record(store.watch('', 0));
    await store.create('/k/x', 0);
    for (let i = 1; i < 50; i++) await store.update('/k/x', i, i);
    expect(await store.compactedRevision()).toBe(49);
    expect(watch.error).toBeUndefined();
    expect(watch.events.map((event) => event.revision)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    await store.close();
    expect(watch.completed).toBe(true);
  });

  it('keeps only the present with historyLimit 0, and everything with Infinity', async () => {
    const none = memoryStore({ historyLimit: 0 });
    await none.create('/a', 1);
    await none.update('/a', 2, 1);
    expect(await none.compactedRevision()).toBe(2);
    expect(record(none.watch('', 1)).error).toBeInstanceOf(CompactedError);
    expect((await none.list('')).items.map((e) => e.value)).toEqual([2]);

    const all = memoryStore({ historyLimit: Infinity });
    for (let i = 0; i < 20_000; i++) await all.create(`/k/${i}`, i);
    expect(await all.compactedRevision()).toBe(0);
    expect(record(all.watch('', 0)).events).toHaveLength(20_000);
    await all.compact(19_990);
    expect(await all.compactedRevision()).toBe(19_990);
    expect((await all.list('/k/')).items).toHaveLength(20_000);
    await Promise.all([none.close(), all.close()]);
  });

  it('refuses an invalid historyLimit', () => {
    for (const historyLimit of [-1, 1.5, Number.NaN]) {
      expect(() => memoryStore({ historyLimit })).toThrow(RangeError);
    }
  });
});

describe('memoryStore: values', () => {
  it('hands every reader the same deep-frozen object', async () => {
    const store = memoryStore();
    const created = await store.create('/k/x', { spec: { replicas: 1, ports: [{ port: 80 }] } });
    const watch = record(store.watch('/k/', 0));
    const got = await store.get('/k/x');
    const listed = (await store.list('/k/')).items[0];
    expect(got?.value).toBe(created.value);
    expect(listed?.value).toBe(created.value);
    expect(watch.events[0]?.entry.value).toBe(created.value);
    expect(isDeepFrozen(created)).toBe(true);
    expect(isDeepFrozen(watch.events[0])).toBe(true);
    expect(() => {
      (created.value as { spec: { replicas: number } }).spec.replicas = 2;
    }).toThrow(TypeError);
    expect(() => {
      (created.value as { spec: { ports: unknown[] } }).spec.ports.push(443);
    }).toThrow(TypeError);
    expect(() => {
      (got as { modRevision: number }).modRevision = 7;
    }).toThrow(TypeError);
    await store.close();
  });

  it('copies the caller’s value: changing it afterwards does not reach the store', async () => {
    const store = memoryStore();
    const value = { spec: { replicas: 1, ports: [80] } };
    const created = await store.create('/k/x', value);
    expect(created.value).not.toBe(value);
    expect(Object.isFrozen(value)).toBe(false);
    value.spec.replicas = 5;
    value.spec.ports.push(443);
    const next = { spec: { replicas: 2, ports: [81] } };
    await store.update('/k/x', next, 1);
    next.spec.ports[0] = 9;
    expect((await store.get('/k/x'))?.value).toEqual({ spec: { replicas: 2, ports: [81] } });
    expect((await store.list('/k/', { revision: 1 })).items[0]?.value).toEqual({ spec: { replicas: 1, ports: [80] } });
    await store.close();
  });

  it('refuses values that are not JSON before taking a revision, saying where', async () => {
    const store = memoryStore();
    const circular: Record<string, unknown> = { a: 1 };
    circular['self'] = circular;
    class Thing {
      x = 1;
    }
    const bad: [unknown, RegExp][] = [
      [Number.NaN, /NaN/],
      [{ spec: { replicas: Infinity } }, /Infinity at spec\.replicas/],
      [{ when: new Date(0) }, /instance of Date at when/],
      [{ tags: new Map() }, /instance of Map/],
      [new Thing(), /instance of Thing/],
      [{ f: () => 1 }, /function at f/],
      [{ n: 1n }, /bigint/],
      [{ s: Symbol('s') }, /symbol/],
      [{ list: [1, undefined] }, /undefined in an array at list\[1\]/],
      [{ 'a-b': [{ c: Number.NaN }] }, /at \["a-b"\]\[0\]\.c/],
      [undefined, /undefined/],
      [circular, /deeper than 1000 levels/],
    ];
    for (const [value, message] of bad) {
      await expect(store.create('/k/x', value as JsonValue)).rejects.toThrow(message);
      await expect(store.create('/k/x', value as JsonValue)).rejects.toBeInstanceOf(TypeError);
    }
    expect(await store.revision()).toBe(0);
    await store.create('/k/x', 1);
    await expect(store.update('/k/x', { d: new Date() } as unknown as JsonValue, 1)).rejects.toBeInstanceOf(TypeError);
    expect(await store.revision()).toBe(1);
    await store.close();
  });

  it('drops properties set to undefined, as JSON does, and keeps a __proto__ key as data', async () => {
    const store = memoryStore();
    const created = await store.create('/k/x', { a: 1, b: undefined } as unknown as JsonValue);
    expect(created.value).toEqual({ a: 1 });
    expect(Object.keys(created.value as object)).toEqual(['a']);
    const withProto = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as JsonValue;
    const entry = await store.create('/k/y', withProto);
    expect(Object.getPrototypeOf(entry.value)).toBe(Object.prototype);
    expect(Object.keys(entry.value as object)).toEqual(['__proto__', 'x']);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    await store.close();
  });
});

describe('memoryStore: continue tokens', () => {
  async function pagedStore() {
    const store = memoryStore();
    for (let i = 0; i < 5; i++) await store.create(`/a/${i}`, i);
    await store.create('/b/0', 0);
    const first = await store.list('/a/', { limit: 2 });
    return { store, token: first.continue ?? '' };
  }

  it('are opaque strings that serve the next page', async () => {
    const { store, token } = await pagedStore();
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    const next = await store.list('/a/', { limit: 2, continue: token });
    expect(next.items.map((entry) => entry.key)).toEqual(['/a/2', '/a/3']);
    await store.close();
  });

  it('refuse a malformed token with a TypeError that says so', async () => {
    const { store } = await pagedStore();
    const base64 = (json: string) => Buffer.from(json).toString('base64url');
    const malformed = [
      'garbage!',
      '',
      base64('[1,2]'),
      base64('{"rev":"1","key":"/a/1"}'),
      base64('{"rev":-1,"key":"/a/1","rem":1}'),
      base64('{"rev":1,"key":"/a/1","rem":0}'),
    ];
    for (const token of malformed) {
      await expect(store.list('/a/', { continue: token }), token).rejects.toThrow(/invalid continue token/);
      await expect(store.list('/a/', { continue: token }), token).rejects.toBeInstanceOf(TypeError);
    }
    await expect(store.list('/a/', { continue: base64('{"rev":99,"key":"/a/1","rem":1}') })).rejects.toThrow(/in the future/);
    await store.close();
  });

  it('refuse a token from a list of another prefix', async () => {
    const { store, token } = await pagedStore();
    await expect(store.list('/b/', { continue: token })).rejects.toThrow(/another prefix/);
    await store.close();
  });

  it('fail with CompactedError once their snapshot is compacted', async () => {
    const { store, token } = await pagedStore();
    await store.update('/a/0', 'x', 1);
    await store.compact(7);
    await expect(store.list('/a/', { continue: token })).rejects.toMatchObject({
      constructor: CompactedError,
      requestedRevision: 6,
      compactedRevision: 7,
    });
    await store.close();
  });

  it('read at their own revision even if a revision option is given', async () => {
    const { store, token } = await pagedStore();
    await store.update('/a/3', 'changed', 4);
    const next = await store.list('/a/', { limit: 2, continue: token, revision: 7 });
    expect(next.revision).toBe(6);
    expect(next.items.map((entry) => entry.value)).toEqual([2, 3]);
    await store.close();
  });
});

describe('memoryStore: watch delivery', () => {
  it('notifies watchers synchronously, before the write resolves', async () => {
    const store = memoryStore();
    const watch = record(store.watch('', 0));
    const pending = store.create('/k/x', 1);
    expect(watch.events.map((event) => event.revision)).toEqual([1]);
    await pending;
    await store.close();
  });

  it('delivers only later events to a watch from a future revision', async () => {
    const store = memoryStore();
    const watch = record(store.watch('', 2));
    for (let i = 0; i < 4; i++) await store.create(`/k/${i}`, i);
    expect(watch.events.map((event) => event.revision)).toEqual([3, 4]);
    await store.close();
  });

  it('fails a watch from a negative or fractional revision with RangeError', () => {
    const store = memoryStore();
    expect(record(store.watch('', -1)).error).toBeInstanceOf(RangeError);
    expect(record(store.watch('', 1.5)).error).toBeInstanceOf(RangeError);
  });

  it('completes a watch opened from inside a callback when the store closes there', async () => {
    const store = memoryStore();
    let inner: ReturnType<typeof record> | undefined;
    store.watch('', 0).subscribe(() => {
      inner = record(store.watch('', 0));
      void store.close();
    });
    await store.create('/k/x', 1);
    expect(inner?.events).toHaveLength(1);
    expect(inner?.completed).toBe(true);
  });
});

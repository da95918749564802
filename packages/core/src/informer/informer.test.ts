import { describe, expect, it } from 'vitest';
import { memoryStore } from '@harbormaster/store-memory';
import { createApiServer } from '../api/api-server.js';
import * as kinds from '../kinds/index.js';
import { eventually } from '../testing/eventually.js';
import { FakeClock } from '../testing/fake-clock.js';
import { faultyStore } from '../testing/faulty-store.js';
import { CompactedError } from '../store/errors.js';
import { Informer, type InformerError, type InformerEvent } from './informer.js';
import { InformerFactory } from './informer-factory.js';
import { LABEL_INDEX, OWNER_INDEX } from './cache.js';

async function setup() {
  const clock = new FakeClock();
  const store = faultyStore(memoryStore({ historyLimit: 50 }));
  const api = createApiServer({ store, clock });
  await api.ready();
  const stop = new AbortController();
  const informer = new Informer({ client: api.client, kind: kinds.ConfigMap, clock });
  const events: string[] = [];
  const errors: InformerError[] = [];
  informer.addEventHandler({
    onAdd: (o, initial) => events.push(`add ${o.metadata.name ?? ''}${initial ? ' (initial)' : ''}`),
    onUpdate: (o, n) => events.push(`update ${n.metadata.name ?? ''} ${o.data?.['v'] ?? ''}->${n.data?.['v'] ?? ''}`),
    onDelete: (o) => events.push(`delete ${o.metadata.name ?? ''}`),
  });
  informer.errors$.subscribe((e) => errors.push(e));
  const cm = (name: string, v: string, labels: Record<string, string> = {}) => ({ metadata: { name, namespace: 'default', labels }, data: { v } });
  return { clock, store, api, client: api.client, informer, stop, events, errors, cm };
}

describe('Informer', () => {
  it('lists, reports synced, then follows changes in order', async () => {
    const { client, informer, stop, events, clock, cm } = await setup();
    await client.create(kinds.ConfigMap, cm('a', '1'));
    const run = informer.start(stop.signal);
    expect(await eventually(() => informer.hasSynced(), { clock })).toBe(true);
    await client.create(kinds.ConfigMap, cm('b', '1'));
    await client.patch(kinds.ConfigMap, { name: 'a' }, { data: { v: '2' } });
    await client.delete(kinds.ConfigMap, { name: 'b' });
    expect(events).toEqual(['add a (initial)', 'add b', 'update a 1->2', 'delete b']);
    expect(informer.cache.get({ namespace: 'default', name: 'a' })?.data).toEqual({ v: '2' });
    expect(informer.cache.get('default/b')).toBeUndefined();
    stop.abort();
    await run;
    expect(clock.pendingTimers).toBe(0);
  });

  it('has the write in its cache by the time the write resolves (read your writes)', async () => {
    const { client, informer, stop, clock, cm } = await setup();
    const run = informer.start(stop.signal);
    await eventually(() => informer.hasSynced(), { clock });
    for (let i = 0; i < 20; i++) {
      const written = await client.create(kinds.ConfigMap, cm(`x${i}`, String(i)));
      expect(informer.cache.get({ namespace: 'default', name: `x${i}` })?.metadata.resourceVersion).toBe(written.metadata.resourceVersion);
      expect(Number(informer.lastSyncResourceVersion)).toBeGreaterThanOrEqual(Number(written.metadata.resourceVersion));
    }
    const later = informer.waitForResourceVersion(Number(informer.lastSyncResourceVersion) + 1);
    let done = false;
    void later.then(() => (done = true));
    await clock.advance(0);
    expect(done).toBe(false);
    await client.create(kinds.ConfigMap, cm('y', '1'));
    await later;
    stop.abort();
    await run;
  });

  it('keeps frozen objects, indexes by label and owner, and supports custom indexes', async () => {
    const { client, informer, stop, clock, cm } = await setup();
    informer.addIndex('byValue', (o) => [o.data?.['v'] ?? '']);
    const run = informer.start(stop.signal);
    await eventually(() => informer.hasSynced(), { clock });
    await client.create(kinds.ConfigMap, cm('a', '1', { app: 'web' }));
    await client.create(kinds.ConfigMap, cm('b', '2', { app: 'web', tier: 'x' }));
    await client.create(kinds.ConfigMap, {
      ...cm('c', '1', { app: 'db' }),
      metadata: { name: 'c', namespace: 'default', labels: { app: 'db' }, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'a', uid: 'owner-uid', controller: true }] },
    });
    const names = (l: { metadata: { name?: string | undefined } }[]) => l.map((o) => o.metadata.name).sort();
    expect(names(informer.cache.byIndex(LABEL_INDEX, 'app=web'))).toEqual(['a', 'b']);
    expect(names(informer.cache.byIndex(OWNER_INDEX, 'owner-uid'))).toEqual(['c']);
    expect(names(informer.cache.byIndex('byValue', '1'))).toEqual(['a', 'c']);
    expect(names(informer.cache.list({ labelSelector: 'app=web,tier' }))).toEqual(['b']);
    expect(names(informer.cache.list({ namespace: 'default', labelSelector: 'app in (web,db)' }))).toEqual(['a', 'b', 'c']);
    const a = informer.cache.get('default/a');
    expect(Object.isFrozen(a)).toBe(true);
    expect(() => {
      (a as { data: unknown }).data = {};
    }).toThrow(TypeError);
    // Index entries follow updates.
    await client.patch(kinds.ConfigMap, { name: 'a' }, { metadata: { labels: { app: 'db' } } });
    expect(names(informer.cache.byIndex(LABEL_INDEX, 'app=web'))).toEqual(['b']);
    stop.abort();
    await run;
  });

  it('resumes a dropped watch from its resourceVersion without losing an update, and without relisting', async () => {
    const { client, informer, stop, events, clock, store, errors, cm } = await setup();
    const run = informer.start(stop.signal);
    await eventually(() => informer.hasSynced(), { clock });
    await client.create(kinds.ConfigMap, cm('a', '1'));
    const rv = Number(informer.lastSyncResourceVersion);
    const lists = store.listCalls;
    const watches = store.watchCalls.length;
    // The connection drops, and the first attempt to watch again is refused: the informer backs off.
    store.failNextWatches(1, new Error('connection refused'));
    store.dropWatches();
    await clock.advance(0);
    expect(store.openWatches).toBe(0);
    // Written while no watch is open.
    await client.patch(kinds.ConfigMap, { name: 'a' }, { data: { v: '2' } });
    await client.create(kinds.ConfigMap, cm('b', '1'));
    expect(informer.cache.get('default/b')).toBeUndefined();
    await eventually(() => store.openWatches === 1 && informer.cache.size === 2, { clock });
    expect(events).toEqual(['add a', 'update a 1->2', 'add b']);
    // Both attempts watched from the resourceVersion the cache had; nothing was listed again.
    expect(store.watchCalls.slice(watches).map((c) => c.afterRevision)).toEqual([rv, rv]);
    expect(store.listCalls).toBe(lists);
    expect(errors.map((e) => [e.phase, e.attempt, e.retryInMs, (e.error as Error).message])).toEqual([['watch', 1, 800, 'connection refused']]);
    stop.abort();
    await run;
  });

  it('backs off when watches close as soon as they open (a very short watch), instead of spinning', async () => {
    const { client, informer, stop, clock, store, errors, cm } = await setup();
    const run = informer.start(stop.signal);
    await eventually(() => informer.hasSynced(), { clock });
    await clock.advance(5_000);
    const watches = store.watchCalls.length;
    store.closeNextWatches(1_000);
    // A watch that was open for 5 s ends normally and is reopened at once; every reopened one
    // closes at once with nothing in it, which counts as a failure.
    store.dropWatches();
    await clock.advance(60_000);
    expect(store.watchCalls.length - watches).toBe(7);
    expect(errors.map((e) => [e.phase, e.attempt, e.retryInMs, (e.error as Error).name])).toEqual(
      [800, 1600, 3200, 6400, 12_800, 25_600, 30_000].map((ms, i) => ['watch', i + 1, ms, 'ShortWatchError']),
    );
    // The server behaves again: the next attempt watches and the informer follows changes.
    store.closeNextWatches(0);
    await clock.advance(30_000);
    expect(store.openWatches).toBe(1);
    await client.create(kinds.ConfigMap, cm('after', '1'));
    expect(informer.cache.get('default/after')).toBeDefined();
    stop.abort();
    await run;
    expect(clock.pendingTimers).toBe(0);
  });

  it('starts the back-off over once the watch has been healthy, or has delivered an event', async () => {
    const { client, informer, stop, clock, store, errors, cm } = await setup();
    const run = informer.start(stop.signal);
    await eventually(() => informer.hasSynced(), { clock });
    const failTwice = async (): Promise<void> => {
      store.failNextWatches(1, new Error('connection reset'));
      store.failWatches(new Error('connection reset'));
      await eventually(() => store.openWatches === 1, { clock });
    };
    const attempts = () => errors.map((e) => [e.attempt, e.retryInMs]);
    await failTwice();
    expect(attempts()).toEqual([
      [1, 800],
      [2, 1600],
    ]);
    // Ten quiet minutes later the watch fails again: the first retry waits the initial delay.
    await clock.advance(10 * 60_000);
    errors.length = 0;
    await failTwice();
    expect(attempts()).toEqual([
      [1, 800],
      [2, 1600],
    ]);
    // An event shows the watch works, however soon after.
    await client.create(kinds.ConfigMap, cm('a', '1'));
    errors.length = 0;
    store.failWatches(new Error('connection reset'));
    await eventually(() => store.openWatches === 1, { clock });
    expect(attempts()).toEqual([[1, 800]]);
    stop.abort();
    await run;
  });

  it.each(['transform', 'index function'])('reports a throwing %s with the object key, relists with back-off, and misses nothing', async (what) => {
    const clock = new FakeClock();
    const store = faultyStore(memoryStore());
    const api = createApiServer({ store, clock });
    await api.ready();
    let throwOn: string | undefined = 'bad';
    const check = (o: kinds.ConfigMap): void => {
      if (o.metadata.name === throwOn) {
        throwOn = undefined;
        throw new Error(`cannot handle ${o.metadata.name ?? ''}`);
      }
    };
    const informer = new Informer({
      client: api.client,
      kind: kinds.ConfigMap,
      clock,
      ...(what === 'transform'
        ? {
            transform: (o: kinds.ConfigMap) => {
              check(o);
              return o;
            },
          }
        : {
            indexers: {
              byName: (o: kinds.ConfigMap) => {
                check(o);
                return [o.metadata.name ?? ''];
              },
            },
          }),
    });
    const errors: InformerError[] = [];
    informer.errors$.subscribe((e) => errors.push(e));
    const added: string[] = [];
    informer.addEventHandler({ onAdd: (o) => added.push(o.metadata.name ?? '') });
    const stop = new AbortController();
    const run = informer.start(stop.signal);
    await eventually(() => informer.hasSynced(), { clock });
    const lists = store.listCalls;
    await api.client.create(kinds.ConfigMap, { metadata: { name: 'good' } });
    await api.client.create(kinds.ConfigMap, { metadata: { name: 'bad' } });
    expect(informer.cache.get('default/bad')).toBeUndefined();
    expect(errors.map((e) => [e.phase, e.key, e.attempt, e.retryInMs, (e.error as Error).message])).toEqual([['watch', 'default/bad', 1, 800, 'cannot handle bad']]);
    await eventually(() => informer.cache.get('default/bad') !== undefined, { clock });
    expect(store.listCalls).toBe(lists + 1);
    expect(added).toEqual(['good', 'bad']);
    await api.client.create(kinds.ConfigMap, { metadata: { name: 'later' } });
    expect(informer.cache.get('default/later')).toBeDefined();
    if (what === 'index function') expect(informer.cache.byIndex('byName', 'bad')).toHaveLength(1);
    stop.abort();
    await run;
    expect(clock.pendingTimers).toBe(0);
  });

  it('backs off and retries a failing watch, reporting every failure, and never stops', async () => {
    const { client, informer, stop, clock, store, errors, events, cm } = await setup();
    const run = informer.start(stop.signal);
    await eventually(() => informer.hasSynced(), { clock });
    store.failNextWatches(3, new Error('connection reset'));
    store.failWatches(new Error('connection reset'));
    await client.create(kinds.ConfigMap, cm('late', '1'));
    await eventually(() => informer.cache.size === 1, { clock, stepMs: 50 });
    expect(errors.map((e) => [e.phase, e.attempt, e.retryInMs])).toEqual([
      ['watch', 1, 800],
      ['watch', 2, 1600],
      ['watch', 3, 3200],
      ['watch', 4, 6400],
    ]);
    expect(events).toEqual(['add late']);
    stop.abort();
    await run;
    expect(clock.pendingTimers).toBe(0);
  });

  it('relists after 410 Gone and delivers what changed meanwhile, including deletions', async () => {
    const { client, informer, stop, events, clock, store, errors, cm } = await setup();
    await client.create(kinds.ConfigMap, cm('keep', '1'));
    await client.create(kinds.ConfigMap, cm('gone', '1'));
    const run = informer.start(stop.signal);
    await eventually(() => informer.hasSynced(), { clock });
    // Fail the watch and, while the informer backs off, change things and compact the history
    // so that resuming from its resourceVersion is impossible.
    store.failNextWatches(1, new Error('network down'));
    store.failWatches(new Error('network down'));
    await client.patch(kinds.ConfigMap, { name: 'keep' }, { data: { v: '2' } });
    await client.delete(kinds.ConfigMap, { name: 'gone' });
    await client.create(kinds.ConfigMap, cm('new', '1'));
    await store.compact(await store.revision());
    await eventually(() => informer.cache.get('default/new') !== undefined, { clock });
    // The resumed watch finds its revision compacted: the informer backs off, then relists.
    expect(errors.map((e) => [e.phase, e.attempt, e.retryInMs, (e.error as Error).name])).toEqual([
      ['watch', 1, 800, 'Error'],
      ['watch', 2, 1600, 'Error'],
      ['watch', 3, 3200, 'GoneError'],
    ]);
    expect(events).toEqual(['add gone (initial)', 'add keep (initial)', 'update keep 1->2', 'add new', 'delete gone']);
    expect([...informer.cache.keys()].sort()).toEqual(['default/keep', 'default/new']);
    stop.abort();
    await run;
  });

  it('keeps backing off while every watch after a relist fails with 410 Gone', async () => {
    const { informer, stop, clock, store, errors } = await setup();
    const run = informer.start(stop.signal);
    await eventually(() => informer.hasSynced(), { clock });
    const gone = new CompactedError(1, 1);
    store.failNextWatches(4, gone);
    store.failWatches(gone);
    await eventually(() => errors.length === 5, { clock, timeoutMs: 120_000 });
    // Each relist succeeds, but the watch after it fails at once: the waits keep doubling.
    expect(errors.map((e) => [e.attempt, e.retryInMs, (e.error as Error).name])).toEqual([
      [1, 800, 'GoneError'],
      [2, 1600, 'GoneError'],
      [3, 3200, 'GoneError'],
      [4, 6400, 'GoneError'],
      [5, 12800, 'GoneError'],
    ]);
    stop.abort();
    await run;
  });

  it('a throwing handler is reported and does not stop the informer', async () => {
    const { client, informer, stop, clock, errors, cm } = await setup();
    informer.addEventHandler({
      onAdd: () => {
        throw new Error('boom');
      },
    });
    const run = informer.start(stop.signal);
    await eventually(() => informer.hasSynced(), { clock });
    await client.create(kinds.ConfigMap, cm('a', '1'));
    await client.create(kinds.ConfigMap, cm('b', '1'));
    expect(informer.cache.size).toBe(2);
    expect(errors.filter((e) => e.phase === 'handler')).toHaveLength(2);
    stop.abort();
    await run;
  });

  it('transforms objects before caching and resyncs periodically', async () => {
    const clock = new FakeClock();
    const api = createApiServer({ store: memoryStore(), clock });
    await api.ready();
    const informer = new Informer({
      client: api.client,
      kind: kinds.ConfigMap,
      clock,
      resyncPeriodMs: 30_000,
      transform: (o) => ({ ...o, metadata: { ...o.metadata, annotations: {} } }),
    });
    const updates: string[] = [];
    informer.addEventHandler({ onUpdate: (o, n) => updates.push(`${n.metadata.name ?? ''}:${o === n ? 'same' : 'changed'}`) });
    const received: InformerEvent<kinds.ConfigMap>[] = [];
    informer.events$.subscribe((e) => received.push(e));
    await api.client.create(kinds.ConfigMap, { metadata: { name: 'a', annotations: { big: 'x'.repeat(1000) } } });
    const stop = new AbortController();
    const run = informer.start(stop.signal);
    await eventually(() => informer.hasSynced(), { clock });
    expect(informer.cache.get('default/a')?.metadata.annotations).toEqual({});
    await clock.advance(30_000);
    await clock.advance(30_000);
    expect(updates).toEqual(['a:same', 'a:same']);
    expect(received.map((e) => e.type)).toEqual(['add', 'update', 'update']);
    stop.abort();
    await run;
    expect(clock.pendingTimers).toBe(0);
  });

  it('resyncs on its own schedule from start, however often the watch restarts', async () => {
    const clock = new FakeClock();
    const store = faultyStore(memoryStore());
    const api = createApiServer({ store, clock });
    await api.ready();
    await api.client.create(kinds.ConfigMap, { metadata: { name: 'a' } });
    const informer = new Informer({ client: api.client, kind: kinds.ConfigMap, clock, resyncPeriodMs: 30_000 });
    const resyncs: number[] = [];
    const started = clock.now();
    informer.addEventHandler({
      onUpdate: (o, n) => {
        if (o === n) resyncs.push(clock.now() - started);
      },
    });
    const stop = new AbortController();
    const run = informer.start(stop.signal);
    for (let i = 0; i < 5; i++) {
      await clock.advance(20_000);
      store.dropWatches();
    }
    await clock.advance(0);
    expect(resyncs).toEqual([30_000, 60_000, 90_000]);
    expect(store.watchCalls.length).toBe(6);
    stop.abort();
    await run;
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('InformerFactory', () => {
  it('shares one informer (one watch, one cache) per kind', async () => {
    const clock = new FakeClock();
    const store = faultyStore(memoryStore());
    const api = createApiServer({ store, clock });
    await api.ready();
    const factory = new InformerFactory({ client: api.client, clock });
    const a = factory.informerFor(kinds.ConfigMap);
    const b = factory.informerFor(kinds.ConfigMap);
    expect(a).toBe(b);
    factory.informerFor(kinds.Namespace);
    const stop = new AbortController();
    const run = factory.start(stop.signal);
    expect(await eventually(() => factory.waitForCacheSync(stop.signal), { clock })).toBe(true);
    expect(store.openWatches).toBe(2);
    // An informer asked for after start starts at once.
    const late = factory.informerFor(kinds.Pod);
    await eventually(() => late.hasSynced(), { clock });
    expect(store.openWatches).toBe(3);
    stop.abort();
    await run;
    expect(store.openWatches).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });
});

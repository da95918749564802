import { Container, ContainerModule, TOKENS, controller, coreModule, kinds, silentLogger } from '@harbormaster/core';
import { FakeClock, eventually } from '@harbormaster/core/testing';
import { describe, expect, it } from 'vitest';
import { memoryStoreModule } from './memory-store-module.js';

function container(clock: FakeClock, options: Parameters<typeof memoryStoreModule>[0] = {}): Container {
  const c = new Container();
  c.loadSync(
    memoryStoreModule(options),
    coreModule(),
    new ContainerModule(({ bind }) => {
      bind(TOKENS.Clock).toConstantValue(clock);
      bind(TOKENS.Logger).toConstantValue(silentLogger);
    }),
  );
  return c;
}

describe('memoryStoreModule', () => {
  it('binds one memory store that the API server and the manager of coreModule work on', async () => {
    const clock = new FakeClock();
    const c = container(clock);
    const store = c.get(TOKENS.Store);
    expect(c.get(TOKENS.Store)).toBe(store);
    const api = c.get(TOKENS.ApiServer);
    await api.ready();
    const created = await api.client.create(kinds.ConfigMap, { metadata: { name: 'settings' }, data: { mode: 'fast' } });
    expect((await api.client.get(kinds.ConfigMap, { name: 'settings' })).data).toEqual({ mode: 'fast' });
    // The object is in the bound store, at the revision the API reported.
    const entry = await store.get('/registry/core/configmaps/default/settings');
    expect(entry?.modRevision).toBe(Number(created.metadata.resourceVersion));

    const manager = c.get(TOKENS.Manager);
    controller(manager)
      .for(kinds.ConfigMap)
      .complete(async (req, ctx) => {
        const cm = await ctx.cache.get(kinds.ConfigMap, req);
        if (cm === undefined || cm.data?.['seen'] === 'yes') return;
        await ctx.client.patch(kinds.ConfigMap, req, { data: { seen: 'yes' } });
      });
    const stop = new AbortController();
    const running = manager.start(stop.signal);
    const client = c.get(TOKENS.Client);
    await client.create(kinds.ConfigMap, { metadata: { name: 'later' } });
    await eventually(async () => (await client.get(kinds.ConfigMap, { name: 'later' })).data?.['seen'] === 'yes', { clock });
    expect((await client.get(kinds.ConfigMap, { name: 'settings' })).data).toEqual({ mode: 'fast', seen: 'yes' });
    stop.abort();
    await running;
    await api.close();
    await store.close();
    expect(clock.pendingTimers).toBe(0);
  });

  it('passes its options to the store, and each container gets its own store', async () => {
    const clock = new FakeClock();
    const a = container(clock, { historyLimit: 2 });
    const b = container(clock);
    expect(a.get(TOKENS.Store)).not.toBe(b.get(TOKENS.Store));
    const store = a.get(TOKENS.Store);
    for (let i = 1; i <= 5; i++) await store.create(`/registry/test/${i}`, { v: i });
    // Only the 2 most recent revisions are kept.
    expect(await store.compactedRevision()).toBe((await store.revision()) - 2);
    expect(await b.get(TOKENS.Store).get('/registry/test/1')).toBeUndefined();
  });
});

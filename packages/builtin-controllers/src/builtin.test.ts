import { Container, ContainerModule, TOKENS, coreModule, kinds, silentLogger, type InputOf } from '@harbormaster/core';
import { FakeClock, eventually } from '@harbormaster/core/testing';
import { memoryStoreModule } from '@harbormaster/store-memory';
import { describe, expect, it } from 'vitest';
import { builtinControllersModule } from './builtin.js';

function container(clock: FakeClock, options: Parameters<typeof builtinControllersModule>[0] = {}): Container {
  const c = new Container();
  c.loadSync(
    memoryStoreModule(),
    coreModule(),
    builtinControllersModule(options),
    new ContainerModule(({ bind }) => {
      bind(TOKENS.Clock).toConstantValue(clock);
      bind(TOKENS.Logger).toConstantValue(silentLogger);
    }),
  );
  return c;
}

const replicaSet = (name: string): InputOf<typeof kinds.ReplicaSet> => ({
  metadata: { name },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
  },
});

describe('builtinControllersModule', () => {
  it('registers the built-in controllers and their admission plugins on the container manager', async () => {
    const clock = new FakeClock();
    const c = container(clock);
    const manager = c.get(TOKENS.Manager);
    const client = c.get(TOKENS.Client);
    const stop = new AbortController();
    const running = manager.start(stop.signal);
    await eventually(() => manager.informers.waitForCacheSync(stop.signal), { clock });

    // The ReplicaSet controller creates the pods, owned by the ReplicaSet.
    const rs = await client.create(kinds.ReplicaSet, replicaSet('web'));
    const pods = await eventually(async () => {
      const items = (await client.list(kinds.Pod, { labelSelector: 'app=web' })).items;
      return items.length === 2 ? items : undefined;
    }, { clock });
    expect(pods.every((p) => p.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid)).toBe(true);
    // The ClusterIP allocator is an admission plugin on the container's API server.
    const svc = await client.create(kinds.Service, { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } });
    expect(svc.spec?.clusterIP).toMatch(/^10\.\d+\.\d+\.\d+$/);
    // The garbage collector removes the pods of a deleted ReplicaSet.
    await client.delete(kinds.ReplicaSet, { name: 'web' });
    await eventually(async () => (await client.list(kinds.Pod, { labelSelector: 'app=web' })).items.length === 0, { clock });

    stop.abort();
    await running;
    expect(clock.pendingTimers).toBe(0);
  });

  it('leaves out the controllers named in disable', async () => {
    const clock = new FakeClock();
    const c = container(clock, { disable: ['replicaset'] });
    const manager = c.get(TOKENS.Manager);
    const client = c.get(TOKENS.Client);
    const stop = new AbortController();
    const running = manager.start(stop.signal);
    await eventually(() => manager.informers.waitForCacheSync(stop.signal), { clock });
    await client.create(kinds.ReplicaSet, replicaSet('idle'));
    await clock.advance(10_000);
    expect((await client.list(kinds.Pod)).items).toEqual([]);
    stop.abort();
    await running;
  });
});

import { createApiServer, kinds, silentLogger, type AnyKind, type ApiServer, type CachedReader, type ReconcileContext } from '@harbormaster/core';
import { FakeClock } from '@harbormaster/core/testing';
import { memoryStore } from '@harbormaster/store-memory';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXPECTATIONS_TIMEOUT_MS } from './expectations.js';
import { ReplicaSetReconciler } from './replicaset-controller.js';

/** A cache frozen in time: it shows what the test says, however the API changes. */
interface Snapshot {
  rs: kinds.ReplicaSet;
  pods: kinds.Pod[];
}

function laggingCache(snapshot: Snapshot): CachedReader {
  const of = (kind: AnyKind): kinds.Pod[] | kinds.ReplicaSet[] => (kind.kind === 'Pod' ? snapshot.pods : [snapshot.rs]);
  return {
    get: (kind, key) => Promise.resolve(of(kind).find((o) => o.metadata.name === key.name) as never),
    list: (kind, options) => Promise.resolve((of(kind) as kinds.Pod[]).filter((o) => options?.filter?.(o as never) ?? true) as never),
    byIndex: () => Promise.reject(new Error('not used by these tests')),
  };
}

describe('ReplicaSetReconciler expectations', () => {
  let clock: FakeClock;
  let api: ApiServer;
  let snapshot: Snapshot;
  let ctx: ReconcileContext;
  let deletes: string[];
  const req = { namespace: 'default', name: 'web' };

  beforeEach(async () => {
    clock = new FakeClock();
    api = createApiServer({ store: memoryStore(), clock });
    await api.ready();
    const rs = await api.client.create(kinds.ReplicaSet, {
      metadata: { name: 'web', namespace: 'default' },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:1' }] } } },
    });
    snapshot = { rs, pods: [] };
    deletes = [];
    const client = api.client;
    ctx = {
      signal: new AbortController().signal,
      client: {
        ...client,
        delete: (kind, key, options) => {
          deletes.push(key.name);
          return client.delete(kind, key, options);
        },
      },
      cache: laggingCache(snapshot),
      log: silentLogger,
      recorder: { event: () => undefined },
      clock,
      controller: 'replicaset-controller',
    };
  });
  afterEach(async () => {
    await api.close();
  });

  const podsInApi = async (): Promise<kinds.Pod[]> => (await api.client.list(kinds.Pod, { namespace: 'default' })).items;
  /** Reconcile with the cache's ReplicaSet current and its pods as the snapshot says. */
  const reconcile = async (r: ReplicaSetReconciler): Promise<unknown> => {
    snapshot.rs = await api.client.get(kinds.ReplicaSet, req);
    return r.reconcile(req, ctx);
  };

  it('does not create pods again while the cache has not seen the ones it created', async () => {
    const r = new ReplicaSetReconciler();
    await reconcile(r);
    expect(await podsInApi()).toHaveLength(3);
    // The cache still shows no pods: without expectations this would create three more.
    const result = await reconcile(r);
    await reconcile(r);
    expect(await podsInApi()).toHaveLength(3);
    // It comes back when the expectations would expire.
    expect(result).toEqual({ requeueAfter: EXPECTATIONS_TIMEOUT_MS + 1 });

    // The informer sees the pods: expectations are met, and the fresh cache needs nothing more.
    const handler = r.podEventHandler();
    const created = await podsInApi();
    for (const p of created) handler.onAdd?.(p, false);
    expect(r.expectations.satisfied('default/web', clock.now())).toBe(true);
    snapshot.pods = created;
    await reconcile(r);
    expect(await podsInApi()).toHaveLength(3);
  });

  it('does not delete pods again while the cache still shows the ones it deleted', async () => {
    const r = new ReplicaSetReconciler();
    await reconcile(r);
    const handler = r.podEventHandler();
    snapshot.pods = await podsInApi();
    for (const p of snapshot.pods) handler.onAdd?.(p, false);
    await api.client.patch(kinds.ReplicaSet, req, { spec: { replicas: 1 } });
    await reconcile(r);
    expect(await podsInApi()).toHaveLength(1);
    expect(deletes).toHaveLength(2);
    // The cache still has all three pods: no more deletes are even tried.
    await reconcile(r);
    expect(deletes).toHaveLength(2);
    expect(await podsInApi()).toHaveLength(1);
    for (const p of snapshot.pods) handler.onDelete?.(p);
    expect(r.expectations.satisfied('default/web', clock.now())).toBe(true);
  });

  it('acts again once unmet expectations expire (a lost event cannot stall it)', async () => {
    const r = new ReplicaSetReconciler();
    await reconcile(r);
    await clock.advance(EXPECTATIONS_TIMEOUT_MS + 1);
    await reconcile(r);
    expect(await podsInApi()).toHaveLength(6);
  });

  it('writes status from the pods it sees, with observedGeneration', async () => {
    const r = new ReplicaSetReconciler();
    await reconcile(r);
    const rs = await api.client.get(kinds.ReplicaSet, req);
    expect(rs.status).toEqual({ replicas: 0, observedGeneration: 1 });
  });
});

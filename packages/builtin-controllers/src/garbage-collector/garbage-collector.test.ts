import { describe, expect, it } from 'vitest';
import { isNotFound, kinds, ownerReference, setControllerReference, type OwnerReference } from '@harbormaster/core';
import { createTestEnv, type TestEnv } from '@harbormaster/core/testing';
import { memoryStore } from '@harbormaster/store-memory';
import { setupGarbageCollectorController, type GarbageCollector } from './garbage-collector.js';

async function env(): Promise<{ e: TestEnv; gc: GarbageCollector }> {
  const e = await createTestEnv({ store: memoryStore() });
  const gc = setupGarbageCollectorController(e.manager, { registry: e.api.registry });
  await e.start();
  return { e, gc };
}

const cm = (e: TestEnv, name: string, owners: OwnerReference[] = [], extra: { finalizers?: string[]; namespace?: string } = {}) =>
  e.client.create(kinds.ConfigMap, {
    metadata: {
      name,
      namespace: extra.namespace ?? 'default',
      ...(owners.length > 0 ? { ownerReferences: owners } : {}),
      ...(extra.finalizers ? { finalizers: extra.finalizers } : {}),
    },
  });

async function gone(e: TestEnv, name: string, namespace = 'default'): Promise<boolean> {
  try {
    await e.client.get(kinds.ConfigMap, { namespace, name });
    return false;
  } catch (err) {
    if (isNotFound(err)) return true;
    throw err;
  }
}

const exists = async (e: TestEnv, name: string, namespace = 'default') => !(await gone(e, name, namespace));

describe('garbage collector', () => {
  it('Background: deletes dependents after their owner is gone', async () => {
    const { e } = await env();
    const owner = await cm(e, 'owner');
    await cm(e, 'child-a', [ownerReference(owner)]);
    await cm(e, 'child-b', [ownerReference(owner, { controller: true, blockOwnerDeletion: true })]);
    await cm(e, 'bystander');
    await e.client.delete(kinds.ConfigMap, { namespace: 'default', name: 'owner' });
    await e.eventually(async () => (await gone(e, 'child-a')) && (await gone(e, 'child-b')));
    expect(await exists(e, 'bystander')).toBe(true);
    await e.stop();
  });

  it('Foreground: deletes dependents first; blocking dependents hold the owner until they are gone', async () => {
    const { e } = await env();
    const owner = await cm(e, 'owner');
    await cm(e, 'blocking', [ownerReference(owner, { blockOwnerDeletion: true })], { finalizers: ['example.com/hold'] });
    await cm(e, 'not-blocking', [ownerReference(owner)]);
    const deleted = await e.client.delete(kinds.ConfigMap, { namespace: 'default', name: 'owner' }, { propagationPolicy: 'Foreground' });
    expect(deleted.metadata.finalizers).toContain('foregroundDeletion');
    // The non-blocking dependent goes; the blocking one is deleted but held by its own finalizer.
    await e.eventually(() => gone(e, 'not-blocking'));
    await e.eventually(async () => Boolean((await e.client.get(kinds.ConfigMap, { namespace: 'default', name: 'blocking' })).metadata.deletionTimestamp));
    await e.clock.advance(10_000);
    const held = await e.client.get(kinds.ConfigMap, { namespace: 'default', name: 'owner' });
    expect(held.metadata.deletionTimestamp).toBeTruthy();
    expect(held.metadata.finalizers).toEqual(['foregroundDeletion']);
    // Releasing the blocking dependent lets the owner go.
    await e.client.patch(kinds.ConfigMap, { namespace: 'default', name: 'blocking' }, { metadata: { finalizers: null } });
    await e.eventually(async () => (await gone(e, 'blocking')) && (await gone(e, 'owner')));
    await e.stop();
  });

  it('Foreground: a dependent that does not block does not hold the owner', async () => {
    const { e } = await env();
    const owner = await cm(e, 'owner');
    await cm(e, 'slow', [ownerReference(owner)], { finalizers: ['example.com/hold'] });
    await e.client.delete(kinds.ConfigMap, { namespace: 'default', name: 'owner' }, { propagationPolicy: 'Foreground' });
    await e.eventually(() => gone(e, 'owner'));
    const slow = await e.client.get(kinds.ConfigMap, { namespace: 'default', name: 'slow' });
    expect(slow.metadata.deletionTimestamp).toBeTruthy();
    await e.stop();
  });

  it('Orphan: removes the owner reference from dependents, then the orphan finalizer', async () => {
    const { e } = await env();
    const owner = await cm(e, 'owner');
    const other = await cm(e, 'other-owner');
    await cm(e, 'child', [ownerReference(owner, { controller: true, blockOwnerDeletion: true }), ownerReference(other)]);
    const deleted = await e.client.delete(kinds.ConfigMap, { namespace: 'default', name: 'owner' }, { propagationPolicy: 'Orphan' });
    expect(deleted.metadata.finalizers).toEqual(['orphan']);
    await e.eventually(() => gone(e, 'owner'));
    const child = await e.client.get(kinds.ConfigMap, { namespace: 'default', name: 'child' });
    expect(child.metadata.ownerReferences?.map((r) => r.name)).toEqual(['other-owner']);
    await e.clock.advance(10_000);
    expect(await exists(e, 'child')).toBe(true);
    await e.stop();
  });

  it('deletes dependents whose owner never existed or exists with another uid', async () => {
    const { e, gc } = await env();
    await cm(e, 'real');
    const ghost: OwnerReference = { apiVersion: 'v1', kind: 'ConfigMap', name: 'ghost', uid: 'no-such-uid' };
    const impostor: OwnerReference = { apiVersion: 'v1', kind: 'ConfigMap', name: 'real', uid: 'not-the-real-uid' };
    await cm(e, 'orphan-of-ghost', [ghost]);
    await cm(e, 'orphan-of-impostor', [impostor]);
    await e.eventually(async () => (await gone(e, 'orphan-of-ghost')) && (await gone(e, 'orphan-of-impostor')));
    expect(await exists(e, 'real')).toBe(true);
    // The virtual node for the ghost owner is dropped once it is known absent.
    await e.eventually(() => !gc.graphHasUid('no-such-uid'));
    await e.stop();
  });

  it('keeps a dependent with a live owner, dropping only its dangling references', async () => {
    const { e } = await env();
    const live = await cm(e, 'live');
    const dead = await cm(e, 'dead');
    await cm(e, 'child', [ownerReference(live), ownerReference(dead)]);
    await e.client.delete(kinds.ConfigMap, { namespace: 'default', name: 'dead' });
    await e.eventually(async () => {
      const child = await e.client.get(kinds.ConfigMap, { namespace: 'default', name: 'child' });
      return child.metadata.ownerReferences?.length === 1 && child.metadata.ownerReferences[0]?.name === 'live';
    });
    await e.stop();
  });

  it('collects a chain Deployment → ReplicaSet → Pods in the background and in the foreground', async () => {
    const { e } = await env();
    const labels = { app: 'web' };
    const template = { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx' }] } };
    for (const policy of ['Background', 'Foreground'] as const) {
      const name = `web-${policy.toLowerCase()}`;
      const deploy = await e.client.create(kinds.Deployment, { metadata: { name }, spec: { selector: { matchLabels: labels }, template } });
      const rsInput = { metadata: { name: `${name}-5d8f`, namespace: 'default' }, spec: { replicas: 2, selector: { matchLabels: labels }, template } };
      setControllerReference(deploy, rsInput);
      const rs = await e.client.create(kinds.ReplicaSet, rsInput);
      for (const i of [0, 1]) {
        const pod = { metadata: { name: `${rs.metadata.name ?? ''}-${i}`, namespace: 'default', labels }, spec: template.spec };
        setControllerReference(rs, pod);
        await e.client.create(kinds.Pod, pod);
      }
      await e.client.delete(kinds.Deployment, { namespace: 'default', name }, { propagationPolicy: policy });
      await e.eventually(async () => {
        const [d, r, p] = await Promise.all([
          e.client.list(kinds.Deployment),
          e.client.list(kinds.ReplicaSet),
          e.client.list(kinds.Pod),
        ]);
        return d.items.length + r.items.length + p.items.length === 0;
      });
    }
    await e.stop();
  });

  it('treats an owner in another namespace as absent and reports OwnerRefInvalidNamespace', async () => {
    const { e } = await env();
    await e.client.create(kinds.Namespace, { metadata: { name: 'elsewhere' } });
    const owner = await cm(e, 'owner', [], { namespace: 'elsewhere' });
    await cm(e, 'cross', [ownerReference(owner)]);
    await e.eventually(() => gone(e, 'cross'));
    expect(await exists(e, 'owner', 'elsewhere')).toBe(true);
    const events = await e.eventually(async () => {
      const list = await e.client.list(kinds.Event, { namespace: 'default' });
      return list.items.find((ev) => ev.reason === 'OwnerRefInvalidNamespace');
    });
    expect(events.type).toBe('Warning');
    expect(events.involvedObject.name).toBe('cross');
    await e.stop();
  });

  it('never collects a cluster-scoped dependent of a namespaced owner', async () => {
    const { e } = await env();
    const owner = await cm(e, 'owner');
    await e.client.create(kinds.Namespace, { metadata: { name: 'dependent-ns', ownerReferences: [ownerReference(owner)] } });
    await e.eventually(async () => {
      const list = await e.client.list(kinds.Event, { namespace: 'default' });
      return list.items.some((ev) => ev.reason === 'OwnerRefInvalidNamespace' && ev.involvedObject.name === 'dependent-ns');
    });
    await e.clock.advance(60_000);
    expect((await e.client.get(kinds.Namespace, { name: 'dependent-ns' })).metadata.deletionTimestamp).toBeFalsy();
    await e.stop();
  });

  it('retries a reference to a kind the API does not serve instead of deleting', async () => {
    const { e } = await env();
    await cm(e, 'child', [{ apiVersion: 'example.com/v1', kind: 'Website', name: 'home', uid: 'u-1' }]);
    await e.clock.advance(120_000);
    expect(await exists(e, 'child')).toBe(true);
    await e.stop();
  });

  it('builds the graph from objects that exist before it starts', async () => {
    const e = await createTestEnv({ store: memoryStore() });
    const owner = await cm(e, 'owner');
    const child = await cm(e, 'child', [ownerReference(owner)]);
    await e.client.delete(kinds.ConfigMap, { namespace: 'default', name: 'owner' });
    const gc = setupGarbageCollectorController(e.manager, { registry: e.api.registry });
    await e.start();
    await e.eventually(() => gone(e, 'child'));
    expect(gc.graphHasUid(child.metadata.uid ?? '')).toBe(false);
    await e.stop();
    expect(e.clock.pendingTimers).toBe(0);
  });
});


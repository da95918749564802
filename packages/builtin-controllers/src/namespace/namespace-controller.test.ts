import { describe, expect, it } from 'vitest';
import { isForbidden, isNotFound, kinds } from '@harbormaster/core';
import { createTestEnv, type TestEnv } from '@harbormaster/core/testing';
import { memoryStore } from '@harbormaster/store-memory';
import { setupNamespaceController } from './namespace-controller.js';

async function env(): Promise<TestEnv> {
  const e = await createTestEnv({ store: memoryStore() });
  setupNamespaceController(e.manager, { registry: e.api.registry });
  await e.start();
  await e.client.create(kinds.Namespace, { metadata: { name: 'shop' } });
  return e;
}

async function namespaceGone(e: TestEnv, name: string): Promise<boolean> {
  try {
    await e.client.get(kinds.Namespace, { name });
    return false;
  } catch (err) {
    if (isNotFound(err)) return true;
    throw err;
  }
}

const condition = (ns: kinds.Namespace, type: string) => ns.status.conditions?.find((c) => c.type === type);
const pod = (name: string, nodeName?: string) => ({
  metadata: { name, namespace: 'shop' },
  spec: { containers: [{ name: 'app', image: 'nginx' }], ...(nodeName === undefined ? {} : { nodeName }) },
});

describe('namespace controller', () => {
  it('deletes every namespaced object, then the namespace', async () => {
    const e = await env();
    await e.client.create(kinds.ConfigMap, { metadata: { name: 'settings', namespace: 'shop' } });
    await e.client.create(kinds.Pod, pod('web-0'));
    await e.client.create(kinds.Service, { metadata: { name: 'web', namespace: 'shop' }, spec: { ports: [{ port: 80 }] } });
    await e.client.create(kinds.ConfigMap, { metadata: { name: 'elsewhere', namespace: 'default' } });
    const deleted = await e.client.delete(kinds.Namespace, { name: 'shop' });
    expect(deleted.status.phase).toBe('Terminating');
    await e.eventually(() => namespaceGone(e, 'shop'));
    for (const kind of [kinds.ConfigMap, kinds.Pod, kinds.Service]) {
      expect((await e.client.list(kind, { namespace: 'shop' })).items).toEqual([]);
    }
    expect((await e.client.get(kinds.ConfigMap, { namespace: 'default', name: 'elsewhere' })).metadata.name).toBe('elsewhere');
    await e.stop();
  });

  it('stays Terminating while content waits for finalizers, refusing new content, and reports why', async () => {
    const e = await env();
    await e.client.create(kinds.ConfigMap, { metadata: { name: 'held', namespace: 'shop', finalizers: ['example.com/hold'] } });
    await e.client.delete(kinds.Namespace, { name: 'shop' });
    const ns = await e.eventually(async () => {
      const n = await e.client.get(kinds.Namespace, { name: 'shop' });
      return condition(n, 'NamespaceFinalizersRemaining')?.status === 'True' ? n : undefined;
    });
    expect(condition(ns, 'NamespaceFinalizersRemaining')).toMatchObject({
      reason: 'SomeFinalizerRemain',
      message: 'Some finalizers are remaining: example.com/hold in 1 resource instances',
    });
    expect(condition(ns, 'NamespaceContentRemaining')).toMatchObject({
      status: 'True',
      reason: 'SomeResourcesRemain',
      message: 'Some resources are remaining: configmaps. has 1 resource instances',
    });
    expect(condition(ns, 'NamespaceDeletionDiscoveryFailure')).toMatchObject({ status: 'False', reason: 'ResourcesDiscovered' });
    expect(condition(ns, 'NamespaceDeletionContentFailure')).toMatchObject({ status: 'False', reason: 'ContentDeleted' });
    expect(ns.spec.finalizers).toEqual(['kubernetes']);
    await expect(e.client.create(kinds.ConfigMap, { metadata: { name: 'late', namespace: 'shop' } })).rejects.toSatisfy(isForbidden);

    await e.client.patch(kinds.ConfigMap, { namespace: 'shop', name: 'held' }, { metadata: { finalizers: null } });
    await e.eventually(() => namespaceGone(e, 'shop'));
    await e.stop();
  });

  it('waits for pods to terminate gracefully before finalizing', async () => {
    const e = await env();
    await e.client.create(kinds.Pod, pod('bound', 'node-1'));
    await e.client.delete(kinds.Namespace, { name: 'shop' });
    const terminating = await e.eventually(async () => {
      const p = await e.client.get(kinds.Pod, { namespace: 'shop', name: 'bound' });
      return p.metadata.deletionTimestamp ? p : undefined;
    });
    expect(terminating.metadata.deletionGracePeriodSeconds).toBe(30);
    await e.clock.advance(5_000);
    expect(await namespaceGone(e, 'shop')).toBe(false);
    // The node agent finishes the deletion.
    await e.client.delete(kinds.Pod, { namespace: 'shop', name: 'bound' }, { gracePeriodSeconds: 0 });
    await e.eventually(() => namespaceGone(e, 'shop'));
    await e.stop();
  });

  it('reports content that should be gone but is not as NamespaceDeletionContentFailure', async () => {
    const e = await env();
    await e.client.create(kinds.Pod, pod('stuck', 'node-1'));
    await e.client.delete(kinds.Namespace, { name: 'shop' });
    // No node agent: after the 30 s grace period the pod is still there.
    const ns = await e.eventually(async () => {
      const n = await e.client.get(kinds.Namespace, { name: 'shop' });
      return condition(n, 'NamespaceDeletionContentFailure')?.status === 'True' ? n : undefined;
    });
    expect(condition(ns, 'NamespaceDeletionContentFailure')?.reason).toBe('ContentDeletionFailed');
    expect(condition(ns, 'NamespaceDeletionContentFailure')?.message).toContain('unexpected items still remain in namespace: shop');
    await e.client.delete(kinds.Pod, { namespace: 'shop', name: 'stuck' }, { gracePeriodSeconds: 0 });
    await e.eventually(() => namespaceGone(e, 'shop'));
    await e.stop();
  });

  it('leaves namespaces that are not being deleted alone', async () => {
    const e = await env();
    await e.client.create(kinds.ConfigMap, { metadata: { name: 'settings', namespace: 'shop' } });
    await e.clock.advance(30_000);
    const ns = await e.client.get(kinds.Namespace, { name: 'shop' });
    expect(ns.status.conditions).toBeUndefined();
    expect(ns.spec.finalizers).toEqual(['kubernetes']);
    await e.stop();
  });
});

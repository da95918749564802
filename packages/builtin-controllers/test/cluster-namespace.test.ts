/**
 * Scenario: deleting a namespace deletes everything in it — a Deployment → ReplicaSet → Pods
 * chain, a Service with its Endpoints and EndpointSlice, ConfigMaps — then the namespace, and
 * nothing can be created in it meanwhile.
 */
import { describe, expect, it } from 'vitest';
import { isForbidden, kinds, setControllerReference, type AnyKind } from '@harbormaster/core';
import { clusterEnv } from './support-cluster/cluster-env.js';
import { runningPod } from './support-cluster/pods.js';

describe('cluster: namespaces', () => {
  it('deleting a namespace removes everything in it and then the namespace; creating in it meanwhile is Forbidden', async () => {
    const e = await clusterEnv();
    await e.client.create(kinds.Namespace, { metadata: { name: 'shop' } });
    const labels = { app: 'web' };
    const template = { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }] } };
    const deploy = await e.client.create(kinds.Deployment, { metadata: { name: 'web', namespace: 'shop' }, spec: { selector: { matchLabels: labels }, template } });
    const rsInput = { metadata: { name: 'web-5d8f', namespace: 'shop' }, spec: { replicas: 2, selector: { matchLabels: labels }, template } };
    setControllerReference(deploy, rsInput);
    const rs = await e.client.create(kinds.ReplicaSet, rsInput);
    for (const i of [0, 1]) {
      const pod = await runningPod(e.client, `web-5d8f-${i}`, { namespace: 'shop', labels, ports: [{ name: 'http', containerPort: 8080 }], ip: `10.244.2.${i + 2}` });
      setControllerReference(rs, pod);
      await e.client.update(kinds.Pod, pod);
    }
    const svc = await e.client.create(kinds.Service, { metadata: { name: 'web', namespace: 'shop' }, spec: { selector: labels, ports: [{ port: 80, targetPort: 'http' }] } });
    await e.client.create(kinds.ConfigMap, { metadata: { name: 'settings', namespace: 'shop' }, data: { color: 'blue' } });
    await e.client.create(kinds.ConfigMap, { metadata: { name: 'held', namespace: 'shop', finalizers: ['example.com/backup'] } });
    await e.eventually(async () => (await e.client.list(kinds.EndpointSlice, { namespace: 'shop' })).items[0]?.endpoints?.length === 2);
    await e.eventually(async () => (await e.client.get(kinds.Endpoints, { namespace: 'shop', name: 'web' })).subsets?.[0]?.addresses?.length === 2);

    const deleted = await e.client.delete(kinds.Namespace, { name: 'shop' });
    expect(deleted.status.phase).toBe('Terminating');
    await expect(e.client.create(kinds.ConfigMap, { metadata: { name: 'late', namespace: 'shop' } })).rejects.toSatisfy(isForbidden);

    const contents: AnyKind[] = [kinds.Deployment, kinds.ReplicaSet, kinds.Pod, kinds.Service, kinds.Endpoints, kinds.EndpointSlice];
    await e.eventually(async () => {
      for (const kind of contents) if ((await e.client.list(kind, { namespace: 'shop' })).items.length > 0) return false;
      return true;
    });
    // The held ConfigMap keeps the namespace Terminating, and the conditions say why.
    const ns = await e.client.get(kinds.Namespace, { name: 'shop' });
    expect(ns.status.conditions?.find((c) => c.type === 'NamespaceFinalizersRemaining')?.message).toBe(
      'Some finalizers are remaining: example.com/backup in 1 resource instances',
    );
    await expect(e.client.create(kinds.Service, { metadata: { name: 'late', namespace: 'shop' }, spec: { ports: [{ port: 80 }] } })).rejects.toSatisfy(isForbidden);

    await e.client.patch(kinds.ConfigMap, { namespace: 'shop', name: 'held' }, { metadata: { finalizers: null } });
    await e.eventually(() => e.gone(kinds.Namespace, { name: 'shop' }));
    await e.eventually(() => e.ips.ownerOf(svc.spec.clusterIP ?? '') === undefined);
    // A namespace of the same name starts empty.
    await e.client.create(kinds.Namespace, { metadata: { name: 'shop' } });
    expect((await e.client.list(kinds.ConfigMap, { namespace: 'shop' })).items).toEqual([]);
    await e.stop();
  });
});

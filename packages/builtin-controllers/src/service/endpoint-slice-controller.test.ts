import { describe, expect, it } from 'vitest';
import { kinds, type InputOf } from '@harbormaster/core';
import { createTestEnv, type TestEnv } from '@harbormaster/core/testing';
import { memoryStore } from '@harbormaster/store-memory';
import { runningPod, setPodStatus } from '../../test/support-cluster/pods.js';
import { setupEndpointSliceController } from './endpoint-slice-controller.js';

async function env(maxEndpointsPerSlice?: number): Promise<TestEnv> {
  const e = await createTestEnv({ store: memoryStore() });
  setupEndpointSliceController(e.manager, maxEndpointsPerSlice === undefined ? {} : { maxEndpointsPerSlice });
  await e.start();
  return e;
}

const slicesOf = async (e: TestEnv, service = 'web') =>
  (await e.client.list(kinds.EndpointSlice, { namespace: 'default', labelSelector: `kubernetes.io/service-name=${service}` })).items;

type ServiceSpecInput = Partial<NonNullable<InputOf<typeof kinds.Service>['spec']>>;

async function webService(e: TestEnv, spec: ServiceSpecInput = {}): Promise<kinds.Service> {
  return e.client.create(kinds.Service, {
    metadata: { name: 'web', labels: { tier: 'front' } },
    spec: { selector: { app: 'web' }, clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, targetPort: 'http' }], ...spec },
  });
}

const http = [{ name: 'http', containerPort: 8080 }];
const conditionsOf = async (e: TestEnv) => {
  const slices = await slicesOf(e);
  return Object.fromEntries(slices.flatMap((s) => (s.endpoints ?? []).map((ep) => [ep.targetRef?.name ?? '', ep.conditions])));
};

describe('endpointslice controller', () => {
  it('creates a labelled slice owned by the Service, with Kubernetes’ conditions', async () => {
    const e = await env();
    const svc = await webService(e);
    await e.client.create(kinds.Node, { metadata: { name: 'node-1', labels: { 'topology.kubernetes.io/zone': 'zone-a' } } });
    await runningPod(e.client, 'web-a', { labels: { app: 'web' }, ports: http, ip: '10.244.0.2', nodeName: 'node-1' });
    await runningPod(e.client, 'web-b', { labels: { app: 'web' }, ports: http, ip: '10.244.0.3', ready: false });
    const [slice] = await e.eventually(async () => {
      const s = await slicesOf(e);
      return s.length === 1 && s[0]?.endpoints?.length === 2 ? s : undefined;
    });
    expect(slice?.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
    expect(slice?.metadata.labels).toEqual({
      tier: 'front',
      'kubernetes.io/service-name': 'web',
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
    });
    expect(slice?.metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    expect(slice?.addressType).toBe('IPv4');
    expect(slice?.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const a = slice?.endpoints?.find((ep) => ep.targetRef?.name === 'web-a');
    expect(a).toEqual({
      addresses: ['10.244.0.2'],
      conditions: { ready: true, serving: true, terminating: false },
      targetRef: { kind: 'Pod', namespace: 'default', name: 'web-a', uid: expect.any(String) as string },
      nodeName: 'node-1',
      zone: 'zone-a',
    });
    expect((await conditionsOf(e))['web-b']).toEqual({ ready: false, serving: false, terminating: false });
    await e.stop();
  });

  it('follows pods becoming ready, terminating and deleted', async () => {
    const e = await env();
    await webService(e);
    await runningPod(e.client, 'web-a', { labels: { app: 'web' }, ports: http, ip: '10.244.0.2', ready: false, nodeName: 'node-1' });
    await e.eventually(async () => (await conditionsOf(e))['web-a']?.serving === false);
    await setPodStatus(e.client, { name: 'web-a' }, { ip: '10.244.0.2', ready: true });
    await e.eventually(async () => (await conditionsOf(e))['web-a']?.ready === true);
    await e.client.delete(kinds.Pod, { namespace: 'default', name: 'web-a' });
    // Terminating but still serving: kept, not ready.
    await e.eventually(async () => {
      const c = (await conditionsOf(e))['web-a'];
      return c?.terminating === true && c.serving === true && c.ready === false;
    });
    await e.client.delete(kinds.Pod, { namespace: 'default', name: 'web-a' }, { gracePeriodSeconds: 0 });
    // The last endpoint gone: one empty placeholder slice remains.
    const slices = await e.eventually(async () => {
      const s = await slicesOf(e);
      return s.length === 1 && (s[0]?.endpoints ?? []).length === 0 ? s : undefined;
    });
    expect(slices[0]?.ports ?? []).toEqual([]);
    await e.stop();
  });

  it('publishNotReadyAddresses makes every endpoint ready', async () => {
    const e = await env();
    await webService(e, { publishNotReadyAddresses: true });
    await runningPod(e.client, 'web-a', { labels: { app: 'web' }, ports: http, ip: '10.244.0.2', ready: false });
    await e.eventually(async () => {
      const c = (await conditionsOf(e))['web-a'];
      return c?.ready === true && c.serving === false;
    });
    await e.stop();
  });

  it('puts at most maxEndpointsPerSlice endpoints in a slice, one set of slices per resolved port', async () => {
    const e = await env(3);
    await webService(e);
    for (let i = 0; i < 7; i++) await runningPod(e.client, `web-${i}`, { labels: { app: 'web' }, ports: http, ip: `10.244.0.${10 + i}` });
    await runningPod(e.client, 'web-alt', { labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 9000 }], ip: '10.244.1.1' });
    const slices = await e.eventually(async () => {
      const s = await slicesOf(e);
      return s.reduce((n, x) => n + (x.endpoints ?? []).length, 0) === 8 ? s : undefined;
    });
    const byPort = new Map<number, number[]>();
    for (const s of slices) {
      const port = s.ports?.[0]?.port ?? 0;
      byPort.set(port, [...(byPort.get(port) ?? []), (s.endpoints ?? []).length].sort());
    }
    expect(byPort.get(8080)).toEqual([1, 3, 3]);
    expect(byPort.get(9000)).toEqual([1]);
    // Removing one pod updates its slice in place instead of reshuffling.
    const names = new Set(slices.map((s) => s.metadata.name));
    await e.client.delete(kinds.Pod, { namespace: 'default', name: 'web-0' });
    await e.eventually(async () => (await slicesOf(e)).reduce((n, x) => n + (x.endpoints ?? []).length, 0) === 7);
    expect(new Set((await slicesOf(e)).map((s) => s.metadata.name))).toEqual(names);
    await e.stop();
  });

  it('restores a slice someone changed, and creates a placeholder for a Service without pods', async () => {
    const e = await env();
    await webService(e);
    const [placeholder] = await e.eventually(async () => {
      const s = await slicesOf(e);
      return s.length === 1 ? s : undefined;
    });
    expect(placeholder?.endpoints ?? []).toEqual([]);
    await runningPod(e.client, 'web-a', { labels: { app: 'web' }, ports: http, ip: '10.244.0.2' });
    const [slice] = await e.eventually(async () => {
      const s = await slicesOf(e);
      return s.length === 1 && s[0]?.endpoints?.length === 1 ? s : undefined;
    });
    await e.client.update(kinds.EndpointSlice, { ...structuredClone(slice as kinds.EndpointSlice), endpoints: [] });
    await e.eventually(async () => (await slicesOf(e))[0]?.endpoints?.length === 1);
    await e.stop();
  });
});

import { describe, expect, it } from 'vitest';
import { isNotFound, kinds, type InputOf } from '@harbormaster/core';
import { createTestEnv, type TestEnv } from '@harbormaster/core/testing';
import { memoryStore } from '@harbormaster/store-memory';
import { createPod, runningPod, setPodStatus } from '../../test/support-cluster/pods.js';
import { setupEndpointsController } from './endpoints-controller.js';

async function env(): Promise<TestEnv> {
  const e = await createTestEnv({ store: memoryStore() });
  setupEndpointsController(e.manager);
  await e.start();
  return e;
}

const key = { namespace: 'default', name: 'web' };
const getEndpoints = (e: TestEnv) => e.client.get(kinds.Endpoints, key);
const ips = (list: readonly kinds.EndpointAddress[] | undefined) => (list ?? []).map((a) => a.ip);

type ServiceSpecInput = Partial<NonNullable<InputOf<typeof kinds.Service>['spec']>>;

async function webService(e: TestEnv, spec: ServiceSpecInput = {}, labels: Record<string, string> = {}): Promise<kinds.Service> {
  return e.client.create(kinds.Service, {
    metadata: { name: 'web', labels },
    spec: { selector: { app: 'web' }, clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, targetPort: 'http' }], ...spec },
  });
}

const http = [{ name: 'http', containerPort: 8080 }];

describe('endpoints controller', () => {
  it('lists ready pods as addresses and the others as notReadyAddresses, on the named target port', async () => {
    const e = await env();
    await webService(e, {}, { tier: 'front' });
    await runningPod(e.client, 'web-a', { labels: { app: 'web' }, ports: http, ip: '10.244.0.2', nodeName: 'node-1' });
    await runningPod(e.client, 'web-b', { labels: { app: 'web' }, ports: http, ip: '10.244.0.3', ready: false });
    await createPod(e.client, 'web-no-ip', { labels: { app: 'web' }, ports: http });
    await runningPod(e.client, 'other', { labels: { app: 'other' }, ports: http, ip: '10.244.0.9' });
    const ep = await e.eventually(async () => {
      const got = await getEndpoints(e).catch(() => undefined);
      return got?.subsets?.[0]?.notReadyAddresses?.length === 1 ? got : undefined;
    });
    expect(ep.subsets).toEqual([
      {
        addresses: [
          { ip: '10.244.0.2', nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'default', name: 'web-a', uid: expect.any(String) as string } },
        ],
        notReadyAddresses: [{ ip: '10.244.0.3', targetRef: { kind: 'Pod', namespace: 'default', name: 'web-b', uid: expect.any(String) as string } }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ]);
    expect(ep.metadata.labels).toEqual({ tier: 'front' });
    await e.stop();
  });

  it('follows pods becoming ready, unready, terminating, terminal and deleted', async () => {
    const e = await env();
    await webService(e);
    await runningPod(e.client, 'web-a', { labels: { app: 'web' }, ports: http, ip: '10.244.0.2', ready: false, nodeName: 'node-1' });
    await e.eventually(async () => ips((await getEndpoints(e)).subsets?.[0]?.notReadyAddresses).includes('10.244.0.2'));
    await setPodStatus(e.client, { name: 'web-a' }, { ip: '10.244.0.2', ready: true });
    await e.eventually(async () => ips((await getEndpoints(e)).subsets?.[0]?.addresses).includes('10.244.0.2'));
    // Terminating (graceful delete on a node): out of Endpoints.
    await e.client.delete(kinds.Pod, { namespace: 'default', name: 'web-a' });
    await e.eventually(async () => (await getEndpoints(e)).subsets === undefined);
    await runningPod(e.client, 'web-b', { labels: { app: 'web' }, ports: http, ip: '10.244.0.3', restartPolicy: 'Never' });
    await e.eventually(async () => ips((await getEndpoints(e)).subsets?.[0]?.addresses).includes('10.244.0.3'));
    await setPodStatus(e.client, { name: 'web-b' }, { ip: '10.244.0.3', ready: false, phase: 'Succeeded' });
    await e.eventually(async () => (await getEndpoints(e)).subsets === undefined);
    await e.stop();
  });

  it('publishNotReadyAddresses lists every pod as ready, terminating ones too', async () => {
    const e = await env();
    await webService(e, { publishNotReadyAddresses: true });
    await runningPod(e.client, 'web-a', { labels: { app: 'web' }, ports: http, ip: '10.244.0.2', ready: false, nodeName: 'node-1' });
    await e.client.delete(kinds.Pod, { namespace: 'default', name: 'web-a' });
    const ep = await e.eventually(async () => {
      const got = await getEndpoints(e).catch(() => undefined);
      return got?.subsets?.[0]?.addresses?.length === 1 ? got : undefined;
    });
    expect(ep.subsets?.[0]?.notReadyAddresses).toBeUndefined();
    await e.stop();
  });

  it('resolves named target ports per pod and groups addresses by port', async () => {
    const e = await env();
    await webService(e, { ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'metrics', port: 9090, targetPort: 9090 }] });
    await runningPod(e.client, 'web-a', { labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 8080 }], ip: '10.244.0.2' });
    await runningPod(e.client, 'web-b', { labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 9000 }], ip: '10.244.0.3' });
    await runningPod(e.client, 'web-c', { labels: { app: 'web' }, ports: [{ name: 'web', containerPort: 9000 }], ip: '10.244.0.4' });
    const ep = await e.eventually(async () => {
      const got = await getEndpoints(e).catch(() => undefined);
      return got?.subsets?.length === 3 ? got : undefined;
    });
    const summary = (ep.subsets ?? []).map((s) => [ips(s.addresses), (s.ports ?? []).map((p) => `${p.name ?? ''}:${p.port}`)]);
    expect(summary).toEqual([
      [['10.244.0.2'], ['http:8080', 'metrics:9090']],
      [['10.244.0.3'], ['http:9000', 'metrics:9090']],
      // web-c has no "http" port: it serves metrics only.
      [['10.244.0.4'], ['metrics:9090']],
    ]);
    await e.stop();
  });

  it('labels a headless Service’s Endpoints, lists addresses without ports, and sets hostnames', async () => {
    const e = await env();
    await webService(e, { clusterIP: 'None', ports: [] });
    await runningPod(e.client, 'web-0', { labels: { app: 'web' }, ip: '10.244.0.2', hostname: 'web-0', subdomain: 'web' });
    const ep = await e.eventually(async () => {
      const got = await getEndpoints(e).catch(() => undefined);
      return got?.subsets?.length === 1 ? got : undefined;
    });
    expect(ep.metadata.labels).toEqual({ 'service.kubernetes.io/headless': '' });
    expect(ep.subsets?.[0]).toMatchObject({ addresses: [{ ip: '10.244.0.2', hostname: 'web-0' }] });
    expect(ep.subsets?.[0]?.ports).toBeUndefined();
    await e.stop();
  });

  it('recreates deleted Endpoints, deletes them with the Service, and leaves selectorless Services alone', async () => {
    const e = await env();
    await webService(e);
    await e.eventually(() => getEndpoints(e));
    await e.client.delete(kinds.Endpoints, key);
    await e.eventually(() => getEndpoints(e));
    await e.client.delete(kinds.Service, key);
    await e.eventually(async () => {
      try {
        await getEndpoints(e);
        return false;
      } catch (err) {
        return isNotFound(err);
      }
    });
    await e.client.create(kinds.Service, { metadata: { name: 'manual' }, spec: { ports: [{ port: 80 }] } });
    await e.client.create(kinds.Endpoints, { metadata: { name: 'manual' }, subsets: [{ addresses: [{ ip: '192.0.2.1' }], ports: [{ port: 80 }] }] });
    await e.clock.advance(5_000);
    expect((await e.client.get(kinds.Endpoints, { namespace: 'default', name: 'manual' })).subsets?.[0]?.addresses?.[0]?.ip).toBe('192.0.2.1');
    await e.stop();
  });
});

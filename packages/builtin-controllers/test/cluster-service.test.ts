/**
 * Scenario: Services end to end — ClusterIP allocation, Endpoints and EndpointSlices following
 * their pods, and clean-up (Endpoints by their controller, slices by the garbage collector, the
 * address by the allocator's repair controller) when the Service goes.
 */
import { describe, expect, it } from 'vitest';
import { kinds } from '@harbormaster/core';
import { clusterEnv, type ClusterEnv } from './support-cluster/cluster-env.js';
import { runningPod, setPodStatus } from './support-cluster/pods.js';

const key = { namespace: 'default', name: 'web' };
const http = [{ name: 'http', containerPort: 8080 }];

async function slices(e: ClusterEnv): Promise<kinds.EndpointSlice[]> {
  return (await e.client.list(kinds.EndpointSlice, { namespace: 'default', labelSelector: 'kubernetes.io/service-name=web' })).items;
}

async function endpointConditions(e: ClusterEnv): Promise<Record<string, kinds.Endpoint['conditions']>> {
  return Object.fromEntries((await slices(e)).flatMap((s) => (s.endpoints ?? []).map((ep) => [ep.targetRef?.name ?? '', ep.conditions])));
}

async function addresses(e: ClusterEnv): Promise<{ ready: string[]; notReady: string[] }> {
  const ep = await e.client.get(kinds.Endpoints, key).catch(() => undefined);
  const names = (list: readonly kinds.EndpointAddress[] | undefined) => (list ?? []).map((a) => a.targetRef?.name ?? '').sort();
  return { ready: (ep?.subsets ?? []).flatMap((s) => names(s.addresses)).sort(), notReady: (ep?.subsets ?? []).flatMap((s) => names(s.notReadyAddresses)).sort() };
}

describe('cluster: services', () => {
  it('allocates a ClusterIP, follows pods in Endpoints and EndpointSlices, and cleans up after the Service', async () => {
    const e = await clusterEnv({ serviceRange: '10.0.0.0/24' });
    const svc = await e.client.create(kinds.Service, {
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
    const ip = svc.spec.clusterIP ?? '';
    expect(e.ips.contains(ip)).toBe(true);
    for (const [i, name] of ['web-0', 'web-1', 'web-2'].entries()) {
      await runningPod(e.client, name, { labels: { app: 'web' }, ports: http, ip: `10.244.1.${i + 2}`, nodeName: 'node-1' });
    }
    await e.eventually(async () => (await addresses(e)).ready.length === 3);
    await e.eventually(async () => Object.values(await endpointConditions(e)).filter((c) => c?.ready === true).length === 3);

    // One pod fails its readiness probe.
    await setPodStatus(e.client, { name: 'web-1' }, { ip: '10.244.1.3', ready: false });
    await e.eventually(async () => JSON.stringify(await addresses(e)) === JSON.stringify({ ready: ['web-0', 'web-2'], notReady: ['web-1'] }));
    await e.eventually(async () => (await endpointConditions(e))['web-1']?.serving === false);

    // One is being deleted: gone from Endpoints, terminating (still serving) in its slice.
    await e.client.delete(kinds.Pod, { namespace: 'default', name: 'web-2' });
    await e.eventually(async () => JSON.stringify(await addresses(e)) === JSON.stringify({ ready: ['web-0'], notReady: ['web-1'] }));
    await e.eventually(async () => {
      const c = (await endpointConditions(e))['web-2'];
      return c?.terminating === true && c.serving === true && c.ready === false;
    });

    // Deleting the Service removes its Endpoints, its slices and its address.
    await e.client.delete(kinds.Service, key);
    await e.eventually(async () => (await e.gone(kinds.Endpoints, key)) && (await slices(e)).length === 0);
    await e.eventually(() => e.ips.ownerOf(ip) === undefined);
    const again = await e.client.create(kinds.Service, { metadata: { name: 'again' }, spec: { clusterIP: ip, ports: [{ port: 80 }] } });
    expect(again.spec.clusterIP).toBe(ip);
    await e.stop();
    // A clean shutdown leaves no timer behind.
    expect(e.clock.pendingTimers).toBe(0);
  });

  it('a headless Service gets no address; publishNotReadyAddresses lists every pod, with hostnames', async () => {
    const e = await clusterEnv();
    const svc = await e.client.create(kinds.Service, {
      metadata: { name: 'web' },
      spec: { clusterIP: 'None', publishNotReadyAddresses: true, selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
    expect(svc.spec.clusterIPs).toEqual(['None']);
    await runningPod(e.client, 'web-0', { labels: { app: 'web' }, ports: http, ip: '10.244.1.2', ready: false, hostname: 'web-0', subdomain: 'web' });
    const ep = await e.eventually(async () => {
      const got = await e.client.get(kinds.Endpoints, key).catch(() => undefined);
      return got?.subsets?.[0]?.addresses?.length === 1 ? got : undefined;
    });
    expect(ep.metadata.labels?.['service.kubernetes.io/headless']).toBe('');
    expect(ep.subsets?.[0]?.addresses?.[0]?.hostname).toBe('web-0');
    const [slice] = await e.eventually(async () => {
      const s = await slices(e);
      return s[0]?.endpoints?.length === 1 ? s : undefined;
    });
    expect(slice?.endpoints?.[0]).toMatchObject({ hostname: 'web-0', conditions: { ready: true, serving: false, terminating: false } });
    expect(e.ips.allocatedCount).toBe(0);
    await e.stop();
  });
});

import { createApiServer, kinds, type ApiServer, type Client } from '@harbormaster/core';
import { FakeClock } from '@harbormaster/core/testing';
import { memoryStore } from '@harbormaster/store-memory';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { simulatedCluster } from './simulated-cluster.js';
import { simulatedNode, type SimulatedNode } from './simulated-node.js';

let clock: FakeClock;
let api: ApiServer;
const stops: (() => Promise<void>)[] = [];

beforeEach(async () => {
  clock = new FakeClock();
  api = createApiServer({ store: memoryStore(), clock });
  await api.ready();
});
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  await api.close();
});

/** Advance the clock in 100 ms steps until `check` passes (at most `timeoutMs`). */
async function until<T>(check: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  let last: unknown;
  for (let t = 0; t <= timeoutMs; t += 100) {
    try {
      return await check();
    } catch (e) {
      last = e;
    }
    await clock.advance(100);
  }
  throw last;
}

function run(node: SimulatedNode): void {
  const signal = new AbortController();
  const done = node.start(signal.signal);
  stops.push(async () => {
    signal.abort();
    await done;
  });
}

const podOn = (name: string, nodeName: string, extra: Partial<kinds.PodSpec> = {}) => ({
  metadata: { name, namespace: 'default' },
  spec: { nodeName, containers: [{ name: 'app', image: 'acme/app:1' }, { name: 'sidecar', image: 'acme/log:1' }], ...extra },
});

const getPod = (name: string): Promise<kinds.Pod> => api.client.get(kinds.Pod, { namespace: 'default', name });
const condition = (p: kinds.Pod, type: string) => p.status?.conditions?.find((c) => c.type === type);

describe('simulatedNode', () => {
  it('registers a Node with capacity, labels, taints and Ready, and renews its Lease every 10 s', async () => {
    const node = simulatedNode({
      name: 'node-a',
      client: api.client,
      clock,
      capacity: { cpu: '8', memory: '32Gi', pods: 110 },
      labels: { 'topology.kubernetes.io/zone': 'z1' },
      taints: [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }],
    });
    run(node);
    const n = await until(() => api.client.get(kinds.Node, { name: 'node-a' }));
    expect(node.running).toBe(true);
    expect(n.metadata.labels).toEqual({ 'kubernetes.io/hostname': 'node-a', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'topology.kubernetes.io/zone': 'z1' });
    expect(n.spec).toMatchObject({ podCIDR: '10.244.0.0/24', taints: [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }] });
    expect(n.status?.capacity).toEqual({ cpu: '8', memory: '32Gi', pods: '110' });
    expect(n.status?.allocatable).toEqual({ cpu: '8', memory: '32Gi', pods: '110' });
    expect(n.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'KubeletReady' });
    expect(n.status?.addresses).toEqual([
      { type: 'InternalIP', address: '172.16.0.2' },
      { type: 'Hostname', address: 'node-a' },
    ]);
    const lease = await until(() => api.client.get(kinds.Lease, { namespace: 'kube-node-lease', name: 'node-a' }));
    expect(lease.spec).toMatchObject({ holderIdentity: 'node-a', leaseDurationSeconds: 40 });
    expect(lease.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: 'node-a', uid: n.metadata.uid }]);
    const first = Date.parse(lease.spec.renewTime ?? '');
    await clock.advance(10_000);
    const renewed = await api.client.get(kinds.Lease, { namespace: 'kube-node-lease', name: 'node-a' });
    expect(Date.parse(renewed.spec.renewTime ?? '') - first).toBe(10_000);
  });

  it('runs bound pods: Running after startupDelayMs, Ready after readyDelayMs, with IPs and container statuses', async () => {
    run(simulatedNode({ name: 'node-a', client: api.client, clock, startupDelayMs: 1000, readyDelayMs: 2000, podCIDR: '10.1.2.0/24', internalIP: '192.168.0.7' }));
    await until(() => api.client.get(kinds.Node, { name: 'node-a' }));
    await api.client.create(kinds.Pod, podOn('p1', 'node-a'));
    await clock.advance(900);
    expect((await getPod('p1')).status?.phase).toBe('Pending');
    const running = await until(async () => {
      const p = await getPod('p1');
      expect(p.status?.phase).toBe('Running');
      return p;
    });
    expect(running.status).toMatchObject({ hostIP: '192.168.0.7', hostIPs: [{ ip: '192.168.0.7' }] });
    expect(running.status?.podIP).toMatch(/^10\.1\.2\.(\d+)$/);
    expect(running.status?.podIPs).toEqual([{ ip: running.status?.podIP }]);
    expect(running.status?.startTime).toBeDefined();
    expect(condition(running, 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady' });
    expect(condition(running, 'PodScheduled')?.status).toBe('True');
    expect(condition(running, 'Initialized')?.status).toBe('True');
    expect(running.status?.containerStatuses?.map((c) => [c.name, c.started, c.ready, c.restartCount, Boolean(c.state?.running?.startedAt)])).toEqual([
      ['app', true, false, 0, true],
      ['sidecar', true, false, 0, true],
    ]);
    const ready = await until(async () => {
      const p = await getPod('p1');
      expect(condition(p, 'Ready')?.status).toBe('True');
      return p;
    });
    expect(condition(ready, 'ContainersReady')?.status).toBe('True');
    expect(ready.status?.containerStatuses?.every((c) => c.ready)).toBe(true);
    expect(ready.status?.podIP).toBe(running.status?.podIP);
    // Pods of other nodes are not touched.
    await api.client.create(kinds.Pod, podOn('elsewhere', 'node-b'));
    await clock.advance(5000);
    expect((await getPod('elsewhere')).status?.phase).toBe('Pending');
  });

  it('finishes graceful deletion after deletionDelayMs', async () => {
    run(simulatedNode({ name: 'node-a', client: api.client, clock, deletionDelayMs: 3000 }));
    await until(() => api.client.get(kinds.Node, { name: 'node-a' }));
    await api.client.create(kinds.Pod, podOn('p1', 'node-a'));
    await until(async () => expect((await getPod('p1')).status?.phase).toBe('Running'));
    const deleting = await api.client.delete(kinds.Pod, { namespace: 'default', name: 'p1' });
    expect(deleting.metadata.deletionTimestamp).toBeDefined();
    await clock.advance(2500);
    expect((await getPod('p1')).metadata.deletionTimestamp).toBeDefined();
    await until(async () => {
      await expect(getPod('p1')).rejects.toThrow(/not found/);
    });
  });

  it('restarts crashing containers with CrashLoopBackOff, and fails pods that must not restart', async () => {
    run(
      simulatedNode({
        name: 'node-a',
        client: api.client,
        clock,
        podBehavior: (pod) => (pod.metadata.name === 'crashy' || pod.metadata.name === 'once' ? { exitAfterMs: 5000 } : undefined),
      }),
    );
    await until(() => api.client.get(kinds.Node, { name: 'node-a' }));
    await api.client.create(kinds.Pod, podOn('crashy', 'node-a'));
    await api.client.create(kinds.Pod, podOn('once', 'node-a', { restartPolicy: 'Never' }));
    const backoff = await until(async () => {
      const p = await getPod('crashy');
      expect(p.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('CrashLoopBackOff');
      return p;
    });
    expect(backoff.status?.phase).toBe('Running');
    expect(condition(backoff, 'Ready')?.status).toBe('False');
    expect(backoff.status?.containerStatuses?.[0]?.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    const restarted = await until(async () => {
      const p = await getPod('crashy');
      expect(p.status?.containerStatuses?.[0]?.restartCount).toBe(1);
      expect(condition(p, 'Ready')?.status).toBe('True');
      return p;
    }, 15_000);
    expect(restarted.status?.containerStatuses?.[0]?.state?.running).toBeDefined();
    const failed = await getPod('once');
    expect(failed.status?.phase).toBe('Failed');
    expect(failed.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 1 });
  });

  it('crashContainer makes a running pod restart', async () => {
    const node = simulatedNode({ name: 'node-a', client: api.client, clock });
    run(node);
    await until(() => api.client.get(kinds.Node, { name: 'node-a' }));
    await api.client.create(kinds.Pod, podOn('p1', 'node-a'));
    await until(async () => expect(condition(await getPod('p1'), 'Ready')?.status).toBe('True'));
    expect(node.crashContainer({ namespace: 'default', name: 'p1' })).toBe(true);
    expect(node.crashContainer({ namespace: 'default', name: 'nope' })).toBe(false);
    await until(async () => expect(condition(await getPod('p1'), 'Ready')?.status).toBe('False'));
    await until(async () => expect((await getPod('p1')).status?.containerStatuses?.[0]?.restartCount).toBe(1));
  });

  it('stops (a node failure): no more lease renewals or pod updates; starting again resumes', async () => {
    const node = simulatedNode({ name: 'node-a', client: api.client, clock });
    const signal = new AbortController();
    let done = node.start(signal.signal);
    const registered = await until(() => api.client.get(kinds.Node, { name: 'node-a' }));
    await until(() => api.client.get(kinds.Lease, { namespace: 'kube-node-lease', name: 'node-a' }));
    await node.stop();
    await done;
    expect(node.running).toBe(false);
    const stale = (await api.client.get(kinds.Lease, { namespace: 'kube-node-lease', name: 'node-a' })).spec.renewTime;
    await api.client.create(kinds.Pod, podOn('p1', 'node-a'));
    await clock.advance(60_000);
    expect((await api.client.get(kinds.Lease, { namespace: 'kube-node-lease', name: 'node-a' })).spec.renewTime).toBe(stale);
    expect((await getPod('p1')).status?.phase).toBe('Pending');

    done = node.start(signal.signal);
    stops.push(async () => {
      signal.abort();
      await done;
    });
    await until(async () => expect((await getPod('p1')).status?.phase).toBe('Running'));
    expect((await api.client.get(kinds.Lease, { namespace: 'kube-node-lease', name: 'node-a' })).spec.renewTime).not.toBe(stale);
    expect((await api.client.get(kinds.Node, { name: 'node-a' })).metadata.uid).toBe(registered.metadata.uid);
  });
});

describe('simulatedCluster', () => {
  it('runs many nodes on one pod watch', async () => {
    let watches = 0;
    const client: Client = {
      ...api.client,
      watch: (kind, options) => {
        watches++;
        return api.client.watch(kind, options);
      },
    };
    const cluster = simulatedCluster({ client, clock, nodes: 50, readyDelayMs: 500 });
    const signal = new AbortController();
    const done = cluster.start(signal.signal);
    stops.push(async () => {
      signal.abort();
      await done;
    });
    const nodes = await until(async () => {
      const list = (await api.client.list(kinds.Node)).items;
      expect(list).toHaveLength(50);
      return list;
    });
    expect(new Set(nodes.map((n) => n.spec.podCIDR)).size).toBe(50);
    expect(cluster.nodes.map((n) => n.name).slice(0, 3)).toEqual(['node-1', 'node-2', 'node-3']);
    for (let i = 0; i < 100; i++) await api.client.create(kinds.Pod, podOn(`p${i}`, `node-${(i % 50) + 1}`));
    await until(async () => {
      const pods = (await api.client.list(kinds.Pod, { namespace: 'default' })).items;
      expect(pods.filter((p) => condition(p, 'Ready')?.status === 'True')).toHaveLength(100);
    });
    expect(watches).toBe(1);
    const ips = (await api.client.list(kinds.Pod, { namespace: 'default' })).items.map((p) => p.status?.podIP);
    expect(new Set(ips).size).toBe(100);

    // One node fails; the others carry on.
    await cluster.node('node-7')?.stop();
    expect(cluster.node('node-7')?.running).toBe(false);
    expect(cluster.nodes.filter((n) => n.running)).toHaveLength(49);
    await api.client.create(kinds.Pod, podOn('late', 'node-7'));
    await clock.advance(5000);
    expect((await getPod('late')).status?.phase).toBe('Pending');
    await cluster.stop();
    expect(cluster.nodes.some((n) => n.running)).toBe(false);
  });
});

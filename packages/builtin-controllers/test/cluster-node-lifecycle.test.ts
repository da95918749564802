/**
 * Scenario: a node stops renewing its Lease. After the grace period it is Unknown and its pods
 * are not ready (so Services stop sending them traffic); then it is tainted unreachable and its
 * pods are evicted as their tolerations run out: at once without a toleration, after 60 s with
 * `tolerationSeconds: 60`, after 300 s with DefaultTolerationSeconds' toleration — and not a
 * second before. The node comes back and loses its taints.
 */
import { describe, expect, it } from 'vitest';
import { kinds } from '@harbormaster/core';
import { defaultTolerationSeconds } from '../src/node-lifecycle/index.js';
import { clusterEnv, type ClusterEnv } from './support-cluster/cluster-env.js';
import { createNode, heartbeat, renewLease, setNodeReady } from './support-cluster/nodes.js';
import { runningPod } from './support-cluster/pods.js';

const http = [{ name: 'http', containerPort: 8080 }];
const getPod = (e: ClusterEnv, name: string) => e.client.get(kinds.Pod, { namespace: 'default', name });
const terminating = async (e: ClusterEnv, name: string) => Boolean((await getPod(e, name)).metadata.deletionTimestamp);
const taintKeys = async (e: ClusterEnv, name: string) => ((await e.client.get(kinds.Node, { name })).spec.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort();

async function setUp(e: ClusterEnv): Promise<() => void> {
  await createNode(e.client, e.clock, 'node-a');
  await createNode(e.client, e.clock, 'node-b');
  const stop = heartbeat(e.client, e.clock, () => ['node-b']);
  await e.client.create(kinds.Service, { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
  const labels = { app: 'web' };
  await runningPod(e.client, 'web-a', { labels, ports: http, ip: '10.244.1.2', nodeName: 'node-a' });
  await runningPod(e.client, 'web-60', {
    labels,
    ports: http,
    ip: '10.244.1.3',
    nodeName: 'node-a',
    tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }],
  });
  // A pod created without the DefaultTolerationSeconds plugin tolerates nothing.
  const plugin = e.api.admission.names().includes('DefaultTolerationSeconds');
  expect(plugin).toBe(true);
  e.api.admission.remove('DefaultTolerationSeconds');
  await runningPod(e.client, 'web-none', { labels, ports: http, ip: '10.244.1.4', nodeName: 'node-a' });
  e.api.admission.add(defaultTolerationSeconds());
  await runningPod(e.client, 'web-b', { labels, ports: http, ip: '10.244.2.2', nodeName: 'node-b' });
  expect((await getPod(e, 'web-none')).spec.tolerations).toBeUndefined();
  await e.eventually(async () => (await e.client.get(kinds.Endpoints, { namespace: 'default', name: 'web' })).subsets?.[0]?.addresses?.length === 4);
  return stop;
}

/** Wait for node-a's unreachable NoExecute taint; returns when it was seen. */
async function waitForTaint(e: ClusterEnv): Promise<number> {
  // 50 s of silence (Kubernetes 1.32+), then up to two 5 s monitor passes: Unknown, then tainted.
  await e.eventually(async () => (await taintKeys(e, 'node-a')).includes('node.kubernetes.io/unreachable:NoExecute'), { timeoutMs: 90_000 });
  return e.clock.now();
}

describe('cluster: node lifecycle', () => {
  it('a silent node goes Unknown, is tainted, and its pods are evicted as their tolerations run out', async () => {
    const e = await clusterEnv();
    const stop = await setUp(e);
    const t0 = e.clock.now();

    // Kubernetes 1.32+'s 50 s grace period, noticed on a 5 s monitor pass.
    await e.clock.setTime(t0 + 50_000);
    expect((await e.client.get(kinds.Node, { name: 'node-a' })).status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    await e.eventually(async () => (await e.client.get(kinds.Node, { name: 'node-a' })).status?.conditions?.find((c) => c.type === 'Ready')?.status === 'Unknown');
    expect(e.clock.now() - t0).toBeLessThanOrEqual(60_100);

    // Its pods are not ready: the Service sends traffic to web-b only.
    await e.eventually(async () => {
      const ep = await e.client.get(kinds.Endpoints, { namespace: 'default', name: 'web' });
      const ready = (ep.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.targetRef?.name));
      return JSON.stringify(ready) === JSON.stringify(['web-b']);
    });

    const tainted = await waitForTaint(e);
    // No toleration: evicted at once.
    await e.eventually(() => terminating(e, 'web-none'), { stepMs: 10, timeoutMs: 1_000 });
    expect((await getPod(e, 'web-none')).status?.conditions?.find((c) => c.type === 'DisruptionTarget')?.reason).toBe('DeletionByTaintManager');

    await e.clock.setTime(tainted + 59_000);
    expect(await terminating(e, 'web-60')).toBe(false);
    await e.clock.setTime(tainted + 60_000);
    await e.eventually(() => terminating(e, 'web-60'), { stepMs: 10, timeoutMs: 1_000 });

    await e.clock.setTime(tainted + 299_000);
    expect(await terminating(e, 'web-a')).toBe(false);
    await e.clock.setTime(tainted + 300_000);
    await e.eventually(() => terminating(e, 'web-a'), { stepMs: 10, timeoutMs: 1_000 });
    expect(await terminating(e, 'web-b')).toBe(false);

    const reasons = (await e.client.list(kinds.Event, { namespace: 'default' })).items.map((ev) => `${ev.involvedObject.name ?? ''}:${ev.reason ?? ''}`);
    expect(reasons).toEqual(expect.arrayContaining(['node-a:NodeNotReady', 'web-a:NodeNotReady', 'web-a:TaintManagerEviction', 'web-none:TaintManagerEviction']));

    // The node agent comes back: the taints go.
    await renewLease(e.client, e.clock, 'node-a');
    await setNodeReady(e.client, e.clock, 'node-a', 'True');
    await e.eventually(async () => (await taintKeys(e, 'node-a')).length === 0);
    stop();
    await e.stop();
    expect(e.clock.pendingTimers).toBe(0);
  });

  it('a node that comes back before the tolerations run out keeps its pods', async () => {
    const e = await clusterEnv();
    const stop = await setUp(e);
    const tainted = await waitForTaint(e);
    await e.clock.setTime(tainted + 30_000);
    const back = heartbeat(e.client, e.clock, () => ['node-a']);
    await renewLease(e.client, e.clock, 'node-a');
    await setNodeReady(e.client, e.clock, 'node-a', 'True');
    await e.eventually(async () => (await taintKeys(e, 'node-a')).length === 0);
    await e.clock.setTime(tainted + 400_000);
    expect(await terminating(e, 'web-a')).toBe(false);
    expect(await terminating(e, 'web-60')).toBe(false);
    const messages = (await e.client.list(kinds.Event, { namespace: 'default' })).items.map((ev) => ev.message);
    expect(messages).toContain('Cancelling deletion of Pod default/web-a');
    back();
    stop();
    await e.stop();
  });
});

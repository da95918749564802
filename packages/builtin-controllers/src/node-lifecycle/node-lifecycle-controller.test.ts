import { describe, expect, it } from 'vitest';
import { kinds } from '@harbormaster/core';
import { createTestEnv, type TestEnv } from '@harbormaster/core/testing';
import { memoryStore } from '@harbormaster/store-memory';
import { createNode, heartbeat, renewLease, setNodeReady } from '../../test/support-cluster/nodes.js';
import { createPod, setPodStatus } from '../../test/support-cluster/pods.js';
import { defaultTolerationSeconds } from './default-toleration-seconds.js';
import { setupNodeLifecycleController, type NodeLifecycleController } from './node-lifecycle-controller.js';
import { setupTaintEvictionController } from './taint-eviction-controller.js';

async function env(): Promise<{ e: TestEnv; monitor: NodeLifecycleController }> {
  const e = await createTestEnv({ store: memoryStore(), admission: [defaultTolerationSeconds()] });
  const monitor = setupNodeLifecycleController(e.manager);
  setupTaintEvictionController(e.manager);
  await e.start();
  return { e, monitor };
}

const getNode = (e: TestEnv, name: string) => e.client.get(kinds.Node, { name });
const ready = (node: kinds.Node) => node.status?.conditions?.find((c) => c.type === 'Ready');
const taintKeys = (node: kinds.Node) => (node.spec.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort();
const getPod = (e: TestEnv, name: string) => e.client.get(kinds.Pod, { namespace: 'default', name });

async function readyPod(e: TestEnv, name: string, nodeName: string, tolerations?: kinds.Toleration[]): Promise<void> {
  await createPod(e.client, name, { nodeName, ...(tolerations ? { tolerations } : {}) });
  await setPodStatus(e.client, { name }, { ip: '10.244.0.2', ready: true });
}

describe('node lifecycle controller', () => {
  it('marks a node whose lease stops Unknown after the grace period, taints it, and marks its pods not ready', async () => {
    const { e, monitor } = await env();
    const t0 = e.clock.now();
    await createNode(e.client, e.clock, 'node-a');
    await createNode(e.client, e.clock, 'node-b');
    const stop = heartbeat(e.client, e.clock, () => ['node-b']);
    await readyPod(e, 'web', 'node-a');

    // Within the grace period (Kubernetes 1.32+: 50 s) nothing happens.
    await e.clock.setTime(t0 + 50_000);
    expect(ready(await getNode(e, 'node-a'))?.status).toBe('True');

    const unknown = await e.eventually(async () => {
      const c = ready(await getNode(e, 'node-a'));
      return c?.status === 'Unknown' ? c : undefined;
    });
    // The grace period counts from when the controller saw the last renewal; a monitor pass (every
    // 5 s) notices it is over.
    const unknownAt = e.clock.now();
    expect(unknownAt - t0).toBeGreaterThan(50_000);
    expect(unknownAt - t0).toBeLessThanOrEqual(60_000 + 100);
    expect(unknown).toMatchObject({ reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
    const node = await getNode(e, 'node-a');
    expect(node.status?.conditions?.find((c) => c.type === 'MemoryPressure')?.status).toBe('Unknown');
    expect(ready(await getNode(e, 'node-b'))?.status).toBe('True');
    expect(monitor.readyCondition('node-a')?.status).toBe('Unknown');

    // The pod's Ready condition follows, with Kubernetes' events.
    await e.eventually(async () => (await getPod(e, 'web')).status?.conditions?.find((c) => c.type === 'Ready')?.status === 'False');
    const events = await e.eventually(async () => {
      const list = (await e.client.list(kinds.Event, { namespace: 'default' })).items;
      return list.some((ev) => ev.reason === 'NodeNotReady' && ev.involvedObject.kind === 'Node') && list.some((ev) => ev.reason === 'NodeNotReady' && ev.involvedObject.kind === 'Pod') ? list : undefined;
    });
    expect(events.find((ev) => ev.involvedObject.kind === 'Node' && ev.reason === 'NodeNotReady')?.message).toBe('Node node-a status is now: NodeNotReady');

    // The next pass taints it.
    const tainted = await e.eventually(async () => {
      const n = await getNode(e, 'node-a');
      return taintKeys(n).includes('node.kubernetes.io/unreachable:NoExecute') ? n : undefined;
    });
    expect(taintKeys(tainted)).toEqual(['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    expect(tainted.spec.taints?.find((t) => t.effect === 'NoExecute')?.timeAdded).toBeTruthy();
    // On the next monitor pass.
    expect(e.clock.now() - unknownAt).toBeLessThanOrEqual(5_000 + 100);
    expect(taintKeys(await getNode(e, 'node-b'))).toEqual([]);

    // Recovery: the agent is back, reports Ready and renews its lease; the taints go.
    await renewLease(e.client, e.clock, 'node-a');
    await setNodeReady(e.client, e.clock, 'node-a', 'True');
    await e.eventually(async () => taintKeys(await getNode(e, 'node-a')).length === 0);
    stop();
    await e.stop();
  });

  it('taints a node that reports Ready=False with not-ready, swapping it for unreachable when it goes silent', async () => {
    const { e } = await env();
    await createNode(e.client, e.clock, 'node-a');
    await createNode(e.client, e.clock, 'node-b');
    const stop = heartbeat(e.client, e.clock, () => ['node-a', 'node-b']);
    await setNodeReady(e.client, e.clock, 'node-a', 'False');
    await e.eventually(async () => {
      const keys = taintKeys(await getNode(e, 'node-a'));
      return keys.includes('node.kubernetes.io/not-ready:NoExecute') && keys.includes('node.kubernetes.io/not-ready:NoSchedule');
    });
    stop();
    const stop2 = heartbeat(e.client, e.clock, () => ['node-b']);
    await e.eventually(async () => {
      const keys = taintKeys(await getNode(e, 'node-a'));
      return keys.includes('node.kubernetes.io/unreachable:NoExecute') && !keys.includes('node.kubernetes.io/not-ready:NoExecute');
    }, { timeoutMs: 120_000 });
    stop2();
    await e.stop();
  });

  it('does not taint when every node is not ready (master disruption mode)', async () => {
    const { e, monitor } = await env();
    await createNode(e.client, e.clock, 'only');
    await readyPod(e, 'web', 'only');
    await e.eventually(async () => ready(await getNode(e, 'only'))?.status === 'Unknown');
    await e.clock.advance(400_000);
    expect(monitor.zoneState('')).toBe('FullDisruption');
    expect(taintKeys(await getNode(e, 'only')).filter((k) => k.endsWith('NoExecute'))).toEqual([]);
    expect((await getPod(e, 'web')).metadata.deletionTimestamp).toBeFalsy();
    expect((await getPod(e, 'web')).status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    await e.stop();
  });

  it('keeps NoSchedule taints in line with conditions and cordoning', async () => {
    const { e } = await env();
    await createNode(e.client, e.clock, 'node-a');
    await createNode(e.client, e.clock, 'node-b');
    const stop = heartbeat(e.client, e.clock, () => ['node-a', 'node-b']);
    await e.client.patch(kinds.Node, { name: 'node-a' }, { spec: { unschedulable: true } });
    await e.eventually(async () => taintKeys(await getNode(e, 'node-a')).includes('node.kubernetes.io/unschedulable:NoSchedule'));
    const node = await getNode(e, 'node-a');
    node.status = {
      ...node.status,
      conditions: (node.status?.conditions ?? []).map((c) => (c.type === 'MemoryPressure' ? { ...c, status: 'True' as const } : c)),
    };
    await e.client.updateStatus(kinds.Node, node);
    await e.eventually(async () => taintKeys(await getNode(e, 'node-a')).includes('node.kubernetes.io/memory-pressure:NoSchedule'));
    await e.client.patch(kinds.Node, { name: 'node-a' }, { spec: { unschedulable: false } });
    await e.eventually(async () => !taintKeys(await getNode(e, 'node-a')).includes('node.kubernetes.io/unschedulable:NoSchedule'));
    stop();
    await e.stop();
  });

  it('marks a pod bound later to a not-ready node not ready', async () => {
    const { e } = await env();
    await createNode(e.client, e.clock, 'node-a');
    await createNode(e.client, e.clock, 'node-b');
    const stop = heartbeat(e.client, e.clock, () => ['node-a', 'node-b']);
    await setNodeReady(e.client, e.clock, 'node-a', 'False');
    await e.clock.advance(6_000);
    // A pod with a Ready condition (say, restored from a backup) lands on the not-ready node.
    await createPod(e.client, 'late');
    await setPodStatus(e.client, { name: 'late' }, { ip: '10.244.0.9', ready: true });
    await e.client.patch(kinds.Pod, { namespace: 'default', name: 'late' }, { spec: { nodeName: 'node-a' } });
    await e.eventually(async () => (await getPod(e, 'late')).status?.conditions?.find((c) => c.type === 'Ready')?.status === 'False');
    stop();
    await e.stop();
  });
});

import { describe, expect, it } from 'vitest';
import { kinds } from '@harbormaster/core';
import { createTestEnv, type TestEnv } from '@harbormaster/core/testing';
import { memoryStore } from '@harbormaster/store-memory';
import { createNode } from '../../test/support-cluster/nodes.js';
import { createPod } from '../../test/support-cluster/pods.js';
import { defaultTolerationSeconds } from './default-toleration-seconds.js';
import { setupTaintEvictionController } from './taint-eviction-controller.js';

async function env(): Promise<TestEnv> {
  const e = await createTestEnv({ store: memoryStore(), admission: [defaultTolerationSeconds()] });
  setupTaintEvictionController(e.manager);
  await e.start();
  await createNode(e.client, e.clock, 'node-a', { lease: false });
  return e;
}

const terminating = async (e: TestEnv, name: string) => Boolean((await e.client.get(kinds.Pod, { namespace: 'default', name })).metadata.deletionTimestamp);
const taint = (e: TestEnv, taints: kinds.Taint[]) => e.client.patch(kinds.Node, { name: 'node-a' }, { spec: { taints } });
const unreachable: kinds.Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };

describe('taint eviction controller', () => {
  it('deletes a pod that does not tolerate a NoExecute taint at once, marking it a disruption target', async () => {
    const e = await env();
    await createPod(e.client, 'web', { nodeName: 'node-a' });
    await taint(e, [{ key: 'example.com/maintenance', effect: 'NoExecute' }]);
    await e.eventually(() => terminating(e, 'web'), { stepMs: 10 });
    const pod = await e.client.get(kinds.Pod, { namespace: 'default', name: 'web' });
    expect(pod.status?.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({
      status: 'True',
      reason: 'DeletionByTaintManager',
      message: 'Taint manager: deleting due to NoExecute taint',
    });
    const events = await e.eventually(async () => {
      const list = (await e.client.list(kinds.Event, { namespace: 'default' })).items.filter((ev) => ev.reason === 'TaintManagerEviction');
      return list.length > 0 ? list : undefined;
    });
    expect(events[0]?.message).toBe('Marking for deletion Pod default/web');
    await e.stop();
  });

  it('deletes pods when their toleration runs out: 300 s by default, 60 s when asked, never without tolerationSeconds', async () => {
    const e = await env();
    await createPod(e.client, 'default-300', { nodeName: 'node-a' });
    await createPod(e.client, 'short-60', { nodeName: 'node-a', tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }] });
    await createPod(e.client, 'forever', { nodeName: 'node-a', tolerations: [{ operator: 'Exists' }] });
    const t = e.clock.now();
    await taint(e, [unreachable]);
    await e.clock.setTime(t + 59_000);
    expect(await terminating(e, 'short-60')).toBe(false);
    await e.clock.setTime(t + 60_000);
    await e.eventually(() => terminating(e, 'short-60'), { stepMs: 10, timeoutMs: 1_000 });
    await e.clock.setTime(t + 299_000);
    expect(await terminating(e, 'default-300')).toBe(false);
    await e.clock.setTime(t + 300_000);
    await e.eventually(() => terminating(e, 'default-300'), { stepMs: 10, timeoutMs: 1_000 });
    await e.clock.advance(3_600_000);
    expect(await terminating(e, 'forever')).toBe(false);
    await e.stop();
  });

  it('cancels a scheduled deletion when the taint goes', async () => {
    const e = await env();
    await createPod(e.client, 'web', { nodeName: 'node-a' });
    const t = e.clock.now();
    await taint(e, [unreachable]);
    await e.clock.setTime(t + 100_000);
    await taint(e, []);
    await e.clock.advance(400_000);
    expect(await terminating(e, 'web')).toBe(false);
    const messages = (await e.client.list(kinds.Event, { namespace: 'default' })).items.map((ev) => ev.message);
    expect(messages).toContain('Cancelling deletion of Pod default/web');
    await e.stop();
  });
});

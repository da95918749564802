import { afterEach, describe, expect, it } from 'vitest';
import { kinds } from '@harbormaster/core';
import { eventsFor, getPod, nodeInput, podInput, startScheduler, waitForBinding, type SchedulerEnv } from './fixtures.js';

let env: SchedulerEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

function current(): SchedulerEnv {
  if (env === undefined) throw new Error('no environment');
  return env;
}

/** Finish a graceful deletion, as the node agent would once the containers stopped. */
async function finishDeletion(name: string): Promise<void> {
  await current().client.delete(kinds.Pod, { namespace: 'default', name }, { gracePeriodSeconds: 0 });
}

describe('DefaultPreemption', () => {
  it('deletes lower-priority victims, nominates the node, and binds the preemptor once they are gone', async () => {
    env = await startScheduler();
    await env.client.create(kinds.Node, nodeInput('n', { cpu: '2' }));
    await env.client.create(kinds.Pod, podInput('low-a', { cpu: '1', priority: 0, nodeName: 'n' }));
    await env.client.create(kinds.Pod, podInput('low-b', { cpu: '1', priority: 0, nodeName: 'n' }));
    await env.client.create(kinds.Pod, podInput('mid', { cpu: '500m', priority: 500, nodeName: 'other' }));
    await env.client.create(kinds.Pod, podInput('high', { cpu: '1', priority: 1000 }));

    const nominated = await env.eventually(async () => (await getPod(current(), 'high')).status?.nominatedNodeName);
    expect(nominated).toBe('n');
    // One victim is enough; it gets DisruptionTarget and a graceful deletion, and an event.
    const victims = await env.eventually(async () => {
      const pods = await Promise.all(['low-a', 'low-b'].map((n) => getPod(current(), n)));
      const deleting = pods.filter((p) => p.metadata.deletionTimestamp);
      return deleting.length > 0 ? deleting : undefined;
    });
    expect(victims).toHaveLength(1);
    const victim = victims[0] as kinds.Pod;
    expect(victim.status?.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({
      status: 'True',
      reason: 'PreemptionByScheduler',
      message: 'default-scheduler: preempting to accommodate a higher priority pod',
    });
    const high = await getPod(env, 'high');
    const preempted = await env.eventually(async () => (await eventsFor(current(), victim.metadata.name ?? '', 'Preempted'))[0]);
    expect(preempted.message).toBe(`Preempted by pod ${high.metadata.uid ?? ''} on node n`);
    // The attempt itself failed: the pod waits for the victim to go.
    const failed = await env.eventually(async () => (await eventsFor(current(), 'high', 'FailedScheduling'))[0]);
    expect(failed.message).toBe('0/1 nodes are available: 1 Insufficient cpu.');
    expect(high.spec.nodeName).toBeUndefined();

    // While the victim terminates, the preemptor does not preempt more.
    await env.clock.advance(15_000);
    const survivor = ['low-a', 'low-b'].find((n) => n !== victim.metadata.name) ?? '';
    expect((await getPod(env, survivor)).metadata.deletionTimestamp).toBeUndefined();

    await finishDeletion(victim.metadata.name ?? '');
    expect(await waitForBinding(env, 'high')).toBe('n');
  });

  it('never preempts pods of equal or higher priority', async () => {
    env = await startScheduler();
    await env.client.create(kinds.Node, nodeInput('n', { cpu: '1' }));
    await env.client.create(kinds.Pod, podInput('peer', { cpu: '1', priority: 100, nodeName: 'n' }));
    await env.client.create(kinds.Pod, podInput('p', { cpu: '1', priority: 100 }));
    const failed = await env.eventually(async () => (await eventsFor(current(), 'p', 'FailedScheduling'))[0]);
    expect(failed.message).toBe('0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.');
    expect((await getPod(env, 'peer')).metadata.deletionTimestamp).toBeUndefined();
  });

  it('does not preempt for pods with preemptionPolicy Never', async () => {
    env = await startScheduler();
    await env.client.create(kinds.Node, nodeInput('n', { cpu: '1' }));
    await env.client.create(kinds.Pod, podInput('low', { cpu: '1', priority: 0, nodeName: 'n' }));
    await env.client.create(kinds.Pod, podInput('polite', { cpu: '1', priority: 1000, spec: { preemptionPolicy: 'Never' } }));
    const failed = await env.eventually(async () => (await eventsFor(current(), 'polite', 'FailedScheduling'))[0]);
    expect(failed.message).toBe('0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.');
    expect((await getPod(env, 'low')).metadata.deletionTimestamp).toBeUndefined();
  });

  it('picks the node whose victims have the lowest priority', async () => {
    env = await startScheduler();
    await env.client.create(kinds.Node, nodeInput('a', { cpu: '1' }));
    await env.client.create(kinds.Node, nodeInput('b', { cpu: '1' }));
    await env.client.create(kinds.Pod, podInput('on-a', { cpu: '1', priority: 50, nodeName: 'a' }));
    await env.client.create(kinds.Pod, podInput('on-b', { cpu: '1', priority: 10, nodeName: 'b' }));
    await env.client.create(kinds.Pod, podInput('high', { cpu: '1', priority: 1000 }));
    expect(await env.eventually(async () => (await getPod(current(), 'high')).status?.nominatedNodeName)).toBe('b');
    await env.eventually(async () => (await getPod(current(), 'on-b')).metadata.deletionTimestamp);
    expect((await getPod(env, 'on-a')).metadata.deletionTimestamp).toBeUndefined();
  });

  it('says preemption is not helpful when no node could fit even without its pods', async () => {
    env = await startScheduler();
    await env.client.create(kinds.Node, nodeInput('small', { cpu: '1' }));
    await env.client.create(kinds.Pod, podInput('low', { cpu: '500m', priority: 0, nodeName: 'small' }));
    await env.client.create(kinds.Pod, podInput('huge', { cpu: '2', priority: 1000 }));
    const failed = await env.eventually(async () => (await eventsFor(current(), 'huge', 'FailedScheduling'))[0]);
    expect(failed.message).toBe('0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.');
  });
});

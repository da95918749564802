import { afterEach, describe, expect, it } from 'vitest';
import { kinds } from '@harbormaster/core';
import { eventsFor, getPod, nodeInput, podInput, podScheduled, startScheduler, waitForBinding, type SchedulerEnv } from './fixtures.js';

let env: SchedulerEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

function current(): SchedulerEnv {
  if (env === undefined) throw new Error('no environment');
  return env;
}

/** Wait until the pod has PodScheduled=False, reason Unschedulable. */
async function unschedulable(name: string): Promise<void> {
  await current().eventually(async () => podScheduled(await getPod(current(), name))?.reason === 'Unschedulable');
}

/** Set (or, with `undefined`, clear) the pod's status.nominatedNodeName through the API, as another scheduler or a user could. */
async function setNomination(name: string, nodeName: string | undefined): Promise<void> {
  await current().client.patch(kinds.Pod, { namespace: 'default', name }, { status: { nominatedNodeName: nodeName ?? null } }, { subresource: 'status' });
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

  it('clears the nomination of lower-priority pods nominated to the chosen node, and only theirs', async () => {
    env = await startScheduler();
    await env.client.create(kinds.Node, nodeInput('n', { cpu: '2' }));
    await env.client.create(kinds.Pod, podInput('victim', { cpu: '2', priority: 0, nodeName: 'n' }));
    // Two pods nominated to n that cannot go there anyway (n lacks their nodeSelector's label):
    // one of lower priority than the preemptor, one of equal priority.
    for (const [name, priority] of [['low-nominee', 10], ['peer-nominee', 1000]] as const) {
      await env.client.create(kinds.Pod, podInput(name, { priority, spec: { nodeSelector: { disk: 'ssd' } } }));
      await unschedulable(name);
      await setNomination(name, 'n');
    }
    await env.eventually(() => env?.scheduler.queue.nominator.podsForNode('n').length === 2);
    await env.client.create(kinds.Pod, podInput('high', { cpu: '1', priority: 1000 }));
    expect(await env.eventually(async () => (await getPod(current(), 'high')).status?.nominatedNodeName)).toBe('n');
    await env.eventually(async () => (await getPod(current(), 'low-nominee')).status?.nominatedNodeName === undefined);
    expect((await getPod(env, 'peer-nominee')).status?.nominatedNodeName).toBe('n');
    // The in-memory nomination follows the API: the low-priority pod holds no room on n any more.
    const lowUid = (await getPod(env, 'low-nominee')).metadata.uid ?? '';
    await env.eventually(() => env?.scheduler.queue.nominator.nodeOf(lowUid) === undefined);
  });

  it('no longer reserves room for a pod whose nominatedNodeName was cleared, for pods of equal or lower priority', async () => {
    env = await startScheduler();
    await env.client.create(kinds.Node, nodeInput('n', { cpu: '1' }));
    await env.client.create(kinds.Pod, podInput('nominee', { cpu: '1', priority: 100, spec: { nodeSelector: { disk: 'ssd' } } }));
    await unschedulable('nominee');
    const uid = (await getPod(env, 'nominee')).metadata.uid ?? '';
    await setNomination('nominee', 'n');
    await env.eventually(() => env?.scheduler.queue.nominator.nodeOf(uid) === 'n');
    await setNomination('nominee', undefined);
    await env.eventually(() => current().manager.informers.informerFor(kinds.Pod).cache.get({ namespace: 'default', name: 'nominee' })?.status?.nominatedNodeName === undefined);
    expect(env.scheduler.queue.nominator.nodeOf(uid)).toBeUndefined();
    // A pod of equal priority fits n: the nominee's 1 CPU is not held for it any more.
    await env.client.create(kinds.Pod, podInput('p', { cpu: '1', priority: 100 }));
    const outcome = await env.eventually(async () => {
      const p = await getPod(current(), 'p');
      if (p.spec.nodeName !== undefined) return `bound to ${p.spec.nodeName}`;
      const failed = (await eventsFor(current(), 'p', 'FailedScheduling'))[0];
      return failed === undefined ? undefined : `failed: ${failed.message ?? ''}`;
    });
    expect(outcome).toBe('bound to n');
  });

  it('leaves victims that are already terminating alone: no DisruptionTarget, no Preempted event', async () => {
    env = await startScheduler();
    await env.client.create(kinds.Node, nodeInput('n', { cpu: '2' }));
    await env.client.create(kinds.Pod, podInput('leaving', { cpu: '1', priority: 0, nodeName: 'n' }));
    await env.client.create(kinds.Pod, podInput('staying', { cpu: '1', priority: 0, nodeName: 'n' }));
    // A graceful deletion: the pod keeps its room on n until its containers stop.
    await env.client.delete(kinds.Pod, { namespace: 'default', name: 'leaving' });
    const leavingUid = (await getPod(env, 'leaving')).metadata.uid ?? '';
    await env.eventually(() => env?.scheduler.cache.getPod(leavingUid)?.pod.metadata.deletionTimestamp !== undefined);
    await env.client.create(kinds.Pod, podInput('high', { cpu: '2', priority: 1000 }));
    expect(await env.eventually(async () => (await getPod(current(), 'high')).status?.nominatedNodeName)).toBe('n');
    // Both are victims; only the one not terminating yet is preempted.
    await env.eventually(async () => (await eventsFor(current(), 'staying', 'Preempted'))[0]);
    expect((await getPod(env, 'staying')).status?.conditions?.find((c) => c.type === 'DisruptionTarget')?.reason).toBe('PreemptionByScheduler');
    expect(await eventsFor(env, 'leaving', 'Preempted')).toEqual([]);
    expect((await getPod(env, 'leaving')).status?.conditions?.find((c) => c.type === 'DisruptionTarget')).toBeUndefined();
  });
});

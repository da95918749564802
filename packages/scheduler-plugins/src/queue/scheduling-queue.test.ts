import { describe, expect, it } from 'vitest';
import type { kinds } from '@harbormaster/core';
import { FakeClock } from '@harbormaster/core/testing';
import { harness, node, pod } from '../../test/fixtures.js';
import { ActionType, type ClusterEvent } from '../framework/events.js';
import type { EnqueueExtensions, PreEnqueuePlugin } from '../framework/interface.js';
import { PodInfo } from '../framework/pod-info.js';
import { Status } from '../framework/status.js';
import { defaultRegistry } from '../plugins/registry.js';
import { rejectorPlugins, type QueuedPodInfo } from '../framework/queued-pod-info.js';
import { SchedulingQueue } from './scheduling-queue.js';

const nodeAdd: ClusterEvent = { resource: 'Node', actions: ActionType.Add };
const nodeTaint: ClusterEvent = { resource: 'Node', actions: ActionType.UpdateNodeTaint };
const nodeAllocatable: ClusterEvent = { resource: 'Node', actions: ActionType.UpdateNodeAllocatable };
const assignedPodDelete: ClusterEvent = { resource: 'AssignedPod', actions: ActionType.Delete };

/** A running queue on a fake clock, ordered, gated and woken by `framework`'s plugins. */
function runningQueue(framework: ReturnType<typeof harness>['framework']): { queue: SchedulingQueue; clock: FakeClock } {
  const clock = new FakeClock();
  const queue = new SchedulingQueue({
    clock,
    less: (a, b) => framework.less(a, b),
    preEnqueue: (p) => framework.runPreEnqueuePlugins(p),
    isEventOfInterest: (q, event, oldObj, newObj) => framework.isEventOfInterest({ plugins: rejectorPlugins(q), event, pod: q.podInfo.pod, oldObj, newObj }),
  });
  queue.run();
  return { queue, clock };
}

/** A queue wired to the default profile's plugins (their events and gates), on a fake clock. */
function setup(): { queue: SchedulingQueue; clock: FakeClock } {
  return runningQueue(harness({ plugin: 'PrioritySort', nodes: [node('n')], profile: {} }).framework);
}

/**
 * A queue whose profile adds `Quota`, a PreEnqueue plugin of our own: it gates every pod until
 * `quota.open`, and registers Node adds, with a queueing hint that asks for a retry only for nodes
 * labelled `quota: granted`.
 */
function setupWithQuota(): { queue: SchedulingQueue; clock: FakeClock; quota: { open: boolean; calls: number } } {
  const quota = { open: false, calls: 0 };
  const plugin: PreEnqueuePlugin & EnqueueExtensions = {
    name: 'Quota',
    preEnqueue: () => {
      quota.calls++;
      return quota.open ? undefined : Status.unschedulable('waiting for quota');
    },
    eventsToRegister: () => [
      { event: { resource: 'Node', actions: ActionType.Add }, queueingHint: (_pod, _old, newObj) => ((newObj as kinds.Node).metadata.labels?.['quota'] === 'granted' ? 'Queue' : 'QueueSkip') },
    ],
  };
  const { framework } = harness({
    plugin: 'PrioritySort',
    nodes: [node('n')],
    registry: defaultRegistry().register('Quota', () => plugin),
    profile: { plugins: { multiPoint: { enabled: [{ name: 'Quota' }] } } },
  });
  return { ...runningQueue(framework), quota };
}

/** Pop the pod and put it back as rejected by `plugins` (an Error when none). */
function fail(queue: SchedulingQueue, q: QueuedPodInfo, plugins: string[]): void {
  q.unschedulablePlugins = new Set(plugins);
  if (plugins.length === 0) q.consecutiveErrorsCount++;
  else q.unschedulableCount++;
  queue.addUnschedulableIfNotPresent(q, queue.schedulingCycle);
}

async function popNow(queue: SchedulingQueue): Promise<QueuedPodInfo> {
  const q = queue.tryPop();
  if (q === undefined) throw new Error('activeQ is empty');
  return q;
}

describe('SchedulingQueue', () => {
  it('pops by priority, then by time in the queue', async () => {
    const { queue, clock } = setup();
    queue.add(pod('low-old', { priority: 0 }));
    await clock.advance(10);
    queue.add(pod('high', { priority: 100 }));
    await clock.advance(10);
    queue.add(pod('low-new', { priority: 0 }));
    const order = [await popNow(queue), await popNow(queue), await popNow(queue)].map((q) => q.podInfo.pod.metadata.name);
    expect(order).toEqual(['high', 'low-old', 'low-new']);
  });

  it('waits in pop until a pod arrives, and resolves undefined when closed', async () => {
    const { queue } = setup();
    const next = queue.pop();
    queue.add(pod('a'));
    expect((await next)?.podInfo.pod.metadata.name).toBe('a');
    const never = queue.pop();
    queue.close();
    expect(await never).toBeUndefined();
  });

  it('backs off 1 s after the first failure, doubling to 10 s', async () => {
    const { queue, clock } = setup();
    queue.add(pod('p'));
    const expected = [1000, 2000, 4000, 8000, 10_000, 10_000];
    for (const backoff of expected) {
      const q = await popNow(queue);
      fail(queue, q, ['NodeResourcesFit']);
      expect(queue.whereIs(q.podInfo.uid)).toBe('unschedulable');
      // A node appears: the pod may fit now, but it serves its back-off first.
      queue.moveAllToActiveOrBackoffQueue(nodeAdd, undefined, node('new'));
      expect(queue.whereIs(q.podInfo.uid)).toBe('backoff');
      await clock.advance(backoff - 1);
      expect(queue.whereIs(q.podInfo.uid)).toBe('backoff');
      await clock.advance(1);
      expect(queue.whereIs(q.podInfo.uid)).toBe('active');
    }
  });

  it('moves an unschedulable pod straight to activeQ when its back-off is already over', async () => {
    const { queue, clock } = setup();
    queue.add(pod('p'));
    const q = await popNow(queue);
    fail(queue, q, ['NodeResourcesFit']);
    await clock.advance(5000);
    queue.moveAllToActiveOrBackoffQueue(nodeAdd, undefined, node('new'));
    expect(queue.whereIs(q.podInfo.uid)).toBe('active');
  });

  it('retries errors (no rejecting plugin) after back-off without waiting for an event', async () => {
    const { queue, clock } = setup();
    queue.add(pod('p'));
    const q = await popNow(queue);
    fail(queue, q, []);
    expect(queue.whereIs(q.podInfo.uid)).toBe('backoff');
    await clock.advance(1000);
    expect(queue.whereIs(q.podInfo.uid)).toBe('active');
  });

  it('moves unschedulable pods only on events that could make them fit (per the rejecting plugins)', async () => {
    const { queue, clock } = setup();
    queue.add(pod('tainted-out'));
    queue.add(pod('too-big'));
    const a = await popNow(queue);
    const b = await popNow(queue);
    fail(queue, a, ['TaintToleration']);
    fail(queue, b, ['NodeResourcesFit']);
    await clock.advance(20_000);
    // A node's allocatable grew: only the resources-bound pod is retried.
    queue.moveAllToActiveOrBackoffQueue(nodeAllocatable, node('n'), node('n'));
    expect(queue.whereIs(a.podInfo.uid)).toBe('unschedulable');
    expect(queue.whereIs(b.podInfo.uid)).toBe('active');
    // A taint changed: the taint-bound pod is retried.
    queue.moveAllToActiveOrBackoffQueue(nodeTaint, node('n'), node('n'));
    expect(queue.whereIs(a.podInfo.uid)).toBe('active');
  });

  it("asks the rejecting plugin's queueing hint whether the changed node could help", async () => {
    const { queue, clock } = setup();
    queue.add(pod('ssd-only', { spec: { nodeSelector: { disk: 'ssd' } } }));
    queue.add(pod('big', { cpu: '8' }));
    const affinity = await popNow(queue);
    const big = await popNow(queue);
    fail(queue, affinity, ['NodeAffinity']);
    fail(queue, big, ['NodeResourcesFit']);
    await clock.advance(20_000);
    queue.moveAllToActiveOrBackoffQueue(nodeAdd, undefined, node('hdd', { labels: { disk: 'hdd' }, cpu: '4' }));
    expect(queue.whereIs(affinity.podInfo.uid)).toBe('unschedulable');
    expect(queue.whereIs(big.podInfo.uid)).toBe('unschedulable');
    queue.moveAllToActiveOrBackoffQueue(nodeAdd, undefined, node('ssd', { labels: { disk: 'ssd' }, cpu: '16' }));
    expect(queue.whereIs(affinity.podInfo.uid)).toBe('active');
    expect(queue.whereIs(big.podInfo.uid)).toBe('active');
  });

  it('retries resources-bound pods when a bound pod is deleted, not on unrelated events', async () => {
    const { queue, clock } = setup();
    queue.add(pod('p'));
    const q = await popNow(queue);
    fail(queue, q, ['NodeResourcesFit']);
    await clock.advance(20_000);
    queue.moveAllToActiveOrBackoffQueue({ resource: 'Node', actions: ActionType.UpdateNodeLabel }, node('n'), node('n'));
    expect(queue.whereIs(q.podInfo.uid)).toBe('unschedulable');
    queue.moveAllToActiveOrBackoffQueue(assignedPodDelete, pod('gone', { nodeName: 'n' }), undefined);
    expect(queue.whereIs(q.podInfo.uid)).toBe('active');
  });

  it('flushes pods unschedulable for more than 5 minutes, checking every 30 s', async () => {
    const { queue, clock } = setup();
    queue.add(pod('p'));
    const q = await popNow(queue);
    fail(queue, q, ['NodeAffinity']);
    await clock.advance(5 * 60_000);
    expect(queue.whereIs(q.podInfo.uid)).toBe('unschedulable');
    await clock.advance(30_000);
    expect(queue.whereIs(q.podInfo.uid)).toBe('active');
  });

  it('sends a pod that fails after an event arrived during its attempt to backoffQ, not to wait for another event', async () => {
    const { queue, clock } = setup();
    queue.add(pod('p'));
    const q = await popNow(queue);
    const cycle = queue.schedulingCycle;
    // While the pod is being scheduled (e.g. during preemption), a node is added.
    queue.moveAllToActiveOrBackoffQueue(nodeAdd, undefined, node('new'));
    q.unschedulablePlugins = new Set(['NodeResourcesFit']);
    q.unschedulableCount++;
    queue.addUnschedulableIfNotPresent(q, cycle);
    expect(queue.whereIs(q.podInfo.uid)).toBe('backoff');
    await clock.advance(1000);
    expect(queue.whereIs(q.podInfo.uid)).toBe('active');
  });

  it('holds gated pods until their scheduling gates are removed; the 5-minute flush does not release them', async () => {
    const { queue, clock } = setup();
    const gated = pod('gated', { spec: { schedulingGates: [{ name: 'example.com/wait' }] } });
    queue.add(gated);
    expect(queue.whereIs(gated.metadata.uid ?? '')).toBe('gated');
    expect(queue.counts()).toMatchObject({ active: 0, gated: 1 });
    await clock.advance(10 * 60_000);
    expect(queue.whereIs(gated.metadata.uid ?? '')).toBe('gated');
    const ungated: kinds.Pod = { ...gated, spec: { ...gated.spec, schedulingGates: [] } };
    queue.update(gated, ungated);
    expect(queue.whereIs(gated.metadata.uid ?? '')).toBe('active');
  });

  it('retries an unschedulable pod whose spec or labels changed, not one whose status changed', async () => {
    const { queue, clock } = setup();
    const p = pod('p', { labels: { v: '1' } });
    queue.add(p);
    const q = await popNow(queue);
    fail(queue, q, ['NodeAffinity']);
    await clock.advance(20_000);
    const statusOnly: kinds.Pod = { ...p, status: { ...p.status, conditions: [{ type: 'PodScheduled', status: 'False' }] } };
    queue.update(p, statusOnly);
    expect(queue.whereIs(q.podInfo.uid)).toBe('unschedulable');
    const relabeled: kinds.Pod = { ...statusOnly, metadata: { ...statusOnly.metadata, labels: { v: '2' } } };
    queue.update(statusOnly, relabeled);
    expect(queue.whereIs(q.podInfo.uid)).toBe('active');
  });

  it('activates waiting pods on request, and forgets deleted ones', async () => {
    const { queue } = setup();
    const p = pod('p');
    queue.add(p);
    const q = await popNow(queue);
    fail(queue, q, ['NodeAffinity']);
    queue.activate([p]);
    expect(queue.whereIs(q.podInfo.uid)).toBe('active');
    queue.delete(p);
    expect(queue.whereIs(q.podInfo.uid)).toBeUndefined();
  });

  it("re-runs a gating plugin's PreEnqueue on the events it registered, when its queueing hint says Queue", () => {
    const { queue, quota } = setupWithQuota();
    const p = pod('p');
    queue.add(p);
    const uid = p.metadata.uid ?? '';
    expect(queue.whereIs(uid)).toBe('gated');
    quota.calls = 0;
    // Events the gating plugin did not register, or whose hint says QueueSkip: PreEnqueue does not run.
    queue.moveAllToActiveOrBackoffQueue(assignedPodDelete, pod('gone', { nodeName: 'n' }), undefined);
    queue.moveAllToActiveOrBackoffQueue(nodeAdd, undefined, node('plain'));
    expect(quota.calls).toBe(0);
    // A registered event with Queue: PreEnqueue runs again; still closed, the pod stays gated.
    queue.moveAllToActiveOrBackoffQueue(nodeAdd, undefined, node('q1', { labels: { quota: 'granted' } }));
    expect(quota.calls).toBe(1);
    expect(queue.whereIs(uid)).toBe('gated');
    // Once it passes, the next such event releases the pod.
    quota.open = true;
    queue.moveAllToActiveOrBackoffQueue(nodeAdd, undefined, node('q2', { labels: { quota: 'granted' } }));
    expect(queue.whereIs(uid)).toBe('active');
    expect(queue.counts()).toMatchObject({ active: 1, gated: 0, unschedulable: 0 });
  });

  it('re-runs PreEnqueue for a gated pod a plugin activates', () => {
    const { queue, quota } = setupWithQuota();
    const p = pod('p');
    queue.add(p);
    const uid = p.metadata.uid ?? '';
    queue.activate([p]);
    expect(queue.whereIs(uid)).toBe('gated');
    quota.open = true;
    queue.activate([p]);
    expect(queue.whereIs(uid)).toBe('active');
  });

  it('re-runs PreEnqueue for pods gated for more than 5 minutes at the flush', async () => {
    const { queue, clock, quota } = setupWithQuota();
    const p = pod('p');
    queue.add(p);
    const uid = p.metadata.uid ?? '';
    await clock.advance(5 * 60_000 + 30_000);
    expect(queue.whereIs(uid)).toBe('gated');
    quota.open = true;
    await clock.advance(30_000);
    expect(queue.whereIs(uid)).toBe('active');
  });

  it("keeps the nominator in step with the pods' nominatedNodeName: set, changed, cleared", () => {
    const { queue } = setup();
    const nominated = (p: kinds.Pod, nodeName: string | undefined): kinds.Pod => ({ ...p, status: { ...p.status, ...(nodeName === undefined ? {} : { nominatedNodeName: nodeName }) } });
    const p = pod('p');
    const uid = p.metadata.uid ?? '';
    queue.add(nominated(p, 'n1'));
    expect(queue.nominator.nodeOf(uid)).toBe('n1');
    queue.update(nominated(p, 'n1'), nominated(p, 'n2'));
    expect(queue.nominator.nodeOf(uid)).toBe('n2');
    // Cleared in the API (e.g. by a higher-priority preemptor): the room on n2 is no longer held.
    queue.update(nominated(p, 'n2'), nominated(p, undefined));
    expect(queue.nominator.nodeOf(uid)).toBeUndefined();
    expect(queue.nominator.podsForNode('n2')).toEqual([]);
    // Nominated in memory only (preemption's status write not seen yet): an update where neither
    // version has a nomination keeps it.
    queue.nominator.add(PodInfo.of(p), 'n3');
    queue.update(p, { ...p, metadata: { ...p.metadata, annotations: { touched: 'yes' } } });
    expect(queue.nominator.nodeOf(uid)).toBe('n3');
    expect(queue.nominator.podsForNode('n3').map((x) => x.pod.metadata.annotations?.['touched'])).toEqual(['yes']);
  });
});

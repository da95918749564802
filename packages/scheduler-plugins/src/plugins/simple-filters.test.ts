import { describe, expect, it } from 'vitest';
import { feasible, harness, node, pod } from '../../test/fixtures.js';
import { schedulingGates } from './scheduling-gates.js';
import { prioritySortLess } from './priority-sort.js';
import { newQueuedPodInfo } from '../framework/queued-pod-info.js';
import { PodInfo } from '../framework/pod-info.js';
import type { PreEnqueuePlugin } from '../framework/interface.js';

describe('NodeUnschedulable', () => {
  it('keeps new pods off cordoned nodes unless they tolerate node.kubernetes.io/unschedulable', () => {
    const h = harness({ plugin: 'NodeUnschedulable', nodes: [node('cordoned', { unschedulable: true }), node('ok')] });
    const s = h.filter(pod('p'));
    expect(feasible(s)).toEqual(['ok']);
    expect(s.get('cordoned')).toMatchObject({ code: 'UnschedulableAndUnresolvable', reasons: ['node(s) were unschedulable'] });
    const tolerant = pod('t', { spec: { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] } });
    expect(feasible(h.filter(tolerant))).toEqual(['cordoned', 'ok']);
  });
});

describe('NodeName', () => {
  it('fits only the node the pod names', () => {
    const h = harness({ plugin: 'NodeName', nodes: [node('a'), node('b')] });
    const s = h.filter(pod('p', { spec: { nodeName: 'b' } }));
    expect(feasible(s)).toEqual(['b']);
    expect(s.get('a')?.reasons).toEqual(["node(s) didn't match the requested node name"]);
  });
});

describe('SchedulingGates', () => {
  it('gates pods with schedulingGates, naming them', () => {
    const plugin = schedulingGates({ args: undefined, handle: undefined as never }) as PreEnqueuePlugin;
    expect(plugin.preEnqueue(pod('free'))).toBeUndefined();
    expect(plugin.preEnqueue(pod('gated', { spec: { schedulingGates: [{ name: 'example.com/quota' }, { name: 'example.com/approval' }] } }))).toMatchObject({
      code: 'UnschedulableAndUnresolvable',
      message: 'waiting for scheduling gates: [example.com/quota example.com/approval]',
    });
  });
});

describe('PrioritySort', () => {
  it('orders by priority, then by time in the queue', () => {
    const q = (name: string, priority: number, t: number) => newQueuedPodInfo(PodInfo.of(pod(name, { priority })), t);
    expect(prioritySortLess(q('a', 10, 2), q('b', 0, 1))).toBe(true);
    expect(prioritySortLess(q('a', 0, 1), q('b', 0, 2))).toBe(true);
    expect(prioritySortLess(q('a', 0, 2), q('b', 0, 1))).toBe(false);
  });
});

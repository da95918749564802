import type { kinds } from '@harbormaster/core';
import { describe, expect, it } from 'vitest';
import { deleteBefore, podDeletionCost, podsToDelete, rankPodsByRelatedPodsOnSameNode } from './pod-deletion-order.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

interface PodSpec {
  name: string;
  node?: string;
  phase?: 'Pending' | 'Running' | 'Unknown';
  readySince?: number;
  cost?: string;
  restarts?: number;
  created?: number;
  uid?: string;
}

function pod(p: PodSpec): kinds.Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: 'default',
      uid: p.uid ?? p.name,
      creationTimestamp: iso(p.created ?? NOW - 3600_000),
      ...(p.cost === undefined ? {} : { annotations: { 'controller.kubernetes.io/pod-deletion-cost': p.cost } }),
    },
    spec: { containers: [{ name: 'c', image: 'i' }], ...(p.node === undefined ? {} : { nodeName: p.node }) } as unknown as kinds.Pod['spec'],
    status: {
      phase: p.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: p.readySince === undefined ? 'False' : 'True', lastTransitionTime: iso(p.readySince ?? NOW - 1000) }],
      containerStatuses: [{ name: 'c', ready: p.readySince !== undefined, restartCount: p.restarts ?? 0, image: 'i', imageID: '' }],
    },
  };
}

const before = (a: kinds.Pod, b: kinds.Pod, rank: [number, number] = [0, 0]): boolean =>
  deleteBefore({ pod: a, rank: rank[0] }, { pod: b, rank: rank[1] }, NOW);

describe('pod deletion order', () => {
  const ready = NOW - 3600_000;
  it('1. unscheduled before scheduled', () => {
    expect(before(pod({ name: 'a', readySince: ready }), pod({ name: 'b', node: 'n1', readySince: ready }))).toBe(true);
    expect(before(pod({ name: 'b', node: 'n1' }), pod({ name: 'a' }))).toBe(false);
  });
  it('2. Pending before Unknown before Running', () => {
    expect(before(pod({ name: 'a', node: 'n', phase: 'Pending' }), pod({ name: 'b', node: 'n', phase: 'Unknown' }))).toBe(true);
    expect(before(pod({ name: 'a', node: 'n', phase: 'Unknown' }), pod({ name: 'b', node: 'n', phase: 'Running' }))).toBe(true);
    expect(before(pod({ name: 'a', node: 'n', phase: 'Running' }), pod({ name: 'b', node: 'n', phase: 'Pending' }))).toBe(false);
  });
  it('3. not ready before ready', () => {
    expect(before(pod({ name: 'a', node: 'n' }), pod({ name: 'b', node: 'n', readySince: ready }))).toBe(true);
  });
  it('4. lower pod-deletion-cost first (invalid costs count as 0)', () => {
    expect(before(pod({ name: 'a', node: 'n', readySince: ready, cost: '-5' }), pod({ name: 'b', node: 'n', readySince: ready }))).toBe(true);
    expect(before(pod({ name: 'a', node: 'n', readySince: ready, cost: '10' }), pod({ name: 'b', node: 'n', readySince: ready, cost: '2' }))).toBe(false);
    expect(podDeletionCost(pod({ name: 'x', cost: 'lots' }))).toBe(0);
    expect(podDeletionCost(pod({ name: 'x', cost: '99999999999' }))).toBe(0);
    expect(podDeletionCost(pod({ name: 'x', cost: '-7' }))).toBe(-7);
    // Cost outranks doubling up.
    expect(before(pod({ name: 'a', node: 'n', readySince: ready, cost: '-1' }), pod({ name: 'b', node: 'n', readySince: ready }), [0, 5])).toBe(true);
  });
  it('5. more pods of the workload on the same node first', () => {
    expect(before(pod({ name: 'a', node: 'n1', readySince: ready }), pod({ name: 'b', node: 'n2', readySince: ready }), [3, 1])).toBe(true);
    const pods = [pod({ name: 'a', node: 'n1' }), pod({ name: 'b', node: 'n2' })];
    const related = [...pods, pod({ name: 'c', node: 'n1' }), pod({ name: 'd', node: 'n1' })];
    expect(rankPodsByRelatedPodsOnSameNode(pods, related).map((r) => r.rank)).toEqual([3, 1]);
  });
  it('6. ready for less time first, on a log2 scale (ties by UID)', () => {
    expect(before(pod({ name: 'a', node: 'n', readySince: NOW - 60_000 }), pod({ name: 'b', node: 'n', readySince: NOW - 3600_000 }))).toBe(true);
    // 100 s and 101 s ago are in the same log2 bucket: the smaller UID goes first.
    expect(before(pod({ name: 'a', node: 'n', readySince: NOW - 101_000, uid: 'u2' }), pod({ name: 'b', node: 'n', readySince: NOW - 100_000, uid: 'u1' }))).toBe(false);
    expect(before(pod({ name: 'b', node: 'n', readySince: NOW - 100_000, uid: 'u1' }), pod({ name: 'a', node: 'n', readySince: NOW - 101_000, uid: 'u2' }))).toBe(true);
  });
  it('7. more restarts first', () => {
    expect(before(pod({ name: 'a', node: 'n', readySince: ready, restarts: 4 }), pod({ name: 'b', node: 'n', readySince: ready, restarts: 1 }))).toBe(true);
  });
  it('8. newer first', () => {
    expect(before(pod({ name: 'a', node: 'n', readySince: ready, created: NOW - 10_000 }), pod({ name: 'b', node: 'n', readySince: ready, created: NOW - 7200_000 }))).toBe(true);
    expect(before(pod({ name: 'a', node: 'n', readySince: ready }), pod({ name: 'a', node: 'n', readySince: ready }))).toBe(false);
  });
  it('podsToDelete picks the first pods of that order, and all of them without sorting', () => {
    const pods = [
      pod({ name: 'running-old', node: 'n1', readySince: NOW - 7200_000 }),
      pod({ name: 'pending', node: 'n2', phase: 'Pending' }),
      pod({ name: 'unscheduled', phase: 'Pending' }),
      pod({ name: 'not-ready', node: 'n3' }),
      pod({ name: 'running-new', node: 'n1', readySince: NOW - 30_000 }),
    ];
    expect(podsToDelete(pods, pods, 4, NOW).map((p) => p.metadata.name)).toEqual(['unscheduled', 'pending', 'not-ready', 'running-new']);
    expect(podsToDelete(pods, pods, 9, NOW)).toHaveLength(5);
  });
});

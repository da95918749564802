import { describe, expect, it } from 'vitest';
import { feasible, harness, node, pod } from '../../test/fixtures.js';
import type { kinds } from '@harbormaster/core';

const zoneNodes = [
  node('node1', { labels: { zone: 'zoneA' } }),
  node('node2', { labels: { zone: 'zoneA' } }),
  node('node3', { labels: { zone: 'zoneB' } }),
  node('node4', { labels: { zone: 'zoneB' } }),
];
const foo = (name: string, nodeName: string, ns = 'default') => pod(name, { labels: { foo: 'bar' }, nodeName, namespace: ns });
const spread = (c: Partial<kinds.TopologySpreadConstraint>, labels: Record<string, string> = { foo: 'bar' }) =>
  pod('incoming', {
    labels,
    spec: { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { foo: 'bar' } }, ...c }] },
  });

describe('PodTopologySpread', () => {
  it('DoNotSchedule: keeps the skew between zones at most maxSkew (the documentation example)', () => {
    // zoneA has 2 matching pods, zoneB 1: placing in zoneA would make the skew 2.
    const h = harness({ plugin: 'PodTopologySpread', nodes: zoneNodes, pods: [foo('p1', 'node1'), foo('p2', 'node2'), foo('p3', 'node3')] });
    const s = h.filter(spread({}));
    expect(feasible(s)).toEqual(['node3', 'node4']);
    expect(s.get('node1')).toMatchObject({ code: 'Unschedulable', reasons: ["node(s) didn't match pod topology spread constraints"] });
    // maxSkew 2 allows zoneA as well.
    expect(feasible(h.filter(spread({ maxSkew: 2 })))).toEqual(['node1', 'node2', 'node3', 'node4']);
  });

  it('counts only pods matching the selector, in the same namespace, not terminating', () => {
    const terminating = foo('t', 'node3');
    (terminating.metadata as { deletionTimestamp?: string }).deletionTimestamp = '2026-01-01T00:00:00Z';
    const h = harness({
      plugin: 'PodTopologySpread',
      nodes: zoneNodes,
      pods: [foo('p1', 'node1'), pod('other', { labels: { foo: 'baz' }, nodeName: 'node3' }), foo('elsewhere', 'node4', 'team-b'), terminating],
    });
    // zoneA 1, zoneB 0 (the others do not count): only zoneB.
    expect(feasible(h.filter(spread({})))).toEqual(['node3', 'node4']);
  });

  it('rejects nodes without the topology key as unresolvable', () => {
    const h = harness({ plugin: 'PodTopologySpread', nodes: [...zoneNodes, node('nolabel')] });
    const s = h.filter(spread({}));
    expect(s.get('nolabel')).toMatchObject({ code: 'UnschedulableAndUnresolvable', reasons: ["node(s) didn't match pod topology spread constraints (missing required label)"] });
  });

  it('with minDomains, treats the global minimum as 0 while there are fewer domains', () => {
    const h = harness({ plugin: 'PodTopologySpread', nodes: zoneNodes, pods: [foo('p1', 'node1'), foo('p2', 'node3')] });
    // Two domains with one pod each: fine with maxSkew 1 …
    expect(feasible(h.filter(spread({})))).toHaveLength(4);
    // … but minDomains 3 makes the minimum 0: 1 + 1 − 0 > 1 everywhere.
    expect(feasible(h.filter(spread({ minDomains: 3 })))).toEqual([]);
  });

  it('honors the pod node affinity when counting domains (nodeAffinityPolicy: Honor by default)', () => {
    // zoneB is excluded by the nodeSelector: only zoneA counts, so its pods set the minimum.
    const h = harness({
      plugin: 'PodTopologySpread',
      nodes: [node('a1', { labels: { zone: 'zoneA', pool: 'x' } }), node('b1', { labels: { zone: 'zoneB' } })],
      pods: [foo('p1', 'a1')],
    });
    const p = spread({});
    const withSelector = { ...p, spec: { ...p.spec, nodeSelector: { pool: 'x' } } } as kinds.Pod;
    expect(feasible(h.filter(withSelector))).toContain('a1');
    const ignoring = spread({ nodeAffinityPolicy: 'Ignore' });
    const ignoringWithSelector = { ...ignoring, spec: { ...ignoring.spec, nodeSelector: { pool: 'x' } } } as kinds.Pod;
    expect(feasible(h.filter(ignoringWithSelector))).not.toContain('a1');
  });

  it('ScheduleAnyway: scores less crowded domains higher, never rejects', () => {
    const h = harness({ plugin: 'PodTopologySpread', nodes: zoneNodes, pods: [foo('p1', 'node1'), foo('p2', 'node2'), foo('p3', 'node1')] });
    const p = spread({ whenUnsatisfiable: 'ScheduleAnyway' });
    expect(feasible(h.filter(p))).toHaveLength(4);
    const scores = h.score(p);
    expect(scores.get('node3')).toBe(100);
    expect(scores.get('node4')).toBe(100);
    expect((scores.get('node1') ?? 0) < 100).toBe(true);
  });

  it('spreads by hostname per node', () => {
    const h = harness({ plugin: 'PodTopologySpread', nodes: zoneNodes, pods: [foo('p1', 'node1')] });
    expect(feasible(h.filter(spread({ topologyKey: 'kubernetes.io/hostname' })))).toEqual(['node2', 'node3', 'node4']);
  });
});

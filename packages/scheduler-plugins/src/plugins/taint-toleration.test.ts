import { describe, expect, it } from 'vitest';
import { feasible, harness, node, pod } from '../../test/fixtures.js';
import { toleratesTaint } from '../helpers/taints.js';

const unreachable = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' as const };

describe('TaintToleration', () => {
  it('keeps pods off nodes with NoSchedule and NoExecute taints they do not tolerate; PreferNoSchedule is no obstacle', () => {
    const h = harness({
      plugin: 'TaintToleration',
      nodes: [
        node('clean'),
        node('noschedule', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
        node('noexecute', { taints: [unreachable] }),
        node('prefer', { taints: [{ key: 'spot', value: 'true', effect: 'PreferNoSchedule' }] }),
      ],
    });
    const s = h.filter(pod('p'));
    expect(feasible(s).sort()).toEqual(['clean', 'prefer']);
    expect(s.get('noschedule')?.code).toBe('UnschedulableAndUnresolvable');
    expect(s.get('noschedule')?.reasons).toEqual(['node(s) had untolerated taint {dedicated: gpu}']);
    expect(s.get('noexecute')?.reasons).toEqual(['node(s) had untolerated taint {node.kubernetes.io/unreachable: }']);
  });

  it('lets tolerating pods in: Equal with value, Exists, empty key with Exists, empty effect', () => {
    const h = harness({ plugin: 'TaintToleration', nodes: [node('gpu', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] })] });
    const tolerating = [
      { key: 'dedicated', operator: 'Equal' as const, value: 'gpu', effect: 'NoSchedule' as const },
      { key: 'dedicated', value: 'gpu' },
      { key: 'dedicated', operator: 'Exists' as const },
      { operator: 'Exists' as const },
    ];
    for (const t of tolerating) expect(feasible(h.filter(pod('p', { spec: { tolerations: [t] } })))).toEqual(['gpu']);
    const notTolerating = [
      { key: 'dedicated', value: 'cpu', effect: 'NoSchedule' as const },
      { key: 'dedicated', operator: 'Exists' as const, effect: 'NoExecute' as const },
      { key: 'other', operator: 'Exists' as const },
    ];
    for (const t of notTolerating) expect(feasible(h.filter(pod('p', { spec: { tolerations: [t] } })))).toEqual([]);
  });

  it('compares integer values with Gt and Lt', () => {
    const taint = { key: 'sla', value: '950', effect: 'NoSchedule' as const };
    expect(toleratesTaint({ key: 'sla', operator: 'Gt', value: '900' }, taint)).toBe(true);
    expect(toleratesTaint({ key: 'sla', operator: 'Gt', value: '950' }, taint)).toBe(false);
    expect(toleratesTaint({ key: 'sla', operator: 'Lt', value: '999' }, taint)).toBe(true);
    expect(toleratesTaint({ key: 'sla', operator: 'Lt', value: 'x' }, taint)).toBe(false);
  });

  it('scores nodes by the PreferNoSchedule taints the pod does not tolerate, reversed and normalized', () => {
    const h = harness({
      plugin: 'TaintToleration',
      nodes: [
        node('none'),
        node('one', { taints: [{ key: 'a', effect: 'PreferNoSchedule' }] }),
        node('two', { taints: [{ key: 'a', effect: 'PreferNoSchedule' }, { key: 'b', effect: 'PreferNoSchedule' }] }),
      ],
    });
    expect(Object.fromEntries(h.score(pod('p')))).toEqual({ none: 100, one: 50, two: 0 });
    // Tolerating `a` (empty effect matches PreferNoSchedule) leaves only `b`.
    const tolerant = pod('p', { spec: { tolerations: [{ key: 'a', operator: 'Exists' }] } });
    expect(Object.fromEntries(h.score(tolerant))).toEqual({ none: 100, one: 100, two: 0 });
  });
});

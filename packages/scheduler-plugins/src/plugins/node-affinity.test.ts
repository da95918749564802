import { describe, expect, it } from 'vitest';
import { feasible, harness, node, pod } from '../../test/fixtures.js';
import { CycleState } from '../framework/cycle-state.js';

const nodes = [
  node('a', { labels: { zone: 'z1', disk: 'ssd', cores: '8' } }),
  node('b', { labels: { zone: 'z2', disk: 'hdd', cores: '16' } }),
  node('c', { labels: { zone: 'z3' } }),
];

describe('NodeAffinity', () => {
  it('applies nodeSelector: every label must be equal', () => {
    const h = harness({ plugin: 'NodeAffinity', nodes });
    const s = h.filter(pod('p', { spec: { nodeSelector: { disk: 'ssd' } } }));
    expect(feasible(s)).toEqual(['a']);
    expect(s.get('b')).toMatchObject({ code: 'UnschedulableAndUnresolvable', reasons: ["node(s) didn't match Pod's node affinity/selector"] });
  });

  it('ORs required terms and ANDs their expressions (In, NotIn, Exists, DoesNotExist, Gt, Lt)', () => {
    const h = harness({ plugin: 'NodeAffinity', nodes });
    const req = (...terms: object[]) => pod('p', { spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } } });
    expect(feasible(h.filter(req({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1', 'z3'] }] })))).toEqual(['a', 'c']);
    expect(feasible(h.filter(req({ matchExpressions: [{ key: 'disk', operator: 'NotIn', values: ['ssd'] }] })))).toEqual(['b', 'c']);
    expect(feasible(h.filter(req({ matchExpressions: [{ key: 'disk', operator: 'Exists' }] })))).toEqual(['a', 'b']);
    expect(feasible(h.filter(req({ matchExpressions: [{ key: 'disk', operator: 'DoesNotExist' }] })))).toEqual(['c']);
    expect(feasible(h.filter(req({ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['10'] }] })))).toEqual(['b']);
    expect(feasible(h.filter(req({ matchExpressions: [{ key: 'cores', operator: 'Lt', values: ['10'] }] })))).toEqual(['a']);
    // ANDed within a term, ORed across terms.
    expect(
      feasible(
        h.filter(
          req(
            { matchExpressions: [{ key: 'disk', operator: 'Exists' }, { key: 'zone', operator: 'In', values: ['z2'] }] },
            { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z3'] }] },
          ),
        ),
      ),
    ).toEqual(['b', 'c']);
    // An empty term matches nothing.
    expect(feasible(h.filter(req({})))).toEqual([]);
  });

  it('needs both nodeSelector and required affinity', () => {
    const h = harness({ plugin: 'NodeAffinity', nodes });
    const p = pod('p', {
      spec: {
        nodeSelector: { disk: 'ssd' },
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z2'] }] }] } } },
      },
    });
    expect(feasible(h.filter(p))).toEqual([]);
  });

  it('restricts the nodes at PreFilter when every term names nodes by metadata.name', () => {
    const h = harness({ plugin: 'NodeAffinity', nodes });
    const p = pod('p', {
      spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['b'] }] }] } } } },
    });
    const pre = h.framework.runPreFilterPlugins(new CycleState(), p, h.cache.list());
    expect([...(pre.nodeNames ?? [])]).toEqual(['b']);
    expect(feasible(h.filter(p))).toEqual(['b']);
    // Terms naming no node in common conflict.
    const conflict = pod('q', {
      spec: {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a'] }, { key: 'metadata.name', operator: 'In', values: ['b'] }] }],
            },
          },
        },
      },
    });
    expect(h.framework.runPreFilterPlugins(new CycleState(), conflict, h.cache.list()).status.reasons).toEqual(['pod affinity terms conflict']);
  });

  it('scores preferred terms by weight, normalized to 0-100', () => {
    const h = harness({ plugin: 'NodeAffinity', nodes });
    const p = pod('p', {
      spec: {
        affinity: {
          nodeAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 80, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
              { weight: 20, preference: { matchExpressions: [{ key: 'disk', operator: 'Exists' }] } },
            ],
          },
        },
      },
    });
    expect(Object.fromEntries(h.score(p))).toEqual({ a: 100, b: 20, c: 0 });
  });

  it("enforces the profile's addedAffinity on every pod", () => {
    const h = harness({
      plugin: 'NodeAffinity',
      nodes,
      args: { addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['z1'] }] }] } } },
    });
    const s = h.filter(pod('p'));
    expect(feasible(s)).toEqual(['b', 'c']);
    expect(s.get('a')?.reasons).toEqual(["node(s) didn't match scheduler-enforced node affinity"]);
  });
});

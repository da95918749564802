import { describe, expect, it } from 'vitest';
import type { kinds } from '@harbormaster/core';
import { feasible, harness, node, pod } from '../../test/fixtures.js';

const nodes = [
  node('a1', { labels: { zone: 'A' } }),
  node('a2', { labels: { zone: 'A' } }),
  node('b1', { labels: { zone: 'B' } }),
];
const term = (labels: Record<string, string>, topologyKey = 'zone'): kinds.PodAffinityTerm => ({ labelSelector: { matchLabels: labels }, topologyKey });
const withAffinity = (affinity: kinds.Affinity, labels: Record<string, string> = {}) => pod('incoming', { labels, spec: { affinity } });

describe('InterPodAffinity', () => {
  it('required affinity: only nodes in a domain with a matching pod', () => {
    const h = harness({ plugin: 'InterPodAffinity', nodes, pods: [pod('db', { labels: { app: 'db' }, nodeName: 'a1' })] });
    const s = h.filter(withAffinity({ podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'db' })] } }));
    expect(feasible(s)).toEqual(['a1', 'a2']);
    expect(s.get('b1')).toMatchObject({ code: 'UnschedulableAndUnresolvable', reasons: ["node(s) didn't match pod affinity rules"] });
  });

  it('lets the first pod of a self-affine group go anywhere', () => {
    const h = harness({ plugin: 'InterPodAffinity', nodes });
    const first = withAffinity({ podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' })] } }, { app: 'web' });
    expect(feasible(h.filter(first))).toEqual(['a1', 'a2', 'b1']);
    const notSelf = withAffinity({ podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' })] } }, { app: 'other' });
    expect(feasible(h.filter(notSelf))).toEqual([]);
  });

  it('required anti-affinity: no node in a domain with a matching pod', () => {
    const h = harness({ plugin: 'InterPodAffinity', nodes, pods: [pod('web-0', { labels: { app: 'web' }, nodeName: 'a1' })] });
    const s = h.filter(withAffinity({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' })] } }, { app: 'web' }));
    expect(feasible(s)).toEqual(['b1']);
    expect(s.get('a2')).toMatchObject({ code: 'Unschedulable', reasons: ["node(s) didn't match pod anti-affinity rules"] });
    // Per hostname, only the node itself.
    const perHost = h.filter(withAffinity({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' }, 'kubernetes.io/hostname')] } }));
    expect(feasible(perHost)).toEqual(['a2', 'b1']);
  });

  it("respects existing pods' required anti-affinity towards the incoming pod", () => {
    const loner = pod('loner', {
      nodeName: 'b1',
      spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'noisy' })] } } },
    });
    const h = harness({ plugin: 'InterPodAffinity', nodes, pods: [loner] });
    const s = h.filter(pod('noisy', { labels: { app: 'noisy' } }));
    expect(feasible(s)).toEqual(['a1', 'a2']);
    expect(s.get('b1')).toMatchObject({ code: 'Unschedulable', reasons: ["node(s) didn't satisfy existing pods anti-affinity rules"] });
    expect(feasible(h.filter(pod('quiet', { labels: { app: 'quiet' } })))).toHaveLength(3);
  });

  it('matches pods in the namespaces of the term only', () => {
    const h = harness({ plugin: 'InterPodAffinity', nodes, pods: [pod('db', { labels: { app: 'db' }, nodeName: 'a1', namespace: 'data' })] });
    const sameNs = withAffinity({ podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'db' })] } });
    expect(feasible(h.filter(sameNs))).toEqual([]);
    const other = withAffinity({ podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ ...term({ app: 'db' }), namespaces: ['data'] }] } });
    expect(feasible(h.filter(other))).toEqual(['a1', 'a2']);
    const all = withAffinity({ podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ ...term({ app: 'db' }), namespaceSelector: {} }] } });
    expect(feasible(h.filter(all))).toEqual(['a1', 'a2']);
  });

  it('scores preferred affinity up and preferred anti-affinity down, min-max normalized', () => {
    const h = harness({
      plugin: 'InterPodAffinity',
      nodes,
      pods: [pod('cache', { labels: { app: 'cache' }, nodeName: 'a1' }), pod('batch', { labels: { app: 'batch' }, nodeName: 'b1' })],
    });
    const p = withAffinity({
      podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: term({ app: 'cache' }) }] },
      podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term({ app: 'batch' }) }] },
    });
    // zone A: +50, zone B: −10 → A 100, B 0.
    expect(Object.fromEntries(h.score(p))).toEqual({ a1: 100, a2: 100, b1: 0 });
  });

  it("scores existing pods' required affinity towards the pod with hardPodAffinityWeight (symmetry)", () => {
    const fan = pod('fan', { nodeName: 'b1', spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'star' })] } } } });
    const h = harness({ plugin: 'InterPodAffinity', nodes, pods: [fan] });
    expect(Object.fromEntries(h.score(pod('star', { labels: { app: 'star' } })))).toEqual({ a1: 0, a2: 0, b1: 100 });
  });
});

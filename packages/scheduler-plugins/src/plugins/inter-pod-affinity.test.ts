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

  it("scores existing pods' preferred terms towards the pod (symmetry): affinity up, anti-affinity down", () => {
    const preferring = (name: string, nodeName: string, kind: 'podAffinity' | 'podAntiAffinity', weight: number): kinds.Pod =>
      pod(name, { nodeName, spec: { affinity: { [kind]: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight, podAffinityTerm: term({ app: 'star' }) }] } } } });
    const h = harness({
      plugin: 'InterPodAffinity',
      nodes: [...nodes, node('c1', { labels: { zone: 'C' } })],
      pods: [preferring('fan', 'b1', 'podAffinity', 30), preferring('hater', 'a1', 'podAntiAffinity', 20)],
    });
    // zone A: −20, zone B: +30, zone C: 0 → min–max over [−20, 30].
    expect(Object.fromEntries(h.score(pod('star', { labels: { app: 'star' } })))).toEqual({ a1: 0, a2: 0, b1: 100, c1: 40 });
    // A pod the terms do not select is not scored by them (the plugin skips).
    expect(Object.fromEntries(h.score(pod('other', { labels: { app: 'other' } })))).toEqual({ a1: 0, a2: 0, b1: 0, c1: 0 });
  });

  it("ignorePreferredTermsOfExistingPods skips only pods without preferred terms; a pod with some is also scored by existing pods' terms", () => {
    const fan = pod('fan', { nodeName: 'b1', spec: { affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term({ app: 'star' }) }] } } } });
    const cache = pod('cache', { labels: { app: 'cache' }, nodeName: 'a1' });
    const twoZones = [node('a1', { labels: { zone: 'A' } }), node('b1', { labels: { zone: 'B' } })];
    const h = harness({ plugin: 'InterPodAffinity', nodes: twoZones, pods: [fan, cache], args: { ignorePreferredTermsOfExistingPods: true } });
    const star = (affinity?: kinds.Affinity) => pod('star', { labels: { app: 'star' }, ...(affinity === undefined ? {} : { spec: { affinity } }) });
    // Its own term (weight 10 towards app=cache, zone A) and fan's (weight 100 towards it, zone B):
    // scoring/PreScore in Kubernetes processes every existing pod's terms once the pod has any.
    const wantsCache = star({ podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term({ app: 'cache' }) }] } });
    expect(Object.fromEntries(h.score(wantsCache))).toEqual({ a1: 0, b1: 100 });
    // Without preferred terms of its own, the option skips scoring it at all.
    expect(Object.fromEntries(h.score(star()))).toEqual({ a1: 0, b1: 0 });
    // Without the option, fan's term counts in both cases.
    const plain = harness({ plugin: 'InterPodAffinity', nodes: twoZones, pods: [fan, cache] });
    expect(Object.fromEntries(plain.score(star()))).toEqual({ a1: 0, b1: 100 });
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createApiServer, defineKind, InformerFactory, kinds, type AnyKind, type Client } from '@harbormaster/core';
import { FakeClock } from '@harbormaster/core/testing';
import { memoryStore } from '@harbormaster/store-memory';
import { feasible, harness, node, pod, type Harness } from '../../test/fixtures.js';
import { CycleState } from '../framework/cycle-state.js';
import type { NodeInfo } from '../framework/node-info.js';
import { PodInfo } from '../framework/pod-info.js';
import type { Status } from '../framework/status.js';
import { CriticalPaths } from './pod-topology-spread.js';

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

/**
 * A kind Harbormaster's core does not define (StatefulSet, ReplicationController), as a program
 * would register it; its schema takes any object (only `spec.selector` is read).
 */
function foreignKind(group: string, kind: string): AnyKind {
  const passthrough = { safeParse: (data: unknown) => ({ success: true, data }) };
  return defineKind({ group, version: 'v1', kind, namespaced: true, schema: passthrough as unknown as (typeof kinds.ConfigMap)['schema'] });
}
const StatefulSet = foreignKind('apps', 'StatefulSet');
const ReplicationController = foreignKind('', 'ReplicationController');

/** A harness whose plugins read these API objects through running informers. */
async function withObjects(o: {
  readonly nodes: readonly kinds.Node[];
  readonly pods: readonly kinds.Pod[];
  readonly args?: Record<string, unknown>;
  readonly kinds?: readonly AnyKind[];
  readonly create: (client: Client) => Promise<unknown>;
}): Promise<{ readonly h: Harness; readonly stop: () => Promise<void> }> {
  const clock = new FakeClock();
  const api = createApiServer({ store: memoryStore(), clock, kinds: o.kinds ?? [] });
  await api.ready();
  await o.create(api.client);
  const informers = new InformerFactory({ client: api.client, clock });
  for (const k of o.kinds ?? []) informers.informerFor(k);
  const stop = new AbortController();
  const running = informers.start(stop.signal);
  const h = harness({ plugin: 'PodTopologySpread', nodes: o.nodes, pods: o.pods, api: { api, clock }, informers, ...(o.args === undefined ? {} : { args: o.args }) });
  await informers.waitForCacheSync();
  return {
    h,
    stop: async () => {
      stop.abort();
      await running;
      await api.close();
    },
  };
}

const owned = (p: kinds.Pod, apiVersion: string, kind: string, name: string): kinds.Pod => {
  p.metadata.ownerReferences = [{ apiVersion, kind, name, uid: `${name}-uid`, controller: true }];
  return p;
};

describe('PodTopologySpread default constraints', () => {
  // One DoNotSchedule default constraint on zones, so the selector shows in which nodes pass. The
  // pods of zoneA match app=web and tier=fe; zoneB has one pod of each alone. Only a selector that
  // combines both (the Service's and the controller's) counts zoneA 1, zoneB 0 and rejects zoneA.
  const args = { defaultingType: 'List', defaultConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }] };
  const existing = () => [
    pod('a', { labels: { app: 'web', tier: 'fe' }, nodeName: 'node1' }),
    pod('b1', { labels: { app: 'web', tier: 'be' }, nodeName: 'node3' }),
    pod('b2', { labels: { app: 'batch', tier: 'fe' }, nodeName: 'node4' }),
  ];
  const service = (client: Client) => client.create(kinds.Service, { metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } });
  const incoming = () => pod('incoming', { labels: { app: 'web', tier: 'fe' } });

  it('takes the selector of the Services selecting the pod and adds its ReplicaSet’s', async () => {
    const { h, stop } = await withObjects({
      nodes: zoneNodes,
      pods: existing(),
      args,
      create: async (client) => {
        await service(client);
        await client.create(kinds.ReplicaSet, {
          metadata: { name: 'fe', namespace: 'default' },
          spec: { selector: { matchLabels: { tier: 'fe' } }, template: { metadata: { labels: { app: 'web', tier: 'fe' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
        });
      },
    });
    try {
      expect(feasible(h.filter(owned(incoming(), 'apps/v1', 'ReplicaSet', 'fe')))).toEqual(['node3', 'node4']);
      // The Service alone (no controller): zoneA 1, zoneB 1, every node passes.
      expect(feasible(h.filter(incoming()))).toEqual(['node1', 'node2', 'node3', 'node4']);
      // A controller of another kind adds nothing.
      expect(feasible(h.filter(owned(incoming(), 'batch/v1', 'Job', 'fe')))).toEqual(['node1', 'node2', 'node3', 'node4']);
    } finally {
      await stop();
    }
  });

  it('takes the selectors of StatefulSets and ReplicationControllers when the program registers those kinds and runs their informers', async () => {
    const { h, stop } = await withObjects({
      nodes: zoneNodes,
      pods: existing(),
      args,
      kinds: [StatefulSet, ReplicationController],
      create: async (client) => {
        await service(client);
        await client.create(StatefulSet, { metadata: { name: 'db', namespace: 'default' }, spec: { selector: { matchLabels: { tier: 'fe' } } } } as never);
        await client.create(ReplicationController, { metadata: { name: 'rc', namespace: 'default' }, spec: { selector: { tier: 'fe' } } } as never);
      },
    });
    try {
      expect(feasible(h.filter(owned(incoming(), 'apps/v1', 'StatefulSet', 'db')))).toEqual(['node3', 'node4']);
      expect(feasible(h.filter(owned(incoming(), 'v1', 'ReplicationController', 'rc')))).toEqual(['node3', 'node4']);
      // Unknown controller objects leave the Services' selector.
      expect(feasible(h.filter(owned(incoming(), 'apps/v1', 'StatefulSet', 'missing')))).toEqual(['node1', 'node2', 'node3', 'node4']);
    } finally {
      await stop();
    }
  });

  it('spreads by the system defaults (ScheduleAnyway on hostname and zone) only pods that a Service or controller selects', async () => {
    const { h, stop } = await withObjects({ nodes: zoneNodes, pods: existing(), create: service });
    try {
      // app=web: zoneA 1 (node1), zoneB 1 (node3). Hostname counts weigh in: node2 and node4 are empty.
      const scores = h.score(incoming());
      expect(scores.get('node2')).toBe(100);
      expect(scores.get('node4')).toBe(100);
      expect((scores.get('node1') ?? 0) < 100).toBe(true);
      // Nothing selects a pod labelled app=other: no default constraints, the plugin skips it.
      expect(Object.fromEntries(h.score(pod('other', { labels: { app: 'other' } })))).toEqual({ node1: 0, node2: 0, node3: 0, node4: 0 });
    } finally {
      await stop();
    }
  });
});

describe('PodTopologySpread critical paths', () => {
  it('keeps the minimum as pods are added to and removed from one domain at a time', () => {
    const p = new CriticalPaths();
    for (const [v, n] of [['a', 3], ['b', 1], ['c', 2], ['d', 5]] as const) p.update(v, n);
    expect([p.v0, p.n0, p.v1, p.n1]).toEqual(['b', 1, 'c', 2]);
    p.update('b', 2);
    expect(p.n0).toBe(2);
    p.update('b', 3);
    expect([p.v0, p.n0]).toEqual(['c', 2]);
    p.update('d', 0);
    expect([p.v0, p.n0, p.v1, p.n1]).toEqual(['d', 0, 'c', 2]);
  });

  /** What Filter decides, computed from scratch over the pods as they are (the definition). */
  function expected(o: {
    readonly nodes: readonly { readonly node: kinds.Node; readonly pods: readonly kinds.Pod[] }[];
    readonly constraints: readonly kinds.TopologySpreadConstraint[];
    readonly incoming: kinds.Pod;
  }): Map<string, string> {
    const { nodes, constraints, incoming } = o;
    const matches = (c: kinds.TopologySpreadConstraint, labels: Readonly<Record<string, string>> | undefined): boolean =>
      Object.entries(c.labelSelector?.matchLabels ?? {}).every(([k, v]) => labels?.[k] === v);
    const eligible = nodes.filter((n) => constraints.every((c) => n.node.metadata.labels?.[c.topologyKey] !== undefined));
    const counts = constraints.map((c) => {
      const m = new Map<string, number>();
      for (const n of eligible) {
        const v = n.node.metadata.labels?.[c.topologyKey] ?? '';
        const k = n.pods.filter((p) => p.metadata.namespace === incoming.metadata.namespace && !p.metadata.deletionTimestamp && matches(c, p.metadata.labels)).length;
        m.set(v, (m.get(v) ?? 0) + k);
      }
      return m;
    });
    const out = new Map<string, string>();
    for (const n of nodes) {
      let verdict = 'Success';
      for (const [i, c] of constraints.entries()) {
        const v = n.node.metadata.labels?.[c.topologyKey];
        if (v === undefined) {
          verdict = 'UnschedulableAndUnresolvable';
          break;
        }
        const m = counts[i] as Map<string, number>;
        const min = c.minDomains !== undefined && m.size < c.minDomains ? 0 : Math.min(...m.values());
        if ((m.get(v) ?? 0) + (matches(c, incoming.metadata.labels) ? 1 : 0) - min > c.maxSkew) {
          verdict = 'Unschedulable';
          break;
        }
      }
      out.set(n.node.metadata.name ?? '', verdict);
    }
    return out;
  }

  it('gives the same Filter results as counting from scratch, after PreFilter and after AddPod/RemovePod on a node (property)', () => {
    const zones = ['A', 'B', 'C', 'D'];
    const cluster = fc.record({
      nodeZones: fc.array(fc.option(fc.constantFrom(...zones), { nil: undefined, freq: 8 }), { minLength: 1, maxLength: 10 }),
      pods: fc.array(
        fc.record({ node: fc.nat(), app: fc.constantFrom('web', 'db'), otherNamespace: fc.boolean(), terminating: fc.boolean() }),
        { maxLength: 30 },
      ),
      constraints: fc.array(
        fc.record({
          topologyKey: fc.constantFrom('zone', 'kubernetes.io/hostname'),
          maxSkew: fc.integer({ min: 1, max: 3 }),
          minDomains: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
        }),
        { minLength: 1, maxLength: 2 },
      ),
      incomingApp: fc.constantFrom('web', 'db'),
      // What preemption does on one node: remove some of its pods, then add some back or others.
      target: fc.nat(),
      ops: fc.array(fc.record({ add: fc.boolean(), pick: fc.nat(), app: fc.constantFrom('web', 'db') }), { maxLength: 12 }),
    });
    fc.assert(
      fc.property(cluster, (c) => {
        const nodeList = c.nodeZones.map((z, i) => node(`n${i}`, { labels: z === undefined ? {} : { zone: z } }));
        const placed = c.pods.map((x, i) => {
          const p = pod(`p${i}`, { labels: { app: x.app }, nodeName: `n${x.node % nodeList.length}`, namespace: x.otherNamespace ? 'other' : 'default' });
          if (x.terminating) (p.metadata as { deletionTimestamp?: string }).deletionTimestamp = '2026-01-01T00:00:00Z';
          return p;
        });
        const constraints: kinds.TopologySpreadConstraint[] = c.constraints.map((x) => ({
          maxSkew: x.maxSkew,
          topologyKey: x.topologyKey,
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: { matchLabels: { app: 'web' } },
          ...(x.minDomains === undefined ? {} : { minDomains: x.minDomains }),
        }));
        const incoming = pod('incoming', { labels: { app: c.incomingApp }, spec: { topologySpreadConstraints: constraints } });
        const h = harness({ plugin: 'PodTopologySpread', nodes: nodeList, pods: placed });
        const verdicts = (statuses: Map<string, Status>): Map<string, string> => new Map([...statuses].map(([n, s]) => [n, s.code]));
        const podsOn = (name: string, pods: readonly kinds.Pod[]): kinds.Pod[] => pods.filter((p) => p.spec.nodeName === name);
        expect(verdicts(h.filter(incoming))).toEqual(expected({ nodes: nodeList.map((n) => ({ node: n, pods: podsOn(n.metadata.name ?? '', placed) })), constraints, incoming }));

        // AddPod / RemovePod on one node, as preemption and nominated pods do.
        const state = new CycleState();
        const pre = h.framework.runPreFilterPlugins(state, incoming, h.cache.list());
        if (!pre.status.isSuccess()) return;
        const targetName = `n${c.target % nodeList.length}`;
        const ni = (h.cache.get(targetName) as NodeInfo).clone();
        let onTarget = podsOn(targetName, placed).filter((p) => !p.metadata.deletionTimestamp);
        let added = 0;
        for (const op of c.ops) {
          if (op.add) {
            const p = pod(`new${added++}`, { labels: { app: op.app }, nodeName: targetName });
            const pi = PodInfo.of(p);
            ni.addPod(pi);
            expect(h.framework.runPreFilterExtensionAddPod(state, incoming, pi, ni).isSuccess()).toBe(true);
            onTarget = [...onTarget, p];
          } else if (onTarget.length > 0) {
            const p = onTarget[op.pick % onTarget.length] as kinds.Pod;
            ni.removePod(`${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`);
            expect(h.framework.runPreFilterExtensionRemovePod(state, incoming, PodInfo.of(p), ni).isSuccess()).toBe(true);
            onTarget = onTarget.filter((x) => x !== p);
          }
        }
        const now = new Map<string, string>();
        for (const n of h.cache.list()) now.set(n.name, h.framework.runFilterPlugins(state, incoming, n.name === targetName ? ni : n).code);
        const terminatingOnTarget = podsOn(targetName, placed).filter((p) => p.metadata.deletionTimestamp);
        const after = nodeList.map((n) => ({ node: n, pods: n.metadata.name === targetName ? [...onTarget, ...terminatingOnTarget] : podsOn(n.metadata.name ?? '', placed) }));
        expect(now).toEqual(expected({ nodes: after, constraints, incoming }));
      }),
      { numRuns: 300 },
    );
  });
});

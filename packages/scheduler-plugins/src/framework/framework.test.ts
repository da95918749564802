import { describe, expect, it } from 'vitest';
import type { kinds } from '@harbormaster/core';
import { harness, node, pod } from '../../test/fixtures.js';
import { defaultRegistry } from '../plugins/registry.js';
import { CycleState, stateKey } from './cycle-state.js';
import type { NodeInfo } from './node-info.js';
import { NodeToStatus } from './fit-error.js';
import type { NodeScore, PermitPlugin, Plugin, PostFilterPlugin, ScorePlugin } from './interface.js';
import { Registry } from './registry.js';
import { Status } from './status.js';

describe('Registry', () => {
  it('refuses a duplicate name', () => {
    const r = new Registry().register('A', () => ({ name: 'A' }));
    expect(() => r.register('A', () => ({ name: 'A' }))).toThrow('a plugin named A is registered already');
    expect(() => defaultRegistry().register('NodeResourcesFit', () => ({ name: 'NodeResourcesFit' }))).toThrow(/registered already/);
    expect(() => defaultRegistry().merge(new Registry().register('PrioritySort', () => ({ name: 'PrioritySort' })))).toThrow(/registered already/);
    expect(defaultRegistry().names()).toHaveLength(14);
  });
});

describe('CycleState', () => {
  it('is typed by key, and clones cloneable values only', () => {
    const state = new CycleState();
    const counts = stateKey<{ n: number; clone(): { n: number } }>('counts');
    const shared = stateKey<string[]>('shared');
    const list = ['x'];
    const value = { n: 1, clone: (): { n: number } => ({ n: value.n }) };
    state.write(counts, value);
    state.write(shared, list);
    const copy = state.clone();
    (copy.read(counts) as { n: number }).n = 2;
    expect(state.read(counts)?.n).toBe(1);
    expect(copy.read(shared)).toBe(list);
  });
});

function scorer(name: string, fn: (ni: NodeInfo) => number, normalize?: (scores: NodeScore[]) => void): ScorePlugin {
  return normalize === undefined
    ? { name, score: (_s, _p, ni) => fn(ni) }
    : {
        name,
        score: (_s, _p, ni) => fn(ni),
        normalizeScore: (_s, _p, scores) => {
          normalize(scores);
          return undefined;
        },
      };
}

describe('Score', () => {
  it('normalizes each plugin, then weighs and sums', () => {
    const registry = defaultRegistry()
      .register('Raw', () => scorer('Raw', (ni) => (ni.name === 'a' ? 1000 : 500), (s) => s.forEach((x) => (x.score = x.score / 10))))
      .register('Flat', () => scorer('Flat', (ni) => (ni.name === 'a' ? 0 : 10)));
    const h = harness({
      plugin: 'PrioritySort',
      nodes: [node('a'), node('b')],
      registry,
      profile: { plugins: { multiPoint: { disabled: [{ name: '*' }], enabled: [{ name: 'PrioritySort' }, { name: 'DefaultBinder' }, { name: 'Raw', weight: 2 }, { name: 'Flat', weight: 3 }] } } },
    });
    expect(Object.fromEntries(h.score(pod('p')))).toEqual({ a: 200, b: 130 });
  });

  it('fails the cycle on a score outside 0-100 after normalization', () => {
    const registry = defaultRegistry().register('Bad', () => scorer('Bad', () => 101));
    const h = harness({ plugin: 'Bad', nodes: [node('a')], registry });
    expect(() => h.score(pod('p'))).toThrow('running Score plugin "Bad": returned an invalid score 101 for node a');
  });
});

describe('Filter', () => {
  it('turns a throwing plugin into an Error status naming it', () => {
    const registry = defaultRegistry().register('Throws', (): Plugin => ({ name: 'Throws', filter: () => { throw new Error('boom'); } }) as Plugin);
    const h = harness({ plugin: 'Throws', nodes: [node('a')], registry });
    const s = h.filter(pod('p')).get('a');
    expect(s?.code).toBe('Error');
    expect(s?.plugin).toBe('Throws');
    expect(s?.message).toBe('running "Throws" filter plugin: boom');
  });
});

describe('Permit', () => {
  const waiter = (timeoutMs: number): PermitPlugin => ({ name: 'Gate', permit: () => ({ status: Status.wait(), timeoutMs }) });

  it('holds a pod until every waiting plugin allows it', async () => {
    const registry = defaultRegistry().register('Gate', () => waiter(60_000));
    const h = harness({ plugin: 'Gate', nodes: [node('a')], registry });
    const p: kinds.Pod = pod('p');
    expect(h.framework.runPermitPlugins(new CycleState(), p, 'a').code).toBe('Wait');
    const waiting = h.framework.getWaitingPod(p.metadata.uid ?? '');
    expect(waiting?.pendingPlugins()).toEqual(['Gate']);
    const result = h.framework.waitOnPermit(p);
    waiting?.allow('Gate');
    expect((await result).isSuccess()).toBe(true);
    expect(h.framework.getWaitingPod(p.metadata.uid ?? '')).toBeUndefined();
  });

  it('rejects on request, and on timeout', async () => {
    const registry = defaultRegistry().register('Gate', () => waiter(5_000));
    const h = harness({ plugin: 'Gate', nodes: [node('a')], registry });
    const p = pod('p');
    h.framework.runPermitPlugins(new CycleState(), p, 'a');
    const rejected = h.framework.waitOnPermit(p);
    h.framework.getWaitingPod(p.metadata.uid ?? '')?.reject('Gate', 'not now');
    expect(await rejected).toMatchObject({ code: 'Unschedulable', reasons: ['not now'], plugin: 'Gate' });

    const q = pod('q');
    h.framework.runPermitPlugins(new CycleState(), q, 'a');
    const timedOut = h.framework.waitOnPermit(q);
    await h.clock.advance(5_000);
    expect((await timedOut).message).toBe('rejected due to timeout after waiting 5s at plugin Gate');
  });

  it("writes the timeout as Go's Duration.String() in the rejection message", async () => {
    for (const [ms, text] of [
      [60_000, '1m0s'],
      [90_000, '1m30s'],
      [1_500, '1.5s'],
      [500, '500ms'],
      // Longer than 15 minutes is cut to 15 minutes.
      [60 * 60_000, '15m0s'],
    ] as const) {
      const registry = defaultRegistry().register('Gate', () => waiter(ms));
      const h = harness({ plugin: 'Gate', nodes: [node('a')], registry });
      const p = pod('p');
      h.framework.runPermitPlugins(new CycleState(), p, 'a');
      const timedOut = h.framework.waitOnPermit(p);
      await h.clock.advance(Math.min(ms, 15 * 60_000));
      expect((await timedOut).message).toBe(`rejected due to timeout after waiting ${text} at plugin Gate`);
    }
  });
});

describe('PostFilter', () => {
  const rejecting = (name: string, reasons: string[], nominatedNodeName?: string): PostFilterPlugin => ({
    name,
    postFilter: () => ({ status: Status.unschedulable(...reasons), ...(nominatedNodeName === undefined ? {} : { nominatedNodeName }) }),
  });

  it("joins every rejecting plugin's reasons with ', ', attributed to the first of them", async () => {
    const registry = defaultRegistry().register('First', () => rejecting('First', ['no room here'], 'n1')).register('Second', () => rejecting('Second', ['not now', 'maybe later']));
    const h = harness({
      plugin: 'PrioritySort',
      nodes: [node('a')],
      registry,
      profile: { plugins: { multiPoint: { disabled: [{ name: '*' }], enabled: [{ name: 'PrioritySort' }, { name: 'DefaultBinder' }, { name: 'First' }, { name: 'Second' }] } } },
    });
    const { status, nominatedNodeName } = await h.framework.runPostFilterPlugins(new CycleState(), pod('p'), new NodeToStatus());
    expect(status).toMatchObject({ code: 'Unschedulable', plugin: 'First', reasons: ['no room here', 'not now', 'maybe later'] });
    expect(status.message).toBe('no room here, not now, maybe later');
    expect(nominatedNodeName).toBe('n1');
  });
});

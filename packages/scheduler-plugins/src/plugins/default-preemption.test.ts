import { describe, expect, it } from 'vitest';
import type { kinds } from '@harbormaster/core';
import { harness, node, pod } from '../../test/fixtures.js';
import { CycleState } from '../framework/cycle-state.js';
import type { NodeInfo } from '../framework/node-info.js';
import { PodInfo } from '../framework/pod-info.js';
import { defaultPreemption, pickOneNodeForPreemption, type Candidate } from './default-preemption.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');

/** A victim with this priority, started `startedMinutesAgo` minutes before NOW. */
function victim(name: string, priority: number, startedMinutesAgo: number): PodInfo {
  const p = pod(name, { priority, nodeName: 'n' });
  p.status = { ...p.status, startTime: new Date(NOW - startedMinutesAgo * 60_000).toISOString() };
  return PodInfo.of(p);
}

/** Candidates with their victims, most important first (as selectVictimsOnNode lists them). */
const candidate = (nodeName: string, ...victims: PodInfo[]): Candidate => ({ nodeName, victims });

describe('pickOneNodeForPreemption', () => {
  // Kubernetes' order (preemption.go pickOneNodeForPreemption): fewest PDB violations (none here),
  // lowest highest-victim priority, smallest sum of priorities (each + 2^31), fewest victims, latest
  // "earliest start time among the highest-priority victims", then the first candidate.
  it('1: prefers the node whose most important victim has the lowest priority', () => {
    const picked = pickOneNodeForPreemption([candidate('a', victim('a1', 50, 1)), candidate('b', victim('b1', 10, 1), victim('b2', 10, 1))], NOW);
    expect(picked?.nodeName).toBe('b');
  });

  it('2: then the smallest sum of victim priorities', () => {
    const picked = pickOneNodeForPreemption([candidate('a', victim('a1', 10, 1), victim('a2', 10, 1)), candidate('b', victim('b1', 10, 1), victim('b2', 5, 1))], NOW);
    expect(picked?.nodeName).toBe('b');
  });

  it('2: shifts each priority by 2^31, so two victims of a negative priority never sum lower than one', () => {
    // Without the shift the sums would be -10 and -5, and b would win.
    const picked = pickOneNodeForPreemption([candidate('a', victim('a1', -5, 1)), candidate('b', victim('b1', -5, 1), victim('b2', -5, 1))], NOW);
    expect(picked?.nodeName).toBe('a');
  });

  it('3: then the fewest victims', () => {
    // Equal highest priority (0) and equal shifted sums (2^31): 0 + 2^31 == (0 + 2^31) + (-2^31 + 2^31).
    const picked = pickOneNodeForPreemption([candidate('a', victim('a1', 0, 1), victim('a2', -2_147_483_648, 1)), candidate('b', victim('b1', 0, 1))], NOW);
    expect(picked?.nodeName).toBe('b');
  });

  it('4: then the latest start among the earliest-started highest-priority victims; lower-priority victims do not count', () => {
    // a's earliest top-priority victim started 30 min ago, b's 20 min ago: b's are younger.
    expect(
      pickOneNodeForPreemption([candidate('a', victim('a1', 10, 30), victim('a2', 10, 5)), candidate('b', victim('b1', 10, 20), victim('b2', 10, 10))], NOW)?.nodeName,
    ).toBe('b');
    // The priority-5 victims (a: 1 min, b: 90 min) are ignored: a's priority-10 victim is younger.
    expect(
      pickOneNodeForPreemption([candidate('a', victim('a1', 10, 10), victim('a2', 5, 1)), candidate('b', victim('b1', 10, 20), victim('b2', 5, 90))], NOW)?.nodeName,
    ).toBe('a');
  });

  it('5: then the first candidate', () => {
    expect(pickOneNodeForPreemption([candidate('a', victim('a1', 10, 10)), candidate('b', victim('b1', 10, 10))], NOW)?.nodeName).toBe('a');
    expect(pickOneNodeForPreemption([], NOW)).toBeUndefined();
  });
});

describe('selectVictimsOnNode', () => {
  it('removes every lower-priority pod, then reprieves them from the most important down (priority, then earlier start) while the pod fits', () => {
    const started = (p: kinds.Pod, minutesAgo: number): kinds.Pod => ({ ...p, status: { ...p.status, startTime: new Date(NOW - minutesAgo * 60_000).toISOString() } });
    const pods = [
      started(pod('young-5', { cpu: '1', priority: 5, nodeName: 'n' }), 1),
      started(pod('old-5', { cpu: '1', priority: 5, nodeName: 'n' }), 60),
      started(pod('prio-10', { cpu: '1', priority: 10, nodeName: 'n' }), 1),
      started(pod('peer', { cpu: '1', priority: 100, nodeName: 'n' }), 1),
    ];
    const h = harness({ plugin: 'PrioritySort', nodes: [node('n', { cpu: '4' })], pods, profile: {} });
    const plugin = defaultPreemption({ args: {}, handle: h.framework }) as ReturnType<typeof defaultPreemption> & {
      selectVictimsOnNode(state: CycleState, pod: kinds.Pod, nodeInfo: NodeInfo): { victims: PodInfo[] };
    };
    const preemptor = pod('high', { cpu: '1', priority: 100 });
    const state = new CycleState();
    h.framework.runPreFilterPlugins(state, preemptor, h.cache.list());
    // 4 CPU, the peer's 1 and the preemptor's 1 leave room for 2 of the 3 lower-priority pods:
    // prio-10 first, then the older priority-5 pod; the younger one is the victim. The
    // equal-priority peer is never a candidate.
    const { victims } = plugin.selectVictimsOnNode(state, preemptor, (h.cache.get('n') as NodeInfo).clone());
    expect(victims.map((v) => v.pod.metadata.name)).toEqual(['young-5']);
    // A preemptor of 2 CPU leaves room for prio-10 only; victims are listed most important first.
    const bigger = pod('bigger', { cpu: '2', priority: 100 });
    const state2 = new CycleState();
    h.framework.runPreFilterPlugins(state2, bigger, h.cache.list());
    expect(plugin.selectVictimsOnNode(state2, bigger, (h.cache.get('n') as NodeInfo).clone()).victims.map((v) => v.pod.metadata.name)).toEqual(['old-5', 'young-5']);
  });
});

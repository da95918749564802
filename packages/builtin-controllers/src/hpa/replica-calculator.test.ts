/**
 * The replica calculator against cases of Kubernetes' replica_calculator_test.go (same pods,
 * levels and targets; one container per pod instead of two, which changes no ratio).
 */
import { formatTime, type kinds } from '@harbormaster/core';
import { describe, expect, it } from 'vitest';
import {
  groupPods,
  perPodTotalReplicas,
  plainMetricReplicas,
  podRequests,
  ReplicaCalculationError,
  resourceReplicas,
  toMilli,
  usageRatioReplicas,
  withinTolerance,
  type CalculatorContext,
  type PodSamples,
} from './replica-calculator.js';

const NOW = Date.UTC(2026, 0, 1, 12);
const context: CalculatorContext = {
  tolerances: { scaleUp: 0.1, scaleDown: 0.1 },
  now: NOW,
  cpuInitializationPeriodMs: 2 * 60_000,
  delayOfInitialReadinessStatusMs: 10_000,
};
/** Started long ago: past the cpu initialization period. */
const cool = NOW - 3 * 60_000;
/** Started a minute ago: within the cpu initialization period. */
const hot = NOW - 60_000;

interface PodOptions {
  phase?: kinds.PodPhase;
  ready?: 'True' | 'False';
  start?: number;
  /** When the Ready condition last changed. @default start */
  transition?: number;
  request?: string | undefined;
  deleting?: boolean;
}

function pod(name: string, o: PodOptions = {}): kinds.Pod {
  const start = o.start ?? cool;
  const request = 'request' in o ? o.request : '1';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ...(o.deleting ? { deletionTimestamp: formatTime(NOW) } : {}) },
    spec: {
      containers: [{ name: 'app', image: 'app', ...(request === undefined ? {} : { resources: { requests: { cpu: request } } }) }],
    },
    status: {
      phase: o.phase ?? 'Running',
      startTime: formatTime(start),
      conditions: [{ type: 'Ready', status: o.ready ?? 'True', lastTransitionTime: formatTime(o.transition ?? start) }],
    },
  } as unknown as kinds.Pod;
}

function samples(levels: Record<string, number>, timestamp = NOW): PodSamples {
  return new Map(Object.entries(levels).map(([name, value]) => [name, { value, timestamp, windowMs: 30_000 }]));
}

function pods(n: number, o: (i: number) => PodOptions = () => ({})): kinds.Pod[] {
  return Array.from({ length: n }, (_, i) => pod(`p${i}`, o(i)));
}

function levels(values: readonly number[]): PodSamples {
  return samples(Object.fromEntries(values.map((v, i) => [`p${i}`, v])));
}

describe('resourceReplicas (Utilization targets)', () => {
  const calc = (currentReplicas: number, targetUtilization: number, ps: kinds.Pod[], s: PodSamples) =>
    resourceReplicas({ currentReplicas, targetUtilization, resource: 'cpu', pods: ps, samples: s, context });

  it('scales up: ceil(3 × 50% / 30%) = 5 (TestReplicaCalcScaleUp)', () => {
    expect(calc(3, 30, pods(3), levels([300, 500, 700]))).toEqual({ replicas: 5, utilization: 50, rawValue: 500 });
  });

  it('scales down: 5 pods at 28% of a 50% target → 3 (TestReplicaCalcScaleDown)', () => {
    expect(calc(5, 50, pods(5), levels([100, 300, 500, 250, 250]))).toEqual({ replicas: 3, utilization: 28, rawValue: 280 });
  });

  it('stays within the tolerance of 0.1', () => {
    // 32% of 30% is a ratio of 1.067.
    expect(calc(3, 30, pods(3), levels([320, 320, 320])).replicas).toBe(3);
    // 34% is 1.133: outside.
    expect(calc(3, 30, pods(3), levels([340, 340, 340])).replicas).toBe(4);
    expect(withinTolerance(1.1, context.tolerances)).toBe(true);
    expect(withinTolerance(0.9, context.tolerances)).toBe(true);
    expect(withinTolerance(1.11, context.tolerances)).toBe(false);
  });

  it('counts a not-Ready pod as 0% when scaling up (TestReplicaCalcScaleUpUnreadyLessScale)', () => {
    const ps = pods(3, (i) => (i === 0 ? { ready: 'False' } : {}));
    expect(calc(3, 30, ps, levels([300, 500, 700]))).toEqual({ replicas: 4, utilization: 60, rawValue: 600 });
  });

  it('counts a pod in its cpu initialization period without a full window since Ready as unready (TestReplicaCalcScaleUpHotCpuLessScale)', () => {
    const ps = pods(3, (i) => (i === 0 ? { start: hot, transition: NOW - 10_000 } : {}));
    expect(calc(3, 30, ps, levels([300, 500, 700])).replicas).toBe(4);
    // A full window after becoming Ready, its sample counts.
    const settled = pods(3, (i) => (i === 0 ? { start: hot, transition: NOW - 40_000 } : {}));
    expect(calc(3, 30, settled, levels([300, 500, 700])).replicas).toBe(5);
  });

  it('does not scale up when unready pods at 0% bring the ratio within tolerance (TestReplicaCalcScaleUpUnreadyNoScale)', () => {
    const ps = pods(3, (i) => (i === 0 ? {} : { ready: 'False' }));
    expect(calc(3, 30, ps, levels([400, 500, 700]))).toEqual({ replicas: 3, utilization: 40, rawValue: 400 });
  });

  it('ignores Failed pods and pods being deleted (TestReplicaCalcScaleUpIgnoresFailedPods, …DeletionPods)', () => {
    const failed = pods(4, (i) => (i < 2 ? {} : { phase: 'Failed', ready: 'False' }));
    expect(calc(2, 30, failed, levels([500, 700])).replicas).toBe(4);
    const deleting = pods(4, (i) => (i < 2 ? {} : { deleting: true, ready: 'False' }));
    expect(calc(2, 30, deleting, levels([500, 700])).replicas).toBe(4);
  });

  it('leaves unready pods out of a scale-down (TestReplicaCalcScaleDownIncludeUnreadyPods)', () => {
    const ps = pods(5, (i) => (i < 3 ? {} : { ready: 'False' }));
    expect(calc(5, 50, ps, levels([100, 300, 500, 250, 250]))).toEqual({ replicas: 2, utilization: 30, rawValue: 300 });
  });

  it('treats Pending pods as unready (TestReplicaCalcScaleDownExcludeUnscheduledPods)', () => {
    const ps = pods(5, (i) => (i === 0 ? {} : { phase: 'Pending', ready: 'False' }));
    expect(calc(5, 50, ps, levels([100]))).toEqual({ replicas: 1, utilization: 10, rawValue: 100 });
  });

  it('counts missing pods as 0% when scaling up', () => {
    // 2 of 4 pods report 90% and 100% of a 50% target: ratio 1.9 → missing pods at 0 → 47.5% → ratio 0.95: within tolerance.
    expect(calc(4, 50, pods(4), levels([900, 1000])).replicas).toBe(4);
    // At 180% and 200%: ratio 3.8 → with missing at 0: 95% → ratio 1.9 → ceil(1.9 × 4) = 8.
    expect(calc(4, 50, pods(4), levels([1800, 2000])).replicas).toBe(8);
  });

  it('counts missing pods as 100% of their request when scaling down', () => {
    // 2 of 4 pods report 10%: ratio 0.2 → missing at 100%: 55% of a 50% target → 1.1: within tolerance.
    expect(calc(4, 50, pods(4), levels([100, 100])).replicas).toBe(4);
    // Against a 200% target the fallback is the target: (100+100+2000+2000)/4 = 105% → ratio 0.525 → 3.
    expect(calc(4, 200, pods(4), levels([100, 100])).replicas).toBe(3);
  });

  it('keeps the current count when rebalancing flips the direction', () => {
    // Ready pods say scale up (60% of 50%: ratio 1.2); two unready at 0% make it 36%, 0.72: a scale-down, so nothing changes.
    const ps = pods(5, (i) => (i < 3 ? {} : { ready: 'False' }));
    expect(calc(5, 50, ps, levels([600, 600, 600, 0, 0])).replicas).toBe(5);
  });

  it('fails as Kubernetes does without pods, samples or requests', () => {
    expect(() => calc(3, 50, [], levels([]))).toThrow('no pods returned by selector while calculating replica count');
    expect(() => calc(3, 50, pods(2, () => ({ ready: 'False' })), levels([100, 100]))).toThrow(
      'did not receive metrics for targeted pods (pods might be unready)',
    );
    expect(() => calc(3, 50, [pod('p0', { request: undefined })], levels([100]))).toThrow(
      new ReplicaCalculationError('missing request for cpu in container app of Pod p0'),
    );
    // Kubernetes looks for samples before it reads the requests.
    expect(() => calc(3, 50, [pod('p0', { request: undefined, ready: 'False' })], levels([100]))).toThrow(
      'did not receive metrics for targeted pods (pods might be unready)',
    );
  });

  it('takes a request of 0 as a request (Kubernetes checks only that one is set)', () => {
    // 1000m of usage on 0 + 1000m of requests: 100%, twice the 50% target.
    expect(calc(2, 50, [pod('p0', { request: '0' }), pod('p1')], levels([500, 500]))).toEqual({ replicas: 4, utilization: 100, rawValue: 500 });
    // Requests adding up to 0 leave nothing to divide by.
    expect(() => calc(2, 50, pods(2, () => ({ request: '0' })), levels([500, 500]))).toThrow('no metrics returned matched known pods');
  });

  it('leaves missing pods out when the ratio is exactly 1 (neither a scale-up nor a scale-down)', () => {
    // 2 pods exactly at 50% of a 50% target, 2 without samples: nothing to rebalance, so 4 stays 4.
    expect(calc(4, 50, pods(4), levels([500, 500])).replicas).toBe(4);
  });
});

describe('plainMetricReplicas (AverageValue targets)', () => {
  const calc = (currentReplicas: number, targetUsage: number, ps: kinds.Pod[], s: PodSamples, resource?: string) =>
    plainMetricReplicas({ currentReplicas, targetUsage, resource, pods: ps, samples: s, context });

  it('scales up on a pods metric (TestReplicaCalcScaleUpCM)', () => {
    expect(calc(3, 15000, pods(3), levels([20000, 10000, 30000]))).toEqual({ replicas: 4, rawValue: 20000 });
  });

  it('scales down on a pods metric (TestReplicaCalcScaleDownCM)', () => {
    expect(calc(5, 20000, pods(5), levels([12000, 12000, 12000, 12000, 12000]))).toEqual({ replicas: 3, rawValue: 12000 });
  });

  it('does not check readiness for custom metrics (TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale)', () => {
    const ps = pods(3, (i) => (i === 2 ? { ready: 'False', start: hot } : {}));
    expect(calc(3, 15000, ps, levels([50000, 10000, 30000]))).toEqual({ replicas: 6, rawValue: 30000 });
  });

  it('treats missing pods as at target on a scale-down and at 0 on a scale-up', () => {
    expect(calc(4, 10000, pods(4), levels([2000, 2000])).replicas).toBe(3); // (2+2+10+10)/4 = 6 → 0.6 → 3
    expect(calc(4, 10000, pods(4), levels([40000, 40000])).replicas).toBe(8); // (40+40+0+0)/4 = 20 → 2 → 8
  });

  it('leaves missing pods out when the ratio is exactly 1, as current Kubernetes does (`else if usageRatio > 1.0`)', () => {
    // Older releases filled them with 0 on any ratio ≥ 1: (10+10+0+0)/4 = 5 → 0.5 → 2. Now 4 stays 4.
    expect(calc(4, 10000, pods(4), levels([10000, 10000])).replicas).toBe(4);
  });
});

describe('object and external metrics', () => {
  it('Value targets scale with the ratio times the ready pods (TestReplicaCalcScaleUpCMObject, …IgnoresUnreadyPods)', () => {
    expect(usageRatioReplicas({ currentReplicas: 3, ratio: 20000 / 15000, pods: pods(3), tolerances: context.tolerances })).toBe(4);
    const ps = pods(3, (i) => (i === 1 ? {} : { ready: 'False' }));
    expect(usageRatioReplicas({ currentReplicas: 3, ratio: 50000 / 10000, pods: ps, tolerances: context.tolerances })).toBe(5);
    // A target at zero replicas scales with the ratio alone.
    expect(usageRatioReplicas({ currentReplicas: 0, ratio: 2.5, pods: [], tolerances: context.tolerances })).toBe(3);
  });

  it('AverageValue targets divide the total by the target (TestReplicaCalcScaleUpCMPerPodObject, …ScaleDownPerPodCMExternal)', () => {
    expect(perPodTotalReplicas({ statusReplicas: 3, total: 20000, targetAverage: 5000, tolerances: context.tolerances })).toEqual({
      replicas: 4,
      average: 6667,
    });
    expect(perPodTotalReplicas({ statusReplicas: 5, total: 8600, targetAverage: 2867, tolerances: context.tolerances })).toEqual({
      replicas: 3,
      average: 1720,
    });
  });
});

describe('helpers', () => {
  it('groups pods as groupPods does', () => {
    const ps = [
      pod('ready'),
      pod('pending', { phase: 'Pending' }),
      pod('missing'),
      pod('failed', { phase: 'Failed' }),
      pod('never-ready', { ready: 'False' }),
      pod('became-unready', { ready: 'False', transition: NOW - 60_000 }),
    ];
    const s = samples({ ready: 100, pending: 100, failed: 100, 'never-ready': 100, 'became-unready': 100 });
    const g = groupPods({ pods: ps, samples: s, resource: 'cpu', context });
    expect(g.readyPodCount).toBe(2); // ready, and became-unready (it was ready once, past the initialization period)
    expect([...g.unready]).toEqual(['pending', 'never-ready']);
    expect([...g.missing]).toEqual(['missing']);
    expect([...g.ignored]).toEqual(['failed']);
  });

  it('sums requests of containers and restartable init containers', () => {
    const p = pod('p', { request: '250m' });
    (p.spec as { initContainers?: unknown[] }).initContainers = [
      { name: 'sidecar', image: 's', restartPolicy: 'Always', resources: { requests: { cpu: '100m' } } },
      { name: 'init', image: 'i' },
    ];
    expect(podRequests([p], 'cpu')).toEqual(new Map([['p', 350]]));
    expect(podRequests([p], 'cpu', 'sidecar')).toEqual(new Map([['p', 100]]));
    expect(() => podRequests([p], 'cpu', 'nope')).toThrow(new ReplicaCalculationError('container nope not found in Pod p'));
  });

  it('turns base units into milli-units without binary noise', () => {
    expect(toMilli(0.35)).toBe(350);
    expect(toMilli(1.0001)).toBe(1001);
    expect(toMilli(0.0000001)).toBe(1);
  });
});

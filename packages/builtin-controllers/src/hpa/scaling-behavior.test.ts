import { describe, expect, it } from 'vitest';
import {
  convertDesiredReplicasWithRules,
  replicasChangePerPeriod,
  ScalingHistory,
  scaleDownLimit,
  scaleUpLimit,
  scaleUpLimitWithoutBehavior,
  type EffectiveScalingRules,
  type NormalizationArgs,
} from './scaling-behavior.js';

const T = Date.UTC(2026, 0, 1);
const s = (seconds: number): number => T + seconds * 1000;

/** Kubernetes' defaults: up by max(4 pods, 100%) per 15 s without a window; down by 100% per 15 s after 300 s. */
const up: EffectiveScalingRules = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
};
const down: EffectiveScalingRules = { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] };

function args(o: Partial<NormalizationArgs> & { currentReplicas: number; desiredReplicas: number; now: number }): NormalizationArgs {
  return { scaleUp: up, scaleDown: down, minReplicas: 1, maxReplicas: 100, ...o };
}

describe('scale-up policies', () => {
  it('allow the larger of +4 pods and +100% per 15 s', () => {
    const events = { scaleUpEvents: [], scaleDownEvents: [], now: T };
    expect(scaleUpLimit({ ...events, currentReplicas: 1, rules: up })).toBe(5); // 1 + 4 beats 2
    expect(scaleUpLimit({ ...events, currentReplicas: 3, rules: up })).toBe(7); // 3 + 4 beats 6
    expect(scaleUpLimit({ ...events, currentReplicas: 7, rules: up })).toBe(14); // 14 beats 11
    expect(scaleUpLimit({ ...events, currentReplicas: 7, rules: { ...up, selectPolicy: 'Min' } })).toBe(11);
    expect(scaleUpLimit({ ...events, currentReplicas: 7, rules: { ...up, selectPolicy: 'Disabled' } })).toBe(7);
  });

  it('count from the replicas at the start of each period', () => {
    const history = new ScalingHistory();
    history.recordScaleEvent({ scaleUp: up, scaleDown: down, from: 3, to: 7, now: s(0) });
    // Within 15 s of the +4 the period started at 3: no more than 7.
    expect(scaleUpLimit({ currentReplicas: 7, scaleUpEvents: history.scaleUpEvents, scaleDownEvents: [], rules: up, now: s(14) })).toBe(7);
    // At 15 s the event has left the period (Kubernetes counts events strictly after the cutoff).
    expect(scaleUpLimit({ currentReplicas: 7, scaleUpEvents: history.scaleUpEvents, scaleDownEvents: [], rules: up, now: s(15) })).toBe(14);
    expect(replicasChangePerPeriod(15, history.scaleUpEvents, s(14))).toBe(4);
  });

  it('round percentages up', () => {
    const rules: EffectiveScalingRules = { ...up, policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }] };
    expect(scaleUpLimit({ currentReplicas: 3, scaleUpEvents: [], scaleDownEvents: [], rules, now: T })).toBe(4);
  });
});

describe('scale-down policies', () => {
  it('allow 100% per 15 s by default, and the smallest change with selectPolicy Min', () => {
    const events = { scaleUpEvents: [], scaleDownEvents: [], now: T };
    expect(scaleDownLimit({ ...events, currentReplicas: 10, rules: down })).toBe(0);
    const two: EffectiveScalingRules = {
      ...down,
      policies: [
        { type: 'Pods', value: 2, periodSeconds: 60 },
        { type: 'Percent', value: 50, periodSeconds: 60 },
      ],
    };
    expect(scaleDownLimit({ ...events, currentReplicas: 10, rules: two })).toBe(5); // Max: the larger change
    expect(scaleDownLimit({ ...events, currentReplicas: 10, rules: { ...two, selectPolicy: 'Min' } })).toBe(8);
    // Percent truncates: 50% of 5 leaves 2.
    expect(scaleDownLimit({ ...events, currentReplicas: 5, rules: { ...two, policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] } })).toBe(2);
  });
});

describe('ScalingHistory.normalize', () => {
  it('limits a scale-up to the policy rate (ScaleUpLimit)', () => {
    const history = new ScalingHistory();
    history.recordInitialRecommendation(3, T);
    const r = history.normalize(args({ currentReplicas: 3, desiredReplicas: 15, now: T }));
    expect(r.replicas).toBe(7);
    expect(r.conditions).toEqual([
      { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' },
      { type: 'ScalingLimited', status: 'True', reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' },
    ]);
  });

  it('clamps to maxReplicas (TooManyReplicas) and minReplicas (TooFewReplicas)', () => {
    const history = new ScalingHistory();
    const r = history.normalize(args({ currentReplicas: 14, desiredReplicas: 30, maxReplicas: 20, now: T }));
    expect(r.replicas).toBe(20);
    expect(r.conditions[1]).toMatchObject({ status: 'True', reason: 'TooManyReplicas' });
    const low = new ScalingHistory().normalize(args({ currentReplicas: 5, desiredReplicas: 1, minReplicas: 3, scaleDown: { ...down, stabilizationWindowSeconds: 0 }, now: T }));
    expect(low.replicas).toBe(3);
    expect(low.conditions[1]).toMatchObject({ status: 'True', reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' });
    const within = new ScalingHistory().normalize(args({ currentReplicas: 5, desiredReplicas: 6, now: T }));
    expect(within.conditions[1]).toMatchObject({ status: 'False', reason: 'DesiredWithinRange' });
  });

  it('holds a scale-down for the 300 s stabilization window (ScaleDownStabilized)', () => {
    const history = new ScalingHistory();
    history.recordInitialRecommendation(10, s(0));
    expect(history.normalize(args({ currentReplicas: 10, desiredReplicas: 10, now: s(0) })).replicas).toBe(10);
    const held = history.normalize(args({ currentReplicas: 10, desiredReplicas: 4, now: s(150) }));
    expect(held.replicas).toBe(10);
    expect(held.conditions[0]).toEqual({
      type: 'AbleToScale',
      status: 'True',
      reason: 'ScaleDownStabilized',
      message: 'recent recommendations were higher than current one, applying the highest recent recommendation',
    });
    expect(history.normalize(args({ currentReplicas: 10, desiredReplicas: 4, now: s(299) })).replicas).toBe(10);
    // At 300 s the recommendations of 10 made at 0 s have left the window.
    expect(history.normalize(args({ currentReplicas: 10, desiredReplicas: 4, now: s(300) })).replicas).toBe(4);
  });

  it('stabilizes to the highest recommendation within the window, not the first', () => {
    const history = new ScalingHistory();
    history.recordInitialRecommendation(10, s(0));
    history.normalize(args({ currentReplicas: 10, desiredReplicas: 8, now: s(100) }));
    history.normalize(args({ currentReplicas: 10, desiredReplicas: 6, now: s(200) }));
    // At 350 s: window (50 s, 350 s] holds 8 and 6.
    expect(history.normalize(args({ currentReplicas: 10, desiredReplicas: 4, now: s(350) })).replicas).toBe(8);
  });

  it('holds a scale-up for a scale-up window (ScaleUpStabilized)', () => {
    const history = new ScalingHistory();
    const slowUp: EffectiveScalingRules = { ...up, stabilizationWindowSeconds: 60 };
    history.recordInitialRecommendation(5, s(0));
    const r = history.normalize(args({ currentReplicas: 5, desiredReplicas: 10, scaleUp: slowUp, now: s(30) }));
    expect(r.replicas).toBe(5);
    expect(r.conditions[0]).toMatchObject({ reason: 'ScaleUpStabilized' });
    expect(history.normalize(args({ currentReplicas: 5, desiredReplicas: 10, scaleUp: slowUp, now: s(61) })).replicas).toBe(10);
  });

  it('reuses an entry older than both windows instead of growing the history', () => {
    const history = new ScalingHistory();
    history.recordInitialRecommendation(3, s(0));
    for (let t = 0; t <= 3000; t += 15) history.normalize(args({ currentReplicas: 3, desiredReplicas: 3, now: s(t) }));
    expect(history.recommendations.length).toBeLessThanOrEqual(22);
  });
});

describe('without spec.behavior (normalizeDesiredReplicas)', () => {
  const rules = (currentReplicas: number, desiredReplicas: number, minReplicas = 1, maxReplicas = 100) =>
    convertDesiredReplicasWithRules({ currentReplicas, desiredReplicas, minReplicas, maxReplicas });

  it('scales up by at most max(2 × current, 4) per sync (calculateScaleUpLimit)', () => {
    expect([0, 1, 2, 3, 6, 12].map(scaleUpLimitWithoutBehavior)).toEqual([4, 4, 4, 6, 12, 24]);
    expect(rules(3, 15)).toEqual({ replicas: 6, reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' });
    expect(rules(1, 15)).toMatchObject({ replicas: 4, reason: 'ScaleUpLimit' });
    expect(rules(6, 15)).toMatchObject({ replicas: 12, reason: 'ScaleUpLimit' });
    expect(rules(12, 15)).toEqual({ replicas: 15, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' });
  });

  it('clamps to maxReplicas (TooManyReplicas) when it is tighter than the rate, and to minReplicas (TooFewReplicas)', () => {
    expect(rules(12, 30, 3, 20)).toEqual({ replicas: 20, reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' });
    expect(rules(3, 30, 3, 5)).toMatchObject({ replicas: 5, reason: 'TooManyReplicas' });
    // A scale-down has no rate limit: straight to the minimum.
    expect(rules(15, 1, 3, 20)).toEqual({ replicas: 3, reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' });
    expect(rules(15, 4, 3, 20)).toMatchObject({ replicas: 4, reason: 'DesiredWithinRange' });
  });

  it('takes the highest recommendation of the downscale window, counting one made exactly at its start', () => {
    const history = new ScalingHistory();
    const normalize = (currentReplicas: number, desiredReplicas: number, now: number) =>
      history.normalizeWithoutBehavior({ currentReplicas, desiredReplicas, minReplicas: 3, maxReplicas: 20, downscaleStabilizationWindowSeconds: 300, now });
    history.recordInitialRecommendation(3, s(0));
    expect(normalize(3, 15, s(0))).toEqual({
      replicas: 6,
      conditions: [
        { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' },
        { type: 'ScalingLimited', status: 'True', reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' },
      ],
    });
    // No scale-up window: a lower recommendation a moment ago does not hold a scale-up back.
    expect(normalize(6, 15, s(15)).replicas).toBe(12);
    expect(normalize(12, 15, s(30)).replicas).toBe(15);
    const held = normalize(15, 1, s(45));
    expect(held.replicas).toBe(15);
    expect(held.conditions).toEqual([
      {
        type: 'AbleToScale',
        status: 'True',
        reason: 'ScaleDownStabilized',
        message: 'recent recommendations were higher than current one, applying the highest recent recommendation',
      },
      { type: 'ScalingLimited', status: 'False', reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' },
    ]);
    // Kubernetes drops a recommendation only once it is before the cutoff: the 15 of 30 s still counts at 330 s.
    expect(normalize(15, 1, s(330)).replicas).toBe(15);
    const down = normalize(15, 1, s(331));
    expect(down.replicas).toBe(3);
    expect(down.conditions[1]).toMatchObject({ status: 'True', reason: 'TooFewReplicas' });
  });

  it('records recommendations only, never scale events, and reuses entries older than the window', () => {
    const history = new ScalingHistory();
    history.recordInitialRecommendation(3, s(0));
    for (let t = 0; t <= 3000; t += 15) {
      history.normalizeWithoutBehavior({ currentReplicas: 3, desiredReplicas: 3, minReplicas: 1, maxReplicas: 10, downscaleStabilizationWindowSeconds: 300, now: s(t) });
    }
    expect(history.recommendations.length).toBeLessThanOrEqual(22);
    expect(history.scaleUpEvents).toEqual([]);
  });
});

describe('ScalingHistory.recordScaleEvent', () => {
  it('reuses events older than the longest policy period', () => {
    const history = new ScalingHistory();
    history.recordScaleEvent({ scaleUp: up, scaleDown: down, from: 1, to: 5, now: s(0) });
    history.recordScaleEvent({ scaleUp: up, scaleDown: down, from: 5, to: 10, now: s(10) });
    expect(history.scaleUpEvents).toHaveLength(2);
    history.recordScaleEvent({ scaleUp: up, scaleDown: down, from: 10, to: 12, now: s(40) });
    expect(history.scaleUpEvents).toEqual([
      { replicaChange: 2, timestamp: s(40), outdated: false },
      { replicaChange: 5, timestamp: s(10), outdated: true },
    ]);
    history.recordScaleEvent({ scaleUp: up, scaleDown: down, from: 12, to: 6, now: s(50) });
    expect(history.scaleDownEvents).toEqual([{ replicaChange: 6, timestamp: s(50), outdated: false }]);
  });
});

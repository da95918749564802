/**
 * The HPA's scaling behavior: stabilization windows over the history of recommendations, and
 * scaling policies over the history of scale events, as Kubernetes'
 * `normalizeDesiredReplicasWithBehaviors` applies them.
 *
 * - **Stabilization**: every sync records the unstabilized recommendation. A scale-up goes no
 *   higher than the lowest recommendation within `scaleUp.stabilizationWindowSeconds` (0 s by
 *   default); a scale-down goes no lower than the highest within
 *   `scaleDown.stabilizationWindowSeconds` (300 s by default).
 * - **Policies**: each policy allows a change of `value` pods or `value` percent of the replicas
 *   there were at the start of its `periodSeconds` window (the current count minus the changes
 *   recorded within the window). `selectPolicy: Max` (the default) takes the policy allowing the
 *   largest change, `Min` the smallest, `Disabled` none. Defaults: up by max(4 pods, 100%) per
 *   15 s, down by 100% per 15 s.
 * - **Limits**: the result stays within `minReplicas` and `maxReplicas`.
 *
 * The history lives in memory, per HPA, as in Kubernetes' controller: a restart forgets it.
 *
 * @module
 */
import type { kinds } from '@harbormaster/core';

/** One recommendation, when it was made. */
export interface TimestampedRecommendation {
  readonly recommendation: number;
  readonly timestamp: number;
}

/** One change of the target's replicas, when it was made. */
export interface TimestampedScaleEvent {
  readonly replicaChange: number;
  readonly timestamp: number;
  readonly outdated: boolean;
}

/** A condition the behavior sets on the HPA. */
export interface BehaviorCondition {
  readonly type: 'AbleToScale' | 'ScalingLimited';
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
}

/** Scaling rules with every field the controller needs. */
export interface EffectiveScalingRules {
  readonly stabilizationWindowSeconds: number;
  readonly selectPolicy: 'Max' | 'Min' | 'Disabled';
  readonly policies: readonly kinds.HPAScalingPolicy[];
}

/** What one normalization works on (`NormalizationArg`). */
export interface NormalizationArgs {
  readonly scaleUp: EffectiveScalingRules;
  readonly scaleDown: EffectiveScalingRules;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly currentReplicas: number;
  readonly desiredReplicas: number;
  /** The time now, in milliseconds since the epoch. */
  readonly now: number;
}

/** The sum of the changes recorded within the last `periodSeconds` (`getReplicasChangePerPeriod`). */
export function replicasChangePerPeriod(periodSeconds: number, events: readonly TimestampedScaleEvent[], now: number): number {
  const cutoff = now - periodSeconds * 1000;
  let replicas = 0;
  for (const e of events) if (e.timestamp > cutoff) replicas += e.replicaChange;
  return replicas;
}

/** The most replicas the scale-up rules allow now (`calculateScaleUpLimitWithScalingRules`). */
export function scaleUpLimit(options: {
  readonly currentReplicas: number;
  readonly scaleUpEvents: readonly TimestampedScaleEvent[];
  readonly scaleDownEvents: readonly TimestampedScaleEvent[];
  readonly rules: EffectiveScalingRules;
  readonly now: number;
}): number {
  const { currentReplicas, rules, now } = options;
  if (rules.selectPolicy === 'Disabled') return currentReplicas;
  const pick = rules.selectPolicy === 'Min' ? Math.min : Math.max;
  let result = rules.selectPolicy === 'Min' ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  for (const policy of rules.policies) {
    const added = replicasChangePerPeriod(policy.periodSeconds, options.scaleUpEvents, now);
    const deleted = replicasChangePerPeriod(policy.periodSeconds, options.scaleDownEvents, now);
    const periodStart = currentReplicas - added + deleted;
    // Percent rounds up, or a small target could never grow.
    const proposed = policy.type === 'Pods' ? periodStart + policy.value : Math.ceil(periodStart * (1 + policy.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

/** The fewest replicas the scale-down rules allow now (`calculateScaleDownLimitWithBehaviors`). */
export function scaleDownLimit(options: {
  readonly currentReplicas: number;
  readonly scaleUpEvents: readonly TimestampedScaleEvent[];
  readonly scaleDownEvents: readonly TimestampedScaleEvent[];
  readonly rules: EffectiveScalingRules;
  readonly now: number;
}): number {
  const { currentReplicas, rules, now } = options;
  if (rules.selectPolicy === 'Disabled') return currentReplicas;
  // For scaling down, the smallest change is the highest count.
  const pick = rules.selectPolicy === 'Min' ? Math.max : Math.min;
  let result = rules.selectPolicy === 'Min' ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const policy of rules.policies) {
    const added = replicasChangePerPeriod(policy.periodSeconds, options.scaleUpEvents, now);
    const deleted = replicasChangePerPeriod(policy.periodSeconds, options.scaleDownEvents, now);
    const periodStart = currentReplicas - added + deleted;
    const proposed = policy.type === 'Pods' ? periodStart - policy.value : Math.trunc(periodStart * (1 - policy.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

/**
 * The scaling history of one HPA, and the normalization that uses it. Kubernetes keeps the same
 * three lists per HPA in its controller.
 */
export class ScalingHistory {
  readonly recommendations: TimestampedRecommendation[] = [];
  readonly scaleUpEvents: TimestampedScaleEvent[] = [];
  readonly scaleDownEvents: TimestampedScaleEvent[] = [];

  /** The first sync records the current count, so a new HPA does not scale down at once (`recordInitialRecommendation`). */
  recordInitialRecommendation(currentReplicas: number, now: number): void {
    if (this.recommendations.length === 0) this.recommendations.push({ recommendation: currentReplicas, timestamp: now });
  }

  /**
   * Bring `desiredReplicas` within the stabilization windows and record it
   * (`stabilizeRecommendationWithBehaviors`). An entry older than both windows is reused.
   */
  stabilize(args: NormalizationArgs): { recommendation: number; reason: string; message: string } {
    const { now, desiredReplicas } = args;
    const upCutoff = now - args.scaleUp.stabilizationWindowSeconds * 1000;
    const downCutoff = now - args.scaleDown.stabilizationWindowSeconds * 1000;
    let upRecommendation = desiredReplicas;
    let downRecommendation = desiredReplicas;
    let oldSample = -1;
    this.recommendations.forEach((rec, i) => {
      if (rec.timestamp > upCutoff) upRecommendation = Math.min(rec.recommendation, upRecommendation);
      if (rec.timestamp > downCutoff) downRecommendation = Math.max(rec.recommendation, downRecommendation);
      if (rec.timestamp < upCutoff && rec.timestamp < downCutoff) oldSample = i;
    });
    let recommendation = args.currentReplicas;
    if (recommendation < upRecommendation) recommendation = upRecommendation;
    if (recommendation > downRecommendation) recommendation = downRecommendation;
    const entry = { recommendation: desiredReplicas, timestamp: now };
    if (oldSample >= 0) this.recommendations[oldSample] = entry;
    else this.recommendations.push(entry);
    return desiredReplicas >= args.currentReplicas
      ? {
          recommendation,
          reason: 'ScaleUpStabilized',
          message: 'recent recommendations were lower than current one, applying the lowest recent recommendation',
        }
      : {
          recommendation,
          reason: 'ScaleDownStabilized',
          message: 'recent recommendations were higher than current one, applying the highest recent recommendation',
        };
  }

  /** Limit `desiredReplicas` by the policies and by min/max (`convertDesiredReplicasWithBehaviorRate`). */
  limitRate(args: NormalizationArgs): { replicas: number; reason: string; message: string } {
    const { currentReplicas, desiredReplicas, now } = args;
    const events = { scaleUpEvents: this.scaleUpEvents, scaleDownEvents: this.scaleDownEvents, now };
    if (desiredReplicas > currentReplicas) {
      // Below the current count the limit would shrink the target: wait for old events to expire instead.
      const limit = Math.max(currentReplicas, scaleUpLimit({ ...events, currentReplicas, rules: args.scaleUp }));
      let allowed = args.maxReplicas;
      let reason = 'TooManyReplicas';
      let message = 'the desired replica count is more than the maximum replica count';
      if (allowed > limit) {
        allowed = limit;
        reason = 'ScaleUpLimit';
        message = 'the desired replica count is increasing faster than the maximum scale rate';
      }
      if (desiredReplicas > allowed) return { replicas: allowed, reason, message };
    } else if (desiredReplicas < currentReplicas) {
      const limit = Math.min(currentReplicas, scaleDownLimit({ ...events, currentReplicas, rules: args.scaleDown }));
      let allowed = args.minReplicas;
      let reason = 'TooFewReplicas';
      let message = 'the desired replica count is less than the minimum replica count';
      if (allowed < limit) {
        allowed = limit;
        reason = 'ScaleDownLimit';
        message = 'the desired replica count is decreasing faster than the maximum scale rate';
      }
      if (desiredReplicas < allowed) return { replicas: allowed, reason, message };
    }
    return { replicas: desiredReplicas, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
  }

  /**
   * Stabilize, then limit, and say which conditions follow (`normalizeDesiredReplicasWithBehaviors`):
   * `AbleToScale` (`ScaleUpStabilized`, `ScaleDownStabilized` or `ReadyForNewScale`) and
   * `ScalingLimited` (`ScaleUpLimit`, `ScaleDownLimit`, `TooManyReplicas`, `TooFewReplicas` or
   * `DesiredWithinRange`).
   */
  normalize(args: NormalizationArgs): { replicas: number; conditions: [BehaviorCondition, BehaviorCondition] } {
    const stabilized = this.stabilize(args);
    const able: BehaviorCondition =
      stabilized.recommendation !== args.desiredReplicas
        ? { type: 'AbleToScale', status: 'True', reason: stabilized.reason, message: stabilized.message }
        : { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' };
    const limited = this.limitRate({ ...args, desiredReplicas: stabilized.recommendation });
    return {
      replicas: limited.replicas,
      conditions: [
        able,
        {
          type: 'ScalingLimited',
          status: limited.replicas === stabilized.recommendation ? 'False' : 'True',
          reason: limited.reason,
          message: limited.message,
        },
      ],
    };
  }

  /**
   * Record a change of the target's replicas (`storeScaleEvent`). An event older than the longest
   * policy period of its direction is reused.
   */
  recordScaleEvent(options: {
    readonly scaleUp: EffectiveScalingRules;
    readonly scaleDown: EffectiveScalingRules;
    readonly from: number;
    readonly to: number;
    readonly now: number;
  }): void {
    const { from, to, now } = options;
    if (from === to) return;
    const up = to > from;
    const events = up ? this.scaleUpEvents : this.scaleDownEvents;
    const rules = up ? options.scaleUp : options.scaleDown;
    const longest = Math.max(0, ...rules.policies.map((p) => p.periodSeconds));
    const cutoff = now - longest * 1000;
    events.forEach((e, i) => {
      if (e.timestamp < cutoff) events[i] = { ...e, outdated: true };
    });
    const entry: TimestampedScaleEvent = { replicaChange: Math.abs(to - from), timestamp: now, outdated: false };
    const reuse = events.findIndex((e) => e.outdated);
    if (reuse >= 0) events[reuse] = entry;
    else events.push(entry);
  }
}

/**
 * The HPA's scaling rules, as Kubernetes' `horizontal.go` applies them. An HPA takes one of two
 * paths, chosen by whether its `spec.behavior` is set (the API server fills a given behavior's
 * unset fields, but leaves an absent one absent):
 *
 * **Without `spec.behavior`** (`normalizeDesiredReplicas`), the path of the seed's HPA:
 * - **Stabilization**: every sync records the unstabilized recommendation; the result is the
 *   highest recommendation within the controller's downscale stabilization window (300 s by
 *   default, `--horizontal-pod-autoscaler-downscale-stabilization`). Scale-ups are not delayed;
 *   an earlier, higher recommendation even carries a scale-up on when the metric alone would stop.
 * - **Rate**: a scale-up goes no further than max(2 × current, 4) replicas per sync
 *   (`scaleUpLimitFactor`, `scaleUpLimitMinimum`); a scale-down is not limited. No scale events
 *   are recorded.
 * - **Limits**: the result stays within `minReplicas` and `maxReplicas`.
 *
 * **With `spec.behavior`** (`normalizeDesiredReplicasWithBehaviors`):
 * - **Stabilization**: a scale-up goes no higher than the lowest recommendation within
 *   `scaleUp.stabilizationWindowSeconds` (0 s by default); a scale-down goes no lower than the
 *   highest within `scaleDown.stabilizationWindowSeconds` (the controller's 300 s if unset).
 * - **Policies**: each policy allows a change of `value` pods or `value` percent of the replicas
 *   there were at the start of its `periodSeconds` window (the current count minus the changes
 *   recorded within the window). `selectPolicy: Max` (the default) takes the policy allowing the
 *   largest change, `Min` the smallest, `Disabled` none. Defaults for unset rules: up by
 *   max(4 pods, 100%) per 15 s, down by 100% per 15 s.
 * - **Limits**: the result stays within `minReplicas` and `maxReplicas`.
 *
 * The history lives in memory, per HPA, as in Kubernetes' controller: a restart forgets it.
 *
 * @module
 */
import type { kinds } from '@harbormaster/core';

/** One recommendation, when it was made. */
export interface TimestampedRecommendation {
  /** The unstabilized desired replica count. */
  readonly recommendation: number;
  /** When it was made, in milliseconds since the epoch. */
  readonly timestamp: number;
}

/** One change of the target's replicas, when it was made. */
export interface TimestampedScaleEvent {
  /** How many replicas were added (in `scaleUpEvents`) or removed (in `scaleDownEvents`). */
  readonly replicaChange: number;
  /** When the change was made, in milliseconds since the epoch. */
  readonly timestamp: number;
  /** Whether the event is older than the longest policy period, so its slot may be reused. */
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
  /** How far back recommendations are considered (`stabilizationWindowSeconds`). */
  readonly stabilizationWindowSeconds: number;
  /** Which policy applies: the one allowing the largest change (`Max`), the smallest (`Min`), or none (`Disabled`). */
  readonly selectPolicy: 'Max' | 'Min' | 'Disabled';
  /** The scaling policies (`policies`), each a change of pods or percent per period. */
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

/** How much an HPA without `spec.behavior` may multiply its target's replicas per sync (Kubernetes' `scaleUpLimitFactor`). */
export const SCALE_UP_LIMIT_FACTOR = 2;
/** The scale-up limit of an HPA without `spec.behavior` is never below this (Kubernetes' `scaleUpLimitMinimum`). */
export const SCALE_UP_LIMIT_MINIMUM = 4;

/** The most replicas an HPA without `spec.behavior` may scale to from `currentReplicas` (`calculateScaleUpLimit`): max(2 × current, 4). */
export function scaleUpLimitWithoutBehavior(currentReplicas: number): number {
  return Math.trunc(Math.max(SCALE_UP_LIMIT_FACTOR * currentReplicas, SCALE_UP_LIMIT_MINIMUM));
}

/** A replica count after the limits, and the `ScalingLimited` reason and message that go with it. */
export interface LimitedReplicas {
  /** The replica count within the limits. */
  readonly replicas: number;
  /** The `ScalingLimited` reason, e.g. `ScaleUpLimit` or `DesiredWithinRange`. */
  readonly reason: string;
  /** The `ScalingLimited` message, Kubernetes' wording. */
  readonly message: string;
}

/**
 * Bring `desiredReplicas` within `minReplicas`, the scale-up limit of an HPA without
 * `spec.behavior` and `maxReplicas` (`convertDesiredReplicasWithRules`): `TooFewReplicas` below
 * the minimum; above, `ScaleUpLimit` when max(2 × current, 4) is the tighter bound, else
 * `TooManyReplicas`; `DesiredWithinRange` otherwise.
 */
export function convertDesiredReplicasWithRules(options: {
  readonly currentReplicas: number;
  readonly desiredReplicas: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
}): LimitedReplicas {
  const { desiredReplicas, minReplicas, maxReplicas } = options;
  const limit = scaleUpLimitWithoutBehavior(options.currentReplicas);
  const upper: LimitedReplicas =
    maxReplicas > limit
      ? { replicas: limit, reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' }
      : { replicas: maxReplicas, reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' };
  if (desiredReplicas < minReplicas) {
    return { replicas: minReplicas, reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
  }
  if (desiredReplicas > upper.replicas) return upper;
  return { replicas: desiredReplicas, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
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
  /** The recommendations of recent syncs, for the stabilization windows. */
  readonly recommendations: TimestampedRecommendation[] = [];
  /** The recent scale-ups, for the scale-up policies. */
  readonly scaleUpEvents: TimestampedScaleEvent[] = [];
  /** The recent scale-downs, for the scale-down policies. */
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

  /**
   * For an HPA without `spec.behavior`: the highest of `desiredReplicas` and the recommendations
   * made within the last `windowSeconds`, recording `desiredReplicas` (`stabilizeRecommendation`).
   * An entry older than the window is reused.
   */
  stabilizeDownscale(options: { readonly desiredReplicas: number; readonly windowSeconds: number; readonly now: number }): number {
    const { desiredReplicas, now } = options;
    const cutoff = now - options.windowSeconds * 1000;
    let highest = desiredReplicas;
    let oldSample = -1;
    this.recommendations.forEach((rec, i) => {
      if (rec.timestamp < cutoff) oldSample = i;
      else if (rec.recommendation > highest) highest = rec.recommendation;
    });
    const entry = { recommendation: desiredReplicas, timestamp: now };
    if (oldSample >= 0) this.recommendations[oldSample] = entry;
    else this.recommendations.push(entry);
    return highest;
  }

  /**
   * Stabilize, then limit, for an HPA without `spec.behavior` (`normalizeDesiredReplicas`), and say
   * which conditions follow: `AbleToScale` (`ScaleDownStabilized` or `ReadyForNewScale`) and
   * `ScalingLimited` (`ScaleUpLimit`, `TooManyReplicas`, `TooFewReplicas` or `DesiredWithinRange`).
   */
  normalizeWithoutBehavior(options: {
    readonly currentReplicas: number;
    readonly desiredReplicas: number;
    readonly minReplicas: number;
    readonly maxReplicas: number;
    /** The controller's downscale stabilization window. */
    readonly downscaleStabilizationWindowSeconds: number;
    /** The time now, in milliseconds since the epoch. */
    readonly now: number;
  }): { replicas: number; conditions: [BehaviorCondition, BehaviorCondition] } {
    const stabilized = this.stabilizeDownscale({
      desiredReplicas: options.desiredReplicas,
      windowSeconds: options.downscaleStabilizationWindowSeconds,
      now: options.now,
    });
    const able: BehaviorCondition =
      stabilized !== options.desiredReplicas
        ? {
            type: 'AbleToScale',
            status: 'True',
            reason: 'ScaleDownStabilized',
            message: 'recent recommendations were higher than current one, applying the highest recent recommendation',
          }
        : { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' };
    const limited = convertDesiredReplicasWithRules({ ...options, desiredReplicas: stabilized });
    return {
      replicas: limited.replicas,
      conditions: [
        able,
        { type: 'ScalingLimited', status: limited.replicas === stabilized ? 'False' : 'True', reason: limited.reason, message: limited.message },
      ],
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

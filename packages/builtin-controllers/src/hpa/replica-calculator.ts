/**
 * The replica calculator of the HPA controller: from pods and their metrics to a proposed replica
 * count, as Kubernetes' `replica_calculator.go` computes it.
 *
 * - desired = ceil(ratio × ready pods), where ratio = current value / target; a ratio within the
 *   tolerance (default 0.1) of 1 proposes the current count;
 * - values are integer milli-units and utilization an integer percent (truncated), as in Go;
 * - pods being deleted or Failed are ignored; Pending pods, and (for cpu) pods that are not Ready
 *   or are still in the cpu initialization period without a full metric window since becoming
 *   Ready, are unready: they count as 0% when the ratio says scale up, and are left out otherwise;
 * - pods without a sample are missing: they count as 0% on a scale-up and as 100% of their request
 *   (or of the target, if higher) on a scale-down;
 * - after that rebalancing, a ratio back within tolerance, or one that flips the direction of the
 *   change, proposes the current count.
 *
 * Every function is pure: pods, samples and the time come in, a proposal or a
 * {@link ReplicaCalculationError} comes out.
 *
 * @module
 */
import { parseQuantity, type kinds } from '@harbormaster/core';

/** A sample in integer milli-units, as Kubernetes' metrics client hands it to the calculator. */
export interface MilliSample {
  readonly value: number;
  readonly timestamp: number;
  readonly windowMs: number;
}

/** Samples by pod name. */
export type PodSamples = Map<string, MilliSample>;

/** The tolerances around a ratio of 1 within which nothing changes. */
export interface Tolerances {
  readonly scaleDown: number;
  readonly scaleUp: number;
}

/** Kubernetes' default tolerance (`--horizontal-pod-autoscaler-tolerance`). */
export const DEFAULT_TOLERANCE = 0.1;

/** Whether `ratio` is close enough to 1 to change nothing. */
export function withinTolerance(ratio: number, tolerances: Tolerances): boolean {
  return 1 - tolerances.scaleDown <= ratio && ratio <= 1 + tolerances.scaleUp;
}

/** Why a replica count could not be computed; the message is Kubernetes'. */
export class ReplicaCalculationError extends Error {
  override readonly name = 'ReplicaCalculationError';
}

/** What every pod-based calculation needs besides pods and samples. */
export interface CalculatorContext {
  readonly tolerances: Tolerances;
  /** The time now, in milliseconds since the epoch. */
  readonly now: number;
  /** How long after a pod starts its cpu samples may be unreliable. Kubernetes' default: 5 minutes. */
  readonly cpuInitializationPeriodMs: number;
  /** How long after a pod starts a not-Ready status means it has never been ready. Kubernetes' default: 30 s. */
  readonly delayOfInitialReadinessStatusMs: number;
}

/** A base-unit value as integer milli-units, rounding up like `resource.Quantity.MilliValue()`. */
export function toMilli(value: number): number {
  // Drop binary noise (0.35 * 1000 = 350.00000000000006) before rounding up.
  return Math.ceil(Number((value * 1000).toPrecision(12)));
}

function readyCondition(pod: kinds.Pod): kinds.PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

function time(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

/** The pods by how they take part in a calculation (`groupPods`). */
export interface PodGroups {
  readonly readyPodCount: number;
  readonly unready: ReadonlySet<string>;
  readonly missing: ReadonlySet<string>;
  readonly ignored: ReadonlySet<string>;
}

/**
 * Sort pods as Kubernetes' `groupPods` does. `resource` is the resource name for Resource metrics
 * (readiness only matters for `cpu`), or `undefined` for custom metrics.
 */
export function groupPods(options: {
  readonly pods: readonly kinds.Pod[];
  readonly samples: PodSamples;
  readonly resource: string | undefined;
  readonly context: CalculatorContext;
}): PodGroups {
  const { pods, samples, resource, context } = options;
  const unready = new Set<string>();
  const missing = new Set<string>();
  const ignored = new Set<string>();
  let readyPodCount = 0;
  for (const pod of pods) {
    const name = pod.metadata.name ?? '';
    if (pod.metadata.deletionTimestamp || pod.status?.phase === 'Failed') {
      ignored.add(name);
      continue;
    }
    if (pod.status?.phase === 'Pending') {
      unready.add(name);
      continue;
    }
    const sample = samples.get(name);
    if (sample === undefined) {
      missing.add(name);
      continue;
    }
    if (resource === 'cpu') {
      const condition = readyCondition(pod);
      const start = time(pod.status?.startTime);
      let isUnready: boolean;
      if (condition === undefined || start === undefined) {
        isUnready = true;
      } else {
        const transition = time(condition.lastTransitionTime) ?? 0;
        if (start + context.cpuInitializationPeriodMs > context.now) {
          // Within the initialization period: unready, or no full window sampled since the last transition.
          isUnready = condition.status === 'False' || sample.timestamp < transition + sample.windowMs;
        } else {
          // Unready and never ready since it started.
          isUnready = condition.status === 'False' && start + context.delayOfInitialReadinessStatusMs > transition;
        }
      }
      if (isUnready) {
        unready.add(name);
        continue;
      }
    }
    readyPodCount++;
  }
  return { readyPodCount, unready, missing, ignored };
}

function withoutPods(samples: PodSamples, names: ReadonlySet<string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [pod, s] of samples) if (!names.has(pod)) out.set(pod, s.value);
  return out;
}

/**
 * The milli-unit requests of `resource` per pod (`calculatePodRequestsFromContainers`): the sum
 * over its containers (and restartable init containers), or one `container`'s. A request of `0` is
 * a request (Kubernetes only checks that one is set).
 * @throws {@link ReplicaCalculationError} if a counted container has no request, or the pod has
 * no container named `container`.
 */
export function podRequests(pods: readonly kinds.Pod[], resource: string, container?: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const pod of pods) {
    const containers = [...pod.spec.containers, ...(pod.spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
    let sum = 0;
    let found = false;
    for (const c of containers) {
      if (container !== undefined && container !== c.name) continue;
      const request = c.resources?.requests?.[resource];
      if (request === undefined) {
        throw new ReplicaCalculationError(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata.name ?? ''}`);
      }
      sum += toMilli(parseQuantity(request));
      found = true;
    }
    if (container !== undefined && !found) throw new ReplicaCalculationError(`container ${container} not found in Pod ${pod.metadata.name ?? ''}`);
    out.set(pod.metadata.name ?? '', sum);
  }
  return out;
}

/** `GetResourceUtilizationRatio`: the ratio of utilization to target, the utilization (%), and the mean raw value. */
export function resourceUtilizationRatio(
  samples: ReadonlyMap<string, number>,
  requests: ReadonlyMap<string, number>,
  targetUtilization: number,
): { ratio: number; utilization: number; rawAverage: number } {
  let total = 0;
  let requested = 0;
  let entries = 0;
  for (const [pod, value] of samples) {
    const request = requests.get(pod);
    if (request === undefined) continue;
    total += value;
    requested += request;
    entries++;
  }
  // Kubernetes errors if requests sum to 0: the pods have no known requests.
  if (requested === 0) throw new ReplicaCalculationError('no metrics returned matched known pods');
  const utilization = Math.trunc((total * 100) / requested);
  return { ratio: utilization / targetUtilization, utilization, rawAverage: Math.trunc(total / entries) };
}

/** `GetMetricUsageRatio`: the ratio of the mean value to the target, and the mean (integer milli-units). */
export function metricUsageRatio(samples: ReadonlyMap<string, number>, targetUsage: number): { ratio: number; usage: number } {
  let total = 0;
  for (const v of samples.values()) total += v;
  const usage = samples.size === 0 ? 0 : Math.trunc(total / samples.size);
  return { ratio: usage / targetUsage, usage };
}

/** A proposal from pod metrics. */
export interface PodMetricProposal {
  readonly replicas: number;
  /** Utilization in percent of requests (Resource Utilization targets only). */
  readonly utilization?: number;
  /** The mean value per pod, in milli-units. */
  readonly rawValue: number;
}

/**
 * Replicas for a Resource or ContainerResource metric with a Utilization target (`GetResourceReplicas`).
 * @throws {@link ReplicaCalculationError}
 */
export function resourceReplicas(options: {
  readonly currentReplicas: number;
  readonly targetUtilization: number;
  readonly resource: string;
  readonly container?: string | undefined;
  readonly pods: readonly kinds.Pod[];
  readonly samples: PodSamples;
  readonly context: CalculatorContext;
}): PodMetricProposal {
  const { currentReplicas, targetUtilization, resource, pods, samples, context } = options;
  if (pods.length === 0) throw new ReplicaCalculationError('no pods returned by selector while calculating replica count');
  const groups = groupPods({ pods, samples, resource, context });
  const metrics = withoutPods(samples, new Set([...groups.ignored, ...groups.unready]));
  if (metrics.size === 0) throw new ReplicaCalculationError('did not receive metrics for targeted pods (pods might be unready)');
  // Samples of pods the selector did not list count for nothing (they have no request).
  const requests = podRequests(pods, resource, options.container);
  const { ratio, utilization, rawAverage } = resourceUtilizationRatio(metrics, requests, targetUtilization);
  const proposal = (replicas: number): PodMetricProposal => ({ replicas, utilization, rawValue: rawAverage });

  const scaleUpWithUnready = groups.unready.size > 0 && ratio > 1;
  if (!scaleUpWithUnready && groups.missing.size === 0) {
    if (withinTolerance(ratio, context.tolerances)) return proposal(currentReplicas);
    return proposal(Math.ceil(ratio * groups.readyPodCount));
  }
  if (groups.missing.size > 0) {
    if (ratio < 1) {
      // Scaling down: a missing pod may be busy; assume it uses all of its request (or the target, if higher).
      const fallback = Math.max(100, targetUtilization);
      for (const pod of groups.missing) metrics.set(pod, Math.trunc(((requests.get(pod) ?? 0) * fallback) / 100));
    } else if (ratio > 1) {
      // Scaling up: a missing pod may be idle; assume it uses nothing.
      for (const pod of groups.missing) metrics.set(pod, 0);
    }
  }
  if (scaleUpWithUnready) for (const pod of groups.unready) metrics.set(pod, 0);
  const rebalanced = resourceUtilizationRatio(metrics, requests, targetUtilization).ratio;
  if (withinTolerance(rebalanced, context.tolerances) || (ratio < 1 && rebalanced > 1) || (ratio > 1 && rebalanced < 1)) {
    return proposal(currentReplicas);
  }
  const replicas = Math.ceil(rebalanced * metrics.size);
  if ((rebalanced < 1 && replicas > currentReplicas) || (rebalanced > 1 && replicas < currentReplicas)) return proposal(currentReplicas);
  return proposal(replicas);
}

/**
 * Replicas for a per-pod metric with an AverageValue target: Resource AverageValue and Pods
 * metrics (`calcPlainMetricReplicas`). `resource` is the resource name for Resource metrics.
 * @throws {@link ReplicaCalculationError}
 */
export function plainMetricReplicas(options: {
  readonly currentReplicas: number;
  /** The target per pod, in milli-units. */
  readonly targetUsage: number;
  readonly resource: string | undefined;
  readonly pods: readonly kinds.Pod[];
  readonly samples: PodSamples;
  readonly context: CalculatorContext;
}): PodMetricProposal {
  const { currentReplicas, targetUsage, resource, pods, samples, context } = options;
  if (pods.length === 0) throw new ReplicaCalculationError('no pods returned by selector while calculating replica count');
  const groups = groupPods({ pods, samples, resource, context });
  const metrics = withoutPods(samples, new Set([...groups.ignored, ...groups.unready]));
  if (metrics.size === 0) throw new ReplicaCalculationError('did not receive metrics for targeted pods (pods might be unready)');
  const { ratio, usage } = metricUsageRatio(metrics, targetUsage);
  const proposal = (replicas: number): PodMetricProposal => ({ replicas, rawValue: usage });

  const scaleUpWithUnready = groups.unready.size > 0 && ratio > 1;
  if (!scaleUpWithUnready && groups.missing.size === 0) {
    if (withinTolerance(ratio, context.tolerances)) return proposal(currentReplicas);
    return proposal(Math.ceil(ratio * groups.readyPodCount));
  }
  if (groups.missing.size > 0) {
    if (ratio < 1) for (const pod of groups.missing) metrics.set(pod, targetUsage);
    else if (ratio > 1) for (const pod of groups.missing) metrics.set(pod, 0);
  }
  if (scaleUpWithUnready) for (const pod of groups.unready) metrics.set(pod, 0);
  const rebalanced = metricUsageRatio(metrics, targetUsage).ratio;
  if (withinTolerance(rebalanced, context.tolerances) || (ratio < 1 && rebalanced > 1) || (ratio > 1 && rebalanced < 1)) {
    return proposal(currentReplicas);
  }
  const replicas = Math.ceil(rebalanced * metrics.size);
  if ((rebalanced < 1 && replicas > currentReplicas) || (rebalanced > 1 && replicas < currentReplicas)) return proposal(currentReplicas);
  return proposal(replicas);
}

/** Pods that are Running and Ready (`getReadyPodsCount`). */
export function readyPodCount(pods: readonly kinds.Pod[]): number {
  if (pods.length === 0) throw new ReplicaCalculationError('no pods returned by selector while calculating replica count');
  return pods.filter((p) => p.status?.phase === 'Running' && readyCondition(p)?.status === 'True').length;
}

/**
 * Replicas for a whole-value target (Object and External metrics with a Value target):
 * ceil(ratio × ready pods), or ceil(ratio) when the target has no replicas, so that it can scale
 * from zero (`getUsageRatioReplicaCount`).
 * @throws {@link ReplicaCalculationError}
 */
export function usageRatioReplicas(options: {
  readonly currentReplicas: number;
  readonly ratio: number;
  readonly pods: readonly kinds.Pod[];
  readonly tolerances: Tolerances;
}): number {
  const { currentReplicas, ratio, pods, tolerances } = options;
  if (currentReplicas === 0) return Math.ceil(ratio);
  if (withinTolerance(ratio, tolerances)) return currentReplicas;
  let ready: number;
  try {
    ready = readyPodCount(pods);
  } catch (e) {
    throw new ReplicaCalculationError(`unable to calculate ready pods: ${(e as Error).message}`);
  }
  return Math.ceil(ratio * ready);
}

/**
 * Replicas for a total value with an AverageValue target (Object and External metrics):
 * ceil(total / target per pod), unless within tolerance of the current count
 * (`GetObjectPerPodMetricReplicas`, `GetExternalPerPodMetricReplicas`). Returns the proposal and
 * the mean value per replica (milli-units).
 */
export function perPodTotalReplicas(options: {
  readonly statusReplicas: number;
  /** The total, in milli-units. */
  readonly total: number;
  /** The target per pod, in milli-units. */
  readonly targetAverage: number;
  readonly tolerances: Tolerances;
}): { replicas: number; average: number } {
  const { statusReplicas, total, targetAverage, tolerances } = options;
  let replicas = statusReplicas;
  const ratio = total / (targetAverage * statusReplicas);
  if (!withinTolerance(ratio, tolerances)) replicas = Math.ceil(total / targetAverage);
  return { replicas, average: statusReplicas > 0 ? Math.ceil(total / statusReplicas) : total };
}

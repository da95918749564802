/**
 * The status of a ReplicaSet, computed from its pods as Kubernetes' `calculateStatus`
 * (pkg/controller/replicaset/replica_set_utils.go):
 *
 * - `replicas`: active pods (not terminal, not being deleted);
 * - `fullyLabeledReplicas`: active pods whose labels include all of the template's labels;
 * - `readyReplicas`: active pods whose `Ready` condition is `True`;
 * - `availableReplicas`: ready pods that have been ready for more than `minReadySeconds`;
 * - `terminatingReplicas`: pods being deleted that have not reached a terminal phase;
 * - a `ReplicaFailure` condition (`FailedCreate` / `FailedDelete`) while creating or deleting pods
 *   fails, removed once it succeeds again.
 *
 * `observedGeneration` is set by the controller when it writes the status.
 *
 * @module
 */
import { formatTime, type kinds } from '@harbormaster/core';
import { podFacts } from './pod-utils.js';

/** The `ReplicaFailure` condition type. */
export const REPLICA_FAILURE = 'ReplicaFailure';

/** Options of {@link calculateReplicaSetStatus}. */
export interface ReplicaSetStatusInput {
  readonly rs: kinds.ReplicaSet;
  /** The active pods the ReplicaSet controls (cache objects: facts about them are memoized). */
  readonly activePods: readonly kinds.Pod[];
  /** How many of its pods are terminating. */
  readonly terminating: number;
  /** The error of this sync's creates or deletes, if any. */
  readonly manageReplicasError?: Error | undefined;
  /** What the sync tried: a negative diff is a scale-up. */
  readonly diff: number;
  readonly now: number;
}

/** The ReplicaSet's new status (without `observedGeneration`). */
export function calculateReplicaSetStatus(input: ReplicaSetStatusInput): kinds.ReplicaSetStatus {
  const { rs, activePods, now } = input;
  const templateLabels = Object.entries(rs.spec.template.metadata?.labels ?? {});
  const minReadySeconds = rs.spec.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of activePods) {
    const labels = pod.metadata.labels ?? {};
    if (templateLabels.every(([k, v]) => labels[k] === v)) fullyLabeled++;
    const facts = podFacts(pod);
    if (facts.ready) {
      ready++;
      if (minReadySeconds <= 0 || (facts.readySince !== undefined && facts.readySince + minReadySeconds * 1000 < now)) available++;
    }
  }
  let conditions = [...(rs.status?.conditions ?? [])];
  const failure = conditions.find((c) => c.type === REPLICA_FAILURE);
  if (input.manageReplicasError !== undefined && failure === undefined) {
    const reason = input.diff < 0 ? 'FailedCreate' : input.diff > 0 ? 'FailedDelete' : '';
    const message = input.manageReplicasError.message;
    conditions.push({ type: REPLICA_FAILURE, status: 'True', lastTransitionTime: formatTime(now), ...(reason ? { reason } : {}), message });
  } else if (input.manageReplicasError === undefined && failure !== undefined) {
    conditions = conditions.filter((c) => c.type !== REPLICA_FAILURE);
  }
  return {
    replicas: activePods.length,
    ...(fullyLabeled > 0 ? { fullyLabeledReplicas: fullyLabeled } : {}),
    ...(ready > 0 ? { readyReplicas: ready } : {}),
    ...(available > 0 ? { availableReplicas: available } : {}),
    ...(input.terminating > 0 ? { terminatingReplicas: input.terminating } : {}),
    ...(rs.status?.observedGeneration === undefined ? {} : { observedGeneration: rs.status.observedGeneration }),
    ...(conditions.length > 0 ? { conditions } : {}),
  };
}

/**
 * Rollout progress, as Kubernetes' `progress.go`: after each rollout step the Deployment's status
 * is recomputed and its `Progressing` condition moved on:
 *
 * - `True`, `NewReplicaSetAvailable` once the rollout is complete ("ReplicaSet "web-5d8f" has
 *   successfully progressed.");
 * - `True`, `ReplicaSetUpdated` whenever pods were updated, old pods went away, or pods became
 *   ready or available (its `lastUpdateTime` moves, restarting the deadline);
 * - `False`, `ProgressDeadlineExceeded` when nothing moved for `progressDeadlineSeconds`.
 *
 * A `ReplicaFailure` condition of the ReplicaSets (the new one first) is copied to the Deployment.
 * While a rollout is under way and has not timed out, the Deployment is requeued for the moment
 * its deadline would pass.
 *
 * @module
 */
import type { kinds } from '@harbormaster/core';
import type { DeploymentSync } from './deployment-sync.js';
import {
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  getCondition,
  hasProgressDeadline,
  newCondition,
  Reasons,
  removeCondition,
  setCondition,
} from './deployment-util.js';
import { parseTime } from '../replicaset/pod-utils.js';

function replicaFailures(allRSs: readonly (kinds.ReplicaSet | undefined)[], newRS: kinds.ReplicaSet | undefined): kinds.DeploymentCondition[] {
  const toDeployment = (c: kinds.ReplicaSetCondition): kinds.DeploymentCondition => ({
    type: c.type,
    status: c.status,
    ...(c.lastTransitionTime === undefined ? {} : { lastTransitionTime: c.lastTransitionTime, lastUpdateTime: c.lastTransitionTime }),
    ...(c.reason === undefined ? {} : { reason: c.reason }),
    ...(c.message === undefined ? {} : { message: c.message }),
  });
  const fromNew = (newRS?.status?.conditions ?? []).filter((c) => c.type === 'ReplicaFailure').map(toDeployment);
  if (fromNew.length > 0) return fromNew;
  return allRSs.flatMap((rs) => (rs?.status?.conditions ?? []).filter((c) => c.type === 'ReplicaFailure').map(toDeployment));
}

/** Update the status and the Progressing condition after a rollout step (Kubernetes' `syncRolloutStatus`). */
export async function syncRolloutStatus(sync: DeploymentSync, allRSs: readonly (kinds.ReplicaSet | undefined)[], newRS: kinds.ReplicaSet | undefined): Promise<void> {
  const d = sync.d;
  const now = sync.now;
  const status = sync.calculateStatus(allRSs, newRS);
  if (!hasProgressDeadline(d)) removeCondition(status, 'Progressing');
  const current = getCondition(d.status, 'Progressing');
  const isCompleteDeployment = status.replicas === status.updatedReplicas && current?.reason === Reasons.NewRSAvailable;
  if (hasProgressDeadline(d) && !isCompleteDeployment) {
    const rsName = newRS?.metadata.name;
    if (deploymentComplete(d, status)) {
      const message = rsName === undefined ? `Deployment "${d.metadata.name ?? ''}" has successfully progressed.` : `ReplicaSet "${rsName}" has successfully progressed.`;
      setCondition(status, newCondition({ type: 'Progressing', status: 'True', reason: Reasons.NewRSAvailable, message, now }));
    } else if (deploymentProgressing(d, status)) {
      const message = rsName === undefined ? `Deployment "${d.metadata.name ?? ''}" is progressing.` : `ReplicaSet "${rsName}" is progressing.`;
      let condition = newCondition({ type: 'Progressing', status: 'True', reason: Reasons.ReplicaSetUpdated, message, now });
      // Progress moves lastUpdateTime even when the reason stays the same.
      if (current !== undefined) {
        if (current.status === 'True') condition = { ...condition, lastTransitionTime: current.lastTransitionTime ?? null };
        removeCondition(status, 'Progressing');
      }
      setCondition(status, condition);
    } else if (deploymentTimedOut(d, status, now)) {
      const message = rsName === undefined ? `Deployment "${d.metadata.name ?? ''}" has timed out progressing.` : `ReplicaSet "${rsName}" has timed out progressing.`;
      setCondition(status, newCondition({ type: 'Progressing', status: 'False', reason: Reasons.TimedOut, message, now }));
    }
  }
  const failures = replicaFailures(allRSs, newRS);
  const failure = failures[0];
  if (failure !== undefined) setCondition(status, failure);
  else removeCondition(status, 'ReplicaFailure');

  if (!sync.statusChanged(status)) {
    requeueStuckDeployment(sync, status);
    return;
  }
  d.status = status;
  await sync.writeStatus();
  requeueStuckDeployment(sync, status);
}

/**
 * When a rollout has neither completed nor timed out, come back when its deadline passes
 * (Kubernetes' `requeueStuckDeployment`, which adds a second against clock skew).
 */
function requeueStuckDeployment(sync: DeploymentSync, status: kinds.DeploymentStatus): void {
  const d = sync.d;
  const current = getCondition(status, 'Progressing');
  if (!hasProgressDeadline(d) || current === undefined) return;
  if (deploymentComplete(d, status) || current.reason === Reasons.TimedOut) return;
  const last = parseTime(current.lastUpdateTime);
  if (last === undefined) return;
  const after = last + d.spec.progressDeadlineSeconds * 1000 - sync.now;
  if (after < 1000) {
    sync.requeue = true;
    return;
  }
  sync.requeueAfter = Math.min(sync.requeueAfter ?? Number.POSITIVE_INFINITY, after + 1000);
}

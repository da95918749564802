/**
 * The RollingUpdate strategy, as Kubernetes' `rolling.go`. Each step either scales the new
 * ReplicaSet up, as far as `maxSurge` allows, or scales old ones down, as far as
 * `maxUnavailable` allows:
 *
 * - the new ReplicaSet grows while all ReplicaSets together stay within `replicas + maxSurge`;
 * - old ReplicaSets shrink while at least `replicas - maxUnavailable` pods stay available, first
 *   by their unhealthy (not available) pods, which costs no availability, then by available ones;
 *   pods of the new ReplicaSet that are not yet available count against the budget, so a broken
 *   new template never takes old pods down with it. A scale-down the API refuses is dropped for
 *   this sync, as Kubernetes does: the status is still synced, and the ReplicaSets' next change
 *   brings the Deployment back.
 *
 * Once complete, old ReplicaSets beyond `revisionHistoryLimit` are deleted.
 *
 * @module
 */
import { isApiError, type kinds } from '@harbormaster/core';
import type { DeploymentSync } from './deployment-sync.js';
import { activeReplicaSets, availableReplicaCount, byCreationTimestamp, deploymentComplete, maxUnavailable, newRSNewReplicas, replicaCount } from './deployment-util.js';
import { syncRolloutStatus } from './progress.js';

/** Roll out a new template step by step (Kubernetes' `rolloutRolling`). */
export async function rolloutRolling(sync: DeploymentSync, rsList: readonly kinds.ReplicaSet[]): Promise<void> {
  const { newRS, oldRSs } = await sync.allReplicaSetsAndSyncRevision(rsList, true);
  if (newRS === undefined) throw new Error('the new replica set was not created');
  let allRSs: kinds.ReplicaSet[] = [...oldRSs, newRS];

  const refreshed = async (): Promise<void> => {
    allRSs = (await sync.refresh(allRSs)).filter((rs): rs is kinds.ReplicaSet => rs !== undefined);
    await syncRolloutStatus(sync, allRSs, allRSs.find((rs) => rs.metadata.uid === newRS.metadata.uid));
  };
  if (await reconcileNewReplicaSet(sync, allRSs, newRS)) {
    await refreshed();
    return;
  }
  if (await reconcileOldReplicaSets(sync, allRSs, activeReplicaSets(oldRSs), newRS)) {
    await refreshed();
    return;
  }
  if (deploymentComplete(sync.d, sync.status)) await sync.cleanupDeployment(oldRSs);
  await syncRolloutStatus(sync, allRSs, newRS);
}

async function reconcileNewReplicaSet(sync: DeploymentSync, allRSs: readonly kinds.ReplicaSet[], newRS: kinds.ReplicaSet): Promise<boolean> {
  const d = sync.d;
  if (newRS.spec.replicas === d.spec.replicas) return false;
  if (newRS.spec.replicas > d.spec.replicas) return (await sync.scaleReplicaSetAndRecordEvent(newRS, d.spec.replicas)).scaled;
  const count = newRSNewReplicas(d, allRSs, newRS);
  return (await sync.scaleReplicaSetAndRecordEvent(newRS, count)).scaled;
}

async function reconcileOldReplicaSets(
  sync: DeploymentSync,
  allRSs: readonly kinds.ReplicaSet[],
  oldRSs: readonly kinds.ReplicaSet[],
  newRS: kinds.ReplicaSet,
): Promise<boolean> {
  const d = sync.d;
  if (replicaCount(oldRSs) === 0) return false;
  const allPods = replicaCount(allRSs);
  const minAvailable = d.spec.replicas - maxUnavailable(d);
  const newRSUnavailable = newRS.spec.replicas - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = allPods - minAvailable - newRSUnavailable;
  if (maxScaledDown <= 0) return false;

  // Kubernetes' reconcileOldReplicaSets ignores a failed scale-down here (`return false, nil`):
  // the rollout goes on to sync its status rather than retrying with back-off.
  try {
    const { rss: cleaned, scaledDown: cleanedUp } = await cleanupUnhealthyReplicas(sync, oldRSs, maxScaledDown);
    const scaledDown = await scaleDownOldReplicaSetsForRollingUpdate(sync, [...cleaned, newRS], cleaned);
    return cleanedUp + scaledDown > 0;
  } catch (e) {
    if (!isApiError(e)) throw e;
    sync.ctx.log.debug({ err: e.message }, 'failed to scale down old replica sets; syncing the rollout status');
    return false;
  }
}

/** Scale old ReplicaSets down by their unavailable pods, oldest first, at most `maxCleanup` in all. */
async function cleanupUnhealthyReplicas(sync: DeploymentSync, oldRSs: readonly kinds.ReplicaSet[], maxCleanup: number): Promise<{ rss: kinds.ReplicaSet[]; scaledDown: number }> {
  const rss = [...oldRSs].sort(byCreationTimestamp);
  let total = 0;
  for (const [i, rs] of rss.entries()) {
    if (total >= maxCleanup) break;
    if (rs.spec.replicas === 0) continue;
    const available = rs.status?.availableReplicas ?? 0;
    if (rs.spec.replicas === available) continue;
    const count = Math.min(maxCleanup - total, rs.spec.replicas - available);
    const { rs: updated } = await sync.scaleReplicaSetAndRecordEvent(rs, rs.spec.replicas - count);
    total += count;
    rss[i] = updated;
  }
  return { rss, scaledDown: total };
}

/** Scale old ReplicaSets down, oldest first, while more than `replicas - maxUnavailable` pods are available. */
async function scaleDownOldReplicaSetsForRollingUpdate(sync: DeploymentSync, allRSs: readonly kinds.ReplicaSet[], oldRSs: readonly kinds.ReplicaSet[]): Promise<number> {
  const d = sync.d;
  const minAvailable = d.spec.replicas - maxUnavailable(d);
  const available = availableReplicaCount(allRSs);
  if (available <= minAvailable) return 0;
  const budget = available - minAvailable;
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreationTimestamp)) {
    if (total >= budget) break;
    if (rs.spec.replicas === 0) continue;
    const count = Math.min(rs.spec.replicas, budget - total);
    await sync.scaleReplicaSetAndRecordEvent(rs, rs.spec.replicas - count);
    total += count;
  }
  return total;
}

/**
 * The Recreate strategy, as Kubernetes' `recreate.go`: scale every old ReplicaSet to 0, wait until
 * none of their pods is left running (terminal pods do not count; pods being deleted do), and only
 * then create and scale up the new ReplicaSet. Old and new pods never run at the same time.
 *
 * @module
 */
import type { kinds } from '@harbormaster/core';
import type { DeploymentSync } from './deployment-sync.js';
import { activeReplicaSets, actualReplicaCount, deploymentComplete } from './deployment-util.js';
import { syncRolloutStatus } from './progress.js';

/** Whether old pods still run, or an old ReplicaSet thinks it runs some. */
function oldPodsRunning(newRS: kinds.ReplicaSet | undefined, oldRSs: readonly kinds.ReplicaSet[], podMap: ReadonlyMap<string, readonly kinds.Pod[]>): boolean {
  if (actualReplicaCount(oldRSs) > 0) return true;
  for (const [uid, pods] of podMap) {
    if (newRS !== undefined && newRS.metadata.uid === uid) continue;
    for (const pod of pods) {
      const phase = pod.status?.phase;
      if (phase === 'Failed' || phase === 'Succeeded') continue;
      return true;
    }
  }
  return false;
}

/** Replace every old pod at once (Kubernetes' `rolloutRecreate`). */
export async function rolloutRecreate(sync: DeploymentSync, rsList: readonly kinds.ReplicaSet[], podMap: ReadonlyMap<string, readonly kinds.Pod[]>): Promise<void> {
  // Do not create the new ReplicaSet yet: scale down first.
  let { newRS, oldRSs } = await sync.allReplicaSetsAndSyncRevision(rsList, false);
  let scaledDown = false;
  for (const rs of activeReplicaSets(oldRSs)) {
    if ((await sync.scaleReplicaSetAndRecordEvent(rs, 0)).scaled) scaledDown = true;
  }
  if (scaledDown) {
    await syncRolloutStatus(sync, await sync.refresh([...oldRSs, newRS]), newRS);
    return;
  }
  if (oldPodsRunning(newRS, oldRSs, podMap)) {
    await syncRolloutStatus(sync, [...oldRSs, newRS], newRS);
    return;
  }
  if (newRS === undefined) ({ newRS, oldRSs } = await sync.allReplicaSetsAndSyncRevision(rsList, true));
  if (newRS === undefined) throw new Error('the new replica set was not created');
  const { rs: scaled } = await sync.scaleReplicaSetAndRecordEvent(newRS, sync.d.spec.replicas);
  if (deploymentComplete(sync.d, sync.status)) await sync.cleanupDeployment(oldRSs);
  await syncRolloutStatus(sync, [...oldRSs, scaled], scaled);
}

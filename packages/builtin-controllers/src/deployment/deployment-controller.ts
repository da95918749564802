/**
 * The Deployment controller: declarative updates of a set of pods through ReplicaSets, as
 * Kubernetes' (pkg/controller/deployment).
 *
 * A Deployment owns one ReplicaSet per pod template it has had. The ReplicaSet whose template
 * equals the Deployment's is the new one, named `<deployment>-<pod-template-hash>`, with the
 * `pod-template-hash` label in its labels, selector and template; the others are old. Each
 * ReplicaSet carries `deployment.kubernetes.io/revision` (the highest becomes the Deployment's
 * revision; a ReplicaSet revived by a rollback keeps its earlier numbers in
 * `deployment.kubernetes.io/revision-history`), and the `desired-replicas`/`max-replicas` it was
 * last sized for.
 *
 * Each reconcile, in Kubernetes' order of precedence:
 * 1. claims ReplicaSets: adopts orphans the selector matches, releases owned ones it no longer
 *    matches;
 * 2. a Deployment being deleted only gets its status updated;
 * 3. records pausing and resuming in the `Progressing` condition (`Unknown`, `DeploymentPaused`
 *    / `DeploymentResumed`), so time spent paused does not count against the deadline;
 * 4. a paused Deployment, or a change of `spec.replicas` (a scaling event), only scales: the one
 *    active ReplicaSet takes all replicas, or, during a rollout, the change is spread over the
 *    active ReplicaSets in proportion to their size (proportional scaling); a paused Deployment
 *    never rolls out a template change;
 * 5. otherwise rolls out with the strategy: {@link rolloutRolling} (`maxSurge` 25% rounded up,
 *    `maxUnavailable` 25% rounded down, both 0 → 1) or {@link rolloutRecreate};
 * 6. keeps `revisionHistoryLimit` (10) old ReplicaSets once a rollout completes, deleting older
 *    empty ones;
 * 7. writes the status: `replicas`, `updatedReplicas`, `readyReplicas`, `availableReplicas`,
 *    `unavailableReplicas`, `terminatingReplicas`, `observedGeneration`, `collisionCount`, and the
 *    conditions `Available` (`MinimumReplicasAvailable` / `MinimumReplicasUnavailable`) and
 *    `Progressing` (`NewReplicaSetCreated`, `FoundNewReplicaSet`, `ReplicaSetUpdated`,
 *    `NewReplicaSetAvailable`, `ProgressDeadlineExceeded` after `progressDeadlineSeconds`, 600,
 *    without progress).
 *
 * Events: `ScalingReplicaSet` ("Scaled up replica set web-5d8f from 0 to 3", "Scaled down replica
 * set web-7c4b from 3 to 2"), `ReplicaSetCreateError`, `SelectingAll`.
 *
 * Rollback is {@link rollback}: like `kubectl rollout undo`, it copies an old ReplicaSet's
 * template back into the Deployment, which then rolls out as for any template change.
 *
 * @example
 * ```ts
 * const manager = createManager({ api });
 * setupReplicaSetController(manager);
 * setupDeploymentController(manager);
 * await manager.start(signal);
 * ```
 *
 * @module
 */
import {
  controller,
  getControllerOf,
  kinds,
  type Controller,
  type Manager,
  type ReconcileContext,
  type Reconciler,
  type Request,
  type Result,
} from '@harbormaster/core';
import { claimObjects, recheckDeletionTimestamp } from '../replicaset/controller-ref-manager.js';
import { selectorOf } from '../replicaset/replicaset-controller.js';
import { DeploymentSync } from './deployment-sync.js';
import { getCondition, hasProgressDeadline, newCondition, Reasons, setCondition } from './deployment-util.js';
import { rolloutRecreate } from './recreate.js';
import { rolloutRolling } from './rolling.js';

/**
 * Reconciles Deployments. See the module documentation; {@link setupDeploymentController} wires
 * it with the events it needs.
 *
 * @example
 * ```ts
 * controller(manager).for(kinds.Deployment).owns(kinds.ReplicaSet).complete(new DeploymentReconciler());
 * ```
 */
export class DeploymentReconciler implements Reconciler {
  async reconcile(request: Request, ctx: ReconcileContext): Promise<Result> {
    const cached = await ctx.cache.get(kinds.Deployment, request);
    if (cached === undefined) return;
    const sync = new DeploymentSync(ctx, cached);
    const d = sync.d;

    const selector = d.spec.selector;
    if (selector !== undefined && Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0) {
      sync.event('Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        sync.status.observedGeneration = d.metadata.generation ?? 0;
        await sync.writeStatus();
      }
      return;
    }

    const rsList = await replicaSetsForDeployment(ctx, cached);
    const podMap = d.spec.strategy.type === 'Recreate' ? await podMapForDeployment(ctx, d, rsList) : new Map<string, kinds.Pod[]>();

    if (d.metadata.deletionTimestamp) {
      const { newRS, oldRSs } = await sync.allReplicaSetsAndSyncRevision(rsList, false);
      await sync.syncDeploymentStatus([...oldRSs, newRS], newRS);
      return;
    }

    await checkPausedConditions(sync);
    if (d.spec.paused) {
      await scaleOnly(sync, rsList);
    } else if (await sync.isScalingEvent(rsList)) {
      await scaleOnly(sync, rsList);
    } else if (d.spec.strategy.type === 'Recreate') {
      await rolloutRecreate(sync, rsList, podMap);
    } else {
      await rolloutRolling(sync, rsList);
    }
    if (sync.requeue) return { requeue: true };
    return sync.requeueAfter === undefined ? undefined : { requeueAfter: sync.requeueAfter };
  }
}

/**
 * The ReplicaSets the Deployment controls, after adopting matching orphans and releasing
 * controlled ones that no longer match (Kubernetes' `getReplicaSetsForDeployment`).
 */
async function replicaSetsForDeployment(ctx: ReconcileContext, d: kinds.Deployment): Promise<kinds.ReplicaSet[]> {
  const namespace = d.metadata.namespace;
  const candidates = await ctx.cache.list(kinds.ReplicaSet, { namespace });
  return claimObjects({
    client: ctx.client,
    kind: kinds.ReplicaSet,
    owner: d,
    selector: selectorOf(d),
    candidates,
    canAdopt: recheckDeletionTimestamp(ctx.client, kinds.Deployment, d),
  });
}

/**
 * The pods the Deployment selects, by the uid of the ReplicaSet controlling them, including
 * inactive pods: Recreate must see that no old pod runs before it starts new ones.
 */
async function podMapForDeployment(ctx: ReconcileContext, d: kinds.Deployment, rsList: readonly kinds.ReplicaSet[]): Promise<Map<string, kinds.Pod[]>> {
  const map = new Map<string, kinds.Pod[]>(rsList.map((rs) => [rs.metadata.uid ?? '', []]));
  const pods = await ctx.cache.list(kinds.Pod, { namespace: d.metadata.namespace, labelSelector: selectorOf(d) });
  for (const pod of pods) {
    const ref = getControllerOf(pod);
    if (ref !== undefined) map.get(ref.uid)?.push(pod);
  }
  return map;
}

/** Record pausing and resuming in the Progressing condition (Kubernetes' `checkPausedConditions`). */
async function checkPausedConditions(sync: DeploymentSync): Promise<void> {
  const d = sync.d;
  if (!hasProgressDeadline(d)) return;
  const cond = getCondition(sync.status, 'Progressing');
  if (cond?.reason === Reasons.TimedOut) return;
  const pausedCondExists = cond?.reason === Reasons.PausedDeploy;
  if (d.spec.paused && !pausedCondExists) {
    setCondition(sync.status, newCondition({ type: 'Progressing', status: 'Unknown', reason: Reasons.PausedDeploy, message: 'Deployment is paused', now: sync.now }));
  } else if (!d.spec.paused && pausedCondExists) {
    setCondition(sync.status, newCondition({ type: 'Progressing', status: 'Unknown', reason: Reasons.ResumedDeploy, message: 'Deployment is resumed', now: sync.now }));
  } else {
    return;
  }
  await sync.writeStatus();
}

/** Scale without rolling out: a scaling event, or a paused Deployment (Kubernetes' `sync`). */
async function scaleOnly(sync: DeploymentSync, rsList: readonly kinds.ReplicaSet[]): Promise<void> {
  const { newRS, oldRSs } = await sync.allReplicaSetsAndSyncRevision(rsList, false);
  await sync.scale(newRS, oldRSs);
  if (sync.d.spec.paused) await sync.cleanupDeployment(oldRSs);
  const all = await sync.refresh([...oldRSs, newRS]);
  await sync.syncDeploymentStatus(all, all[all.length - 1]);
}

/** Options of {@link setupDeploymentController}. */
export interface SetupDeploymentControllerOptions {
  /** Deployments reconciled at once. @default 5 (Kubernetes' `--concurrent-deployment-syncs`) */
  readonly workers?: number;
}

/**
 * Add the Deployment controller (`deployment-controller`) to a manager. It reconciles
 * Deployments, follows the ReplicaSets they control, offers orphan ReplicaSets to the Deployments
 * whose selector matches, and wakes a Recreate Deployment when one of its pods goes away. Run the
 * ReplicaSet controller too ({@link setupReplicaSetController}): it is what creates the pods.
 *
 * @example
 * ```ts
 * setupReplicaSetController(manager);
 * setupDeploymentController(manager);
 * await client.apply(storefrontYaml);
 * ```
 */
export function setupDeploymentController(manager: Manager, options: SetupDeploymentControllerOptions = {}): Controller {
  const replicaSets = manager.informers.informerFor(kinds.ReplicaSet);
  const deployments = manager.informers.informerFor(kinds.Deployment);
  return controller(manager)
    .named('deployment-controller')
    .for(kinds.Deployment)
    .owns(kinds.ReplicaSet)
    .watches(kinds.ReplicaSet, (rs) => {
      // An orphan: every Deployment that could adopt it.
      if (getControllerOf(rs) !== undefined) return undefined;
      const namespace = rs.metadata.namespace;
      return deployments.cache
        .list({ namespace })
        .filter((d) => {
          try {
            return selectorOf(d).matches(rs.metadata.labels);
          } catch {
            return false;
          }
        })
        .map((d) => ({ namespace, name: d.metadata.name ?? '' }));
    })
    .watches(
      kinds.Pod,
      (pod) => {
        // A Recreate Deployment waits for its old pods to be gone.
        const rsRef = getControllerOf(pod);
        if (rsRef?.kind !== 'ReplicaSet') return undefined;
        const rs = replicaSets.cache.get({ namespace: pod.metadata.namespace, name: rsRef.name });
        const dRef = rs === undefined ? undefined : getControllerOf(rs);
        if (dRef?.kind !== 'Deployment') return undefined;
        const d = deployments.cache.get({ namespace: pod.metadata.namespace, name: dRef.name });
        if (d?.spec.strategy.type !== 'Recreate') return undefined;
        return { namespace: pod.metadata.namespace, name: dRef.name };
      },
      { predicates: [{ create: () => false, update: () => false }] },
    )
    .withOptions({ maxConcurrentReconciles: options.workers ?? 5 })
    .complete(new DeploymentReconciler());
}

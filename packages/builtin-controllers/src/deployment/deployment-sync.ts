/**
 * One sync of one Deployment: the state and the steps Kubernetes' `sync.go` shares between the
 * strategies. Finding the new and old ReplicaSets and syncing revisions, creating the new
 * ReplicaSet (with the pod-template-hash, revision annotations, and hash-collision handling),
 * scaling ReplicaSets (proportionally during a rollout), cleaning up old ReplicaSets beyond
 * `revisionHistoryLimit`, and computing and writing the status.
 *
 * A sync works on a private copy of the Deployment; every status it writes is the copy's, so later
 * steps see earlier steps' changes, as in Kubernetes.
 *
 * @module
 */
import {
  isAlreadyExists,
  isConflict,
  isForbidden,
  isNotFound,
  kinds,
  ownerReference,
  type ReconcileContext,
  jsonEqual,
} from '@harbormaster/core';
import {
  activeReplicaSets,
  actualReplicaCount,
  availableReplicaCount,
  byRevision,
  bySizeNewer,
  bySizeOlder,
  desiredReplicasAnnotation,
  findActiveOrLatest,
  findNewReplicaSet,
  findOldReplicaSets,
  getCondition,
  hasProgressDeadline,
  hasRevisionHistoryLimit,
  isRollingUpdate,
  isSaturated,
  maxRevision,
  maxSurge,
  maxUnavailable,
  newCondition,
  newRSNewReplicas,
  proportion,
  readyReplicaCount,
  Reasons,
  replicaCount,
  replicasAnnotationsNeedUpdate,
  REVISION_ANNOTATION,
  setCondition,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  terminatingReplicaCount,
} from './deployment-util.js';
import { computeHash, equalIgnoreHash, POD_TEMPLATE_HASH_LABEL } from './pod-template-hash.js';

/** Kubernetes' `maxRevHistoryLengthInChars`. */
const MAX_REVISION_HISTORY_CHARS = 2000;

/** The state of one Deployment sync. */
export class DeploymentSync {
  readonly ctx: ReconcileContext;
  /** The private, mutable copy of the Deployment. */
  readonly d: kinds.Deployment;
  /** The status as stored (what a write must differ from). */
  #stored: kinds.DeploymentStatus | undefined;
  /** The revision annotation as stored. */
  #storedRevision: string | undefined;
  /** Requeue after this many milliseconds (the progress check). */
  requeueAfter: number | undefined;
  /** Requeue soon with back-off. */
  requeue = false;

  constructor(ctx: ReconcileContext, deployment: kinds.Deployment) {
    this.ctx = ctx;
    this.d = structuredClone<kinds.Deployment>(deployment);
    this.d.status ??= {};
    this.#stored = deployment.status;
    this.#storedRevision = deployment.metadata.annotations?.[REVISION_ANNOTATION];
  }

  get now(): number {
    return this.ctx.clock.now();
  }

  get status(): kinds.DeploymentStatus {
    return (this.d.status ??= {});
  }

  /** Record an Event on the Deployment. */
  event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.ctx.recorder.event(this.d, type, reason, message);
  }

  /**
   * Write the copy's status (and its revision annotation, which the status subresource does not
   * carry in Harbormaster) if either differs from what is stored.
   */
  async writeStatus(): Promise<void> {
    const key = { namespace: this.d.metadata.namespace, name: this.d.metadata.name ?? '' };
    const rev = this.d.metadata.annotations?.[REVISION_ANNOTATION];
    if (rev !== undefined && rev !== this.#storedRevision) {
      const patched = await this.ctx.client.patch(kinds.Deployment, key, { metadata: { annotations: { [REVISION_ANNOTATION]: rev } } });
      this.#storedRevision = rev;
      this.d.metadata.resourceVersion = patched.metadata.resourceVersion;
    }
    if (jsonEqual(this.d.status ?? {}, this.#stored ?? {})) return;
    const written = await this.ctx.client.updateStatus(kinds.Deployment, this.d);
    this.d.metadata.resourceVersion = written.metadata.resourceVersion;
    this.#stored = structuredClone(this.d.status);
  }

  /** The stored status differs from `status`. */
  statusChanged(status: kinds.DeploymentStatus): boolean {
    return !jsonEqual(status, this.#stored ?? {});
  }

  // ------------------------------------------------------------------ new and old ReplicaSets

  /**
   * The new ReplicaSet (created if `create` and missing) and all old ones, with the new one's
   * revision and the Deployment's revision synced (Kubernetes' `getAllReplicaSetsAndSyncRevision`).
   */
  async allReplicaSetsAndSyncRevision(rsList: readonly kinds.ReplicaSet[], create: boolean): Promise<{ newRS: kinds.ReplicaSet | undefined; oldRSs: kinds.ReplicaSet[] }> {
    const { allOld } = findOldReplicaSets(this.d, rsList);
    const newRS = await this.#newReplicaSet(rsList, allOld, create);
    return { newRS, oldRSs: allOld };
  }

  async #newReplicaSet(rsList: readonly kinds.ReplicaSet[], oldRSs: readonly kinds.ReplicaSet[], create: boolean): Promise<kinds.ReplicaSet | undefined> {
    const d = this.d;
    const existing = findNewReplicaSet(d, rsList);
    const newRevision = maxRevision(oldRSs) + 1;
    if (existing !== undefined) {
      const copy = structuredClone<kinds.ReplicaSet>(existing);
      const annotationsUpdated = setNewReplicaSetAnnotations({ deployment: d, rs: copy, newRevision, exists: true, historyLimitChars: MAX_REVISION_HISTORY_CHARS });
      const minReadyUpdate = (copy.spec.minReadySeconds ?? 0) !== (d.spec.minReadySeconds ?? 0);
      if (annotationsUpdated || minReadyUpdate) {
        if (d.spec.minReadySeconds === undefined) delete copy.spec.minReadySeconds;
        else copy.spec.minReadySeconds = d.spec.minReadySeconds;
        return this.updateReplicaSet(existing, copy);
      }
      let needsUpdate = this.#setRevision(copy.metadata.annotations?.[REVISION_ANNOTATION]);
      if (hasProgressDeadline(d) && getCondition(this.status, 'Progressing') === undefined) {
        setCondition(
          this.status,
          newCondition({ type: 'Progressing', status: 'True', reason: Reasons.FoundNewRS, message: `Found new replica set "${copy.metadata.name ?? ''}"`, now: this.now }),
        );
        needsUpdate = true;
      }
      if (needsUpdate) await this.writeStatus();
      return existing;
    }
    if (!create) return undefined;

    const template = structuredClone<kinds.PodTemplateSpec>(d.spec.template);
    const hash = computeHash(template, d.status?.collisionCount);
    const labels = { ...(d.spec.template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
    template.metadata = { ...template.metadata, labels };
    const selector = structuredClone(d.spec.selector ?? {});
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
    const name = `${d.metadata.name ?? ''}-${hash}`;
    const newRS = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name, namespace: d.metadata.namespace, labels: { ...labels }, annotations: {}, ownerReferences: [ownerReference(d, { controller: true, blockOwnerDeletion: true })] },
      spec: { replicas: 0, ...(d.spec.minReadySeconds === undefined ? {} : { minReadySeconds: d.spec.minReadySeconds }), selector, template },
    } as kinds.ReplicaSet;
    const count = newRSNewReplicas(d, [...oldRSs, newRS], newRS);
    newRS.spec.replicas = count;
    setNewReplicaSetAnnotations({ deployment: d, rs: newRS, newRevision, exists: false, historyLimitChars: MAX_REVISION_HISTORY_CHARS });

    let created: kinds.ReplicaSet;
    let alreadyExists = false;
    try {
      created = await this.ctx.client.create(kinds.ReplicaSet, newRS);
    } catch (e) {
      if (isAlreadyExists(e)) {
        const rs = await this.ctx.cache.get(kinds.ReplicaSet, { namespace: d.metadata.namespace, name });
        if (rs === undefined) throw e;
        const ref = rs.metadata.ownerReferences?.find((r) => r.controller === true);
        if (ref !== undefined && ref.uid === d.metadata.uid && equalIgnoreHash(d.spec.template, rs.spec.template)) {
          created = rs;
          alreadyExists = true;
        } else {
          // A hash collision: another template has this hash. Bump collisionCount and try again.
          this.status.collisionCount = (this.status.collisionCount ?? 0) + 1;
          await this.writeStatus();
          this.ctx.log.info({ collisionCount: this.status.collisionCount }, 'found a hash collision for the deployment; bumping collisionCount');
          throw e;
        }
      } else if (isForbidden(e) && e.message.includes('being terminated')) {
        throw e;
      } else {
        const msg = `Failed to create new replica set "${name}": ${e instanceof Error ? e.message : String(e)}`;
        if (hasProgressDeadline(d)) {
          setCondition(this.status, newCondition({ type: 'Progressing', status: 'False', reason: Reasons.FailedRSCreate, message: msg, now: this.now }));
          await this.writeStatus().catch(() => undefined);
        }
        this.event('Warning', Reasons.FailedRSCreate, msg);
        throw e;
      }
    }
    if (!alreadyExists && count > 0) this.event('Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name ?? ''} from 0 to ${count}`);
    let needsUpdate = this.#setRevision(String(newRevision));
    if (!alreadyExists && hasProgressDeadline(d)) {
      setCondition(
        this.status,
        newCondition({ type: 'Progressing', status: 'True', reason: Reasons.NewReplicaSet, message: `Created new replica set "${created.metadata.name ?? ''}"`, now: this.now }),
      );
      needsUpdate = true;
    }
    if (needsUpdate) await this.writeStatus();
    return created;
  }

  /** Set the copy's revision annotation; returns whether it changed. */
  #setRevision(rev: string | undefined): boolean {
    if (rev === undefined) return false;
    const a = (this.d.metadata.annotations ??= {});
    if (a[REVISION_ANNOTATION] === rev) return false;
    a[REVISION_ANNOTATION] = rev;
    return true;
  }

  /**
   * Write a changed ReplicaSet (spec and metadata). A conflict caused only by a status update is
   * retried on the fresh object; one caused by a change of what the sync decided on is thrown.
   */
  async updateReplicaSet(base: kinds.ReplicaSet, changed: kinds.ReplicaSet): Promise<kinds.ReplicaSet> {
    const key = { namespace: base.metadata.namespace, name: base.metadata.name ?? '' };
    let next = changed;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.ctx.client.update(kinds.ReplicaSet, next);
      } catch (e) {
        if (!isConflict(e) || attempt >= 3) throw e;
        const fresh = await this.ctx.client.get(kinds.ReplicaSet, key);
        const same =
          fresh.metadata.uid === base.metadata.uid &&
          fresh.metadata.generation === base.metadata.generation &&
          jsonEqual(fresh.metadata.annotations ?? {}, base.metadata.annotations ?? {}) &&
          jsonEqual(fresh.metadata.labels ?? {}, base.metadata.labels ?? {}) &&
          jsonEqual(fresh.metadata.ownerReferences ?? [], base.metadata.ownerReferences ?? []);
        if (!same) throw e;
        next = { ...next, metadata: { ...next.metadata, resourceVersion: fresh.metadata.resourceVersion } };
      }
    }
  }

  // ------------------------------------------------------------------ scaling

  /** Scale a ReplicaSet to `newScale` if it is not there; returns the ReplicaSet as it is now. */
  async scaleReplicaSetAndRecordEvent(rs: kinds.ReplicaSet, newScale: number): Promise<{ scaled: boolean; rs: kinds.ReplicaSet }> {
    if (rs.spec.replicas === newScale) return { scaled: false, rs };
    return this.scaleReplicaSet(rs, newScale, rs.spec.replicas < newScale ? 'up' : 'down');
  }

  /** Set a ReplicaSet's replicas and replica annotations (Kubernetes' `scaleReplicaSet`). */
  async scaleReplicaSet(rs: kinds.ReplicaSet, newScale: number, operation: 'up' | 'down' | ''): Promise<{ scaled: boolean; rs: kinds.ReplicaSet }> {
    const d = this.d;
    const sizeNeedsUpdate = rs.spec.replicas !== newScale;
    const desired = d.spec.replicas;
    const max = d.spec.replicas + maxSurge(d);
    if (!sizeNeedsUpdate && !replicasAnnotationsNeedUpdate(rs, desired, max)) return { scaled: false, rs };
    const oldScale = rs.spec.replicas;
    const copy = structuredClone<kinds.ReplicaSet>(rs);
    copy.spec.replicas = newScale;
    setReplicasAnnotations(copy, desired, max);
    const updated = await this.updateReplicaSet(rs, copy);
    if (sizeNeedsUpdate) {
      this.event('Normal', 'ScalingReplicaSet', `Scaled ${operation} replica set ${updated.metadata.name ?? ''} from ${oldScale} to ${newScale}`);
    }
    return { scaled: sizeNeedsUpdate, rs: updated };
  }

  /**
   * Scale on a scaling event or while paused (Kubernetes' `scale`): the only active ReplicaSet
   * takes all replicas; a saturated new one makes the old ones go to 0; otherwise, for a rolling
   * update, the change is spread over the active ReplicaSets in proportion to their size.
   */
  async scale(newRS: kinds.ReplicaSet | undefined, oldRSs: readonly kinds.ReplicaSet[]): Promise<void> {
    const d = this.d;
    const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
    if (activeOrLatest !== undefined) {
      if (activeOrLatest.spec.replicas === d.spec.replicas) return;
      await this.scaleReplicaSetAndRecordEvent(activeOrLatest, d.spec.replicas);
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const old of activeReplicaSets(oldRSs)) await this.scaleReplicaSetAndRecordEvent(old, 0);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const all = activeReplicaSets([...oldRSs, newRS]);
    const allowedSize = d.spec.replicas > 0 ? d.spec.replicas + maxSurge(d) : 0;
    const toAdd = allowedSize - replicaCount(all);
    let operation: 'up' | 'down' | '' = '';
    if (toAdd > 0) {
      all.sort(bySizeNewer);
      operation = 'up';
    } else if (toAdd < 0) {
      all.sort(bySizeOlder);
      operation = 'down';
    }
    let added = 0;
    const sizes = new Map<string, number>();
    for (const rs of all) {
      if (toAdd !== 0) {
        const p = proportion({ rs, deployment: d, toAdd, added });
        sizes.set(rs.metadata.name ?? '', rs.spec.replicas + p);
        added += p;
      } else {
        sizes.set(rs.metadata.name ?? '', rs.spec.replicas);
      }
    }
    for (const [i, rs] of all.entries()) {
      const name = rs.metadata.name ?? '';
      let size = sizes.get(name) ?? rs.spec.replicas;
      // Leftovers go to the largest ReplicaSet.
      if (i === 0 && toAdd !== 0) size = Math.max(0, size + toAdd - added);
      await this.scaleReplicaSet(rs, size, operation);
    }
  }

  /** Whether the active ReplicaSets were sized for another `spec.replicas` (Kubernetes' `isScalingEvent`). */
  async isScalingEvent(rsList: readonly kinds.ReplicaSet[]): Promise<boolean> {
    const { newRS, oldRSs } = await this.allReplicaSetsAndSyncRevision(rsList, false);
    for (const rs of activeReplicaSets([...oldRSs, newRS])) {
      const desired = desiredReplicasAnnotation(rs);
      if (desired !== undefined && desired !== this.d.spec.replicas) return true;
    }
    return false;
  }

  /** Delete old, empty ReplicaSets beyond `revisionHistoryLimit`, oldest revisions first. */
  async cleanupDeployment(oldRSs: readonly kinds.ReplicaSet[]): Promise<void> {
    const d = this.d;
    if (!hasRevisionHistoryLimit(d)) return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
    const diff = cleanable.length - d.spec.revisionHistoryLimit;
    if (diff <= 0) return;
    cleanable.sort(byRevision);
    for (const rs of cleanable.slice(0, diff)) {
      if ((rs.status?.replicas ?? 0) !== 0 || rs.spec.replicas !== 0 || (rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0) || rs.metadata.deletionTimestamp) continue;
      try {
        await this.ctx.client.delete(kinds.ReplicaSet, { namespace: rs.metadata.namespace, name: rs.metadata.name ?? '' }, { preconditions: { uid: rs.metadata.uid } });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }

  // ------------------------------------------------------------------ status

  /** The status the ReplicaSets add up to, with the Available condition (Kubernetes' `calculateStatus`). */
  calculateStatus(allRSs: readonly (kinds.ReplicaSet | undefined)[], newRS: kinds.ReplicaSet | undefined): kinds.DeploymentStatus {
    const d = this.d;
    const available = availableReplicaCount(allRSs);
    const unavailable = Math.max(0, replicaCount(allRSs) - available);
    const replicas = actualReplicaCount(allRSs);
    const updated = actualReplicaCount([newRS]);
    const ready = readyReplicaCount(allRSs);
    const terminating = terminatingReplicaCount(allRSs);
    const status: kinds.DeploymentStatus = {
      observedGeneration: d.metadata.generation ?? 0,
      ...(replicas > 0 ? { replicas } : {}),
      ...(updated > 0 ? { updatedReplicas: updated } : {}),
      ...(ready > 0 ? { readyReplicas: ready } : {}),
      ...(available > 0 ? { availableReplicas: available } : {}),
      ...(unavailable > 0 ? { unavailableReplicas: unavailable } : {}),
      ...(terminating > 0 ? { terminatingReplicas: terminating } : {}),
      ...(d.status?.conditions ? { conditions: d.status.conditions.map((c) => ({ ...c })) } : {}),
      ...(d.status?.collisionCount === undefined ? {} : { collisionCount: d.status.collisionCount }),
    };
    if (available >= d.spec.replicas - maxUnavailable(d)) {
      setCondition(status, newCondition({ type: 'Available', status: 'True', reason: Reasons.MinimumReplicasAvailable, message: 'Deployment has minimum availability.', now: this.now }));
    } else {
      setCondition(status, newCondition({ type: 'Available', status: 'False', reason: Reasons.MinimumReplicasUnavailable, message: 'Deployment does not have minimum availability.', now: this.now }));
    }
    return status;
  }

  /** Write the status the ReplicaSets add up to, if it changed (Kubernetes' `syncDeploymentStatus`). */
  async syncDeploymentStatus(allRSs: readonly (kinds.ReplicaSet | undefined)[], newRS: kinds.ReplicaSet | undefined): Promise<void> {
    this.d.status = this.calculateStatus(allRSs, newRS);
    await this.writeStatus();
  }

  /** Replace the stale copies in `list` with the ReplicaSets as they are now in the cache. */
  async refresh(list: readonly (kinds.ReplicaSet | undefined)[]): Promise<(kinds.ReplicaSet | undefined)[]> {
    return Promise.all(
      list.map(async (rs) => (rs === undefined ? undefined : ((await this.ctx.cache.get(kinds.ReplicaSet, { namespace: rs.metadata.namespace, name: rs.metadata.name ?? '' })) ?? rs))),
    );
  }
}

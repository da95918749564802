/**
 * The arithmetic of Deployments, as Kubernetes' `pkg/controller/deployment/util`: surge and
 * unavailability budgets, revisions and their annotations, conditions, proportions for scaling
 * during a rollout, and the order of ReplicaSets.
 *
 * @module
 */
import { formatTime, LAST_APPLIED_ANNOTATION, type kinds } from '@harbormaster/core';
import { parseTime } from '../replicaset/pod-utils.js';
import { equalIgnoreHash } from './pod-template-hash.js';

/** The revision of a ReplicaSet (and, copied, of its Deployment). */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
/** Earlier revisions a ReplicaSet served (it was rolled back to). */
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
/** The Deployment's `spec.replicas` when the ReplicaSet was last scaled by it. */
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
/** The Deployment's `spec.replicas + maxSurge` when the ReplicaSet was last scaled by it. */
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
/** The rollback request of extensions/v1beta1, ignored by apps/v1 but never copied. */
export const DEPRECATED_ROLLBACK_TO_ANNOTATION = 'deprecated.deployment.rollback.to';

/** Condition reasons, as Kubernetes writes them. */
export const Reasons = {
  ReplicaSetUpdated: 'ReplicaSetUpdated',
  FailedRSCreate: 'ReplicaSetCreateError',
  NewReplicaSet: 'NewReplicaSetCreated',
  FoundNewRS: 'FoundNewReplicaSet',
  NewRSAvailable: 'NewReplicaSetAvailable',
  TimedOut: 'ProgressDeadlineExceeded',
  PausedDeploy: 'DeploymentPaused',
  ResumedDeploy: 'DeploymentResumed',
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

const MAX_INT32 = 2147483647;

/** Annotations a Deployment never copies to its ReplicaSets (nor back on rollback). */
export const ANNOTATIONS_TO_SKIP: ReadonlySet<string> = new Set([
  LAST_APPLIED_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  DEPRECATED_ROLLBACK_TO_ANNOTATION,
]);

// ------------------------------------------------------------------ budgets

/**
 * An int-or-percent of `total` (`intstr.GetScaledValueFromIntOrPercent`): a percentage is rounded
 * up or down as asked.
 * @throws Error for a string that is not a percentage.
 */
export function scaledValue(value: number | string, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value.trim());
  if (m === null) throw new Error(`invalid value for IntOrString: invalid value "${value}": not a percentage`);
  const v = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(v) : Math.floor(v);
}

/**
 * `maxSurge` (rounded up) and `maxUnavailable` (rounded down) of `desired` replicas; when both
 * come to 0, `maxUnavailable` is 1 (Kubernetes' `ResolveFenceposts`).
 */
export function resolveFenceposts(maxSurge: number | string, maxUnavailable: number | string, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge, desired, true);
  let unavailable = scaledValue(maxUnavailable, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

/** Whether the Deployment rolls out with `RollingUpdate`. */
export function isRollingUpdate(d: kinds.Deployment): boolean {
  return d.spec.strategy.type === 'RollingUpdate';
}

function fenceposts(d: kinds.Deployment): { surge: number; unavailable: number } {
  const ru = d.spec.strategy.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge ?? '25%', ru?.maxUnavailable ?? '25%', d.spec.replicas);
}

/** How many pods a rollout may add above `spec.replicas` (0 for Recreate). */
export function maxSurge(d: kinds.Deployment): number {
  return isRollingUpdate(d) ? fenceposts(d).surge : 0;
}

/** How many pods may be unavailable during a rollout (0 for Recreate), at most `spec.replicas`. */
export function maxUnavailable(d: kinds.Deployment): number {
  if (!isRollingUpdate(d) || d.spec.replicas === 0) return 0;
  return Math.min(fenceposts(d).unavailable, d.spec.replicas);
}

/** Whether progress is tracked against `progressDeadlineSeconds`. */
export function hasProgressDeadline(d: kinds.Deployment): boolean {
  return d.spec.progressDeadlineSeconds !== MAX_INT32;
}

/** Whether old ReplicaSets are cleaned up beyond `revisionHistoryLimit`. */
export function hasRevisionHistoryLimit(d: kinds.Deployment): boolean {
  return d.spec.revisionHistoryLimit !== MAX_INT32;
}

// ------------------------------------------------------------------ counts

/** Sum of `spec.replicas`. */
export function replicaCount(rss: readonly (kinds.ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs?.spec.replicas ?? 0), 0);
}

/** Sum of `status.replicas`. */
export function actualReplicaCount(rss: readonly (kinds.ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs?.status?.replicas ?? 0), 0);
}

/** Sum of `status.readyReplicas`. */
export function readyReplicaCount(rss: readonly (kinds.ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs?.status?.readyReplicas ?? 0), 0);
}

/** Sum of `status.availableReplicas`. */
export function availableReplicaCount(rss: readonly (kinds.ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs?.status?.availableReplicas ?? 0), 0);
}

/** Sum of `status.terminatingReplicas`. */
export function terminatingReplicaCount(rss: readonly (kinds.ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs?.status?.terminatingReplicas ?? 0), 0);
}

/** ReplicaSets with a positive `spec.replicas`. */
export function activeReplicaSets(rss: readonly (kinds.ReplicaSet | undefined)[]): kinds.ReplicaSet[] {
  return rss.filter((rs): rs is kinds.ReplicaSet => rs !== undefined && rs.spec.replicas > 0);
}

// ------------------------------------------------------------------ order

/** Older first, then by name (`ReplicaSetsByCreationTimestamp`). */
export function byCreationTimestamp(a: kinds.ReplicaSet, b: kinds.ReplicaSet): number {
  const ta = parseTime(a.metadata.creationTimestamp) ?? 0;
  const tb = parseTime(b.metadata.creationTimestamp) ?? 0;
  if (ta !== tb) return ta - tb;
  return (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

/** Larger first; among equals, older first (`ReplicaSetsBySizeOlder`). */
export function bySizeOlder(a: kinds.ReplicaSet, b: kinds.ReplicaSet): number {
  if (a.spec.replicas !== b.spec.replicas) return b.spec.replicas - a.spec.replicas;
  return byCreationTimestamp(a, b);
}

/** Larger first; among equals, newer first (`ReplicaSetsBySizeNewer`). */
export function bySizeNewer(a: kinds.ReplicaSet, b: kinds.ReplicaSet): number {
  if (a.spec.replicas !== b.spec.replicas) return b.spec.replicas - a.spec.replicas;
  return byCreationTimestamp(b, a);
}

/** Lower revision first; unparseable or equal revisions by creation (`ReplicaSetsByRevision`). */
export function byRevision(a: kinds.ReplicaSet, b: kinds.ReplicaSet): number {
  const ra = revision(a);
  const rb = revision(b);
  if (ra === undefined || rb === undefined || ra === rb) return byCreationTimestamp(a, b);
  return ra - rb;
}

// ------------------------------------------------------------------ revisions and annotations

/** The revision annotation of an object: 0 when absent, `undefined` when malformed. */
export function revision(obj: { metadata: { annotations?: Record<string, string> | undefined } }): number | undefined {
  const v = obj.metadata.annotations?.[REVISION_ANNOTATION];
  if (v === undefined) return 0;
  return /^\d+$/.test(v) ? Number(v) : undefined;
}

/** The highest revision among ReplicaSets (0 if none). */
export function maxRevision(rss: readonly kinds.ReplicaSet[]): number {
  let max = 0;
  for (const rs of rss) {
    const v = revision(rs);
    if (v !== undefined && v > max) max = v;
  }
  return max;
}

function intAnnotation(rs: kinds.ReplicaSet, key: string): number | undefined {
  const v = rs.metadata.annotations?.[key];
  // What Go's strconv.Atoi accepts.
  return v !== undefined && /^[+-]?\d+$/.test(v) ? Number(v) : undefined;
}

/** The desired-replicas annotation. */
export function desiredReplicasAnnotation(rs: kinds.ReplicaSet): number | undefined {
  return intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);
}

/** Whether the replica annotations differ from `desired` and `max`. */
export function replicasAnnotationsNeedUpdate(rs: kinds.ReplicaSet, desired: number, max: number): boolean {
  const a = rs.metadata.annotations ?? {};
  return a[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || a[MAX_REPLICAS_ANNOTATION] !== String(max);
}

/** Set the replica annotations on a (mutable) ReplicaSet; returns whether they changed. */
export function setReplicasAnnotations(rs: kinds.ReplicaSet, desired: number, max: number): boolean {
  const a = (rs.metadata.annotations ??= {});
  let changed = false;
  if (a[DESIRED_REPLICAS_ANNOTATION] !== String(desired)) {
    a[DESIRED_REPLICAS_ANNOTATION] = String(desired);
    changed = true;
  }
  if (a[MAX_REPLICAS_ANNOTATION] !== String(max)) {
    a[MAX_REPLICAS_ANNOTATION] = String(max);
    changed = true;
  }
  return changed;
}

/**
 * Update a (mutable) new ReplicaSet's annotations (Kubernetes' `SetNewReplicaSetAnnotations`):
 * copy the Deployment's own annotations, raise its revision to `newRevision` if lower (keeping
 * the revisions it served before in `revision-history`, at most `historyLimitChars` long), and
 * for a ReplicaSet about to be created, the replica annotations. Returns whether anything changed.
 */
export function setNewReplicaSetAnnotations(options: {
  readonly deployment: kinds.Deployment;
  readonly rs: kinds.ReplicaSet;
  readonly newRevision: number;
  readonly exists: boolean;
  readonly historyLimitChars: number;
}): boolean {
  const { deployment: d, rs, newRevision } = options;
  const a = (rs.metadata.annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (ANNOTATIONS_TO_SKIP.has(k) || a[k] === v) continue;
    a[k] = v;
    changed = true;
  }
  const oldRevision = a[REVISION_ANNOTATION];
  let oldRevisionNumber = 0;
  if (oldRevision !== undefined && oldRevision !== '') {
    if (!/^\d+$/.test(oldRevision)) return changed;
    oldRevisionNumber = Number(oldRevision);
  }
  if (oldRevisionNumber < newRevision) {
    a[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
    // A ReplicaSet that had a revision and gets a newer one is being rolled back to: keep history.
    if (oldRevision !== undefined) {
      const history = a[REVISION_HISTORY_ANNOTATION] ?? '';
      if (history === '') {
        a[REVISION_HISTORY_ANNOTATION] = oldRevision;
      } else {
        const parts = history.split(',');
        let total = history.length + oldRevision.length + 1;
        let start = 0;
        while (total > options.historyLimitChars && start < parts.length) {
          total -= (parts[start]?.length ?? 0) + 1;
          start++;
        }
        if (total <= options.historyLimitChars) a[REVISION_HISTORY_ANNOTATION] = [...parts.slice(start), oldRevision].join(',');
      }
    }
  }
  if (!options.exists && setReplicasAnnotations(rs, d.spec.replicas, d.spec.replicas + maxSurge(d))) changed = true;
  return changed;
}

// ------------------------------------------------------------------ conditions

/** A new condition stamped now. */
export function newCondition(options: { type: string; status: 'True' | 'False' | 'Unknown'; reason: string; message: string; now: number }): kinds.DeploymentCondition {
  const t = formatTime(options.now);
  return { type: options.type, status: options.status, lastUpdateTime: t, lastTransitionTime: t, reason: options.reason, message: options.message };
}

/** The condition of `type`, if any. */
export function getCondition(status: kinds.DeploymentStatus | undefined, type: string): kinds.DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/**
 * Set a condition (Kubernetes' `SetDeploymentCondition`): nothing changes if one of that type has
 * the same status and reason; a status that does not change keeps its `lastTransitionTime`.
 */
export function setCondition(status: kinds.DeploymentStatus, condition: kinds.DeploymentCondition): void {
  const current = getCondition(status, condition.type);
  if (current !== undefined && current.status === condition.status && current.reason === condition.reason) return;
  const next = current !== undefined && current.status === condition.status ? { ...condition, lastTransitionTime: current.lastTransitionTime ?? null } : condition;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== condition.type), next];
}

/** Remove the condition of `type`. */
export function removeCondition(status: kinds.DeploymentStatus, type: string): void {
  if (status.conditions === undefined) return;
  const kept = status.conditions.filter((c) => c.type !== type);
  if (kept.length > 0) status.conditions = kept;
  else delete status.conditions;
}

// ------------------------------------------------------------------ progress

/** Complete: every replica updated and available, no old replicas, the latest generation observed. */
export function deploymentComplete(d: kinds.Deployment, status: kinds.DeploymentStatus): boolean {
  return (
    (status.updatedReplicas ?? 0) === d.spec.replicas &&
    (status.replicas ?? 0) === d.spec.replicas &&
    (status.availableReplicas ?? 0) === d.spec.replicas &&
    (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  );
}

/** Progress between the stored and the new status: more updated, fewer old, more ready or available pods. */
export function deploymentProgressing(d: kinds.Deployment, status: kinds.DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (status.replicas ?? 0) - (status.updatedReplicas ?? 0);
  return (
    (status.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (status.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (status.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** Whether the Progressing condition's last update is older than `progressDeadlineSeconds`. */
export function deploymentTimedOut(d: kinds.Deployment, status: kinds.DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(status, 'Progressing');
  if (c === undefined || c.reason === Reasons.NewRSAvailable) return false;
  if (c.reason === Reasons.TimedOut) return true;
  const from = parseTime(c.lastUpdateTime);
  return from !== undefined && from + d.spec.progressDeadlineSeconds * 1000 < now;
}

// ------------------------------------------------------------------ scaling

/**
 * The replicas a new ReplicaSet should have now (`NewRSNewReplicas`): for a rolling update, as
 * many as `maxSurge` allows up to `spec.replicas`; for Recreate, `spec.replicas`.
 */
export function newRSNewReplicas(d: kinds.Deployment, allRSs: readonly (kinds.ReplicaSet | undefined)[], newRS: kinds.ReplicaSet): number {
  if (d.spec.strategy.type === 'Recreate') return d.spec.replicas;
  const surge = scaledValue(d.spec.strategy.rollingUpdate?.maxSurge ?? '25%', d.spec.replicas, true);
  const current = replicaCount(allRSs);
  const maxTotal = d.spec.replicas + surge;
  if (current >= maxTotal) return newRS.spec.replicas;
  const up = Math.min(maxTotal - current, d.spec.replicas - newRS.spec.replicas);
  return newRS.spec.replicas + up;
}

/** Whether the new ReplicaSet holds all desired replicas and both sides agree on it (`IsSaturated`). */
export function isSaturated(d: kinds.Deployment, rs: kinds.ReplicaSet | undefined): boolean {
  if (rs === undefined) return false;
  const desired = desiredReplicasAnnotation(rs);
  return desired !== undefined && rs.spec.replicas === d.spec.replicas && desired === d.spec.replicas;
}

/** Go's `math.Round`: half away from zero. */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** The share of a ReplicaSet in a scaling event: its size scaled to the new `replicas + maxSurge` (`getReplicaSetFraction`). */
function replicaSetFraction(rs: kinds.ReplicaSet, d: kinds.Deployment): number {
  if (d.spec.replicas === 0) return -rs.spec.replicas;
  const deploymentReplicas = d.spec.replicas + maxSurge(d);
  let before = intAnnotation(rs, MAX_REPLICAS_ANNOTATION);
  if (before === undefined || before === 0) {
    // Missing, not a number, or edited to 0: the Deployment's current size, as Kubernetes falls back to.
    before = d.status?.replicas ?? 0;
    // Rare: no annotation and no pods (they fail to be created). No share rather than a division by zero.
    if (before === 0) return 0;
  }
  return roundHalfAway((rs.spec.replicas * deploymentReplicas) / before) - rs.spec.replicas;
}

/**
 * The share of `toAdd` (negative: to remove) a ReplicaSet takes in proportional scaling
 * (`GetProportion`), given how many have been handed out so far.
 */
export function proportion(options: { rs: kinds.ReplicaSet; deployment: kinds.Deployment; toAdd: number; added: number }): number {
  const { rs, toAdd, added } = options;
  if (rs.spec.replicas === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, options.deployment);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/**
 * The only active ReplicaSet, or the newest if none is active; `undefined` when several are
 * active and must be scaled proportionally (`FindActiveOrLatest`).
 */
export function findActiveOrLatest(newRS: kinds.ReplicaSet | undefined, oldRSs: readonly kinds.ReplicaSet[]): kinds.ReplicaSet | undefined {
  if (newRS === undefined && oldRSs.length === 0) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => byCreationTimestamp(b, a));
  const active = activeReplicaSets([...newestFirst, newRS]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  if (active.length === 1) return active[0];
  return undefined;
}

// ------------------------------------------------------------------ new and old ReplicaSets

/** The ReplicaSet whose template equals the Deployment's (the oldest if several): the new one. */
export function findNewReplicaSet(d: kinds.Deployment, rsList: readonly kinds.ReplicaSet[]): kinds.ReplicaSet | undefined {
  return [...rsList].sort(byCreationTimestamp).find((rs) => equalIgnoreHash(rs.spec.template, d.spec.template));
}

/** Every ReplicaSet but the new one (`allOld`), and those of them with replicas (`old`). */
export function findOldReplicaSets(d: kinds.Deployment, rsList: readonly kinds.ReplicaSet[]): { old: kinds.ReplicaSet[]; allOld: kinds.ReplicaSet[] } {
  const newRS = findNewReplicaSet(d, rsList);
  const allOld = rsList.filter((rs) => newRS === undefined || rs.metadata.uid !== newRS.metadata.uid);
  return { old: allOld.filter((rs) => rs.spec.replicas !== 0), allOld };
}

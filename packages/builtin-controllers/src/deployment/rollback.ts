/**
 * Rolling a Deployment back, as `kubectl rollout undo` does since apps/v1 removed
 * `spec.rollbackTo`: find the ReplicaSet of the wanted revision (by default the one before the
 * current), and copy its pod template (without the `pod-template-hash` label) and its annotations
 * back into the Deployment. The Deployment controller then sees a template change and rolls out;
 * since the old ReplicaSet matches the template again, it becomes the new ReplicaSet and gets the
 * next revision number, remembering its old one in `deployment.kubernetes.io/revision-history`.
 *
 * @module
 */
import { getControllerOf, isConflict, kinds, type Client, type ObjectKey } from '@harbormaster/core';
import { ANNOTATIONS_TO_SKIP, revision } from './deployment-util.js';
import { equalIgnoreHash, POD_TEMPLATE_HASH_LABEL } from './pod-template-hash.js';

/** Options of {@link rollback}. */
export interface RollbackOptions {
  /** The revision to go back to; 0 or absent: the previous one. */
  readonly toRevision?: number;
}

/** What {@link rollback} did. */
export interface RollbackResult {
  /** Whether the Deployment was changed (false when its template already matched). */
  readonly rolledBack: boolean;
  /** The revision whose template the Deployment now has. */
  readonly revision: number;
  /** As kubectl prints it. */
  readonly message: string;
}

/**
 * Roll a Deployment back to an earlier revision.
 *
 * @example
 * ```ts
 * await rollback(client, { namespace: 'default', name: 'storefront' });               // the previous revision
 * await rollback(client, { namespace: 'default', name: 'storefront' }, { toRevision: 1 });
 * ```
 * @throws Error if the Deployment is paused, the revision does not exist, or there is no history;
 * {@link @harbormaster/core!NotFoundError | NotFoundError} if the Deployment does not exist.
 */
export async function rollback(client: Client, deployment: ObjectKey, options: RollbackOptions = {}): Promise<RollbackResult> {
  const toRevision = options.toRevision ?? 0;
  if (toRevision < 0) throw new Error(`unable to find specified revision ${toRevision} in history`);
  for (let attempt = 0; ; attempt++) {
    const d = await client.get(kinds.Deployment, deployment);
    const name = d.metadata.name ?? '';
    if (d.spec.paused) {
      throw new Error(`you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/${name}' and try again`);
    }
    const target = await revisionReplicaSet(client, d, toRevision);
    const targetRevision = revision(target) ?? 0;
    if (equalIgnoreHash(target.spec.template, d.spec.template)) {
      return { rolledBack: false, revision: targetRevision, message: `skipped rollback (current template already matches revision ${targetRevision})` };
    }
    const template = structuredClone<kinds.PodTemplateSpec>(target.spec.template);
    if (template.metadata?.labels) delete template.metadata.labels[POD_TEMPLATE_HASH_LABEL];
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) if (ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v;
    for (const [k, v] of Object.entries(target.metadata.annotations ?? {})) if (!ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v;
    const next = structuredClone<kinds.Deployment>(d);
    next.spec.template = template;
    next.metadata.annotations = annotations;
    try {
      await client.update(kinds.Deployment, next);
      return { rolledBack: true, revision: targetRevision, message: `deployment.apps/${name} rolled back` };
    } catch (e) {
      if (!isConflict(e) || attempt >= 4) throw e;
    }
  }
}

/** The ReplicaSet of `toRevision`, or of the revision before the latest when it is 0 (kubectl's `deploymentRevision`). */
async function revisionReplicaSet(client: Client, d: kinds.Deployment, toRevision: number): Promise<kinds.ReplicaSet> {
  const list = await client.list(kinds.ReplicaSet, { namespace: d.metadata.namespace, labelSelector: d.spec.selector });
  const owned = list.items.filter((rs) => getControllerOf(rs)?.uid === d.metadata.uid);
  let latest: { rs: kinds.ReplicaSet; rev: number } | undefined;
  let previous: { rs: kinds.ReplicaSet; rev: number } | undefined;
  for (const rs of owned) {
    const rev = revision(rs);
    if (rev === undefined) continue;
    if (toRevision > 0) {
      if (rev === toRevision) return rs;
      continue;
    }
    if (latest === undefined || latest.rev < rev) {
      previous = latest;
      latest = { rs, rev };
    } else if (previous === undefined || previous.rev < rev) {
      previous = { rs, rev };
    }
  }
  if (toRevision > 0) throw new Error(`unable to find specified revision ${toRevision} in history`);
  if (previous === undefined) throw new Error(`no rollout history found for deployment "${d.metadata.name ?? ''}"`);
  return previous.rs;
}

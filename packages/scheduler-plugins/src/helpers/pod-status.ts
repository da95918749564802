/**
 * Writing pod conditions the way Kubernetes' `podutil.UpdatePodCondition` does: a condition's
 * `lastTransitionTime` changes only when its status changes, and nothing is written when nothing
 * changed. Writes go through the status subresource as a merge patch of the whole `conditions`
 * list, guarded by the resourceVersion they were computed from, and are retried from a fresh read
 * on a conflict.
 *
 * @module
 */
import { formatTime, isConflict, kinds, type Client, type Clock } from '@harbormaster/core';

/** A condition to set. */
export interface ConditionUpdate {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason?: string | undefined;
  readonly message?: string | undefined;
}

/** The pod's conditions with `update` applied, or `undefined` if nothing would change. */
export function withCondition(pod: kinds.Pod, update: ConditionUpdate, now: number): kinds.PodCondition[] | undefined {
  const conditions = pod.status?.conditions ?? [];
  const i = conditions.findIndex((c) => c.type === update.type);
  const old = i >= 0 ? conditions[i] : undefined;
  if (old !== undefined && old.status === update.status && (old.reason ?? '') === (update.reason ?? '') && (old.message ?? '') === (update.message ?? '')) {
    return undefined;
  }
  const next: kinds.PodCondition = {
    type: update.type,
    status: update.status,
    lastProbeTime: null,
    lastTransitionTime: old !== undefined && old.status === update.status ? (old.lastTransitionTime ?? formatTime(now)) : formatTime(now),
    ...(update.reason === undefined ? {} : { reason: update.reason }),
    ...(update.message === undefined ? {} : { message: update.message }),
  };
  const out = [...conditions];
  if (i >= 0) out[i] = next;
  else out.push(next);
  return out;
}

/** Options of {@link patchPodStatus}. */
export interface PatchPodStatusOptions {
  readonly client: Client;
  readonly clock: Clock;
  /** The pod as last seen (its resourceVersion guards the first attempt). */
  readonly pod: kinds.Pod;
  readonly condition?: ConditionUpdate | undefined;
  /** `undefined`: leave as is; `''`: clear; a name: set. */
  readonly nominatedNodeName?: string | undefined;
  /** @default 5 */
  readonly attempts?: number;
}

/**
 * Set a condition and/or `status.nominatedNodeName` of a pod. Resolves the pod as written, or
 * `undefined` when nothing needed writing.
 * @throws the API error (NotFound when the pod is gone) after the attempts.
 */
export async function patchPodStatus(options: PatchPodStatusOptions): Promise<kinds.Pod | undefined> {
  const { client, clock, condition, nominatedNodeName } = options;
  let pod = options.pod;
  const attempts = options.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const conditions = condition === undefined ? undefined : withCondition(pod, condition, clock.now());
    const currentNominated = pod.status?.nominatedNodeName ?? '';
    const nominatedChanges = nominatedNodeName !== undefined && nominatedNodeName !== currentNominated;
    if (conditions === undefined && !nominatedChanges) return undefined;
    const status: Record<string, unknown> = {};
    if (conditions !== undefined) status.conditions = conditions;
    if (nominatedChanges) status.nominatedNodeName = nominatedNodeName === '' ? null : nominatedNodeName;
    try {
      return await client.patch(
        kinds.Pod,
        { namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name ?? '' },
        { metadata: { resourceVersion: pod.metadata.resourceVersion }, status },
        { subresource: 'status' },
      );
    } catch (e) {
      if (!isConflict(e) || attempt >= attempts) throw e;
      pod = await client.get(kinds.Pod, { namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name ?? '' });
    }
  }
}

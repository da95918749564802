/**
 * Which pods a ReplicaSet deletes first when it scales down: Kubernetes' `ActivePodsWithRanks`
 * order (pkg/controller/controller_utils.go), with the `PodDeletionCost` and
 * `LogarithmicScaleDown` features on, as they are by default. A pod sorts earlier (is deleted
 * sooner) when it is, in this order of precedence:
 *
 * 1. unscheduled rather than scheduled;
 * 2. Pending rather than Unknown rather than Running;
 * 3. not ready rather than ready;
 * 4. of lower `controller.kubernetes.io/pod-deletion-cost`;
 * 5. on a node with more pods of the same workload (its rank: related active pods on its node);
 * 6. ready for less time (compared on a log2 scale of the time since, ties broken by UID);
 * 7. restarted more often (regular containers, then restartable init containers);
 * 8. newer (log2 scale of age, ties broken by UID).
 *
 * @module
 */
import type { kinds } from '@harbormaster/core';
import { isPodActive, isPodReady, parseTime, podReadyTime } from './pod-utils.js';

/** The annotation that orders pods of a ReplicaSet for deletion: lower costs go first. */
export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

const phaseOrdinal: Readonly<Record<string, number>> = { Pending: 0, Unknown: 1, Running: 2 };

/** The pod's deletion cost: its annotation as a 32-bit integer, 0 when absent or invalid. */
export function podDeletionCost(pod: kinds.Pod): number {
  const raw = pod.metadata.annotations?.[POD_DELETION_COST_ANNOTATION];
  if (raw === undefined || !/^[+-]?\d+$/.test(raw.trim())) return 0;
  const n = Number(raw.trim());
  return n >= -2147483648 && n <= 2147483647 ? n : 0;
}

/** The most restarts of a regular container, and of a restartable (sidecar) init container. */
function maxRestarts(pod: kinds.Pod): { regular: number; sidecar: number } {
  let regular = 0;
  for (const c of pod.status?.containerStatuses ?? []) regular = Math.max(regular, c.restartCount);
  const sidecars = new Set((pod.spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  let sidecar = 0;
  for (const c of pod.status?.initContainerStatuses ?? []) if (sidecars.has(c.name)) sidecar = Math.max(sidecar, c.restartCount);
  return { regular, sidecar };
}

/** Kubernetes' `logarithmicRankDiff`: the difference of ⌊log2(now − t)⌋ in nanoseconds. */
function logRank(t: number, now: number): number {
  const d = (now - t) * 1e6;
  return d > 0 ? Math.floor(Math.log2(d)) : -1;
}

/** Kubernetes' `afterOrZero`: a missing time counts as later than any time. */
function afterOrZero(a: number | undefined, b: number | undefined): boolean {
  if (a === undefined || b === undefined) return a === undefined;
  return a > b;
}

/** A pod with what the comparison needs, computed once. */
export interface RankedPod {
  readonly pod: kinds.Pod;
  /** Active pods of the same workload on this pod's node. */
  readonly rank: number;
}

/** Compare by log2 age buckets, then UID; `undefined` when the times are equal. */
function compareTimes(a: RankedPod, b: RankedPod, ta: number | undefined, tb: number | undefined, now: number): boolean | undefined {
  if (ta === tb) return undefined;
  if (ta === undefined || tb === undefined) return afterOrZero(ta, tb);
  const diff = logRank(ta, now) - logRank(tb, now);
  if (diff === 0) return (a.pod.metadata.uid ?? '') < (b.pod.metadata.uid ?? '');
  return diff < 0;
}

/** Whether `a` should be deleted before `b` (Kubernetes' `ActivePodsWithRanks.Less`). */
export function deleteBefore(a: RankedPod, b: RankedPod, now: number): boolean {
  const pa = a.pod;
  const pb = b.pod;
  const na = pa.spec.nodeName ?? '';
  const nb = pb.spec.nodeName ?? '';
  // 1. Unassigned < assigned.
  if (na !== nb && (na === '' || nb === '')) return na === '';
  // 2. Pending < Unknown < Running.
  const oa = phaseOrdinal[pa.status?.phase ?? ''] ?? 0;
  const ob = phaseOrdinal[pb.status?.phase ?? ''] ?? 0;
  if (oa !== ob) return oa < ob;
  // 3. Not ready < ready.
  const ra = isPodReady(pa);
  const rb = isPodReady(pb);
  if (ra !== rb) return !ra;
  // 4. Lower deletion cost < higher.
  const ca = podDeletionCost(pa);
  const cb = podDeletionCost(pb);
  if (ca !== cb) return ca < cb;
  // 5. Doubled up < not doubled up.
  if (a.rank !== b.rank) return a.rank > b.rank;
  // 6. Ready for less time < more time.
  if (ra && rb) {
    const byReady = compareTimes(a, b, podReadyTime(pa), podReadyTime(pb), now);
    if (byReady !== undefined) return byReady;
  }
  // 7. More restarts < fewer.
  const ma = maxRestarts(pa);
  const mb = maxRestarts(pb);
  if (ma.regular !== mb.regular) return ma.regular > mb.regular;
  if (ma.sidecar !== mb.sidecar) return ma.sidecar > mb.sidecar;
  // 8. Newer < older.
  const byAge = compareTimes(a, b, parseTime(pa.metadata.creationTimestamp), parseTime(pb.metadata.creationTimestamp), now);
  return byAge ?? false;
}

/**
 * Rank each pod by how many active pods of the workload (`related`: the pods of every ReplicaSet
 * with the same controller, Kubernetes' `getIndirectlyRelatedPods`) run on its node.
 */
export function rankPodsByRelatedPodsOnSameNode(pods: readonly kinds.Pod[], related: readonly kinds.Pod[]): RankedPod[] {
  const onNode = new Map<string, number>();
  for (const p of related) {
    if (!isPodActive(p)) continue;
    const node = p.spec.nodeName ?? '';
    onNode.set(node, (onNode.get(node) ?? 0) + 1);
  }
  return pods.map((pod) => ({ pod, rank: onNode.get(pod.spec.nodeName ?? '') ?? 0 }));
}

/**
 * The `count` pods to delete first (Kubernetes' `getPodsToDelete`). When every pod goes, no
 * sorting is needed.
 *
 * @example
 * ```ts
 * const victims = podsToDelete(activePods, relatedPods, 2, clock.now());
 * ```
 */
export function podsToDelete(pods: readonly kinds.Pod[], related: readonly kinds.Pod[], count: number, now: number): kinds.Pod[] {
  if (count >= pods.length) return [...pods];
  const ranked = rankPodsByRelatedPodsOnSameNode(pods, related);
  ranked.sort((a, b) => (deleteBefore(a, b, now) ? -1 : deleteBefore(b, a, now) ? 1 : 0));
  return ranked.slice(0, count).map((r) => r.pod);
}

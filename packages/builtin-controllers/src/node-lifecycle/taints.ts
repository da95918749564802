/**
 * The taints the node lifecycle controller manages, and how tolerations match them
 * (`k8s.io/api/core/v1` `ToleratesTaint`, `v1helper.GetMatchingTolerations`).
 *
 * @module
 */
import type { kinds } from '@harbormaster/core';

type Taint = kinds.Taint;
type Toleration = kinds.Toleration;

/** The node's Ready condition is `False`. */
export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';
/** The node's Ready condition is `Unknown`: the node controller lost contact with it. */
export const TAINT_NODE_UNREACHABLE = 'node.kubernetes.io/unreachable';
/** The node is cordoned (`spec.unschedulable`). */
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
/** The node reports MemoryPressure. */
export const TAINT_NODE_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
/** The node reports DiskPressure. */
export const TAINT_NODE_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
/** The node reports NetworkUnavailable. */
export const TAINT_NODE_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';
/** The node reports PIDPressure. */
export const TAINT_NODE_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';

/** Whether two taints are the same taint (key and effect; Kubernetes' `MatchTaint`). */
export function sameTaint(a: Pick<Taint, 'key' | 'effect'>, b: Pick<Taint, 'key' | 'effect'>): boolean {
  return a.key === b.key && a.effect === b.effect;
}

/** Whether `taints` has a taint with this key and effect. */
export function hasTaint(taints: readonly Taint[] | undefined, taint: Pick<Taint, 'key' | 'effect'>): boolean {
  return (taints ?? []).some((t) => sameTaint(t, taint));
}

/** Whether `toleration` tolerates `taint`. */
export function toleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? 'Equal') {
    case 'Exists':
      return true;
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    case 'Gt':
    case 'Lt': {
      const want = Number(toleration.value);
      const have = Number(taint.value);
      if (!Number.isInteger(want) || !Number.isInteger(have)) return false;
      return toleration.operator === 'Gt' ? have > want : have < want;
    }
  }
}

/**
 * Whether every taint is tolerated, and the first toleration matching each (Kubernetes'
 * `GetMatchingTolerations`).
 */
export function matchingTolerations(taints: readonly Taint[], tolerations: readonly Toleration[]): { allTolerated: boolean; used: Toleration[] } {
  if (taints.length === 0) return { allTolerated: true, used: [] };
  const used: Toleration[] = [];
  for (const taint of taints) {
    const t = tolerations.find((tol) => toleratesTaint(tol, taint));
    if (t === undefined) return { allTolerated: false, used: [] };
    used.push(t);
  }
  return { allTolerated: true, used };
}

/**
 * How long a pod may stay given the tolerations it uses, in seconds: the smallest
 * `tolerationSeconds` (0 or less: none), or `undefined` for forever (Kubernetes'
 * `getMinTolerationTime`). No tolerations at all means 0.
 */
export function minTolerationSeconds(used: readonly Toleration[]): number | undefined {
  if (used.length === 0) return 0;
  let min: number | undefined;
  for (const t of used) {
    if (t.tolerationSeconds === undefined) continue;
    if (t.tolerationSeconds <= 0) return 0;
    min = min === undefined ? t.tolerationSeconds : Math.min(min, t.tolerationSeconds);
  }
  return min;
}

/**
 * Taints and tolerations, as `v1.Toleration.ToleratesTaint`:
 * - an empty toleration `effect` matches every effect; otherwise effects must be equal;
 * - an empty toleration `key` (with operator `Exists`) matches every key;
 * - operator `Exists` matches any value; `Equal` (or unset) needs equal values;
 * - `Gt` / `Lt` compare integer values: the taint's value must be greater / less than the
 *   toleration's.
 *
 * @module
 */
import type { kinds } from '@harbormaster/core';

const INTEGER = /^-?\d+$/;

/** Whether `toleration` tolerates `taint`. */
export function toleratesTaint(toleration: kinds.Toleration, taint: Pick<kinds.Taint, 'key' | 'value' | 'effect'>): boolean {
  if (toleration.effect !== undefined && toleration.effect !== '' && toleration.effect !== taint.effect) return false;
  if (toleration.key !== undefined && toleration.key !== '' && toleration.key !== taint.key) return false;
  switch (toleration.operator) {
    case undefined:
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    case 'Gt':
    case 'Lt': {
      const t = taint.value ?? '';
      const v = toleration.value ?? '';
      if (!INTEGER.test(t) || !INTEGER.test(v)) return false;
      return toleration.operator === 'Gt' ? BigInt(t) > BigInt(v) : BigInt(t) < BigInt(v);
    }
  }
}

/** Whether any of `tolerations` tolerates `taint`. */
export function tolerationsTolerateTaint(tolerations: readonly kinds.Toleration[] | undefined, taint: Pick<kinds.Taint, 'key' | 'value' | 'effect'>): boolean {
  if (tolerations === undefined) return false;
  for (const t of tolerations) if (toleratesTaint(t, taint)) return true;
  return false;
}

/** The first taint passing `filter` that no toleration tolerates, or `undefined`. */
export function findUntoleratedTaint(
  taints: readonly kinds.Taint[] | undefined,
  tolerations: readonly kinds.Toleration[] | undefined,
  filter: (taint: kinds.Taint) => boolean,
): kinds.Taint | undefined {
  if (taints === undefined) return undefined;
  for (const taint of taints) {
    if (!filter(taint)) continue;
    if (!tolerationsTolerateTaint(tolerations, taint)) return taint;
  }
  return undefined;
}

/** The taints that keep pods off a node: `NoSchedule` and `NoExecute`. */
export function doNotScheduleTaint(taint: kinds.Taint): boolean {
  return taint.effect === 'NoSchedule' || taint.effect === 'NoExecute';
}

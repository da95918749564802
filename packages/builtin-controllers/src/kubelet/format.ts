/**
 * How the kubelet writes a pod in its messages, so that ours read the same: `name_namespace(uid)`
 * (its `format.Pod`). Durations are written as Go's `time.Duration` prints them by core's
 * `formatDuration`.
 *
 * @module
 * @internal
 */
import type { kinds } from '@harbormaster/core';

/** A pod as the kubelet names it in messages (`format.Pod`): `web-abc_default(0c1d…)`. */
export function formatPod(pod: kinds.Pod): string {
  return `${pod.metadata.name ?? ''}_${pod.metadata.namespace ?? ''}(${pod.metadata.uid ?? ''})`;
}

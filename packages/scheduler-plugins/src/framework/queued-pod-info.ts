/**
 * A pod in the scheduling queue with its queueing history (kube-scheduler's `QueuedPodInfo`):
 * when it was queued, how many attempts it had, which plugins rejected it last, and when its
 * back-off ends.
 *
 * @module
 */
import type { PodInfo } from './pod-info.js';

/** A pod in the scheduling queue. */
export interface QueuedPodInfo {
  /** The pod and what was computed from it; replaced when the pod is updated. */
  podInfo: PodInfo;
  /** When the pod was (last) added to the queue, in clock milliseconds: the "age" of QueueSort. */
  timestamp: number;
  /** Scheduling attempts so far. */
  attempts: number;
  /** Attempts that ended unschedulable (they set the back-off). */
  unschedulableCount: number;
  /** Consecutive attempts that ended in an error. */
  consecutiveErrorsCount: number;
  /** When the pod was first popped for scheduling. */
  initialAttemptTimestamp: number | undefined;
  /** The plugins that rejected the pod in its last attempt. */
  unschedulablePlugins: Set<string>;
  /** The plugins that returned Pending in its last attempt. */
  pendingPlugins: Set<string>;
  /** The PreEnqueue plugin that gates the pod, if any. */
  gatingPlugin: string | undefined;
}

/** A fresh QueuedPodInfo for `podInfo`, queued at `now`. */
export function newQueuedPodInfo(podInfo: PodInfo, now: number): QueuedPodInfo {
  return {
    podInfo,
    timestamp: now,
    attempts: 0,
    unschedulableCount: 0,
    consecutiveErrorsCount: 0,
    initialAttemptTimestamp: undefined,
    unschedulablePlugins: new Set(),
    pendingPlugins: new Set(),
    gatingPlugin: undefined,
  };
}

/**
 * The plugins whose registered events can make the pod worth retrying: the gating PreEnqueue
 * plugin of a gated pod, else the plugins that rejected it (Unschedulable or Pending) in its last
 * attempt.
 */
export function rejectorPlugins(q: QueuedPodInfo): string[] {
  if (q.gatingPlugin !== undefined) return [q.gatingPlugin];
  return [...q.unschedulablePlugins, ...q.pendingPlugins];
}

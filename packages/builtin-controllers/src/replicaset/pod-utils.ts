/**
 * Small facts about Pods that the workload controllers share, as Kubernetes' `podutil` and
 * `controller_utils` state them: whether a pod is ready, available (ready for `minReadySeconds`),
 * active (neither terminal nor being deleted) or terminating.
 *
 * @module
 */
import type { kinds } from '@harbormaster/core';

/** The pod's `Ready` condition, if it has one. */
export function podReadyCondition(pod: kinds.Pod): kinds.PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

/** Whether the pod's `Ready` condition is `True` (`podutil.IsPodReady`). */
export function isPodReady(pod: kinds.Pod): boolean {
  return podReadyCondition(pod)?.status === 'True';
}

/** Milliseconds since the epoch of a Kubernetes timestamp, or `undefined` when absent or malformed. */
export function parseTime(time: string | undefined | null): number | undefined {
  if (!time) return undefined;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? undefined : ms;
}

/** When the pod last became ready (the `Ready` condition's `lastTransitionTime`), if it is ready. */
export function podReadyTime(pod: kinds.Pod): number | undefined {
  const c = podReadyCondition(pod);
  return c?.status === 'True' ? parseTime(c.lastTransitionTime) : undefined;
}

/**
 * Whether the pod is available: ready, and ready for longer than `minReadySeconds`
 * (`podutil.IsPodAvailable`: the ready transition plus `minReadySeconds` is strictly before now).
 */
export function isPodAvailable(pod: kinds.Pod, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = podReadyTime(pod);
  return since !== undefined && since + minReadySeconds * 1000 < now;
}

/**
 * When a ready pod will count as available, or `undefined` if it is not ready (or is already
 * available): the first millisecond after its ready transition plus `minReadySeconds`.
 */
export function podAvailableAt(pod: kinds.Pod, minReadySeconds: number, now: number): number | undefined {
  if (minReadySeconds <= 0 || !isPodReady(pod)) return undefined;
  const since = podReadyTime(pod);
  if (since === undefined) return undefined;
  const at = since + minReadySeconds * 1000 + 1;
  return at > now ? at : undefined;
}

/** Whether the pod is in a terminal phase (`Succeeded` or `Failed`). */
export function isPodTerminal(pod: kinds.Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** Whether the pod is active: not terminal and not being deleted (`controller.IsPodActive`). */
export function isPodActive(pod: kinds.Pod): boolean {
  return !isPodTerminal(pod) && !pod.metadata.deletionTimestamp;
}

/** Whether the pod is being deleted but has not reached a terminal phase (`controller.IsPodTerminating`). */
export function isPodTerminating(pod: kinds.Pod): boolean {
  return !isPodTerminal(pod) && Boolean(pod.metadata.deletionTimestamp);
}

/** The `namespace/name` key of an object. */
export function keyOf(obj: { metadata: { namespace?: string | undefined; name?: string | undefined } }): string {
  const { namespace, name } = obj.metadata;
  return namespace ? `${namespace}/${name ?? ''}` : (name ?? '');
}

/** What the workload controllers ask of a pod, computed once per (immutable, cached) pod object. */
export interface PodFacts {
  /** `namespace/name`. */
  readonly key: string;
  /** The uid of its controller owner, if any. */
  readonly controllerUid: string | undefined;
  readonly active: boolean;
  readonly terminating: boolean;
  readonly ready: boolean;
  /** When it became ready, if it is. */
  readonly readySince: number | undefined;
}

const factsMemo = new WeakMap<object, PodFacts>();

/**
 * The {@link PodFacts} of a pod. Memoized per object: pass only objects that are not changed
 * afterwards (the frozen objects of an informer's cache).
 */
export function podFacts(pod: kinds.Pod): PodFacts {
  let f = factsMemo.get(pod);
  if (f === undefined) {
    const ready = isPodReady(pod);
    f = {
      key: keyOf(pod),
      controllerUid: pod.metadata.ownerReferences?.find((r) => r.controller === true)?.uid,
      active: isPodActive(pod),
      terminating: isPodTerminating(pod),
      ready,
      readySince: ready ? podReadyTime(pod) : undefined,
    };
    factsMemo.set(pod, f);
  }
  return f;
}

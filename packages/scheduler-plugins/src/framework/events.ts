import { jsonEqual } from '@harbormaster/core';
/**
 * Cluster events and queueing hints: which changes in the cluster may make an unschedulable pod
 * schedulable (kube-scheduler's `ClusterEvent`, `EventsToRegister` and `QueueingHintFn`).
 *
 * A plugin that can reject pods (PreEnqueue, PreFilter, Filter, Reserve, Permit) says which
 * events could change its mind; when such an event happens, the scheduling queue moves the pods
 * that plugin rejected back to be retried (after their back-off). A plugin that registers nothing
 * is assumed to care about every event.
 *
 * @example
 * ```ts
 * eventsToRegister() {
 *   return [
 *     { event: { resource: 'Node', actions: ActionType.Add | ActionType.UpdateNodeLabel } },
 *     { event: { resource: 'AssignedPod', actions: ActionType.Delete }, queueingHint: (pod, oldObj) => … },
 *   ];
 * }
 * ```
 *
 * @module
 */
import type { kinds } from '@harbormaster/core';

/** Kinds of change, as bit flags: combine with `|`. */
export const ActionType = {
  Add: 1,
  Delete: 2,
  UpdateNodeAllocatable: 1 << 2,
  UpdateNodeLabel: 1 << 3,
  UpdateNodeTaint: 1 << 4,
  UpdateNodeCondition: 1 << 5,
  UpdateNodeAnnotation: 1 << 6,
  UpdatePodLabel: 1 << 7,
  UpdatePodScaleDown: 1 << 8,
  UpdatePodToleration: 1 << 9,
  UpdatePodSchedulingGatesEliminated: 1 << 10,
  /** Any other update. */
  UpdateOther: 1 << 11,
  /** Every kind of update. */
  Update: ((1 << 12) - 1) & ~3,
  /** Everything. */
  All: (1 << 12) - 1,
} as const;

/**
 * What changed: `Node`, `AssignedPod` (a pod bound to a node), `UnscheduledPod`, `Pod` (either
 * kind of pod), `*` (anything), or the plural of another kind a custom plugin watches.
 */
export type EventResource = 'Node' | 'Pod' | 'AssignedPod' | 'UnscheduledPod' | '*' | (string & {});

/** A change in the cluster: a resource and a set of {@link ActionType} flags. */
export interface ClusterEvent {
  /** What changed. */
  readonly resource: EventResource;
  /** How it changed: {@link ActionType} flags combined with `|`. */
  readonly actions: number;
  /** For logs and metrics, e.g. `NodeAdd`. */
  readonly label?: string;
}

/** Whether the pod should be retried for this event (`Queue`) or not (`QueueSkip`). */
export type QueueingHint = 'Queue' | 'QueueSkip';

/** Decides whether an event makes `pod` worth retrying; objects are the event's old and new state. */
export type QueueingHintFn = (pod: kinds.Pod, oldObj: unknown, newObj: unknown) => QueueingHint;

/** An event a plugin registers, with an optional hint. */
export interface ClusterEventWithHint {
  /** The event the plugin registers for. */
  readonly event: ClusterEvent;
  /** Without a hint, every such event requeues the pods the plugin rejected. */
  readonly queueingHint?: QueueingHintFn;
}

/** Whether a registered event covers an incoming one (the same resource, or broader; overlapping actions). */
export function matchClusterEvent(registered: ClusterEvent, incoming: ClusterEvent): boolean {
  if (registered.resource === '*' && registered.actions === ActionType.All) return true;
  const resourceMatches =
    registered.resource === '*' ||
    registered.resource === incoming.resource ||
    (registered.resource === 'Pod' && (incoming.resource === 'AssignedPod' || incoming.resource === 'UnscheduledPod'));
  return resourceMatches && (registered.actions & incoming.actions) !== 0;
}

/** The event of a pod being moved by the 5-minute flush of the unschedulable pods. */
export const UNSCHEDULABLE_TIMEOUT: ClusterEvent = { resource: '*', actions: ActionType.All, label: 'UnschedulableTimeout' };
/** The event of a pod being activated by a plugin or a failed binding. */
export const FORCE_ACTIVATE: ClusterEvent = { resource: '*', actions: ActionType.All, label: 'ForceActivate' };

/** The kinds of change between two versions of a Node that matter for scheduling (0 if none). */
export function nodeUpdateActions(oldNode: kinds.Node, newNode: kinds.Node): number {
  let a = 0;
  if (!jsonEqual(oldNode.status?.allocatable ?? null, newNode.status?.allocatable ?? null)) a |= ActionType.UpdateNodeAllocatable;
  if (!jsonEqual(oldNode.metadata.labels ?? null, newNode.metadata.labels ?? null)) a |= ActionType.UpdateNodeLabel;
  if (!jsonEqual(oldNode.spec?.taints ?? null, newNode.spec?.taints ?? null) || (oldNode.spec?.unschedulable ?? false) !== (newNode.spec?.unschedulable ?? false)) {
    a |= ActionType.UpdateNodeTaint;
  }
  const conditions = (n: kinds.Node): unknown => (n.status?.conditions ?? []).map((c) => [c.type, c.status]);
  if (!jsonEqual(conditions(oldNode) ?? null, conditions(newNode ?? null))) a |= ActionType.UpdateNodeCondition;
  if (!jsonEqual(oldNode.metadata.annotations ?? null, newNode.metadata.annotations ?? null)) a |= ActionType.UpdateNodeAnnotation;
  return a;
}

/** The kinds of change between two versions of an assigned Pod that matter for scheduling (0 if none). */
export function podUpdateActions(oldPod: kinds.Pod, newPod: kinds.Pod): number {
  let a = 0;
  if (!jsonEqual(oldPod.metadata.labels ?? null, newPod.metadata.labels ?? null)) a |= ActionType.UpdatePodLabel;
  if (!jsonEqual(oldPod.spec.tolerations ?? null, newPod.spec.tolerations ?? null)) a |= ActionType.UpdatePodToleration;
  if (oldPod.metadata.generation !== newPod.metadata.generation) a |= ActionType.UpdatePodScaleDown;
  if ((oldPod.spec.schedulingGates?.length ?? 0) > 0 && (newPod.spec.schedulingGates?.length ?? 0) === 0) {
    a |= ActionType.UpdatePodSchedulingGatesEliminated;
  }
  return a;
}

/**
 * PrioritySort (QueueSort): higher `spec.priority` first; among equal priorities, the pod queued
 * earliest first.
 *
 * @module
 */
import type { PluginFactory, QueueSortPlugin } from '../framework/interface.js';
import type { QueuedPodInfo } from '../framework/queued-pod-info.js';
import { names } from './names.js';

/** Whether `a` goes before `b`: priority, then age in the queue. */
export function prioritySortLess(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
  const p1 = a.podInfo.priority;
  const p2 = b.podInfo.priority;
  return p1 > p2 || (p1 === p2 && a.timestamp < b.timestamp);
}

/** The PrioritySort plugin. */
export const prioritySort: PluginFactory = (): QueueSortPlugin => ({ name: names.PrioritySort, less: prioritySortLess });

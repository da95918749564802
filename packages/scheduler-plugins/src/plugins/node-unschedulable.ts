/**
 * NodeUnschedulable (Filter): a cordoned node (`spec.unschedulable: true`) takes no new pods,
 * except pods tolerating the `node.kubernetes.io/unschedulable:NoSchedule` taint.
 *
 * @module
 */
import type { kinds } from '@harbormaster/core';
import type { CycleState } from '../framework/cycle-state.js';
import { ActionType, type ClusterEventWithHint, type QueueingHint } from '../framework/events.js';
import type { EnqueueExtensions, FilterPlugin, PluginFactory } from '../framework/interface.js';
import type { NodeInfo } from '../framework/node-info.js';
import { Status, type PluginStatus } from '../framework/status.js';
import { tolerationsTolerateTaint } from '../helpers/taints.js';
import { names } from './names.js';

/** The reason of a cordoned node. */
export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
const UNSCHEDULABLE_TAINT = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' } as const;

/** The NodeUnschedulable plugin. */
export const nodeUnschedulable: PluginFactory = (): FilterPlugin & EnqueueExtensions => ({
  name: names.NodeUnschedulable,
  filter(_state: CycleState, pod: kinds.Pod, nodeInfo: NodeInfo): PluginStatus {
    if (!nodeInfo.unschedulable) return undefined;
    if (tolerationsTolerateTaint(pod.spec.tolerations, UNSCHEDULABLE_TAINT)) return undefined;
    return Status.unresolvable(ERR_REASON_UNSCHEDULABLE);
  },
  eventsToRegister(): ClusterEventWithHint[] {
    // Only a schedulable node (or one the pod tolerates being cordoned) can help it.
    const queueingHint = (pod: kinds.Pod, _oldObj: unknown, newObj: unknown): QueueingHint => {
      const node = newObj as kinds.Node | undefined;
      if (node === undefined || node.spec?.unschedulable !== true) return 'Queue';
      return tolerationsTolerateTaint(pod.spec.tolerations, UNSCHEDULABLE_TAINT) ? 'Queue' : 'QueueSkip';
    };
    return [
      { event: { resource: 'Node', actions: ActionType.Add | ActionType.UpdateNodeTaint }, queueingHint },
      { event: { resource: 'UnscheduledPod', actions: ActionType.UpdatePodToleration } },
    ];
  },
});

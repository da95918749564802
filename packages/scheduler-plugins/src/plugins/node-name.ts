/**
 * NodeName (Filter): a pod that names a node in `spec.nodeName` fits only that node.
 *
 * @module
 */
import type { kinds } from '@harbormaster/core';
import type { CycleState } from '../framework/cycle-state.js';
import { ActionType, type ClusterEventWithHint } from '../framework/events.js';
import type { EnqueueExtensions, FilterPlugin, PluginFactory } from '../framework/interface.js';
import type { NodeInfo } from '../framework/node-info.js';
import { Status, type PluginStatus } from '../framework/status.js';
import { names } from './names.js';

/** The reason of a node that is not the requested one. */
export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

/** The NodeName plugin. */
export const nodeName: PluginFactory = (): FilterPlugin & EnqueueExtensions => ({
  name: names.NodeName,
  filter(_state: CycleState, pod: kinds.Pod, nodeInfo: NodeInfo): PluginStatus {
    const wanted = pod.spec.nodeName;
    if (wanted === undefined || wanted === '' || wanted === nodeInfo.name) return undefined;
    return Status.unresolvable(ERR_REASON_NODE_NAME);
  },
  eventsToRegister(): ClusterEventWithHint[] {
    return [{ event: { resource: 'Node', actions: ActionType.Add } }];
  },
});

/**
 * NodePorts (PreFilter, Filter): a pod using host ports fits only nodes where those ports (by
 * protocol and host IP; `0.0.0.0` conflicts with every IP) are free ("node(s) didn't have free
 * ports for the requested pod ports").
 *
 * @module
 */
import type { kinds } from '@harbormaster/core';
import { stateKey, type CycleState } from '../framework/cycle-state.js';
import { ActionType, type ClusterEventWithHint } from '../framework/events.js';
import type { EnqueueExtensions, FilterPlugin, PluginFactory, PreFilterOutcome, PreFilterPlugin } from '../framework/interface.js';
import type { NodeInfo } from '../framework/node-info.js';
import { hostPortsOf, type HostPort } from '../framework/pod-info.js';
import { Status, type PluginStatus } from '../framework/status.js';
import { names } from './names.js';

/** The reason of a node whose ports are taken. */
export const ERR_REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";

const preFilterKey = stateKey<readonly HostPort[]>('PreFilter' + names.NodePorts);

/** The NodePorts plugin. */
export const nodePorts: PluginFactory = (): PreFilterPlugin & FilterPlugin & EnqueueExtensions => ({
  name: names.NodePorts,
  preFilter(state: CycleState, pod: kinds.Pod): PreFilterOutcome {
    const ports = hostPortsOf(pod.spec);
    if (ports.length === 0) return Status.skip();
    state.write(preFilterKey, ports);
    return undefined;
  },
  filter(state: CycleState, pod: kinds.Pod, nodeInfo: NodeInfo): PluginStatus {
    const ports = state.read(preFilterKey) ?? hostPortsOf(pod.spec);
    if (nodeInfo.usedPorts.size === 0) return undefined;
    for (const p of ports) if (nodeInfo.usedPorts.conflicts(p)) return Status.unschedulable(ERR_REASON_NODE_PORTS);
    return undefined;
  },
  eventsToRegister(): ClusterEventWithHint[] {
    return [
      { event: { resource: 'AssignedPod', actions: ActionType.Delete } },
      { event: { resource: 'Node', actions: ActionType.Add | ActionType.Update } },
    ];
  },
});

/**
 * SchedulingGates (PreEnqueue): a pod with `spec.schedulingGates` is not scheduled until every
 * gate is removed; it waits, gated, outside the active queue ("waiting for scheduling gates:
 * [example.com/quota]").
 *
 * @module
 */
import type { kinds } from '@harbormaster/core';
import { ActionType, type ClusterEventWithHint } from '../framework/events.js';
import type { EnqueueExtensions, PluginFactory, PreEnqueuePlugin } from '../framework/interface.js';
import { Status, type PluginStatus } from '../framework/status.js';
import { names } from './names.js';

/** The SchedulingGates plugin. */
export const schedulingGates: PluginFactory = (): PreEnqueuePlugin & EnqueueExtensions => ({
  name: names.SchedulingGates,
  preEnqueue(pod: kinds.Pod): PluginStatus {
    const gates = pod.spec.schedulingGates ?? [];
    if (gates.length === 0) return undefined;
    return Status.unresolvable(`waiting for scheduling gates: [${gates.map((g) => g.name).join(' ')}]`);
  },
  eventsToRegister(): ClusterEventWithHint[] {
    return [{ event: { resource: 'UnscheduledPod', actions: ActionType.UpdatePodSchedulingGatesEliminated } }];
  },
});

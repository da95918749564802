/**
 * The in-tree plugins, registered under their Kubernetes names.
 *
 * @module
 */
import { Registry } from '../framework/registry.js';
import { defaultBinder } from './default-binder.js';
import { defaultPreemption } from './default-preemption.js';
import { imageLocality } from './image-locality.js';
import { interPodAffinity } from './inter-pod-affinity.js';
import { names } from './names.js';
import { nodeAffinity } from './node-affinity.js';
import { nodeName } from './node-name.js';
import { nodePorts } from './node-ports.js';
import { nodeResourcesBalancedAllocation } from './node-resources-balanced-allocation.js';
import { nodeResourcesFit } from './node-resources-fit.js';
import { nodeUnschedulable } from './node-unschedulable.js';
import { podTopologySpread } from './pod-topology-spread.js';
import { prioritySort } from './priority-sort.js';
import { schedulingGates } from './scheduling-gates.js';
import { taintToleration } from './taint-toleration.js';

/**
 * A new registry holding the in-tree plugins. Each call returns a fresh registry, so adding your
 * own plugins to it changes nothing elsewhere.
 *
 * @example
 * ```ts
 * const registry = defaultRegistry().register('PreferSSD', () => preferSSD);
 * ```
 */
export function defaultRegistry(): Registry {
  return new Registry()
    .register(names.PrioritySort, prioritySort)
    .register(names.SchedulingGates, schedulingGates)
    .register(names.NodeUnschedulable, nodeUnschedulable)
    .register(names.NodeName, nodeName)
    .register(names.TaintToleration, taintToleration)
    .register(names.NodeAffinity, nodeAffinity)
    .register(names.NodePorts, nodePorts)
    .register(names.NodeResourcesFit, nodeResourcesFit)
    .register(names.NodeResourcesBalancedAllocation, nodeResourcesBalancedAllocation)
    .register(names.PodTopologySpread, podTopologySpread)
    .register(names.InterPodAffinity, interPodAffinity)
    .register(names.ImageLocality, imageLocality)
    .register(names.DefaultPreemption, defaultPreemption)
    .register(names.DefaultBinder, defaultBinder);
}

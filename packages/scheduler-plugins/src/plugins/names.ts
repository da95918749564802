/**
 * The names of the in-tree plugins, as in Kubernetes' `plugins/names`.
 *
 * @module
 */
/** The name of each in-tree plugin, e.g. `pluginNames.NodeResourcesFit`, for profiles and `pluginConfig`. */
export const names = {
  PrioritySort: 'PrioritySort',
  SchedulingGates: 'SchedulingGates',
  NodeUnschedulable: 'NodeUnschedulable',
  NodeName: 'NodeName',
  TaintToleration: 'TaintToleration',
  NodeAffinity: 'NodeAffinity',
  NodePorts: 'NodePorts',
  NodeResourcesFit: 'NodeResourcesFit',
  NodeResourcesBalancedAllocation: 'NodeResourcesBalancedAllocation',
  PodTopologySpread: 'PodTopologySpread',
  InterPodAffinity: 'InterPodAffinity',
  ImageLocality: 'ImageLocality',
  DefaultPreemption: 'DefaultPreemption',
  DefaultBinder: 'DefaultBinder',
} as const;

/**
 * `@harbormaster/scheduler-plugins`: the scheduler of Harbormaster, kube-scheduler's design in
 * TypeScript. A scheduling queue (priority, back-off, unschedulable pods retried on cluster
 * events, scheduling gates), the scheduling framework with Kubernetes' extension points and
 * profiles (loadable from a `KubeSchedulerConfiguration`), and the default plugins with
 * Kubernetes' default weights.
 *
 * @example
 * ```ts
 * import { createApiServer, createManager } from '@harbormaster/core';
 * import { memoryStore } from '@harbormaster/store-memory';
 * import { createScheduler } from '@harbormaster/scheduler-plugins';
 *
 * const api = createApiServer({ store: memoryStore() });
 * const manager = createManager({ api });
 * manager.add(createScheduler({ manager }));
 * await manager.start(signal);
 * ```
 *
 * @example
 * ```ts
 * // Your own plugin, next to the default ones.
 * const registry = defaultRegistry().register('PreferSSD', () => ({
 *   name: 'PreferSSD',
 *   score: (_state, _pod, nodeInfo) => (nodeInfo.labels?.['disk'] === 'ssd' ? 100 : 0),
 * }));
 * manager.add(createScheduler({
 *   manager,
 *   registry,
 *   profiles: [{ plugins: { multiPoint: { enabled: [{ name: 'PreferSSD', weight: 3 }] } } }],
 * }));
 * ```
 *
 * @packageDocumentation
 */

// The scheduler.
export { createScheduler, numFeasibleNodesToFind, MIN_FEASIBLE_NODES_TO_FIND, ERR_NO_NODES_AVAILABLE } from './scheduler.js';
export type { Scheduler, SchedulerOptions } from './scheduler.js';
export { schedulerModule, SCHEDULER_TOKENS } from './scheduler-module.js';
export type { SchedulerModuleOptions } from './scheduler-module.js';

// Configuration.
export { loadSchedulerConfiguration, validateSchedulerConfiguration, SchedulerConfigurationError, SCHEDULER_CONFIG_API_VERSION } from './config/load.js';
export { DEFAULT_SCHEDULER_NAME, DEFAULT_MULTI_POINT, defaultPlugins, mergePlugins, mergePluginSet, resolveProfile } from './config/defaults.js';
export type { ResolvedProfile } from './config/defaults.js';
export { EXTENSION_POINTS } from './config/types.js';
export type { ExtensionPoint, KubeSchedulerConfiguration, KubeSchedulerProfile, PluginConfig, PluginRef, PluginSet, Plugins } from './config/types.js';

// The framework.
export { Status, isSuccess } from './framework/status.js';
export type { StatusCode, PluginStatus } from './framework/status.js';
export { CycleState, stateKey } from './framework/cycle-state.js';
export type { StateKey, Cloneable } from './framework/cycle-state.js';
export { MAX_NODE_SCORE, MIN_NODE_SCORE } from './framework/interface.js';
export type {
  Plugin,
  PreEnqueuePlugin,
  QueueSortPlugin,
  PreFilterPlugin,
  PreFilterResult,
  PreFilterOutcome,
  PreFilterExtensions,
  FilterPlugin,
  PostFilterPlugin,
  PostFilterResult,
  PreScorePlugin,
  ScorePlugin,
  NodeScore,
  ReservePlugin,
  PermitPlugin,
  PermitOutcome,
  PreBindPlugin,
  BindPlugin,
  PostBindPlugin,
  EnqueueExtensions,
  Handle,
  NodeInfoLister,
  WaitingPod,
  PluginFactory,
  PluginFactoryContext,
} from './framework/interface.js';
export { Registry } from './framework/registry.js';
export type { PluginRegistration } from './framework/registry.js';
export { Framework, ProfileError } from './framework/framework.js';
export { ActionType, matchClusterEvent } from './framework/events.js';
export type { ClusterEvent, ClusterEventWithHint, EventResource, QueueingHint, QueueingHintFn } from './framework/events.js';
export { FitError, NodeToStatus, formatFitError } from './framework/fit-error.js';
export type { Diagnosis } from './framework/fit-error.js';
export { NodeInfo } from './framework/node-info.js';
export type { ImageState } from './framework/node-info.js';
export { PodInfo, AffinityTerm, podInfoOf } from './framework/pod-info.js';
export type { HostPort, WeightedAffinityTerm } from './framework/pod-info.js';
export { rejectorPlugins } from './framework/queued-pod-info.js';
export type { QueuedPodInfo } from './framework/queued-pod-info.js';
export { Resource, podRequests } from './framework/resources.js';

// The queue and the cache.
export { SchedulingQueue } from './queue/scheduling-queue.js';
export type { SchedulingQueueOptions, QueueCounts } from './queue/scheduling-queue.js';
export { SchedulerCache } from './cache/scheduler-cache.js';

// The in-tree plugins.
export { defaultRegistry } from './plugins/registry.js';
export { names as pluginNames } from './plugins/names.js';
export type { NodeResourcesFitArgs, ScoringStrategy, ResourceSpec, UtilizationShapePoint } from './plugins/node-resources-fit.js';
export type { NodeResourcesBalancedAllocationArgs } from './plugins/node-resources-balanced-allocation.js';
export type { NodeAffinityArgs } from './plugins/node-affinity.js';
export type { PodTopologySpreadArgs } from './plugins/pod-topology-spread.js';
export type { InterPodAffinityArgs } from './plugins/inter-pod-affinity.js';
export type { DefaultPreemptionArgs } from './plugins/default-preemption.js';

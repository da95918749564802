/**
 * Node lifecycle: node health from Leases and status, NoExecute and NoSchedule taints, taint
 * based eviction, and the DefaultTolerationSeconds admission plugin.
 *
 * @module
 */
export {
  NodeLifecycleController,
  setupNodeLifecycleController,
  noScheduleTaintsFor,
  zoneKey,
  isUnreachable,
  LABEL_EXCLUDE_DISRUPTION,
} from './node-lifecycle-controller.js';
export type { NodeLifecycleOptions, ZoneState } from './node-lifecycle-controller.js';
export { TaintEvictionReconciler, setupTaintEvictionController } from './taint-eviction-controller.js';
export type { TaintEvictionControllerOptions } from './taint-eviction-controller.js';
export { defaultTolerationSeconds } from './default-toleration-seconds.js';
export type { DefaultTolerationSecondsOptions } from './default-toleration-seconds.js';
export {
  toleratesTaint,
  matchingTolerations,
  minTolerationSeconds,
  TAINT_NODE_NOT_READY,
  TAINT_NODE_UNREACHABLE,
  TAINT_NODE_UNSCHEDULABLE,
  TAINT_NODE_MEMORY_PRESSURE,
  TAINT_NODE_DISK_PRESSURE,
  TAINT_NODE_NETWORK_UNAVAILABLE,
  TAINT_NODE_PID_PRESSURE,
} from './taints.js';

/**
 * The ReplicaSet controller and the pieces other workload controllers share with it.
 *
 * @module
 */
export { ReplicaSetReconciler, setupReplicaSetController, DEFAULT_BURST_REPLICAS } from './replicaset-controller.js';
export type { ReplicaSetReconcilerOptions, SetupReplicaSetControllerOptions } from './replicaset-controller.js';
export { ControllerExpectations, EXPECTATIONS_TIMEOUT_MS } from './expectations.js';
export type { Expectation, ControllerExpectationsOptions } from './expectations.js';
export { podsToDelete, POD_DELETION_COST_ANNOTATION } from './pod-deletion-order.js';

/**
 * The namespace controller: deleting a Namespace deletes everything in it.
 *
 * @module
 */
export { NamespaceReconciler, setupNamespaceController, NAMESPACE_FINALIZER, NAMESPACE_CONDITION_TYPES } from './namespace-controller.js';
export type { NamespaceControllerOptions, NamespaceDeletionConditionType } from './namespace-controller.js';

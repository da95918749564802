/**
 * The Deployment controller and rollback.
 *
 * @module
 */
export { DeploymentReconciler, setupDeploymentController } from './deployment-controller.js';
export type { SetupDeploymentControllerOptions } from './deployment-controller.js';
export { rollback } from './rollback.js';
export type { RollbackOptions, RollbackResult } from './rollback.js';
export { computeHash, POD_TEMPLATE_HASH_LABEL } from './pod-template-hash.js';
export {
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  resolveFenceposts,
} from './deployment-util.js';

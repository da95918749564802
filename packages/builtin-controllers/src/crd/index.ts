/**
 * The CustomResourceDefinition controller: a CRD's served versions become kinds the API serves,
 * with Kubernetes' structural schemas (validation, defaulting, pruning), status and scale
 * subresources, names, conditions and cleanup on deletion. See {@link setupCrdController}.
 *
 * @module
 */
export { CustomResourceDefinitionReconciler, CUSTOM_RESOURCE_CLEANUP_FINALIZER, setupCrdController } from './crd-controller.js';
export type { CrdControllerOptions } from './crd-controller.js';
export { customResourceKind, customResourceKinds, DEFAULT_PRINTER_COLUMNS, isCustomResourceKind } from './custom-resource-kind.js';
export type { CustomResource, CustomResourceInput, CustomResourceKindDefinition } from './custom-resource-kind.js';
export { compileSchemaValidator } from './schema-validator.js';
export type { SchemaIssue, SchemaValidator } from './schema-validator.js';
export { applyDefaults, prune, pruneNonNullableNulls, validateStructural } from './structural-schema.js';

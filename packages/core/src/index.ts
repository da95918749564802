/**
 * `@harbormaster/core`: the Kubernetes control plane as a library.
 *
 * @packageDocumentation
 */
export * from './errors.js';
export type { Clock, TimerHandle } from './clock/clock.js';
export { systemClock, sleep, formatTime, formatMicroTime } from './clock/clock.js';
export type { Store, Entry, StoreEvent, ListOptions, ListResult, JsonValue } from './store/store.js';
export {
  StoreError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionConflictError,
  CompactedError,
  StoreClosedError,
  isStoreError,
} from './store/errors.js';
export type { StoreErrorCode } from './store/errors.js';
export type { ObjectMeta, OwnerReference, TypeMeta, KubeObject, ObjectKey } from './meta/object-meta.js';
export { objectMetaSchema, ownerReferenceSchema, objectKey, parseApiVersion } from './meta/object-meta.js';
export * from './meta/validation.js';
export type {
  KindDefinition,
  KindStrategy,
  Subresources,
  ScaleSubresource,
  TypeOf,
  InputOf,
  AnyKind,
  DefineKindOptions,
} from './kinds/kind.js';
export { defineKind, KindRegistry, validateName } from './kinds/kind.js';
export * as kinds from './kinds/index.js';
export { createApiServer, LAST_APPLIED_ANNOTATION } from './api/api-server.js';
export type { ApiServer, ApiServerOptions } from './api/api-server.js';
export type {
  Client,
  ObjectList,
  SelectOptions,
  ListOptions as ClientListOptions,
  WatchOptions,
  WatchEvent,
  BookmarkObject,
  WriteOptions,
  PatchOptions,
  DeleteOptions,
  PropagationPolicy,
  ApplyOptions,
  ApplyResult,
} from './api/client.js';
export { AdmissionChain } from './api/admission.js';
export type { AdmissionPlugin, AdmissionRequest } from './api/admission.js';
export { IMMORTAL_NAMESPACES } from './api/namespace-lifecycle.js';
export { applyMergePatch, threeWayMergePatch } from './api/merge-patch.js';
export type { MergePatch } from './api/merge-patch.js';
export {
  parseLabelSelector,
  labelSelectorFromObject,
  selectorFromSet,
  toSelector,
  requirement,
  everything,
  nothing,
} from './api/selectors/label-selector.js';
export type { Selector, Requirement, SelectorOperator, LabelSelectorObject, Labels } from './api/selectors/label-selector.js';
export { parseFieldSelector, compileFieldSelector } from './api/selectors/field-selector.js';
export type { FieldSelector, FieldRequirement, FieldMatcher } from './api/selectors/field-selector.js';
export { loadManifests, ManifestError } from './yaml/load-manifests.js';
export type { LoadManifestsOptions } from './yaml/load-manifests.js';
export { builtinKinds } from './kinds/builtin.js';

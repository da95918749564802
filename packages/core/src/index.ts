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

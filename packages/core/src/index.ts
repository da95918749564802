/**
 * `@harbormaster/core`: the Kubernetes control plane as a library.
 *
 * @packageDocumentation
 */
export * from './errors.js';
export type { Clock, TimerHandle } from './clock/clock.js';
export { systemClock, sleep, formatTime, formatMicroTime } from './clock/clock.js';
export { formatDuration } from './clock/duration.js';
export type { Store, Entry, DeletedEntry, StoreEvent, ListOptions as StoreListOptions, ListResult as StoreListResult, JsonValue } from './store/store.js';
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
  ListOptions,
  WatchOptions,
  WatchEvent,
  WriteOptions,
  PatchOptions,
  DeleteOptions,
  PropagationPolicy,
  ApplyOptions,
  ApplyResult,
  Manifest,
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
  selectorFromRequirements,
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

// Reconcile machinery.
export { WorkQueue } from './queue/work-queue.js';
export type { WorkQueueOptions } from './queue/work-queue.js';
export { itemExponentialFailureRateLimiter, bucketRateLimiter, maxOfRateLimiter, defaultControllerRateLimiter } from './queue/rate-limiter.js';
export type {
  RateLimiter,
  ItemExponentialFailureRateLimiterOptions,
  BucketRateLimiterOptions,
  DefaultControllerRateLimiterOptions,
} from './queue/rate-limiter.js';
export { Cache, cacheKey, NAMESPACE_INDEX, LABEL_INDEX, OWNER_INDEX, CONTROLLER_INDEX } from './informer/cache.js';
export type { CacheReader, CacheListOptions, IndexFunc } from './informer/cache.js';
export { Informer, ShortWatchError } from './informer/informer.js';
export type { InformerOptions, EventHandler, InformerEvent, InformerError } from './informer/informer.js';
export { InformerFactory } from './informer/informer-factory.js';
export type { InformerFactoryOptions, SharedInformerOptions } from './informer/informer-factory.js';
export { reconcilerFunc, terminalError, isTerminalError, TerminalError, requestKey, requestFromKey } from './controller/reconciler.js';
export type { Request, Result, Reconciler, ReconcileContext, ReconcileFunc } from './controller/reconciler.js';
export {
  generationChanged,
  labelsChanged,
  annotationsChanged,
  resourceVersionChanged,
  predicateFunc,
  and,
  or,
  not,
} from './controller/predicates.js';
export type { Predicate } from './controller/predicates.js';
export { Controller, informerSource, requestForObject, requestsForOwner } from './controller/controller.js';
export type { ControllerOptions, Runnable, Source, InformerSourceOptions } from './controller/controller.js';
export { controller, ControllerBuilder } from './controller/builder.js';
export type { BuilderOptions } from './controller/builder.js';
export { cachedReader } from './controller/cached-reader.js';
export type { CachedReader } from './controller/cached-reader.js';
export { withFinalizer } from './controller/finalizer.js';
export type { FinalizerHandlers } from './controller/finalizer.js';
export {
  ownerReference,
  setControllerReference,
  setOwnerReference,
  removeOwnerReference,
  getControllerOf,
  isControlledBy,
  AlreadyOwnedError,
} from './controller/owner-references.js';
export { createManager } from './manager/manager.js';
export type { Manager, ManagerOptions } from './manager/manager.js';
export { LeaderElector, LeaderElectionLostError } from './manager/leader-election.js';
export type { LeaderElectionOptions, LeaderCallbacks } from './manager/leader-election.js';
export { ApiEventRecorder } from './events/event-recorder.js';
export type { EventRecorder, EventRecorderOptions, EventType } from './events/event-recorder.js';
export { jsonLogger, silentLogger } from './observability/logger.js';
export type { Logger, LogLevel, LogFields, JsonLoggerOptions } from './observability/logger.js';
export { noopMetrics, prometheusMetrics } from './observability/metrics.js';
export type { Metrics, Counter, Gauge, Histogram, MetricLabels, PromClientLike, PrometheusMetricsOptions } from './observability/metrics.js';
export { delay } from './clock/clock.js';
export { TOKENS } from './di/tokens.js';
export type { ControllerSetup } from './di/tokens.js';
export { coreModule } from './di/core-module.js';
/** inversify's Container and ContainerModule, re-exported so every package binds into the same inversify. */
export { Container, ContainerModule } from 'inversify';
export type { ContainerModuleLoadOptions, ServiceIdentifier } from 'inversify';
export { parseQuantity, formatQuantity, isQuantity, quantitySchema, quantityPattern } from './meta/quantity.js';
export type { Quantity, QuantityFormat } from './meta/quantity.js';
export { ImagePullError, ImageNeverPullError, ContainerStartError } from './runtime/container-runtime.js';
export type { ContainerRuntime, ContainerSpec, ContainerInfo, ContainerStats, ExecResult, PullPolicy } from './runtime/container-runtime.js';
/** Structural equality of JSON data (key order ignored, `undefined` properties count as absent). */
export { jsonEqual } from './util/json.js';

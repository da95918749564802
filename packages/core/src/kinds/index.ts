/**
 * The built-in kinds, with Kubernetes' field names and defaults. Each name is both a value (the
 * {@link KindDefinition} to pass to the client and the controller builder) and a type (the
 * object type inferred from the kind's schema).
 *
 * @example
 * ```ts
 * import { kinds } from '@harbormaster/core';
 *
 * const cm: kinds.ConfigMap = await client.get(kinds.ConfigMap, { namespace: 'default', name: 'settings' });
 * ```
 *
 * @module
 */
// v1
export { ConfigMap } from './core/config-map.js';
export { Pod, podQOSClass } from './core/pod.js';
export { Node } from './core/node.js';
export { Service } from './core/service.js';
export { Endpoints } from './core/endpoints.js';
export { Namespace, namespaceFinalizer, namespaceNameLabel } from './core/namespace.js';
export { Event } from './core/event.js';
// apps/v1
export { Deployment } from './apps/deployment.js';
export { ReplicaSet } from './apps/replica-set.js';
// autoscaling/v2
export {
  HorizontalPodAutoscaler,
  defaultHPAMetric,
  defaultHPAScaleDownRules,
  defaultHPAScaleUpRules,
  effectiveHPABehavior,
} from './autoscaling/horizontal-pod-autoscaler.js';
// apiextensions.k8s.io/v1
export { CustomResourceDefinition } from './apiextensions/custom-resource-definition.js';
// coordination.k8s.io/v1
export { Lease } from './coordination/lease.js';
// discovery.k8s.io/v1
export { EndpointSlice } from './discovery/endpoint-slice.js';

// Schemas other packages build on.
export {
  conditionSchema,
  intOrStringSchema,
  labelSelectorSchema,
  objectReferenceSchema,
  resourceListSchema,
  timeSchema,
} from './common.js';
export {
  applyPodSpecDefaults,
  containerSchema,
  defaultPullPolicy,
  podSpecSchema,
  podTemplateSpecSchema,
  probeSchema,
  resourceRequirementsSchema,
} from './core/pod-spec.js';
export { podStatusSchema } from './core/pod-status.js';
export { volumeSchema } from './core/volume.js';
export { tolerationSchema, taintSchema } from './core/toleration.js';
export { affinitySchema, nodeSelectorSchema } from './core/affinity.js';
export { jsonSchemaPropsSchema } from './apiextensions/json-schema-props.js';
export { validatePodSpec, validatePodTemplateSpec } from './core/pod-spec-validation.js';

// Types of the parts of objects.
export type {
  Condition,
  ConditionStatus,
  IntOrString,
  LabelSelector,
  LabelSelectorRequirement,
  LocalObjectReference,
  ObjectReference,
  Protocol,
  ResourceList,
  TypedLocalObjectReference,
} from './common.js';
export type {
  Container,
  ContainerPort,
  ContainerResizePolicy,
  EnvFromSource,
  EnvVar,
  EnvVarSource,
  EphemeralContainer,
  HTTPGetAction,
  HostAlias,
  Lifecycle,
  LifecycleHandler,
  PodDNSConfig,
  PodSecurityContext,
  PodSpec,
  PodTemplateSpec,
  Probe,
  PullPolicy,
  ResourceRequirements,
  RestartPolicy,
  SecurityContext,
  TopologySpreadConstraint,
  VolumeMount,
} from './core/pod-spec.js';
export type { ContainerState, ContainerStatus, PodCondition, PodPhase, PodQOSClass, PodStatus } from './core/pod-status.js';
export type {
  ConfigMapVolumeSource,
  EmptyDirVolumeSource,
  HostPathVolumeSource,
  KeyToPath,
  PersistentVolumeClaimSpec,
  ProjectedVolumeSource,
  SecretVolumeSource,
  Volume,
  VolumeProjection,
} from './core/volume.js';
export type { DownwardAPIVolumeFile, ObjectFieldSelector, ResourceFieldSelector } from './core/downward-api.js';
export type {
  Affinity,
  NodeAffinity,
  NodeSelector,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  PodAffinity,
  PodAffinityTerm,
  PodAntiAffinity,
  PreferredSchedulingTerm,
  WeightedPodAffinityTerm,
} from './core/affinity.js';
export type { Taint, TaintEffect, Toleration } from './core/toleration.js';
export type { NodeAddress, NodeCondition, NodeSpec, NodeStatus, NodeSystemInfo } from './core/node.js';
export type { ServicePort, ServiceSpec, ServiceStatus, ServiceType } from './core/service.js';
export type { EndpointAddress, EndpointPort, EndpointSubset } from './core/endpoints.js';
export type { NamespaceCondition, NamespaceSpec, NamespaceStatus } from './core/namespace.js';
export type { EventSeries, EventSource } from './core/event.js';
export type {
  DeploymentCondition,
  DeploymentSpec,
  DeploymentStatus,
  DeploymentStrategy,
  RollingUpdateDeployment,
} from './apps/deployment.js';
export type { ReplicaSetCondition, ReplicaSetSpec, ReplicaSetStatus } from './apps/replica-set.js';
export type {
  CrossVersionObjectReference,
  HPAScalingPolicy,
  HPAScalingRules,
  HorizontalPodAutoscalerBehavior,
  HorizontalPodAutoscalerCondition,
  HorizontalPodAutoscalerSpec,
  HorizontalPodAutoscalerStatus,
  MetricSpec,
  MetricStatus,
  MetricTarget,
} from './autoscaling/horizontal-pod-autoscaler.js';
export type {
  CustomResourceColumnDefinition,
  CustomResourceDefinitionCondition,
  CustomResourceDefinitionNames,
  CustomResourceDefinitionSpec,
  CustomResourceDefinitionStatus,
  CustomResourceDefinitionVersion,
} from './apiextensions/custom-resource-definition.js';
export type { JSONSchemaProps, JSONValue, ValidationRule } from './apiextensions/json-schema-props.js';
export type { LeaseSpec } from './coordination/lease.js';
export type { Endpoint, EndpointSlicePort } from './discovery/endpoint-slice.js';

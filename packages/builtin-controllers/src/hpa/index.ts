/**
 * The HorizontalPodAutoscaler controller: scales Deployments, ReplicaSets and custom resources
 * with a scale subresource on the metrics a {@link MetricsSource} serves, with Kubernetes'
 * algorithm, tolerance, stabilization windows and scaling policies. See
 * {@link setupHpaController}.
 *
 * @module
 */
export { HorizontalPodAutoscalerReconciler, setupHpaController } from './hpa-controller.js';
export type { HpaControllerOptions } from './hpa-controller.js';
export { staticMetricsSource } from './metrics-source.js';
export type {
  ExternalMetricQuery,
  MetricSample,
  MetricsSource,
  ObjectMetricQuery,
  PodMetric,
  PodMetricsQuery,
  StaticMetricsSource,
  StaticMetricsSourceOptions,
} from './metrics-source.js';
export { ScalingHistory } from './scaling-behavior.js';
export type { EffectiveScalingRules, TimestampedRecommendation, TimestampedScaleEvent } from './scaling-behavior.js';
export type { KindLookup } from './scale-target.js';

import { z } from 'zod';
import type { FieldCause } from '../../errors.js';
import { objectMetaSchema } from '../../meta/object-meta.js';
import { parseQuantity, quantitySchema } from '../../meta/quantity.js';
import { validatePathSegmentName } from '../../meta/validation.js';
import { conditionStatusSchema, labelSelectorSchema, timeSchema } from '../common.js';
import { forbidden, invalid, invalidEach, required, validateLabelSelector } from '../field-validation.js';
import { defineKind, type TypeOf } from '../kind.js';

/** A reference to the object to scale (`autoscaling/v2.CrossVersionObjectReference`). */
export const crossVersionObjectReferenceSchema = z.strictObject({
  kind: z.string(),
  name: z.string(),
  apiVersion: z.string().optional(),
});
/** A reference to the object to scale. */
export type CrossVersionObjectReference = z.infer<typeof crossVersionObjectReferenceSchema>;

/** The target of a metric (`autoscaling/v2.MetricTarget`): a value, an average value or a utilization. */
export const metricTargetSchema = z.strictObject({
  type: z.enum(['Utilization', 'Value', 'AverageValue']),
  value: quantitySchema.optional(),
  averageValue: quantitySchema.optional(),
  /** Percent of the pods' requests; for Resource and ContainerResource metrics. */
  averageUtilization: z.int32().optional(),
});
/** The target of a metric. */
export type MetricTarget = z.infer<typeof metricTargetSchema>;

/** A metric's name and optional selector (`autoscaling/v2.MetricIdentifier`). */
export const metricIdentifierSchema = z.strictObject({
  name: z.string(),
  selector: labelSelectorSchema.optional(),
});

/** The kinds of metric source. */
export const metricSourceTypeSchema = z.enum(['Object', 'Pods', 'Resource', 'ContainerResource', 'External']);

/** How to scale on one metric (`autoscaling/v2.MetricSpec`): `type` and the matching source. */
export const metricSpecSchema = z.strictObject({
  type: metricSourceTypeSchema,
  object: z
    .strictObject({ describedObject: crossVersionObjectReferenceSchema, target: metricTargetSchema, metric: metricIdentifierSchema })
    .optional(),
  pods: z.strictObject({ metric: metricIdentifierSchema, target: metricTargetSchema }).optional(),
  resource: z.strictObject({ name: z.string(), target: metricTargetSchema }).optional(),
  containerResource: z.strictObject({ name: z.string(), target: metricTargetSchema, container: z.string() }).optional(),
  external: z.strictObject({ metric: metricIdentifierSchema, target: metricTargetSchema }).optional(),
});
/** How to scale on one metric. */
export type MetricSpec = z.infer<typeof metricSpecSchema>;

/** A limit on how fast replicas change (`autoscaling/v2.HPAScalingPolicy`). */
export const hpaScalingPolicySchema = z.strictObject({
  type: z.enum(['Pods', 'Percent']),
  /** Greater than zero. */
  value: z.int32(),
  /** 1–1800. */
  periodSeconds: z.int32(),
});
/** A limit on how fast replicas change. */
export type HPAScalingPolicy = z.infer<typeof hpaScalingPolicySchema>;

/** The scaling rules of one direction (`autoscaling/v2.HPAScalingRules`). */
export const hpaScalingRulesSchema = z.strictObject({
  /** 0–3600 seconds of past recommendations to consider. */
  stabilizationWindowSeconds: z.int32().optional(),
  selectPolicy: z.enum(['Max', 'Min', 'Disabled']).optional(),
  policies: z.array(hpaScalingPolicySchema).optional(),
  /** The tolerance on the metric ratio, e.g. `0.05`; the cluster default (0.1) if unset. */
  tolerance: quantitySchema.optional(),
});
/** The scaling rules of one direction. */
export type HPAScalingRules = z.infer<typeof hpaScalingRulesSchema>;

/** The scaling behavior up and down (`autoscaling/v2.HorizontalPodAutoscalerBehavior`). */
export const horizontalPodAutoscalerBehaviorSchema = z.strictObject({
  scaleUp: hpaScalingRulesSchema.optional(),
  scaleDown: hpaScalingRulesSchema.optional(),
});
/** The scaling behavior up and down. */
export type HorizontalPodAutoscalerBehavior = z.infer<typeof horizontalPodAutoscalerBehaviorSchema>;

/** The metric an HPA scales on when it names none: 80% average CPU utilization. */
export const defaultHPAMetric: MetricSpec = {
  type: 'Resource',
  resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
};

/** Kubernetes' default scale-up rules: no stabilization, the larger of +4 pods or +100% per 15 s. */
export const defaultHPAScaleUpRules: Readonly<HPAScalingRules> = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
};

/**
 * Kubernetes' default scale-down rules: up to 100% per 15 s after a 300 s stabilization window. On
 * objects the window stays unset, as Kubernetes leaves it to the controller's flag (default 300 s).
 */
export const defaultHPAScaleDownRules: Readonly<HPAScalingRules> = {
  stabilizationWindowSeconds: 300,
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
};

/** `rules` with unset fields taken from `defaults` (`copyHPAScalingRules`). */
function withDefaults(rules: HPAScalingRules | undefined, defaults: Readonly<HPAScalingRules>): HPAScalingRules {
  const out: HPAScalingRules = {
    ...(defaults.stabilizationWindowSeconds !== undefined ? { stabilizationWindowSeconds: defaults.stabilizationWindowSeconds } : {}),
    ...(defaults.selectPolicy !== undefined ? { selectPolicy: defaults.selectPolicy } : {}),
    policies: (defaults.policies ?? []).map((p) => ({ ...p })),
  };
  if (rules?.selectPolicy !== undefined) out.selectPolicy = rules.selectPolicy;
  if (rules?.stabilizationWindowSeconds !== undefined) out.stabilizationWindowSeconds = rules.stabilizationWindowSeconds;
  if (rules?.policies !== undefined) out.policies = rules.policies;
  if (rules?.tolerance !== undefined) out.tolerance = rules.tolerance;
  return out;
}

/**
 * The behavior an HPA controller applies: the object's rules with every unset field filled from
 * Kubernetes' defaults, including the 300 s scale-down stabilization window.
 */
export function effectiveHPABehavior(behavior: HorizontalPodAutoscalerBehavior | undefined): {
  scaleUp: HPAScalingRules;
  scaleDown: HPAScalingRules;
} {
  return {
    scaleUp: withDefaults(behavior?.scaleUp, defaultHPAScaleUpRules),
    scaleDown: withDefaults(behavior?.scaleDown, defaultHPAScaleDownRules),
  };
}

/**
 * The desired state of an HPA (`autoscaling/v2.HorizontalPodAutoscalerSpec`): `minReplicas`
 * defaults to 1, `metrics` to 80% CPU utilization.
 */
export const horizontalPodAutoscalerSpecSchema = z.strictObject({
  scaleTargetRef: crossVersionObjectReferenceSchema,
  minReplicas: z.int32().default(1),
  maxReplicas: z.int32(),
  metrics: z.array(metricSpecSchema).default(() => [structuredClone(defaultHPAMetric)]),
  behavior: horizontalPodAutoscalerBehaviorSchema.optional(),
});
/** The desired state of an HPA. */
export type HorizontalPodAutoscalerSpec = z.infer<typeof horizontalPodAutoscalerSpecSchema>;

/** The current value of a metric (`autoscaling/v2.MetricValueStatus`). */
export const metricValueStatusSchema = z.strictObject({
  value: quantitySchema.optional(),
  averageValue: quantitySchema.optional(),
  averageUtilization: z.int32().optional(),
});

/** The last-read state of one metric (`autoscaling/v2.MetricStatus`). */
export const metricStatusSchema = z.strictObject({
  type: metricSourceTypeSchema,
  object: z
    .strictObject({ metric: metricIdentifierSchema, current: metricValueStatusSchema, describedObject: crossVersionObjectReferenceSchema })
    .optional(),
  pods: z.strictObject({ metric: metricIdentifierSchema, current: metricValueStatusSchema }).optional(),
  resource: z.strictObject({ name: z.string(), current: metricValueStatusSchema }).optional(),
  containerResource: z.strictObject({ name: z.string(), current: metricValueStatusSchema, container: z.string() }).optional(),
  external: z.strictObject({ metric: metricIdentifierSchema, current: metricValueStatusSchema }).optional(),
});
/** The last-read state of one metric. */
export type MetricStatus = z.infer<typeof metricStatusSchema>;

/** A condition of an HPA: `AbleToScale`, `ScalingActive`, `ScalingLimited`. */
export const horizontalPodAutoscalerConditionSchema = z.strictObject({
  type: z.string(),
  status: conditionStatusSchema,
  lastTransitionTime: timeSchema.optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
  observedGeneration: z.int().optional(),
});
/** A condition of an HPA. */
export type HorizontalPodAutoscalerCondition = z.infer<typeof horizontalPodAutoscalerConditionSchema>;

/** The observed state of an HPA (`autoscaling/v2.HorizontalPodAutoscalerStatus`). */
export const horizontalPodAutoscalerStatusSchema = z.strictObject({
  observedGeneration: z.int().optional(),
  lastScaleTime: timeSchema.optional(),
  currentReplicas: z.int32().optional(),
  desiredReplicas: z.int32().default(0),
  currentMetrics: z.array(metricStatusSchema).nullable().optional(),
  conditions: z.array(horizontalPodAutoscalerConditionSchema).optional(),
});
/** The observed state of an HPA. */
export type HorizontalPodAutoscalerStatus = z.infer<typeof horizontalPodAutoscalerStatusSchema>;

const sourceFields = {
  Object: 'object',
  Pods: 'pods',
  Resource: 'resource',
  ContainerResource: 'containerResource',
  External: 'external',
} as const;

function positiveQuantity(q: string | number | undefined, field: string): FieldCause[] {
  if (q === undefined) return [];
  try {
    return parseQuantity(q) > 0 ? [] : [invalid(field, q, 'must be positive')];
  } catch {
    return [];
  }
}

function validateTarget(target: MetricTarget, field: string, resource: boolean): FieldCause[] {
  const causes: FieldCause[] = [];
  if (target.type === 'Utilization' && target.averageUtilization === undefined) {
    causes.push(required(`${field}.averageUtilization`, 'must set averageUtilization when type is Utilization'));
  }
  if (target.type === 'Value' && target.value === undefined) causes.push(required(`${field}.value`, 'must set value when type is Value'));
  if (target.type === 'AverageValue' && target.averageValue === undefined) {
    causes.push(required(`${field}.averageValue`, 'must set averageValue when type is AverageValue'));
  }
  if (target.averageUtilization !== undefined && target.averageUtilization < 1) {
    causes.push(invalid(`${field}.averageUtilization`, target.averageUtilization, 'must be greater than 0'));
  }
  if (!resource && target.type === 'Utilization') {
    causes.push(invalid(`${field}.type`, target.type, 'may only be Utilization for Resource and ContainerResource metrics'));
  }
  if (resource && target.type === 'Value') causes.push(forbidden(`${field}.value`, 'may not set a raw value for resource metrics'));
  causes.push(...positiveQuantity(target.value, `${field}.value`));
  causes.push(...positiveQuantity(target.averageValue, `${field}.averageValue`));
  return causes;
}

function validateMetric(metric: MetricSpec, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const expected = sourceFields[metric.type];
  for (const key of Object.values(sourceFields)) {
    if (key !== expected && metric[key] !== undefined) causes.push(forbidden(`${field}.${key}`, 'must populate the given metric source only'));
  }
  const f = `${field}.${expected}`;
  switch (metric.type) {
    case 'Resource':
      if (!metric.resource) causes.push(required(f, 'must populate information for the given metric source'));
      else causes.push(...validateTarget(metric.resource.target, `${f}.target`, true));
      break;
    case 'ContainerResource':
      if (!metric.containerResource) causes.push(required(f, 'must populate information for the given metric source'));
      else {
        if (metric.containerResource.container === '') causes.push(required(`${f}.container`));
        causes.push(...validateTarget(metric.containerResource.target, `${f}.target`, true));
      }
      break;
    case 'Pods':
    case 'External': {
      const src = metric.type === 'Pods' ? metric.pods : metric.external;
      if (!src) causes.push(required(f, 'must populate information for the given metric source'));
      else {
        if (src.metric.name === '') causes.push(required(`${f}.metric.name`));
        causes.push(...validateLabelSelector(src.metric.selector, `${f}.metric.selector`));
        causes.push(...validateTarget(src.target, `${f}.target`, false));
      }
      break;
    }
    case 'Object':
      if (!metric.object) causes.push(required(f, 'must populate information for the given metric source'));
      else {
        if (metric.object.metric.name === '') causes.push(required(`${f}.metric.name`));
        if (metric.object.describedObject.kind === '') causes.push(required(`${f}.describedObject.kind`));
        if (metric.object.describedObject.name === '') causes.push(required(`${f}.describedObject.name`));
        causes.push(...validateTarget(metric.object.target, `${f}.target`, false));
      }
      break;
  }
  return causes;
}

function validateRules(rules: HPAScalingRules | undefined, field: string): FieldCause[] {
  if (!rules) return [];
  const causes: FieldCause[] = [];
  const window = rules.stabilizationWindowSeconds;
  if (window !== undefined && (window < 0 || window > 3600)) {
    causes.push(invalid(`${field}.stabilizationWindowSeconds`, window, 'must be less than or equal to 3600 and greater than or equal to 0'));
  }
  if (rules.policies !== undefined && rules.policies.length === 0) causes.push(required(`${field}.policies`, 'must specify at least one Policy'));
  (rules.policies ?? []).forEach((p, i) => {
    if (p.value <= 0) causes.push(invalid(`${field}.policies[${i}].value`, p.value, 'must be greater than zero'));
    if (p.periodSeconds <= 0 || p.periodSeconds > 1800) {
      causes.push(invalid(`${field}.policies[${i}].periodSeconds`, p.periodSeconds, 'must be greater than zero and less than or equal to 1800'));
    }
  });
  return causes;
}

function validateHPASpec(spec: HorizontalPodAutoscalerSpec): FieldCause[] {
  const causes: FieldCause[] = [];
  const ref = spec.scaleTargetRef;
  if (ref.kind === '') causes.push(required('spec.scaleTargetRef.kind'));
  else causes.push(...invalidEach('spec.scaleTargetRef.kind', ref.kind, validatePathSegmentName(ref.kind)));
  if (ref.name === '') causes.push(required('spec.scaleTargetRef.name'));
  else causes.push(...invalidEach('spec.scaleTargetRef.name', ref.name, validatePathSegmentName(ref.name)));
  if (spec.minReplicas < 1) causes.push(invalid('spec.minReplicas', spec.minReplicas, 'must be greater than or equal to 1'));
  if (spec.maxReplicas < 1) causes.push(invalid('spec.maxReplicas', spec.maxReplicas, 'must be greater than 0'));
  if (spec.maxReplicas < spec.minReplicas) {
    causes.push(invalid('spec.maxReplicas', spec.maxReplicas, 'must be greater than or equal to `minReplicas`'));
  }
  spec.metrics.forEach((m, i) => causes.push(...validateMetric(m, `spec.metrics[${i}]`)));
  causes.push(...validateRules(spec.behavior?.scaleUp, 'spec.behavior.scaleUp'));
  causes.push(...validateRules(spec.behavior?.scaleDown, 'spec.behavior.scaleDown'));
  return causes;
}

/**
 * autoscaling/v2 HorizontalPodAutoscaler: scales a workload's replicas between `minReplicas` and
 * `maxReplicas` to keep metrics at their targets. Defaults as Kubernetes: `minReplicas: 1`,
 * `metrics`: 80% CPU utilization, and, when `behavior` is given, its unset rules from the defaults
 * (scale up: no stabilization, max of 4 pods and 100% per 15 s; scale down: 100% per 15 s; select
 * policy `Max`). See {@link effectiveHPABehavior} for the full behavior a controller applies.
 */
export const HorizontalPodAutoscaler = defineKind({
  group: 'autoscaling',
  version: 'v2',
  kind: 'HorizontalPodAutoscaler',
  plural: 'horizontalpodautoscalers',
  shortNames: ['hpa'],
  namespaced: true,
  subresources: { status: true },
  schema: z.strictObject({
    apiVersion: z.literal('autoscaling/v2'),
    kind: z.literal('HorizontalPodAutoscaler'),
    metadata: objectMetaSchema,
    spec: horizontalPodAutoscalerSpecSchema,
    status: horizontalPodAutoscalerStatusSchema.optional(),
  }),
  strategy: {
    applyDefaults(hpa) {
      const spec = hpa.spec;
      if (spec.metrics.length === 0) spec.metrics = [structuredClone(defaultHPAMetric)];
      if (spec.behavior) {
        const { stabilizationWindowSeconds: _unsetOnObjects, ...scaleDownDefaults } = defaultHPAScaleDownRules;
        spec.behavior.scaleUp = withDefaults(spec.behavior.scaleUp, defaultHPAScaleUpRules);
        spec.behavior.scaleDown = withDefaults(spec.behavior.scaleDown, scaleDownDefaults);
      }
    },
    validate(hpa) {
      return validateHPASpec(hpa.spec);
    },
  },
});
/** autoscaling/v2 HorizontalPodAutoscaler. */
export type HorizontalPodAutoscaler = TypeOf<typeof HorizontalPodAutoscaler>;

import { z } from 'zod';
import type { FieldCause } from '../../errors.js';
import { objectMetaSchema } from '../../meta/object-meta.js';
import { conditionStatusSchema, intOrStringSchema, labelSelectorSchema, timeSchema, type IntOrString } from '../common.js';
import { applyPodSpecDefaults, podTemplateSpecSchema } from '../core/pod-spec.js';
import { forbidden, invalid, validateNonnegative } from '../field-validation.js';
import { defineKind, type TypeOf } from '../kind.js';
import { validateWorkloadSpec } from './workload-validation.js';

/** The parameters of a rolling update (`apps/v1.RollingUpdateDeployment`); both default to `25%`. */
export const rollingUpdateDeploymentSchema = z.strictObject({
  /** Pods that may be unavailable during the update: a number or a percentage, rounded down. */
  maxUnavailable: intOrStringSchema.default('25%'),
  /** Pods that may be created above the desired count: a number or a percentage, rounded up. */
  maxSurge: intOrStringSchema.default('25%'),
});
/** The parameters of a rolling update. */
export type RollingUpdateDeployment = z.infer<typeof rollingUpdateDeploymentSchema>;

/** How a Deployment replaces pods (`apps/v1.DeploymentStrategy`); `type` defaults to `RollingUpdate`. */
export const deploymentStrategySchema = z.strictObject({
  type: z.enum(['Recreate', 'RollingUpdate']).default('RollingUpdate'),
  /** Only with `type: RollingUpdate`; defaulted to 25%/25% by the strategy. */
  rollingUpdate: rollingUpdateDeploymentSchema.optional(),
});
/** How a Deployment replaces pods. */
export type DeploymentStrategy = z.infer<typeof deploymentStrategySchema>;

/**
 * The desired state of a Deployment (`apps/v1.DeploymentSpec`). Defaults: `replicas: 1`, `strategy:
 * RollingUpdate` (25% surge, 25% unavailable), `revisionHistoryLimit: 10`, `progressDeadlineSeconds: 600`.
 */
export const deploymentSpecSchema = z.strictObject({
  replicas: z.int32().default(1),
  /** Required: must match the template's labels. */
  selector: labelSelectorSchema.optional(),
  template: podTemplateSpecSchema,
  strategy: deploymentStrategySchema.prefault({}),
  minReadySeconds: z.int32().optional(),
  revisionHistoryLimit: z.int32().default(10),
  /** A paused Deployment still scales but does not roll out template changes. */
  paused: z.boolean().optional(),
  progressDeadlineSeconds: z.int32().default(600),
});
/** The desired state of a Deployment. */
export type DeploymentSpec = z.infer<typeof deploymentSpecSchema>;

/** A condition of a Deployment (`apps/v1.DeploymentCondition`): `Available`, `Progressing`, `ReplicaFailure`. */
export const deploymentConditionSchema = z.strictObject({
  type: z.string(),
  status: conditionStatusSchema,
  lastUpdateTime: timeSchema.optional(),
  lastTransitionTime: timeSchema.optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});
/** A condition of a Deployment. */
export type DeploymentCondition = z.infer<typeof deploymentConditionSchema>;

/** The observed state of a Deployment (`apps/v1.DeploymentStatus`). */
export const deploymentStatusSchema = z.strictObject({
  observedGeneration: z.int().optional(),
  replicas: z.int32().optional(),
  updatedReplicas: z.int32().optional(),
  readyReplicas: z.int32().optional(),
  availableReplicas: z.int32().optional(),
  unavailableReplicas: z.int32().optional(),
  terminatingReplicas: z.int32().optional(),
  conditions: z.array(deploymentConditionSchema).optional(),
  collisionCount: z.int32().optional(),
});
/** The observed state of a Deployment. */
export type DeploymentStatus = z.infer<typeof deploymentStatusSchema>;

const percentPattern = /^[0-9]+%$/;

/** A maxSurge or maxUnavailable value: a non-negative number or a percentage. */
function validateIntOrPercent(value: IntOrString, field: string): FieldCause[] {
  if (typeof value === 'number') return validateNonnegative(value, field);
  if (!percentPattern.test(value)) {
    return [
      invalid(
        field,
        value,
        "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
      ),
    ];
  }
  return [];
}

function isZero(value: IntOrString): boolean {
  return value === 0 || value === '0%';
}

function validateDeploymentSpec(spec: DeploymentSpec): FieldCause[] {
  const causes = validateWorkloadSpec(spec, 'deployment');
  const strategy = spec.strategy;
  const ru = strategy.rollingUpdate;
  if (strategy.type === 'Recreate' && ru) {
    causes.push(forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
  }
  if (strategy.type === 'RollingUpdate' && ru) {
    causes.push(...validateIntOrPercent(ru.maxUnavailable, 'spec.strategy.rollingUpdate.maxUnavailable'));
    causes.push(...validateIntOrPercent(ru.maxSurge, 'spec.strategy.rollingUpdate.maxSurge'));
    if (typeof ru.maxUnavailable === 'string' && percentPattern.test(ru.maxUnavailable) && parseInt(ru.maxUnavailable, 10) > 100) {
      causes.push(invalid('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'must not be greater than 100%'));
    }
    if (isZero(ru.maxUnavailable) && isZero(ru.maxSurge)) {
      causes.push(invalid('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
    }
  }
  causes.push(...validateNonnegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  causes.push(...validateNonnegative(spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds'));
  if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
    causes.push(invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
  }
  return causes;
}

/**
 * apps/v1 Deployment: declarative updates of a set of identical pods through ReplicaSets.
 * Defaults as Kubernetes: `replicas: 1`, `strategy.type: RollingUpdate` with `maxSurge: 25%` and
 * `maxUnavailable: 25%`, `revisionHistoryLimit: 10`, `progressDeadlineSeconds: 600`, and the Pod
 * template's defaults. Serves the `status` and `scale` subresources.
 */
export const Deployment = defineKind({
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  plural: 'deployments',
  shortNames: ['deploy'],
  namespaced: true,
  subresources: {
    status: true,
    scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' },
  },
  schema: z.strictObject({
    apiVersion: z.literal('apps/v1'),
    kind: z.literal('Deployment'),
    metadata: objectMetaSchema,
    spec: deploymentSpecSchema,
    status: deploymentStatusSchema.optional(),
  }),
  strategy: {
    applyDefaults(d) {
      const strategy = d.spec.strategy;
      if (strategy.type === 'RollingUpdate' && !strategy.rollingUpdate) {
        strategy.rollingUpdate = { maxUnavailable: '25%', maxSurge: '25%' };
      }
      applyPodSpecDefaults(d.spec.template.spec);
    },
    validate(d) {
      return validateDeploymentSpec(d.spec);
    },
  },
});
/** apps/v1 Deployment. */
export type Deployment = TypeOf<typeof Deployment>;

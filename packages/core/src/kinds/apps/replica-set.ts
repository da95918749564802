import { z } from 'zod';
import { objectMetaSchema } from '../../meta/object-meta.js';
import { conditionStatusSchema, labelSelectorSchema, timeSchema } from '../common.js';
import { applyPodSpecDefaults, podTemplateSpecSchema } from '../core/pod-spec.js';
import { defineKind, type TypeOf } from '../kind.js';
import { validateWorkloadSpec } from './workload-validation.js';

/** The desired state of a ReplicaSet (`apps/v1.ReplicaSetSpec`); `replicas` defaults to 1. */
export const replicaSetSpecSchema = z.strictObject({
  replicas: z.int32().default(1),
  minReadySeconds: z.int32().optional(),
  /** Required: must match the template's labels. */
  selector: labelSelectorSchema.optional(),
  template: podTemplateSpecSchema,
});
/** The desired state of a ReplicaSet. */
export type ReplicaSetSpec = z.infer<typeof replicaSetSpecSchema>;

/** A condition of a ReplicaSet (`apps/v1.ReplicaSetCondition`), e.g. `ReplicaFailure`. */
export const replicaSetConditionSchema = z.strictObject({
  type: z.string(),
  status: conditionStatusSchema,
  lastTransitionTime: timeSchema.optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});
/** A condition of a ReplicaSet. */
export type ReplicaSetCondition = z.infer<typeof replicaSetConditionSchema>;

/** The observed state of a ReplicaSet (`apps/v1.ReplicaSetStatus`); `replicas` defaults to 0. */
export const replicaSetStatusSchema = z.strictObject({
  replicas: z.int32().default(0),
  fullyLabeledReplicas: z.int32().optional(),
  readyReplicas: z.int32().optional(),
  availableReplicas: z.int32().optional(),
  terminatingReplicas: z.int32().optional(),
  observedGeneration: z.int().optional(),
  conditions: z.array(replicaSetConditionSchema).optional(),
});
/** The observed state of a ReplicaSet. */
export type ReplicaSetStatus = z.infer<typeof replicaSetStatusSchema>;

/**
 * apps/v1 ReplicaSet: keeps a number of identical pods running. Defaults: `replicas: 1` and the Pod
 * template's defaults. Serves the `status` and `scale` subresources; `status.replicas` is a field
 * selector.
 */
export const ReplicaSet = defineKind({
  group: 'apps',
  version: 'v1',
  kind: 'ReplicaSet',
  plural: 'replicasets',
  shortNames: ['rs'],
  namespaced: true,
  subresources: {
    status: true,
    scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' },
  },
  schema: z.strictObject({
    apiVersion: z.literal('apps/v1'),
    kind: z.literal('ReplicaSet'),
    metadata: objectMetaSchema,
    spec: replicaSetSpecSchema,
    status: replicaSetStatusSchema.optional(),
  }),
  strategy: {
    applyDefaults(rs) {
      applyPodSpecDefaults(rs.spec.template.spec);
    },
    validate(rs) {
      return validateWorkloadSpec(rs.spec, 'replicaset');
    },
    selectableFields: {
      'status.replicas': (rs) => String(rs.status?.replicas ?? 0),
    },
  },
});
/** apps/v1 ReplicaSet. */
export type ReplicaSet = TypeOf<typeof ReplicaSet>;

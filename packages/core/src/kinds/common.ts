/**
 * Sub-schemas shared by many kinds: label selectors, int-or-string values, resource lists,
 * conditions, object references and timestamps, with Kubernetes' field names
 * (`k8s.io/apimachinery/pkg/apis/meta/v1`, `k8s.io/api/core/v1`).
 *
 * Timestamps (`metav1.Time`, `metav1.MicroTime`) are RFC 3339 strings; `null` is accepted too,
 * because `kubectl get -o yaml` writes unset timestamps such as a condition's `lastProbeTime` as
 * `null`.
 *
 * @module
 */
import { z } from 'zod';
import { quantitySchema } from '../meta/quantity.js';

/** A timestamp (`metav1.Time` or `metav1.MicroTime`): an RFC 3339 string, or `null` when unset. */
export const timeSchema = z.string().nullable();

/** An int or a string (`intstr.IntOrString`), e.g. a port number or name, or `25%`. */
export const intOrStringSchema = z.union([z.int(), z.string()]);
/** An int or a string, e.g. a port number or name, or `25%`. */
export type IntOrString = z.infer<typeof intOrStringSchema>;

/** A map of resource names to quantities (`v1.ResourceList`), e.g. `{ cpu: '250m', memory: '256Mi' }`. */
export const resourceListSchema = z.record(z.string(), quantitySchema);
/** A map of resource names to quantities. */
export type ResourceList = z.infer<typeof resourceListSchema>;

/** A network protocol: `TCP`, `UDP` or `SCTP`. */
export const protocolSchema = z.enum(['TCP', 'UDP', 'SCTP']);
/** A network protocol. */
export type Protocol = z.infer<typeof protocolSchema>;

/** A condition status: `True`, `False` or `Unknown`. */
export const conditionStatusSchema = z.enum(['True', 'False', 'Unknown']);
/** A condition status. */
export type ConditionStatus = z.infer<typeof conditionStatusSchema>;

/** One requirement of a label selector: `key` `operator` `values`. */
export const labelSelectorRequirementSchema = z.strictObject({
  key: z.string(),
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
  /** Non-empty for `In` and `NotIn`, empty for `Exists` and `DoesNotExist`. */
  values: z.array(z.string()).optional(),
});
/** One requirement of a label selector. */
export type LabelSelectorRequirement = z.infer<typeof labelSelectorRequirementSchema>;

/**
 * A label selector (`metav1.LabelSelector`): `matchLabels` and `matchExpressions`, ANDed. An empty
 * selector matches everything; an absent one matches nothing.
 */
export const labelSelectorSchema = z.strictObject({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z.array(labelSelectorRequirementSchema).optional(),
});
/** A label selector. */
export type LabelSelector = z.infer<typeof labelSelectorSchema>;

/** A standard condition (`metav1.Condition`), as in Service status. */
export const conditionSchema = z.strictObject({
  type: z.string(),
  status: conditionStatusSchema,
  observedGeneration: z.int().optional(),
  lastTransitionTime: timeSchema,
  reason: z.string(),
  message: z.string(),
});
/** A standard condition. */
export type Condition = z.infer<typeof conditionSchema>;

/** A reference to an object of any kind (`v1.ObjectReference`), e.g. an Event's `involvedObject`. */
export const objectReferenceSchema = z.strictObject({
  kind: z.string().optional(),
  namespace: z.string().optional(),
  name: z.string().optional(),
  uid: z.string().optional(),
  apiVersion: z.string().optional(),
  resourceVersion: z.string().optional(),
  /** A part of the object, e.g. `spec.containers{web}`. */
  fieldPath: z.string().optional(),
});
/** A reference to an object of any kind. */
export type ObjectReference = z.infer<typeof objectReferenceSchema>;

/** A reference to an object by name in the same namespace (`v1.LocalObjectReference`). */
export const localObjectReferenceSchema = z.strictObject({
  name: z.string().default(''),
});
/** A reference to an object by name in the same namespace. */
export type LocalObjectReference = z.infer<typeof localObjectReferenceSchema>;

/** A reference to a typed object in the same namespace (`v1.TypedLocalObjectReference`). */
export const typedLocalObjectReferenceSchema = z.strictObject({
  apiGroup: z.string().nullable().optional(),
  kind: z.string(),
  name: z.string(),
});
/** A reference to a typed object in the same namespace. */
export type TypedLocalObjectReference = z.infer<typeof typedLocalObjectReferenceSchema>;

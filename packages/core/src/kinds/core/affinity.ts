/**
 * Scheduling constraints of `core/v1`: node selectors, node affinity and inter-pod (anti-)affinity.
 * The scheduler's filter and score plugins read these.
 *
 * @module
 */
import { z } from 'zod';
import { labelSelectorSchema } from '../common.js';

/** A requirement on a node's labels or fields (`v1.NodeSelectorRequirement`). */
export const nodeSelectorRequirementSchema = z.strictObject({
  key: z.string(),
  /** `Gt` and `Lt` compare a single integer value. */
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']),
  values: z.array(z.string()).optional(),
});
/** A requirement on a node's labels or fields. */
export type NodeSelectorRequirement = z.infer<typeof nodeSelectorRequirementSchema>;

/** Requirements on a node, ANDed (`v1.NodeSelectorTerm`). An empty term matches no node. */
export const nodeSelectorTermSchema = z.strictObject({
  matchExpressions: z.array(nodeSelectorRequirementSchema).optional(),
  /** Requirements on node fields; only `metadata.name` is supported. */
  matchFields: z.array(nodeSelectorRequirementSchema).optional(),
});
/** Requirements on a node, ANDed. */
export type NodeSelectorTerm = z.infer<typeof nodeSelectorTermSchema>;

/** Node selector terms, ORed (`v1.NodeSelector`). */
export const nodeSelectorSchema = z.strictObject({
  nodeSelectorTerms: z.array(nodeSelectorTermSchema),
});
/** Node selector terms, ORed. */
export type NodeSelector = z.infer<typeof nodeSelectorSchema>;

/** A weighted node preference (`v1.PreferredSchedulingTerm`); weight 1–100. */
export const preferredSchedulingTermSchema = z.strictObject({
  weight: z.int32(),
  preference: nodeSelectorTermSchema,
});
/** A weighted node preference. */
export type PreferredSchedulingTerm = z.infer<typeof preferredSchedulingTermSchema>;

/** Node affinity (`v1.NodeAffinity`). */
export const nodeAffinitySchema = z.strictObject({
  requiredDuringSchedulingIgnoredDuringExecution: nodeSelectorSchema.optional(),
  preferredDuringSchedulingIgnoredDuringExecution: z.array(preferredSchedulingTermSchema).optional(),
});
/** Node affinity. */
export type NodeAffinity = z.infer<typeof nodeAffinitySchema>;

/** A set of pods, in some namespaces, to be (or not be) co-located with in a topology domain (`v1.PodAffinityTerm`). */
export const podAffinityTermSchema = z.strictObject({
  labelSelector: labelSelectorSchema.optional(),
  namespaces: z.array(z.string()).optional(),
  /** The node label whose values define the topology domains, e.g. `kubernetes.io/hostname`. */
  topologyKey: z.string(),
  namespaceSelector: labelSelectorSchema.optional(),
  matchLabelKeys: z.array(z.string()).optional(),
  mismatchLabelKeys: z.array(z.string()).optional(),
});
/** A set of pods to be (or not be) co-located with. */
export type PodAffinityTerm = z.infer<typeof podAffinityTermSchema>;

/** A weighted pod affinity term (`v1.WeightedPodAffinityTerm`); weight 1–100. */
export const weightedPodAffinityTermSchema = z.strictObject({
  weight: z.int32(),
  podAffinityTerm: podAffinityTermSchema,
});
/** A weighted pod affinity term. */
export type WeightedPodAffinityTerm = z.infer<typeof weightedPodAffinityTermSchema>;

/** Pod affinity (`v1.PodAffinity`). */
export const podAffinitySchema = z.strictObject({
  requiredDuringSchedulingIgnoredDuringExecution: z.array(podAffinityTermSchema).optional(),
  preferredDuringSchedulingIgnoredDuringExecution: z.array(weightedPodAffinityTermSchema).optional(),
});
/** Pod affinity. */
export type PodAffinity = z.infer<typeof podAffinitySchema>;

/** Pod anti-affinity (`v1.PodAntiAffinity`). */
export const podAntiAffinitySchema = z.strictObject({
  requiredDuringSchedulingIgnoredDuringExecution: z.array(podAffinityTermSchema).optional(),
  preferredDuringSchedulingIgnoredDuringExecution: z.array(weightedPodAffinityTermSchema).optional(),
});
/** Pod anti-affinity. */
export type PodAntiAffinity = z.infer<typeof podAntiAffinitySchema>;

/** A Pod's affinity rules (`v1.Affinity`). */
export const affinitySchema = z.strictObject({
  nodeAffinity: nodeAffinitySchema.optional(),
  podAffinity: podAffinitySchema.optional(),
  podAntiAffinity: podAntiAffinitySchema.optional(),
});
/** A Pod's affinity rules. */
export type Affinity = z.infer<typeof affinitySchema>;

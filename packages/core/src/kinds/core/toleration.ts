/**
 * Taints (on Nodes) and tolerations (on Pods): a Pod is kept off a tainted node, or evicted from it
 * for `NoExecute`, unless it tolerates the taint.
 *
 * @module
 */
import { z } from 'zod';
import { timeSchema } from '../common.js';

/** What a taint does to pods that do not tolerate it. */
export const taintEffectSchema = z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);
/** What a taint does to pods that do not tolerate it. */
export type TaintEffect = z.infer<typeof taintEffectSchema>;

/** A taint on a Node (`v1.Taint`). */
export const taintSchema = z.strictObject({
  key: z.string(),
  value: z.string().optional(),
  effect: taintEffectSchema,
  /** When a `NoExecute` taint was added; set by the node lifecycle controller. */
  timeAdded: timeSchema.optional(),
});
/** A taint on a Node. */
export type Taint = z.infer<typeof taintSchema>;

/**
 * A Pod's toleration of taints matching `key`, `operator`, `value` and `effect` (`v1.Toleration`).
 * An empty `key` with operator `Exists` tolerates everything; an empty `effect` matches all effects.
 * The operator is `Equal` when unset.
 */
export const tolerationSchema = z.strictObject({
  key: z.string().optional(),
  operator: z.enum(['Exists', 'Equal', 'Lt', 'Gt']).optional(),
  value: z.string().optional(),
  effect: z.union([taintEffectSchema, z.literal('')]).optional(),
  /** For `NoExecute`: how long the Pod stays bound after the taint appears; forever if unset. */
  tolerationSeconds: z.int().optional(),
});
/** A Pod's toleration of taints. */
export type Toleration = z.infer<typeof tolerationSchema>;

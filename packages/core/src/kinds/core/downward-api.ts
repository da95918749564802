/**
 * The downward API of `core/v1`: selectors that expose a Pod's own fields and its containers'
 * resources to the containers, through environment variables and volumes.
 *
 * Defaults: a field selector's `apiVersion` is `v1`; a downward API volume's `defaultMode` is
 * `0644` (420).
 *
 * @module
 */
import { z } from 'zod';
import { quantitySchema } from '../../meta/quantity.js';

/** Selects a field of the Pod, e.g. `metadata.name` or `status.podIP` (`v1.ObjectFieldSelector`). */
export const objectFieldSelectorSchema = z.strictObject({
  apiVersion: z.string().default('v1'),
  fieldPath: z.string(),
});
/** Selects a field of the Pod. */
export type ObjectFieldSelector = z.infer<typeof objectFieldSelectorSchema>;

/** Selects a container's resource request or limit, e.g. `limits.cpu` (`v1.ResourceFieldSelector`). */
export const resourceFieldSelectorSchema = z.strictObject({
  /** Required for volumes, optional for environment variables. */
  containerName: z.string().optional(),
  resource: z.string(),
  /** The unit the value is written in; `1` if unset. */
  divisor: quantitySchema.optional(),
});
/** Selects a container's resource request or limit. */
export type ResourceFieldSelector = z.infer<typeof resourceFieldSelectorSchema>;

/** A file of a downward API volume. */
export const downwardAPIVolumeFileSchema = z.strictObject({
  path: z.string(),
  fieldRef: objectFieldSelectorSchema.optional(),
  resourceFieldRef: resourceFieldSelectorSchema.optional(),
  /** File mode bits, 0–0777 (0–511 in decimal). */
  mode: z.int32().optional(),
});
/** A file of a downward API volume. */
export type DownwardAPIVolumeFile = z.infer<typeof downwardAPIVolumeFileSchema>;

/** A volume of the Pod's own fields (`v1.DownwardAPIVolumeSource`); `defaultMode` defaults to 0644. */
export const downwardAPIVolumeSourceSchema = z.strictObject({
  items: z.array(downwardAPIVolumeFileSchema).optional(),
  defaultMode: z.int32().default(0o644),
});
/** A volume of the Pod's own fields. */
export type DownwardAPIVolumeSource = z.infer<typeof downwardAPIVolumeSourceSchema>;

/** Downward API files in a projected volume (`v1.DownwardAPIProjection`). */
export const downwardAPIProjectionSchema = z.strictObject({
  items: z.array(downwardAPIVolumeFileSchema).optional(),
});
/** Downward API files in a projected volume. */
export type DownwardAPIProjection = z.infer<typeof downwardAPIProjectionSchema>;

/**
 * TypeMeta and ObjectMeta: the fields every Kubernetes object carries, with Kubernetes' names.
 *
 * The API layer owns the system fields (`uid`, `resourceVersion`, `generation`,
 * `creationTimestamp`, `deletionTimestamp`, `deletionGracePeriodSeconds`): whatever a client sends
 * for them on create is replaced, and on update they keep their stored values.
 *
 * @module
 */
import { z } from 'zod';

/** A reference from a dependent to its owner; drives garbage collection. */
export const ownerReferenceSchema = z.strictObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  name: z.string().min(1),
  uid: z.string().min(1),
  /** The owner that manages this object; at most one reference may set it. */
  controller: z.boolean().optional(),
  /** With foreground deletion, the owner is not deleted until this dependent is. */
  blockOwnerDeletion: z.boolean().optional(),
});
/** A reference from a dependent to its owner, as in Kubernetes' `metav1.OwnerReference`. */
export type OwnerReference = z.infer<typeof ownerReferenceSchema>;

/** A managedFields entry, accepted and kept as given (Harbormaster does not track field managers). */
export const managedFieldsEntrySchema = z.looseObject({
  manager: z.string().optional(),
  operation: z.string().optional(),
  apiVersion: z.string().optional(),
  time: z.string().optional(),
  fieldsType: z.string().optional(),
  fieldsV1: z.unknown().optional(),
  subresource: z.string().optional(),
});

/** ObjectMeta: name, namespace, labels, annotations, owners, finalizers and the system fields. */
export const objectMetaSchema = z.strictObject({
  name: z.string().optional(),
  /** A prefix; the API server appends five random characters to make a unique name. */
  generateName: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  /** Opaque: the store revision of the object's last write. Send it back on update for optimistic concurrency. */
  resourceVersion: z.string().optional(),
  /** Rises on every change to the desired state (everything but metadata and status). */
  generation: z.number().int().optional(),
  creationTimestamp: z.string().nullable().optional(),
  deletionTimestamp: z.string().nullable().optional(),
  deletionGracePeriodSeconds: z.number().int().nullable().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  ownerReferences: z.array(ownerReferenceSchema).optional(),
  finalizers: z.array(z.string()).optional(),
  managedFields: z.array(managedFieldsEntrySchema).optional(),
  selfLink: z.string().optional(),
});
/** The metadata every object has, as in Kubernetes' `metav1.ObjectMeta`. */
export type ObjectMeta = z.infer<typeof objectMetaSchema>;

/** TypeMeta: which kind an object is. */
export interface TypeMeta {
  /** `group/version`, or just `version` for the core group (`v1`). */
  apiVersion: string;
  /** The kind's name in CamelCase, e.g. `Deployment`. */
  kind: string;
}

/** Any Kubernetes object: TypeMeta plus ObjectMeta. Every kind's type is assignable to it. */
export interface KubeObject extends TypeMeta {
  /** The object's name, namespace, labels, owners and system fields. */
  metadata: ObjectMeta;
}

/** The name of one object: `namespace` is absent for cluster-scoped kinds. The shape of a reconcile request. */
export interface ObjectKey {
  /** The object's namespace; absent or empty for a cluster-scoped object. */
  readonly namespace?: string | undefined;
  /** The object's name. */
  readonly name: string;
}

/** `namespace/name`, or `name` for a cluster-scoped object: the key controllers and caches use. */
export function objectKey(obj: { metadata: { namespace?: string | undefined; name?: string | undefined } }): string {
  const { namespace, name } = obj.metadata;
  return namespace ? `${namespace}/${name ?? ''}` : (name ?? '');
}

/** Split `apiVersion` into group and version: `apps/v1` → `['apps', 'v1']`, `v1` → `['', 'v1']`. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

import { z } from 'zod';
import type { FieldCause } from '../../errors.js';
import { objectMetaSchema } from '../../meta/object-meta.js';
import { validateDns1123Label, validateQualifiedName } from '../../meta/validation.js';
import { conditionStatusSchema, timeSchema } from '../common.js';
import { invalid, invalidEach } from '../field-validation.js';
import { defineKind, type TypeOf } from '../kind.js';

/** The desired state of a Namespace (`v1.NamespaceSpec`). */
export const namespaceSpecSchema = z.strictObject({
  /** Must be empty before the Namespace is removed; `kubernetes` is added on create. */
  finalizers: z.array(z.string()).optional(),
});
/** The desired state of a Namespace. */
export type NamespaceSpec = z.infer<typeof namespaceSpecSchema>;

/** A condition of a Namespace (`v1.NamespaceCondition`), e.g. `NamespaceContentRemaining`. */
export const namespaceConditionSchema = z.strictObject({
  type: z.string(),
  status: conditionStatusSchema,
  lastTransitionTime: timeSchema.optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});
/** A condition of a Namespace. */
export type NamespaceCondition = z.infer<typeof namespaceConditionSchema>;

/** The phases of a Namespace. */
export const namespacePhaseSchema = z.enum(['Active', 'Terminating']);

/** The observed state of a Namespace (`v1.NamespaceStatus`); `phase` defaults to `Active`. */
export const namespaceStatusSchema = z.strictObject({
  phase: namespacePhaseSchema.default('Active'),
  conditions: z.array(namespaceConditionSchema).optional(),
});
/** The observed state of a Namespace. */
export type NamespaceStatus = z.infer<typeof namespaceStatusSchema>;

/** The finalizer that the namespace controller removes once the Namespace's contents are gone. */
export const namespaceFinalizer = 'kubernetes';

const standardFinalizers = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

/** The label every Namespace carries with its own name. */
export const namespaceNameLabel = 'kubernetes.io/metadata.name';

/**
 * v1 Namespace: a scope for names. Cluster-scoped; names are DNS-1123 labels. A new Namespace gets
 * `status.phase: Active`, the `kubernetes` finalizer in `spec.finalizers`, and the label
 * `kubernetes.io/metadata.name` with its name. A delete makes it `Terminating`; it goes once its
 * `spec.finalizers` (and `metadata.finalizers`) are empty.
 */
export const Namespace = defineKind({
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  shortNames: ['ns'],
  namespaced: false,
  subresources: { status: true },
  schema: z.strictObject({
    apiVersion: z.literal('v1'),
    kind: z.literal('Namespace'),
    metadata: objectMetaSchema,
    spec: namespaceSpecSchema.prefault({}),
    status: namespaceStatusSchema.prefault({}),
  }),
  strategy: {
    applyDefaults(ns) {
      const name = ns.metadata.name;
      if (name) ns.metadata.labels = { ...ns.metadata.labels, [namespaceNameLabel]: name };
    },
    prepareForCreate(ns) {
      ns.status = { phase: 'Active' };
      const finalizers = ns.spec.finalizers ?? [];
      if (!finalizers.includes(namespaceFinalizer)) ns.spec.finalizers = [...finalizers, namespaceFinalizer];
    },
    validate(ns) {
      const causes: FieldCause[] = [];
      (ns.spec.finalizers ?? []).forEach((f, i) => {
        const field = `spec.finalizers[${i}]`;
        const problems = validateQualifiedName(f);
        if (problems.length > 0) causes.push(...invalidEach(field, f, problems));
        else if (!f.includes('/') && !standardFinalizers.has(f)) {
          causes.push(invalid(field, f, 'name is neither a standard finalizer name nor is it fully qualified'));
        }
      });
      return causes;
    },
    validateName: validateDns1123Label,
    pendingDeletion(ns) {
      // A deleted Namespace stays until the namespace controller has emptied spec.finalizers.
      return (ns.spec.finalizers ?? []).length > 0;
    },
    prepareForDeletion(ns) {
      ns.status.phase = 'Terminating';
    },
    selectableFields: {
      'status.phase': (ns) => ns.status.phase,
    },
  },
});
/** v1 Namespace. */
export type Namespace = TypeOf<typeof Namespace>;

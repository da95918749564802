import { z } from 'zod';
import type { FieldCause } from '../../errors.js';
import { objectMetaSchema } from '../../meta/object-meta.js';
import { validatePathSegmentName } from '../../meta/validation.js';
import { timeSchema } from '../common.js';
import { invalid } from '../field-validation.js';
import { defineKind, type TypeOf } from '../kind.js';

/** The state of a Lease (`coordination/v1.LeaseSpec`). */
export const leaseSpecSchema = z.strictObject({
  /** Who holds the lease now. */
  holderIdentity: z.string().optional(),
  /** How long candidates wait after the last `renewTime` before taking the lease. */
  leaseDurationSeconds: z.int32().optional(),
  acquireTime: timeSchema.optional(),
  renewTime: timeSchema.optional(),
  /** How many times the lease changed holder. */
  leaseTransitions: z.int32().optional(),
  /** The coordinated leader election strategy, e.g. `OldestEmulationVersion`. */
  strategy: z.string().optional(),
  preferredHolder: z.string().optional(),
});
/** The state of a Lease. */
export type LeaseSpec = z.infer<typeof leaseSpecSchema>;

/**
 * coordination.k8s.io/v1 Lease: a lightweight lock for leader election and node heartbeats. No
 * defaults; durations and transitions may not be negative.
 */
export const Lease = defineKind({
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  plural: 'leases',
  namespaced: true,
  schema: z.strictObject({
    apiVersion: z.literal('coordination.k8s.io/v1'),
    kind: z.literal('Lease'),
    metadata: objectMetaSchema,
    spec: leaseSpecSchema.prefault({}),
  }),
  strategy: {
    validate(lease) {
      const causes: FieldCause[] = [];
      const { leaseDurationSeconds, leaseTransitions, preferredHolder, strategy } = lease.spec;
      if (leaseDurationSeconds !== undefined && leaseDurationSeconds <= 0) {
        causes.push(invalid('spec.leaseDurationSeconds', leaseDurationSeconds, 'must be greater than 0'));
      }
      if (leaseTransitions !== undefined && leaseTransitions < 0) {
        causes.push(invalid('spec.leaseTransitions', leaseTransitions, 'must be greater than or equal to 0'));
      }
      if (preferredHolder && !strategy) causes.push(invalid('spec.preferredHolder', preferredHolder, 'may only be specified if `strategy` is defined'));
      return causes;
    },
    validateName: validatePathSegmentName,
  },
});
/** coordination.k8s.io/v1 Lease. */
export type Lease = TypeOf<typeof Lease>;

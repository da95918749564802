import { z } from 'zod';
import type { FieldCause } from '../../errors.js';
import { objectMetaSchema } from '../../meta/object-meta.js';
import { objectReferenceSchema, protocolSchema } from '../common.js';
import { required, validateDnsLabel, validatePortNumber } from '../field-validation.js';
import { defineKind, type TypeOf } from '../kind.js';

/** One address of a Service endpoint (`v1.EndpointAddress`). */
export const endpointAddressSchema = z.strictObject({
  ip: z.string(),
  hostname: z.string().optional(),
  nodeName: z.string().optional(),
  /** The object providing the endpoint, usually a Pod. */
  targetRef: objectReferenceSchema.optional(),
});
/** One address of a Service endpoint. */
export type EndpointAddress = z.infer<typeof endpointAddressSchema>;

/** A port of a set of endpoints (`v1.EndpointPort`); `protocol` defaults to `TCP`. */
export const endpointPortSchema = z.strictObject({
  /** The name of the matching Service port; optional if there is only one. */
  name: z.string().optional(),
  port: z.int32(),
  protocol: protocolSchema.default('TCP'),
  appProtocol: z.string().optional(),
});
/** A port of a set of endpoints. */
export type EndpointPort = z.infer<typeof endpointPortSchema>;

/** Addresses sharing a set of ports (`v1.EndpointSubset`): every address serves every port. */
export const endpointSubsetSchema = z.strictObject({
  addresses: z.array(endpointAddressSchema).optional(),
  /** Addresses not ready (yet), e.g. pods failing their readiness probe. */
  notReadyAddresses: z.array(endpointAddressSchema).optional(),
  ports: z.array(endpointPortSchema).optional(),
});
/** Addresses sharing a set of ports. */
export type EndpointSubset = z.infer<typeof endpointSubsetSchema>;

/**
 * v1 Endpoints: the addresses behind a Service, kept by the endpoints controller for Services
 * with a selector (deprecated in Kubernetes 1.33 in favour of EndpointSlice, still served).
 * Ports default to `protocol: TCP`.
 */
export const Endpoints = defineKind({
  group: '',
  version: 'v1',
  kind: 'Endpoints',
  plural: 'endpoints',
  singular: 'endpoints',
  shortNames: ['ep'],
  namespaced: true,
  schema: z.strictObject({
    apiVersion: z.literal('v1'),
    kind: z.literal('Endpoints'),
    metadata: objectMetaSchema,
    subsets: z.array(endpointSubsetSchema).optional(),
  }),
  strategy: {
    validate(ep) {
      const causes: FieldCause[] = [];
      (ep.subsets ?? []).forEach((subset, i) => {
        const sf = `subsets[${i}]`;
        for (const list of ['addresses', 'notReadyAddresses'] as const) {
          (subset[list] ?? []).forEach((a, j) => {
            if (a.ip === '') causes.push(required(`${sf}.${list}[${j}].ip`));
          });
        }
        const ports = subset.ports ?? [];
        ports.forEach((p, j) => {
          const pf = `${sf}.ports[${j}]`;
          if (ports.length > 1 && !p.name) causes.push(required(`${pf}.name`));
          if (p.name) causes.push(...validateDnsLabel(p.name, `${pf}.name`));
          causes.push(...validatePortNumber(p.port, `${pf}.port`));
        });
      });
      return causes;
    },
  },
});
/** v1 Endpoints. */
export type Endpoints = TypeOf<typeof Endpoints>;

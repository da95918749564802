import { z } from 'zod';
import type { FieldCause } from '../../errors.js';
import { objectMetaSchema } from '../../meta/object-meta.js';
import { objectReferenceSchema, protocolSchema } from '../common.js';
import { invalid, required, validateDnsLabel, validatePortNumber, validateUnique } from '../field-validation.js';
import { defineKind, type TypeOf } from '../kind.js';

/** The state of an endpoint (`discovery/v1.EndpointConditions`); unset `ready` and `serving` mean true. */
export const endpointConditionsSchema = z.strictObject({
  ready: z.boolean().optional(),
  serving: z.boolean().optional(),
  terminating: z.boolean().optional(),
});

/** Topology hints of an endpoint (`discovery/v1.EndpointHints`). */
export const endpointHintsSchema = z.strictObject({
  forZones: z.array(z.strictObject({ name: z.string() })).optional(),
  forNodes: z.array(z.strictObject({ name: z.string() })).optional(),
});

/** One backend of a Service (`discovery/v1.Endpoint`). */
export const endpointSchema = z.strictObject({
  /** 1–100 addresses of the slice's address type. */
  addresses: z.array(z.string()),
  conditions: endpointConditionsSchema.optional(),
  hostname: z.string().optional(),
  targetRef: objectReferenceSchema.optional(),
  /** Deprecated; ignored on write. */
  deprecatedTopology: z.record(z.string(), z.string()).optional(),
  nodeName: z.string().optional(),
  zone: z.string().optional(),
  hints: endpointHintsSchema.optional(),
});
/** One backend of a Service. */
export type Endpoint = z.infer<typeof endpointSchema>;

/** A port of an EndpointSlice (`discovery/v1.EndpointPort`); `name` defaults to `""`, `protocol` to `TCP`. */
export const endpointSlicePortSchema = z.strictObject({
  name: z.string().default(''),
  protocol: protocolSchema.default('TCP'),
  port: z.int32().optional(),
  appProtocol: z.string().optional(),
});
/** A port of an EndpointSlice. */
export type EndpointSlicePort = z.infer<typeof endpointSlicePortSchema>;

function validateEndpointSlice(slice: {
  addressType: string;
  endpoints?: Endpoint[] | null | undefined;
  ports?: EndpointSlicePort[] | null | undefined;
}): FieldCause[] {
  const causes: FieldCause[] = [];
  const endpoints = slice.endpoints ?? [];
  if (endpoints.length > 1000) causes.push(invalid('endpoints', endpoints.length, 'must have at most 1000 items'));
  endpoints.forEach((e, i) => {
    const ef = `endpoints[${i}]`;
    if (e.addresses.length === 0) causes.push(required(`${ef}.addresses`, 'must contain at least 1 address'));
    if (e.addresses.length > 100) causes.push(invalid(`${ef}.addresses`, e.addresses.length, 'must have at most 100 items'));
    if (e.hostname) causes.push(...validateDnsLabel(e.hostname, `${ef}.hostname`));
  });
  const ports = slice.ports ?? [];
  if (ports.length > 100) causes.push(invalid('ports', ports.length, 'must have at most 100 items'));
  ports.forEach((p, i) => {
    if (p.name !== '') causes.push(...validateDnsLabel(p.name, `ports[${i}].name`));
    if (p.port !== undefined) causes.push(...validatePortNumber(p.port, `ports[${i}].port`));
  });
  causes.push(...validateUnique(ports, (p) => p.name, (i) => `ports[${i}].name`));
  return causes;
}

/**
 * discovery.k8s.io/v1 EndpointSlice: a subset of the endpoints of a Service, of one address type.
 * Ports default to `name: ""` and `protocol: TCP`. `endpoints` and `ports` may be `null`, as
 * Kubernetes serializes empty lists.
 */
export const EndpointSlice = defineKind({
  group: 'discovery.k8s.io',
  version: 'v1',
  kind: 'EndpointSlice',
  plural: 'endpointslices',
  namespaced: true,
  schema: z.strictObject({
    apiVersion: z.literal('discovery.k8s.io/v1'),
    kind: z.literal('EndpointSlice'),
    metadata: objectMetaSchema,
    addressType: z.enum(['IPv4', 'IPv6', 'FQDN']),
    endpoints: z.array(endpointSchema).nullable().optional(),
    ports: z.array(endpointSlicePortSchema).nullable().optional(),
  }),
  strategy: {
    validate(slice) {
      return validateEndpointSlice(slice);
    },
  },
});
/** discovery.k8s.io/v1 EndpointSlice. */
export type EndpointSlice = TypeOf<typeof EndpointSlice>;

import { z } from 'zod';
import type { FieldCause } from '../../errors.js';
import { objectMetaSchema } from '../../meta/object-meta.js';
import { validateDns1035Label, validateDns1123Subdomain } from '../../meta/validation.js';
import { conditionSchema, intOrStringSchema, protocolSchema } from '../common.js';
import {
  duplicate,
  forbidden,
  invalid,
  invalidEach,
  required,
  validateDnsLabel,
  validateLabels,
  validatePortName,
  validatePortNumber,
  validateUnique,
} from '../field-validation.js';
import { defineKind, type TypeOf } from '../kind.js';

/** A port a Service exposes (`v1.ServicePort`); `protocol` defaults to `TCP`, `targetPort` to `port`. */
export const servicePortSchema = z.strictObject({
  /** A DNS label; required when the Service has more than one port. */
  name: z.string().optional(),
  protocol: protocolSchema.default('TCP'),
  appProtocol: z.string().optional(),
  port: z.int32(),
  /** A number or the name of a container port; defaults to `port`. */
  targetPort: intOrStringSchema.optional(),
  nodePort: z.int32().optional(),
});
/** A port a Service exposes. */
export type ServicePort = z.infer<typeof servicePortSchema>;

/** The types of a Service. */
export const serviceTypeSchema = z.enum(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']);
/** The type of a Service. */
export type ServiceType = z.infer<typeof serviceTypeSchema>;

/** Session affinity settings (`v1.SessionAffinityConfig`). */
export const sessionAffinityConfigSchema = z.strictObject({
  clientIP: z.strictObject({ timeoutSeconds: z.int32().optional() }).optional(),
});

/** The desired state of a Service (`v1.ServiceSpec`). */
export const serviceSpecSchema = z.strictObject({
  ports: z.array(servicePortSchema).optional(),
  /** Pods with these labels back the Service; without a selector, endpoints are managed by hand. */
  selector: z.record(z.string(), z.string()).optional(),
  /** `None` for a headless Service. */
  clusterIP: z.string().optional(),
  clusterIPs: z.array(z.string()).optional(),
  type: serviceTypeSchema.default('ClusterIP'),
  externalIPs: z.array(z.string()).optional(),
  sessionAffinity: z.enum(['ClientIP', 'None']).default('None'),
  /** Deprecated. */
  loadBalancerIP: z.string().optional(),
  loadBalancerSourceRanges: z.array(z.string()).optional(),
  externalName: z.string().optional(),
  externalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
  healthCheckNodePort: z.int32().optional(),
  publishNotReadyAddresses: z.boolean().optional(),
  sessionAffinityConfig: sessionAffinityConfigSchema.optional(),
  ipFamilies: z.array(z.enum(['IPv4', 'IPv6'])).optional(),
  ipFamilyPolicy: z.enum(['SingleStack', 'PreferDualStack', 'RequireDualStack']).optional(),
  allocateLoadBalancerNodePorts: z.boolean().optional(),
  loadBalancerClass: z.string().optional(),
  internalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
  /** E.g. `PreferSameZone`, `PreferSameNode`, `PreferClose`. */
  trafficDistribution: z.string().optional(),
});
/** The desired state of a Service. */
export type ServiceSpec = z.infer<typeof serviceSpecSchema>;

/** An ingress point of a load balancer (`v1.LoadBalancerIngress`). */
export const loadBalancerIngressSchema = z.strictObject({
  ip: z.string().optional(),
  hostname: z.string().optional(),
  ipMode: z.enum(['VIP', 'Proxy']).optional(),
  ports: z
    .array(
      z.strictObject({
        port: z.int32(),
        protocol: protocolSchema,
        error: z.string().optional(),
      }),
    )
    .optional(),
});

/** The observed state of a Service (`v1.ServiceStatus`). */
export const serviceStatusSchema = z.strictObject({
  loadBalancer: z.strictObject({ ingress: z.array(loadBalancerIngressSchema).optional() }).optional(),
  conditions: z.array(conditionSchema).optional(),
});
/** The observed state of a Service. */
export type ServiceStatus = z.infer<typeof serviceStatusSchema>;

type ServiceObject = { spec: ServiceSpec; status?: ServiceStatus | undefined };

/** Whether the Service is reachable from outside the cluster (NodePort, LoadBalancer, or external IPs). */
function externallyAccessible(spec: ServiceSpec): boolean {
  return (
    spec.type === 'LoadBalancer' ||
    spec.type === 'NodePort' ||
    (spec.type === 'ClusterIP' && (spec.externalIPs ?? []).length > 0)
  );
}

function applyServiceDefaults(svc: ServiceObject): void {
  const spec = svc.spec;
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP' && spec.sessionAffinityConfig?.clientIP?.timeoutSeconds === undefined) {
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  }
  for (const p of spec.ports ?? []) {
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  if (externallyAccessible(spec) && spec.externalTrafficPolicy === undefined) spec.externalTrafficPolicy = 'Cluster';
  if (spec.internalTrafficPolicy === undefined && spec.type !== 'ExternalName') spec.internalTrafficPolicy = 'Cluster';
  if (spec.type === 'LoadBalancer') {
    spec.allocateLoadBalancerNodePorts ??= true;
    for (const ing of svc.status?.loadBalancer?.ingress ?? []) if (ing.ip && ing.ipMode === undefined) ing.ipMode = 'VIP';
  }
  // Set by the API server's service registry in Kubernetes; this control plane is single-stack IPv4.
  if (spec.type !== 'ExternalName') {
    spec.ipFamilyPolicy ??= 'SingleStack';
    if (spec.ipFamilyPolicy === 'SingleStack') spec.ipFamilies ??= ['IPv4'];
  }
}

function validateServiceSpec(spec: ServiceSpec): FieldCause[] {
  const causes: FieldCause[] = [];
  const ports = spec.ports ?? [];
  const headless = spec.clusterIP === 'None';
  if (spec.type === 'ExternalName') {
    if (!spec.externalName) causes.push(required('spec.externalName'));
    else causes.push(...invalidEach('spec.externalName', spec.externalName, validateDns1123Subdomain(spec.externalName)));
    if (spec.clusterIP) causes.push(forbidden('spec.clusterIP', 'may not be set for ExternalName services'));
  } else if (ports.length === 0 && !headless) {
    causes.push(required('spec.ports'));
  }
  ports.forEach((p, i) => {
    const pf = `spec.ports[${i}]`;
    if (ports.length > 1 && !p.name) causes.push(required(`${pf}.name`));
    if (p.name) causes.push(...validateDnsLabel(p.name, `${pf}.name`));
    causes.push(...validatePortNumber(p.port, `${pf}.port`));
    if (typeof p.targetPort === 'number') causes.push(...validatePortNumber(p.targetPort, `${pf}.targetPort`));
    else if (p.targetPort !== undefined) causes.push(...validatePortName(p.targetPort, `${pf}.targetPort`));
    if (p.nodePort !== undefined && p.nodePort !== 0) {
      if (spec.type === 'ClusterIP' || spec.type === 'ExternalName') {
        causes.push(forbidden(`${pf}.nodePort`, `may not be used when \`type\` is '${spec.type}'`));
      } else causes.push(...validatePortNumber(p.nodePort, `${pf}.nodePort`));
    }
  });
  causes.push(...validateUnique(ports, (p) => p.name || undefined, (i) => `spec.ports[${i}].name`));
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    const key = `${p.port}/${p.protocol}`;
    if (seen.has(key)) causes.push(duplicate(`spec.ports[${i}]`, key));
    seen.add(key);
  });
  causes.push(...validateLabels(spec.selector, 'spec.selector'));
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (spec.sessionAffinity === 'ClientIP' && timeout !== undefined && (timeout <= 0 || timeout > 86400)) {
    causes.push(invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', timeout, 'must be greater than 0 and less than 86400'));
  }
  if (spec.externalTrafficPolicy !== undefined && !externallyAccessible(spec)) {
    causes.push(invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, 'may only be set for externally-accessible services'));
  }
  causes.push(...validateUnique(spec.ipFamilies ?? [], (f) => f, (i) => `spec.ipFamilies[${i}]`));
  if ((spec.ipFamilies ?? []).length > 2) causes.push(invalid('spec.ipFamilies', spec.ipFamilies, 'may specify no more than one IP for each IP family'));
  return causes;
}

/**
 * v1 Service: a stable name and virtual IP in front of a set of pods. Defaults as Kubernetes: `type:
 * ClusterIP`, `sessionAffinity: None`, ports `protocol: TCP` and `targetPort` = `port`,
 * `internalTrafficPolicy: Cluster`, `ipFamilyPolicy: SingleStack`, `externalTrafficPolicy: Cluster`
 * for NodePort and LoadBalancer services. Names are DNS-1035 labels.
 */
export const Service = defineKind({
  group: '',
  version: 'v1',
  kind: 'Service',
  plural: 'services',
  shortNames: ['svc'],
  namespaced: true,
  subresources: { status: true },
  schema: z.strictObject({
    apiVersion: z.literal('v1'),
    kind: z.literal('Service'),
    metadata: objectMetaSchema,
    spec: serviceSpecSchema.prefault({}),
    status: serviceStatusSchema.optional(),
  }),
  strategy: {
    applyDefaults: applyServiceDefaults,
    validate(svc) {
      return validateServiceSpec(svc.spec);
    },
    validateName: validateDns1035Label,
  },
});
/** v1 Service. */
export type Service = TypeOf<typeof Service>;

/**
 * Semantic validation of a PodSpec and a Pod template, following Kubernetes' `ValidatePodSpec`
 * for the rules that matter to a control plane: at least one container; container, volume and
 * port names well-formed and unique; ports in range; volume mounts that name a volume; requests
 * not above limits; probes with one handler; tolerations and DNS settings consistent.
 *
 * @module
 */
import type { FieldCause } from '../../errors.js';
import { parseQuantity } from '../../meta/quantity.js';
import {
  forbidden,
  invalid,
  invalidEach,
  notFound,
  notSupported,
  required,
  validateDnsLabel,
  validateLabels,
  validateLabelSelector,
  validateNonnegative,
  validateObjectMeta,
  validatePortName,
  validatePortNumber,
  validateUnique,
} from '../field-validation.js';
import { validateQualifiedName } from '../../meta/validation.js';
import type { Container, EphemeralContainer, PodSpec, PodTemplateSpec, Probe, ResourceRequirements } from './pod-spec.js';
import { volumeSourceNames } from './volume.js';
import type { IntOrString } from '../common.js';

/** A container with the path of its list and its kind. */
interface ContainerAt {
  readonly container: Container | EphemeralContainer;
  readonly field: string;
  readonly kind: 'init' | 'regular' | 'ephemeral';
}

function containersAt(spec: PodSpec, field: string): ContainerAt[] {
  return [
    ...(spec.initContainers ?? []).map((c, i) => ({ container: c, field: `${field}.initContainers[${i}]`, kind: 'init' as const })),
    ...spec.containers.map((c, i) => ({ container: c, field: `${field}.containers[${i}]`, kind: 'regular' as const })),
    ...(spec.ephemeralContainers ?? []).map((c, i) => ({
      container: c,
      field: `${field}.ephemeralContainers[${i}]`,
      kind: 'ephemeral' as const,
    })),
  ];
}

/** A probe port or HTTP port: a number 1–65535 or an IANA service name. */
function validateIntOrStringPort(port: IntOrString, field: string): FieldCause[] {
  return typeof port === 'number' ? validatePortNumber(port, field) : validatePortName(port, field);
}

function validateResources(resources: ResourceRequirements, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const value = (q: string | number): number | undefined => {
    try {
      return parseQuantity(q);
    } catch {
      return undefined;
    }
  };
  for (const [kind, list] of [
    ['limits', resources.limits],
    ['requests', resources.requests],
  ] as const) {
    for (const [name, q] of Object.entries(list ?? {})) {
      const v = value(q);
      if (v !== undefined && v < 0) causes.push(invalid(`${field}.${kind}[${name}]`, q, 'must be greater than or equal to 0'));
    }
  }
  for (const [name, request] of Object.entries(resources.requests ?? {})) {
    const limit = resources.limits?.[name];
    if (limit === undefined) continue;
    const r = value(request);
    const l = value(limit);
    if (r !== undefined && l !== undefined && r > l) {
      causes.push(invalid(`${field}.requests`, String(request), `must be less than or equal to ${name} limit of ${String(limit)}`));
    }
  }
  return causes;
}

function validateProbe(probe: Probe | undefined, field: string, mustSucceedOnce: boolean): FieldCause[] {
  if (!probe) return [];
  const causes: FieldCause[] = [];
  const handlers = (['exec', 'httpGet', 'tcpSocket', 'grpc'] as const).filter((h) => probe[h] !== undefined);
  if (handlers.length === 0) causes.push(required(field, 'must specify a handler type'));
  for (const h of handlers.slice(1)) causes.push(forbidden(`${field}.${h}`, 'may not specify more than 1 handler type'));
  if (probe.httpGet) causes.push(...validateIntOrStringPort(probe.httpGet.port, `${field}.httpGet.port`));
  if (probe.tcpSocket) causes.push(...validateIntOrStringPort(probe.tcpSocket.port, `${field}.tcpSocket.port`));
  if (probe.grpc) causes.push(...validatePortNumber(probe.grpc.port, `${field}.grpc.port`));
  for (const k of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const) {
    causes.push(...validateNonnegative(probe[k], `${field}.${k}`));
  }
  if (mustSucceedOnce && probe.successThreshold !== 1) {
    causes.push(invalid(`${field}.successThreshold`, probe.successThreshold, 'must be 1'));
  }
  return causes;
}

function validateContainer(at: ContainerAt, volumeNames: ReadonlySet<string>): FieldCause[] {
  const { container: c, field, kind } = at;
  const causes: FieldCause[] = [];
  if (c.name === '') causes.push(required(`${field}.name`));
  else causes.push(...validateDnsLabel(c.name, `${field}.name`));
  if (!c.image || c.image.trim() === '') causes.push(required(`${field}.image`));

  (c.ports ?? []).forEach((p, i) => {
    const pf = `${field}.ports[${i}]`;
    causes.push(...validatePortNumber(p.containerPort, `${pf}.containerPort`));
    if (p.hostPort !== undefined && p.hostPort !== 0) causes.push(...validatePortNumber(p.hostPort, `${pf}.hostPort`));
    if (p.name !== undefined && p.name !== '') causes.push(...validatePortName(p.name, `${pf}.name`));
  });

  (c.env ?? []).forEach((e, i) => {
    const ef = `${field}.env[${i}]`;
    if (e.name === '') causes.push(required(`${ef}.name`));
    else if (e.name.includes('=')) causes.push(invalid(`${ef}.name`, e.name, "may not contain '='"));
    if (e.valueFrom) {
      const sources = (['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef', 'fileKeyRef'] as const).filter(
        (s) => e.valueFrom?.[s] !== undefined,
      );
      if (sources.length === 0) causes.push(invalid(`${ef}.valueFrom`, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
      if (sources.length > 1) causes.push(invalid(`${ef}.valueFrom`, '', 'may not have more than one field specified at a time'));
      if (e.value !== undefined && e.value !== '') causes.push(invalid(`${ef}.valueFrom`, '', 'may not be specified when `value` is not empty'));
    }
  });

  const mountPaths = new Set<string>();
  (c.volumeMounts ?? []).forEach((m, i) => {
    const mf = `${field}.volumeMounts[${i}]`;
    if (m.name === '') causes.push(required(`${mf}.name`));
    else if (!volumeNames.has(m.name)) causes.push(notFound(`${mf}.name`, m.name));
    if (m.mountPath === '') causes.push(required(`${mf}.mountPath`));
    else if (mountPaths.has(m.mountPath)) causes.push(invalid(`${mf}.mountPath`, m.mountPath, 'must be unique'));
    mountPaths.add(m.mountPath);
    if (m.subPath && m.subPathExpr) causes.push(invalid(`${mf}.subPathExpr`, m.subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
  });

  causes.push(...validateResources(c.resources, `${field}.resources`));

  const sidecar = kind === 'init' && c.restartPolicy === 'Always';
  if (kind === 'init' && !sidecar) {
    for (const k of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
      if (c[k] !== undefined) causes.push(forbidden(`${field}.${k}`, 'may not be set for init containers without restartPolicy=Always'));
    }
  } else if (kind === 'ephemeral') {
    for (const k of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe', 'ports', 'resizePolicy', 'restartPolicy'] as const) {
      if (c[k] !== undefined) causes.push(forbidden(`${field}.${k}`, 'cannot be set for an Ephemeral Container'));
    }
  } else {
    causes.push(...validateProbe(c.livenessProbe, `${field}.livenessProbe`, true));
    causes.push(...validateProbe(c.readinessProbe, `${field}.readinessProbe`, false));
    causes.push(...validateProbe(c.startupProbe, `${field}.startupProbe`, true));
  }
  if (kind === 'regular' && c.restartPolicy !== undefined && !c.restartPolicyRules) {
    causes.push(forbidden(`${field}.restartPolicy`, 'may not be set for non-init containers'));
  }
  if (kind === 'init' && c.restartPolicy !== undefined && c.restartPolicy !== 'Always' && !c.restartPolicyRules) {
    causes.push(notSupported(`${field}.restartPolicy`, c.restartPolicy, ['Always']));
  }
  return causes;
}

/** Options of {@link validatePodSpec}. */
export interface ValidatePodSpecOptions {
  /** The restart policies allowed, e.g. only `Always` in a Deployment's template. */
  readonly allowedRestartPolicies?: readonly string[];
}

/** Validate a PodSpec at `field` (e.g. `spec`, `spec.template.spec`). */
export function validatePodSpec(spec: PodSpec, field: string, options: ValidatePodSpecOptions = {}): FieldCause[] {
  const causes: FieldCause[] = [];
  const volumes = spec.volumes ?? [];
  volumes.forEach((v, i) => {
    const vf = `${field}.volumes[${i}]`;
    if (v.name === '') causes.push(required(`${vf}.name`));
    else causes.push(...validateDnsLabel(v.name, `${vf}.name`));
    const sources = volumeSourceNames.filter((n) => v[n] !== undefined);
    for (const s of sources.slice(1)) causes.push(forbidden(`${vf}.${s}`, 'may not specify more than 1 volume type'));
  });
  causes.push(...validateUnique(volumes, (v) => v.name || undefined, (i) => `${field}.volumes[${i}].name`));
  const volumeNames = new Set(volumes.map((v) => v.name));

  if (spec.containers.length === 0) causes.push(required(`${field}.containers`));
  const all = containersAt(spec, field);
  for (const at of all) causes.push(...validateContainer(at, volumeNames));
  causes.push(...validateUnique(all, (at) => at.container.name || undefined, (i) => `${all[i]?.field ?? field}.name`));
  const ports = all.flatMap((at) => (at.container.ports ?? []).map((p, j) => ({ p, field: `${at.field}.ports[${j}]` })));
  causes.push(...validateUnique(ports, (x) => x.p.name || undefined, (i) => `${ports[i]?.field ?? field}.name`));
  const hostPorts = ports.filter((x) => x.p.hostPort !== undefined && x.p.hostPort !== 0);
  causes.push(
    ...validateUnique(
      hostPorts,
      (x) => `${x.p.hostPort ?? 0}/${x.p.protocol}${x.p.hostIP ? `@${x.p.hostIP}` : ''}`,
      (i) => `${hostPorts[i]?.field ?? field}.hostPort`,
    ),
  );

  const policies = options.allowedRestartPolicies;
  if (policies && !policies.includes(spec.restartPolicy)) {
    causes.push(notSupported(`${field}.restartPolicy`, spec.restartPolicy, policies));
  }
  causes.push(...validateNonnegative(spec.terminationGracePeriodSeconds, `${field}.terminationGracePeriodSeconds`));
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds < 1) {
    causes.push(invalid(`${field}.activeDeadlineSeconds`, spec.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive'));
  }
  if (spec.dnsPolicy === 'None' && !spec.dnsConfig) {
    causes.push(required(`${field}.dnsConfig`, 'must provide `dnsConfig` when `dnsPolicy` is None'));
  }
  causes.push(...validateLabels(spec.nodeSelector, `${field}.nodeSelector`));

  (spec.tolerations ?? []).forEach((t, i) => {
    const tf = `${field}.tolerations[${i}]`;
    if (t.key) causes.push(...invalidEach(`${tf}.key`, t.key, validateQualifiedName(t.key)));
    if (!t.key && t.operator !== 'Exists') {
      causes.push(invalid(`${tf}.operator`, t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.operator === 'Exists' && t.value) causes.push(invalid(`${tf}.operator`, t.operator, "value must be empty when `operator` is 'Exists'"));
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      causes.push(invalid(`${tf}.effect`, t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
  });

  const affinity = spec.affinity;
  const node = affinity?.nodeAffinity;
  if (node?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms.length === 0) {
    causes.push(required(`${field}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`, 'must have at least one node selector term'));
  }
  (node?.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => {
    if (t.weight < 1 || t.weight > 100) {
      causes.push(invalid(`${field}.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[${i}].weight`, t.weight, 'must be in the range 1-100'));
    }
  });
  for (const kind of ['podAffinity', 'podAntiAffinity'] as const) {
    const a = affinity?.[kind];
    const af = `${field}.affinity.${kind}`;
    (a?.requiredDuringSchedulingIgnoredDuringExecution ?? []).forEach((term, i) => {
      const f = `${af}.requiredDuringSchedulingIgnoredDuringExecution[${i}]`;
      if (term.topologyKey === '') causes.push(required(`${f}.topologyKey`, 'can not be empty'));
      causes.push(...validateLabelSelector(term.labelSelector, `${f}.labelSelector`));
    });
    (a?.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((w, i) => {
      const f = `${af}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
      if (w.weight < 1 || w.weight > 100) causes.push(invalid(`${f}.weight`, w.weight, 'must be in the range 1-100'));
      if (w.podAffinityTerm.topologyKey === '') causes.push(required(`${f}.podAffinityTerm.topologyKey`, 'can not be empty'));
    });
  }

  (spec.topologySpreadConstraints ?? []).forEach((c, i) => {
    const cf = `${field}.topologySpreadConstraints[${i}]`;
    if (c.maxSkew <= 0) causes.push(invalid(`${cf}.maxSkew`, c.maxSkew, 'must be greater than zero'));
    if (c.topologyKey === '') causes.push(required(`${cf}.topologyKey`, 'can not be empty'));
    if (c.minDomains !== undefined && c.minDomains <= 0) causes.push(invalid(`${cf}.minDomains`, c.minDomains, 'must be greater than 0'));
    causes.push(...validateLabelSelector(c.labelSelector, `${cf}.labelSelector`));
  });
  causes.push(...validateUnique(spec.schedulingGates ?? [], (g) => g.name, (i) => `${field}.schedulingGates[${i}].name`));
  if (spec.resources) causes.push(...validateResources(spec.resources, `${field}.resources`));
  return causes;
}

/** Validate a Pod template at `field` (e.g. `spec.template`): its labels and its spec. */
export function validatePodTemplateSpec(
  template: PodTemplateSpec,
  field: string,
  options: ValidatePodSpecOptions = {},
): FieldCause[] {
  return [...validateObjectMeta(template.metadata, `${field}.metadata`), ...validatePodSpec(template.spec, `${field}.spec`, options)];
}

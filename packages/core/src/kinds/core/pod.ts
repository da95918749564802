import { z } from 'zod';
import type { FieldCause } from '../../errors.js';
import { objectMetaSchema } from '../../meta/object-meta.js';
import { parseQuantity } from '../../meta/quantity.js';
import { defineKind, type TypeOf } from '../kind.js';
import { forbidden } from '../field-validation.js';
import { applyPodSpecDefaults, podSpecSchema, type Container, type PodSpec } from './pod-spec.js';
import { podStatusSchema, type PodQOSClass } from './pod-status.js';
import { validatePodSpec } from './pod-spec-validation.js';
import type { Toleration } from './toleration.js';
import { jsonEqual } from '../../util/json.js';

/** The spec of a Pod object: a PodSpec where `enableServiceLinks` defaults to true. */
const podObjectSpecSchema = podSpecSchema.extend({
  enableServiceLinks: z.boolean().default(true),
});

const qosResources = ['cpu', 'memory'] as const;

function sameQuantity(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

function positive(list: Readonly<Record<string, string | number>> | undefined, name: string): number | undefined {
  const q = list?.[name];
  if (q === undefined) return undefined;
  try {
    const v = parseQuantity(q);
    return v > 0 ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The quality-of-service class Kubernetes assigns a Pod (`qos.ComputePodQOS`), from the CPU and
 * memory requests and limits of its containers and init containers, or of the Pod itself when
 * pod-level resources are set: `Guaranteed` when every container limits both CPU and memory and
 * requests equal limits, `BestEffort` when nothing is requested or limited, else `Burstable`. A
 * request that is not set counts as equal to its limit, as Pod defaulting makes it.
 */
export function podQOSClass(spec: Pick<PodSpec, 'containers' | 'initContainers' | 'resources'>): PodQOSClass {
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let guaranteed = true;
  const add = (m: Map<string, number>, name: string, v: number | undefined): void => {
    if (v !== undefined) m.set(name, (m.get(name) ?? 0) + v);
  };
  const podLevel = spec.resources;
  if (podLevel && (Object.keys(podLevel.requests ?? {}).length > 0 || Object.keys(podLevel.limits ?? {}).length > 0)) {
    for (const name of qosResources) {
      add(requests, name, positive(podLevel.requests, name) ?? positive(podLevel.limits, name));
      add(limits, name, positive(podLevel.limits, name));
    }
    if (!qosResources.every((name) => limits.has(name))) guaranteed = false;
  } else {
    const containers: Container[] = [...spec.containers, ...(spec.initContainers ?? [])];
    for (const c of containers) {
      const found = new Set<string>();
      for (const name of qosResources) {
        const limit = positive(c.resources.limits, name);
        const request = c.resources.requests?.[name] !== undefined ? positive(c.resources.requests, name) : limit;
        add(requests, name, request);
        if (limit !== undefined) {
          found.add(name);
          add(limits, name, limit);
        }
      }
      if (!qosResources.every((name) => found.has(name))) guaranteed = false;
    }
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, request] of requests) {
      const limit = limits.get(name);
      if (limit === undefined || !sameQuantity(limit, request)) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

/** Set each container's missing requests to its limits (Kubernetes does this for Pods, not templates). */
function defaultRequestsFromLimits(containers: readonly Container[]): void {
  for (const c of containers) {
    const limits = c.resources.limits;
    if (!limits) continue;
    const requests = (c.resources.requests ??= {});
    for (const [name, q] of Object.entries(limits)) if (requests[name] === undefined) requests[name] = q;
  }
}

/** With host networking, a container port's `hostPort` defaults to its `containerPort`. */
function defaultHostNetworkPorts(containers: readonly Container[]): void {
  for (const c of containers) for (const p of c.ports ?? []) if (!p.hostPort) p.hostPort = p.containerPort;
}

/** A Pod spec without the fields an update may change. */
function immutableView(spec: PodSpec, old: PodSpec): unknown {
  const view: Record<string, unknown> = { ...spec };
  const strip = (cs: readonly Container[] | undefined): unknown => cs?.map(({ image: _image, ...rest }) => rest);
  view['containers'] = strip(spec.containers);
  view['initContainers'] = strip(spec.initContainers);
  for (const k of ['activeDeadlineSeconds', 'terminationGracePeriodSeconds', 'tolerations', 'ephemeralContainers', 'schedulingGates']) {
    delete view[k];
  }
  // Binding: the scheduler sets nodeName once.
  if (!old.nodeName) delete view['nodeName'];
  return view;
}

function validatePodUpdate(spec: PodSpec, old: PodSpec): FieldCause[] {
  const causes: FieldCause[] = [];
  if (!jsonEqual(immutableView(spec, old), immutableView(old, old))) {
    causes.push(
      forbidden(
        'spec',
        'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
      ),
    );
  }
  const oldTolerations = old.tolerations ?? [];
  const sameToleration = (a: Toleration, b: Toleration): boolean =>
    a.key === b.key && (a.operator ?? 'Equal') === (b.operator ?? 'Equal') && a.value === b.value && a.effect === b.effect;
  const kept = oldTolerations.every((t) => (spec.tolerations ?? []).some((n) => sameToleration(n, t)));
  if (!kept) causes.push(forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
  const oldGates = old.schedulingGates ?? [];
  const added = (spec.schedulingGates ?? []).some((g) => !oldGates.some((o) => o.name === g.name));
  if (added) causes.push(forbidden('spec.schedulingGates', 'only deletion is allowed, but found new scheduling gate'));
  return causes;
}

/**
 * v1 Pod: a group of containers scheduled onto one node. Defaults as Kubernetes: `restartPolicy:
 * Always`, `terminationGracePeriodSeconds: 30`, `dnsPolicy: ClusterFirst`, `schedulerName:
 * default-scheduler`, `securityContext: {}`, `enableServiceLinks: true`; containers get
 * `imagePullPolicy` from their tag (`Always` for `:latest`), `terminationMessagePath:
 * /dev/termination-log`, `terminationMessagePolicy: File`, and requests default to limits. A new
 * Pod's status is `{ phase: Pending, qosClass }`. A delete is graceful (the pod's
 * `terminationGracePeriodSeconds`) only for a Pod bound to a node and not yet terminal.
 */
export const Pod = defineKind({
  group: '',
  version: 'v1',
  kind: 'Pod',
  plural: 'pods',
  shortNames: ['po'],
  namespaced: true,
  subresources: { status: true },
  schema: z.strictObject({
    apiVersion: z.literal('v1'),
    kind: z.literal('Pod'),
    metadata: objectMetaSchema,
    spec: podObjectSpecSchema,
    status: podStatusSchema.optional(),
  }),
  strategy: {
    applyDefaults(pod) {
      applyPodSpecDefaults(pod.spec);
      defaultRequestsFromLimits(pod.spec.containers);
      defaultRequestsFromLimits(pod.spec.initContainers ?? []);
      if (pod.spec.hostNetwork) {
        defaultHostNetworkPorts(pod.spec.containers);
        defaultHostNetworkPorts(pod.spec.initContainers ?? []);
      }
    },
    prepareForCreate(pod) {
      pod.status = { phase: 'Pending', qosClass: podQOSClass(pod.spec) };
    },
    prepareForUpdate(pod, old) {
      // The QoS class is fixed at creation.
      if (old.status?.qosClass !== undefined && pod.status) pod.status.qosClass = old.status.qosClass;
    },
    validate(pod, old) {
      const causes = validatePodSpec(pod.spec, 'spec');
      if (old) causes.push(...validatePodUpdate(pod.spec, old.spec));
      return causes;
    },
    gracePeriodSeconds(pod, requested) {
      if (!pod.spec.nodeName) return 0;
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') return 0;
      return requested ?? pod.spec.terminationGracePeriodSeconds;
    },
    selectableFields: {
      'spec.nodeName': (pod) => pod.spec.nodeName ?? '',
      'spec.restartPolicy': (pod) => pod.spec.restartPolicy,
      'spec.schedulerName': (pod) => pod.spec.schedulerName,
      'spec.serviceAccountName': (pod) => pod.spec.serviceAccountName ?? '',
      'spec.hostNetwork': (pod) => String(pod.spec.hostNetwork ?? false),
      'status.phase': (pod) => pod.status?.phase ?? '',
      'status.podIP': (pod) => pod.status?.podIPs?.[0]?.ip ?? pod.status?.podIP ?? '',
      'status.nominatedNodeName': (pod) => pod.status?.nominatedNodeName ?? '',
    },
  },
});
/** v1 Pod. */
export type Pod = TypeOf<typeof Pod>;

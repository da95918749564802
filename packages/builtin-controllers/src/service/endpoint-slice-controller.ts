/**
 * The EndpointSlice controller: keeps the `discovery.k8s.io/v1` EndpointSlices of each Service
 * with a selector, as Kubernetes' `pkg/controller/endpointslice` does.
 *
 * - Every pod the Service selects that has an IP and is not terminal becomes an endpoint, being
 *   deleted or not, with the conditions Kubernetes sets: `serving` = the pod is Ready,
 *   `terminating` = it is being deleted, `ready` = `publishNotReadyAddresses` or (serving and not
 *   terminating). Endpoints carry the pod as `targetRef`, its `nodeName`, the node's
 *   `topology.kubernetes.io/zone`, and the pod's hostname when its subdomain is the Service.
 * - Ports are resolved per pod as for Endpoints (`targetPort` number or container port name);
 *   endpoints are grouped by the ports they serve, at most `maxEndpointsPerSlice` (100) per
 *   slice. Existing slices are updated in place and filled before new ones are created, to
 *   keep churn low; a Service with no endpoints keeps one empty placeholder slice.
 * - Slices are named `<service>-<random>`, labelled `kubernetes.io/service-name`,
 *   `endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io` (plus the
 *   Service's labels and `service.kubernetes.io/headless` for headless Services), and are
 *   controlled by the Service (the garbage collector deletes them with it).
 * - Only IPv4 slices are managed (this control plane is single-stack).
 *
 * @example
 * ```ts
 * setupEndpointSliceController(manager, { maxEndpointsPerSlice: 100 });
 * ```
 *
 * @module
 */
import {
  controller,
  isNotFound,
  kinds,
  ownerReference,
  selectorFromSet,
  type Controller,
  type Manager,
  type ReconcileContext,
  type Reconciler,
  type Request,
  type Result,
  jsonEqual,
} from '@harbormaster/core';
import {
  findPort,
  isPodReady,
  isServiceIPSet,
  LABEL_HEADLESS,
  LABEL_MANAGED_BY,
  LABEL_SERVICE_NAME,
  podIPv4,
  selectsPods,
  servicesForPod,
  shouldPodBeInEndpoints,
  shouldSetHostname,
} from './pod-endpoints.js';

/** The value of `endpointslice.kubernetes.io/managed-by` on the slices this controller manages. */
export const ENDPOINTSLICE_CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
/** The node label giving an endpoint its zone. */
const LABEL_TOPOLOGY_ZONE = 'topology.kubernetes.io/zone';

type Endpoint = kinds.Endpoint;
type SlicePort = kinds.EndpointSlicePort;
type EndpointSlice = kinds.EndpointSlice;

/** Options of {@link EndpointSliceReconciler} and {@link setupEndpointSliceController}. */
export interface EndpointSliceControllerOptions {
  /** Endpoints per slice at most (Kubernetes' `--max-endpoints-per-slice`). @default 100 */
  readonly maxEndpointsPerSlice?: number;
  /** How many Services may be synced at once (Kubernetes' `--concurrent-service-endpoint-syncs`). @default 5 */
  readonly workers?: number;
}

function portsKey(ports: readonly SlicePort[]): string {
  return ports
    .map((p) => `${p.name}/${p.port ?? ''}/${p.protocol}/${p.appProtocol ?? ''}`)
    .sort()
    .join('|');
}

function endpointKey(ep: Endpoint): string {
  const ref = ep.targetRef;
  return `${ref?.namespace ?? ''}/${ref?.name ?? ''}/${ep.addresses.join(',')}`;
}

/** The labels a slice of `service` carries (Kubernetes' setEndpointSliceLabels). */
function sliceLabels(service: kinds.Service): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(service.metadata.labels ?? {})) {
    if (k === LABEL_SERVICE_NAME || k === LABEL_MANAGED_BY || k === LABEL_HEADLESS) continue;
    labels[k] = v;
  }
  if (!isServiceIPSet(service)) labels[LABEL_HEADLESS] = '';
  labels[LABEL_SERVICE_NAME] = service.metadata.name ?? '';
  labels[LABEL_MANAGED_BY] = ENDPOINTSLICE_CONTROLLER_NAME;
  return labels;
}

/** A slice this pass will write: an existing one (with its name) or a new one. */
interface PlannedSlice {
  readonly existing: EndpointSlice | undefined;
  readonly ports: SlicePort[];
  endpoints: Endpoint[];
}

/** Keeps each Service's EndpointSlices. See the module documentation. */
export class EndpointSliceReconciler implements Reconciler {
  readonly #max: number;

  constructor(options: Pick<EndpointSliceControllerOptions, 'maxEndpointsPerSlice'> = {}) {
    this.#max = Math.max(1, options.maxEndpointsPerSlice ?? 100);
  }

  async reconcile(request: Request, ctx: ReconcileContext): Promise<Result> {
    const service = await ctx.cache.get(kinds.Service, request);
    // A deleted Service's slices go with it through the garbage collector.
    if (service === undefined || !selectsPods(service)) return undefined;
    const namespace = service.metadata.namespace ?? 'default';
    const pods = await ctx.cache.list(kinds.Pod, { namespace, labelSelector: selectorFromSet(service.spec.selector) });
    pods.sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));

    // The endpoints each set of ports should have.
    const desired = new Map<string, { ports: SlicePort[]; endpoints: Map<string, Endpoint> }>();
    for (const pod of pods) {
      if (!shouldPodBeInEndpoints(pod, true)) continue;
      const ports = this.#ports(service, pod);
      const key = portsKey(ports);
      let group = desired.get(key);
      if (group === undefined) desired.set(key, (group = { ports, endpoints: new Map() }));
      const ep = await this.#endpoint(service, pod, ctx);
      group.endpoints.set(endpointKey(ep), ep);
    }

    const all = await ctx.cache.list(kinds.EndpointSlice, {
      namespace,
      labelSelector: { matchLabels: { [LABEL_SERVICE_NAME]: service.metadata.name ?? '', [LABEL_MANAGED_BY]: ENDPOINTSLICE_CONTROLLER_NAME } },
    });
    const live = all.filter((s) => !s.metadata.deletionTimestamp);
    const owned = live.filter((s) => s.addressType === 'IPv4' && s.metadata.ownerReferences?.some((r) => r.uid === service.metadata.uid && r.kind === 'Service'));
    const toDelete: EndpointSlice[] = live.filter((s) => !owned.includes(s));
    const labels = sliceLabels(service);
    const toWrite: PlannedSlice[] = [];

    const existingByKey = new Map<string, EndpointSlice[]>();
    for (const slice of owned) {
      const key = portsKey(slice.ports ?? []);
      existingByKey.set(key, [...(existingByKey.get(key) ?? []), slice]);
    }
    for (const [key, slices] of existingByKey) if (!desired.has(key)) toDelete.push(...slices);

    for (const [key, group] of desired) {
      const remaining = group.endpoints;
      const updating: PlannedSlice[] = [];
      const unchanged: PlannedSlice[] = [];
      for (const slice of existingByKey.get(key) ?? []) {
        const kept: Endpoint[] = [];
        let changed = !jsonEqual(slice.metadata.labels ?? {}, labels);
        for (const ep of slice.endpoints ?? []) {
          const k = endpointKey(ep);
          const want = remaining.get(k);
          if (want === undefined) {
            changed = true;
            continue;
          }
          if (!jsonEqual(want, ep)) changed = true;
          kept.push(want);
          remaining.delete(k);
        }
        if (kept.length === 0) toDelete.push(slice);
        else (changed ? updating : unchanged).push({ existing: slice, ports: group.ports, endpoints: kept });
      }
      const rest = [...remaining.values()];
      // Fill the slices being updated anyway first.
      for (const planned of updating) {
        while (rest.length > 0 && planned.endpoints.length < this.#max) planned.endpoints.push(rest.shift() as Endpoint);
      }
      // Whole new slices for full batches.
      const created: PlannedSlice[] = [];
      while (rest.length >= this.#max) created.push({ existing: undefined, ports: group.ports, endpoints: rest.splice(0, this.#max) });
      if (rest.length > 0) {
        // The last few: into the unchanged slice that ends up closest to full, else a new one.
        let best: PlannedSlice | undefined;
        for (const planned of unchanged) {
          const room = this.#max - (planned.endpoints.length + rest.length);
          if (room >= 0 && (best === undefined || room < this.#max - (best.endpoints.length + rest.length))) best = planned;
        }
        if (best !== undefined) {
          best.endpoints.push(...rest);
          unchanged.splice(unchanged.indexOf(best), 1);
          updating.push(best);
        } else {
          created.push({ existing: undefined, ports: group.ports, endpoints: rest });
        }
      }
      toWrite.push(...updating, ...created);
    }

    // A Service without endpoints keeps one placeholder slice.
    const kept = owned.filter((s) => !toDelete.includes(s)).length;
    if (kept === 0 && !toWrite.some((p) => p.existing === undefined)) {
      const placeholder = toDelete.find((s) => owned.includes(s) && (s.endpoints ?? []).length === 0 && (s.ports ?? []).length === 0);
      if (placeholder !== undefined) {
        toDelete.splice(toDelete.indexOf(placeholder), 1);
        if (!jsonEqual(placeholder.metadata.labels ?? {}, labels)) toWrite.push({ existing: placeholder, ports: [], endpoints: [] });
      } else {
        toWrite.push({ existing: undefined, ports: [], endpoints: [] });
      }
    }

    try {
      for (const planned of toWrite) await this.#write(service, planned, labels, ctx);
      for (const slice of toDelete) {
        try {
          await ctx.client.delete(kinds.EndpointSlice, { namespace, name: slice.metadata.name ?? '' });
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
    } catch (e) {
      ctx.recorder.event(
        service,
        'Warning',
        'FailedToUpdateEndpointSlices',
        `Error updating Endpoint Slices for Service ${namespace}/${service.metadata.name ?? ''}: ${e instanceof Error ? e.message : String(e)}`,
      );
      throw e;
    }
    return undefined;
  }

  /** The slice ports of `pod` for `service` (Kubernetes' getEndpointPorts). */
  #ports(service: kinds.Service, pod: kinds.Pod): SlicePort[] {
    const out: SlicePort[] = [];
    const ports = service.spec.ports ?? [];
    if (ports.length === 0 && service.spec.clusterIP === 'None') return out;
    for (const sp of ports) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      out.push({ name: sp.name ?? '', port, protocol: sp.protocol, ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
    }
    return out;
  }

  /** The endpoint of `pod` (Kubernetes' podToEndpoint). */
  async #endpoint(service: kinds.Service, pod: kinds.Pod, ctx: ReconcileContext): Promise<Endpoint> {
    const serving = isPodReady(pod);
    const terminating = Boolean(pod.metadata.deletionTimestamp);
    const ready = service.spec.publishNotReadyAddresses === true || (serving && !terminating);
    const nodeName = pod.spec.nodeName;
    const zone = nodeName ? (await ctx.cache.get(kinds.Node, { name: nodeName }))?.metadata.labels?.[LABEL_TOPOLOGY_ZONE] : undefined;
    return {
      addresses: [podIPv4(pod) ?? ''],
      conditions: { ready, serving, terminating },
      ...(shouldSetHostname(pod, service) && pod.spec.hostname ? { hostname: pod.spec.hostname } : {}),
      targetRef: { kind: 'Pod', namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' },
      ...(nodeName ? { nodeName } : {}),
      ...(zone ? { zone } : {}),
    };
  }

  async #write(service: kinds.Service, planned: PlannedSlice, labels: Record<string, string>, ctx: ReconcileContext): Promise<void> {
    const namespace = service.metadata.namespace ?? 'default';
    if (planned.existing === undefined) {
      const name = service.metadata.name ?? '';
      await ctx.client.create(kinds.EndpointSlice, {
        metadata: {
          generateName: `${name}-`,
          namespace,
          labels,
          ownerReferences: [ownerReference(service, { controller: true, blockOwnerDeletion: true })],
        },
        addressType: 'IPv4',
        endpoints: planned.endpoints,
        ports: planned.ports,
      });
      return;
    }
    const next: EndpointSlice = structuredClone(planned.existing);
    next.metadata.labels = labels;
    next.endpoints = planned.endpoints;
    next.ports = planned.ports;
    await ctx.client.update(kinds.EndpointSlice, next);
  }
}

/**
 * Add the EndpointSlice controller to `manager`: it reconciles Services, and is woken by the
 * pods they select and by changes to the slices it owns.
 *
 * @example
 * ```ts
 * setupEndpointSliceController(manager);
 * ```
 */
export function setupEndpointSliceController(manager: Manager, options: EndpointSliceControllerOptions = {}): Controller {
  const services = manager.informers.informerFor(kinds.Service);
  // Endpoint zones come from the nodes' labels.
  manager.informers.informerFor(kinds.Node);
  return controller(manager)
    .named('endpointslice-controller')
    .for(kinds.Service)
    .owns(kinds.EndpointSlice)
    .watches(kinds.Pod, servicesForPod(services))
    .withOptions({ maxConcurrentReconciles: options.workers ?? 5 })
    .complete(new EndpointSliceReconciler(options));
}

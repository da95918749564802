/**
 * The Endpoints controller: keeps one `Endpoints` object per Service with a selector, listing
 * the pods it selects, as Kubernetes' `pkg/controller/endpoint` does.
 *
 * - Only pods with an IP that are not terminal (`Succeeded`, `Failed`) are listed; pods being
 *   deleted are left out unless the Service sets `publishNotReadyAddresses`.
 * - A pod is under `addresses` when the Service sets `publishNotReadyAddresses` or the pod is
 *   `Ready`; otherwise under `notReadyAddresses`.
 * - Each Service port maps to the pod port its `targetPort` names: a number, or the name of a
 *   container port with the same protocol. A pod without that port is left out of that port;
 *   a headless Service without ports lists addresses without ports.
 * - Addresses sharing the same ports are packed into one subset (Kubernetes' `RepackSubsets`),
 *   sorted; at most 1000 addresses are kept, marked with the annotation
 *   `endpoints.kubernetes.io/over-capacity: truncated`.
 * - The Endpoints carries the Service's labels (plus `service.kubernetes.io/headless` for a
 *   headless Service) and goes when the Service goes. Services without a selector are left to
 *   their users.
 * - A failed write is reported with a Warning `FailedToCreateEndpoint` or
 *   `FailedToUpdateEndpoint` Event on the Service and retried.
 *
 * @example
 * ```ts
 * setupEndpointsController(manager);
 * // A Service selecting app=web now has an Endpoints object listing the web pods.
 * ```
 *
 * @module
 */
import {
  controller,
  isNotFound,
  kinds,
  selectorFromSet,
  type Controller,
  type Manager,
  type ReconcileContext,
  type Reconciler,
  type Request,
  type Result,
  jsonEqual,
} from '@harbormaster/core';
import { findPort, isPodReady, isServiceIPSet, LABEL_HEADLESS, podIPv4, servicesForPod, shouldPodBeInEndpoints, shouldSetHostname } from './pod-endpoints.js';

/** The annotation marking Endpoints truncated to {@link MAX_ENDPOINTS_ADDRESSES}. */
export const ENDPOINTS_OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';
/** How many addresses an Endpoints object holds at most (Kubernetes' maxCapacity). */
export const MAX_ENDPOINTS_ADDRESSES = 1000;

type EndpointAddress = kinds.EndpointAddress;
type EndpointPort = kinds.EndpointPort;
type EndpointSubset = kinds.EndpointSubset;

/** Options of {@link setupEndpointsController}. */
export interface EndpointsControllerOptions {
  /** How many Services may be synced at once (Kubernetes' `--concurrent-endpoint-syncs`). @default 5 */
  readonly workers?: number;
}

function portKey(p: EndpointPort): string {
  return `${p.name ?? ''}/${p.port}/${p.protocol}/${p.appProtocol ?? ''}`;
}

function addressKey(a: EndpointAddress): string {
  return `${a.ip}/${a.targetRef?.uid ?? ''}`;
}

function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  return a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : (a.targetRef?.uid ?? '').localeCompare(b.targetRef?.uid ?? '');
}

/**
 * Group addresses by the set of ports they serve, one subset per set, everything sorted
 * (Kubernetes' `RepackSubsets` and `SortSubsets`).
 */
export function repackSubsets(entries: readonly { address: EndpointAddress; ready: boolean; port: EndpointPort | undefined }[]): EndpointSubset[] {
  const byAddress = new Map<string, { address: EndpointAddress; ready: boolean; ports: Map<string, EndpointPort> }>();
  for (const e of entries) {
    const key = addressKey(e.address);
    let a = byAddress.get(key);
    if (a === undefined) byAddress.set(key, (a = { address: e.address, ready: e.ready, ports: new Map() }));
    a.ready ||= e.ready;
    if (e.port !== undefined) a.ports.set(portKey(e.port), e.port);
  }
  const bySet = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  for (const a of byAddress.values()) {
    const ports = [...a.ports.entries()].sort((x, y) => x[0].localeCompare(y[0]));
    const setKey = ports.map(([k]) => k).join('|');
    let subset = bySet.get(setKey);
    if (subset === undefined) bySet.set(setKey, (subset = { ports: ports.map(([, p]) => p), ready: [], notReady: [] }));
    (a.ready ? subset.ready : subset.notReady).push(a.address);
  }
  return [...bySet.entries()]
    .sort((x, y) => x[0].localeCompare(y[0]))
    .map(([, s]) => ({
      ...(s.ready.length > 0 ? { addresses: s.ready.sort(compareAddresses) } : {}),
      ...(s.notReady.length > 0 ? { notReadyAddresses: s.notReady.sort(compareAddresses) } : {}),
      ...(s.ports.length > 0 ? { ports: s.ports } : {}),
    }));
}

/** Keep at most `max` addresses, ready ones first. Returns whether anything was cut. */
function truncate(subsets: EndpointSubset[], max: number): boolean {
  let total = 0;
  for (const s of subsets) total += (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0);
  if (total <= max) return false;
  let budget = max;
  for (const list of ['addresses', 'notReadyAddresses'] as const) {
    for (const s of subsets) {
      const items = s[list];
      if (items === undefined) continue;
      const kept = items.slice(0, Math.max(0, budget));
      budget -= kept.length;
      if (kept.length > 0) s[list] = kept;
      else delete s[list];
    }
  }
  subsets.splice(0, subsets.length, ...subsets.filter((s) => s.addresses !== undefined || s.notReadyAddresses !== undefined));
  return true;
}

/** Keeps each Service's Endpoints. See the module documentation. */
export class EndpointsReconciler implements Reconciler {
  async reconcile(request: Request, ctx: ReconcileContext): Promise<Result> {
    const service = await ctx.cache.get(kinds.Service, request);
    if (service === undefined) {
      // The Service is gone: so are its Endpoints.
      if ((await ctx.cache.get(kinds.Endpoints, request)) !== undefined) {
        try {
          await ctx.client.delete(kinds.Endpoints, request);
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
      return undefined;
    }
    const selector = service.spec.selector;
    if (selector === undefined) return undefined;
    const namespace = service.metadata.namespace ?? 'default';
    const name = service.metadata.name ?? '';
    const publishNotReady = service.spec.publishNotReadyAddresses === true;
    const pods = await ctx.cache.list(kinds.Pod, { namespace, labelSelector: selectorFromSet(selector) });

    const entries: { address: EndpointAddress; ready: boolean; port: EndpointPort | undefined }[] = [];
    for (const pod of pods) {
      if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue;
      const address: EndpointAddress = {
        ip: podIPv4(pod) ?? '',
        ...(shouldSetHostname(pod, service) && pod.spec.hostname ? { hostname: pod.spec.hostname } : {}),
        ...(pod.spec.nodeName ? { nodeName: pod.spec.nodeName } : {}),
        targetRef: { kind: 'Pod', namespace, name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' },
      };
      const ready = publishNotReady || isPodReady(pod);
      const ports = service.spec.ports ?? [];
      if (ports.length === 0) {
        // Only a headless Service may have no ports.
        if (service.spec.clusterIP === 'None') entries.push({ address, ready, port: undefined });
        continue;
      }
      for (const sp of ports) {
        const port = findPort(pod, sp);
        if (port === undefined) {
          ctx.log.debug({ pod: pod.metadata.name, port: sp.name ?? sp.port }, 'the pod has no port for the service port');
          continue;
        }
        entries.push({
          address,
          ready,
          port: { ...(sp.name ? { name: sp.name } : {}), port, protocol: sp.protocol, ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) },
        });
      }
    }
    const subsets = repackSubsets(entries);
    const truncated = truncate(subsets, MAX_ENDPOINTS_ADDRESSES);

    const labels: Record<string, string> = { ...(service.metadata.labels ?? {}) };
    if (isServiceIPSet(service)) delete labels[LABEL_HEADLESS];
    else labels[LABEL_HEADLESS] = '';

    const current = await ctx.cache.get(kinds.Endpoints, request);
    const annotations: Record<string, string> = { ...(current?.metadata.annotations ?? {}) };
    if (truncated) annotations[ENDPOINTS_OVER_CAPACITY_ANNOTATION] = 'truncated';
    else delete annotations[ENDPOINTS_OVER_CAPACITY_ANNOTATION];

    if (current === undefined) {
      try {
        await ctx.client.create(kinds.Endpoints, {
          metadata: { name, namespace, labels, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
          ...(subsets.length > 0 ? { subsets } : {}),
        });
      } catch (e) {
        ctx.recorder.event(service, 'Warning', 'FailedToCreateEndpoint', `Failed to create endpoint for service ${namespace}/${name}: ${e instanceof Error ? e.message : String(e)}`);
        throw e;
      }
      return undefined;
    }
    const unchanged =
      jsonEqual(current.subsets ?? [], subsets) &&
      jsonEqual(current.metadata.labels ?? {}, labels) &&
      jsonEqual(current.metadata.annotations ?? {}, annotations);
    if (unchanged) return undefined;
    const next: kinds.Endpoints = structuredClone(current);
    next.metadata.labels = labels;
    if (Object.keys(annotations).length > 0) next.metadata.annotations = annotations;
    else delete next.metadata.annotations;
    if (subsets.length > 0) next.subsets = subsets;
    else delete next.subsets;
    try {
      await ctx.client.update(kinds.Endpoints, next);
    } catch (e) {
      ctx.recorder.event(service, 'Warning', 'FailedToUpdateEndpoint', `Failed to update endpoint ${namespace}/${name}: ${e instanceof Error ? e.message : String(e)}`);
      throw e;
    }
    return undefined;
  }
}

/**
 * Add the Endpoints controller to `manager`: it reconciles Services, and is woken by the pods
 * they select and by deleted Endpoints.
 *
 * @example
 * ```ts
 * setupEndpointsController(manager, { workers: 5 });
 * ```
 */
export function setupEndpointsController(manager: Manager, options: EndpointsControllerOptions = {}): Controller {
  const services = manager.informers.informerFor(kinds.Service);
  return controller(manager)
    .named('endpoint-controller')
    .for(kinds.Service)
    .watches(kinds.Pod, servicesForPod(services))
    // Recreate Endpoints someone deleted (Kubernetes watches Endpoints deletions only).
    .watches(kinds.Endpoints, (ep) => ({ namespace: ep.metadata.namespace, name: ep.metadata.name ?? '' }), {
      predicates: [{ create: () => false, update: () => false }],
    })
    .withOptions({ maxConcurrentReconciles: options.workers ?? 5 })
    .complete(new EndpointsReconciler());
}

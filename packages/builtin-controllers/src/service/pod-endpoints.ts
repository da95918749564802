/**
 * Which pods back a Service and how, shared by the Endpoints and EndpointSlice controllers
 * (Kubernetes' `k8s.io/endpointslice/util` and `pkg/api/v1/pod`).
 *
 * @module
 */
import { selectorFromSet, type Informer, type kinds, type Request } from '@harbormaster/core';

/** The label an EndpointSlice names its Service with. */
export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
/** The label naming the controller that manages an EndpointSlice. */
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
/** The label marking the Endpoints and EndpointSlices of a headless Service. */
export const LABEL_HEADLESS = 'service.kubernetes.io/headless';

export { isPodReady } from '../replicaset/pod-utils.js';

/** Whether the pod has finished for good (`Succeeded` or `Failed`). */
export function isPodTerminal(pod: kinds.Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** The pod's IPv4 address, if it has one. */
export function podIPv4(pod: kinds.Pod): string | undefined {
  const ips = [...(pod.status?.podIPs ?? []).map((p) => p.ip), ...(pod.status?.podIP ? [pod.status.podIP] : [])];
  return ips.find((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip));
}

/**
 * Whether a pod belongs in a Service's endpoints at all: it has an IP, it is not terminal, and
 * (unless `includeTerminating`) it is not being deleted.
 */
export function shouldPodBeInEndpoints(pod: kinds.Pod, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (podIPv4(pod) === undefined) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  return true;
}

/** Whether the endpoint gets the pod's hostname: it names this Service as its subdomain. */
export function shouldSetHostname(pod: kinds.Pod, service: kinds.Service): boolean {
  return Boolean(pod.spec.hostname) && pod.spec.subdomain === service.metadata.name && pod.metadata.namespace === service.metadata.namespace;
}

/**
 * The pod port a Service port reaches: the `targetPort` number, or the container port of that
 * name and protocol (sidecar init containers included). `undefined` if the pod has no such port.
 */
export function findPort(pod: kinds.Pod, servicePort: kinds.ServicePort): number | undefined {
  const target = servicePort.targetPort ?? servicePort.port;
  if (typeof target === 'number') return target;
  const containers = [...pod.spec.containers, ...(pod.spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
  for (const c of containers) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === servicePort.protocol) return p.containerPort;
  }
  return undefined;
}

/** Whether the Service gets endpoints from a controller (it has a selector and is not ExternalName). */
export function selectsPods(service: kinds.Service): service is kinds.Service & { spec: { selector: Record<string, string> } } {
  return service.spec.selector !== undefined && service.spec.type !== 'ExternalName';
}

/** Whether the Service has a ClusterIP (not headless, not unset). */
export function isServiceIPSet(service: kinds.Service): boolean {
  return Boolean(service.spec.clusterIP) && service.spec.clusterIP !== 'None';
}

/** A map from a pod to the requests of the Services selecting it, over the Services' shared cache. */
export function servicesForPod(services: Informer<typeof kinds.Service>): (pod: kinds.Pod) => Request[] {
  return (pod) =>
    services.cache
      .list({ namespace: pod.metadata.namespace })
      .filter((svc) => svc.spec.selector !== undefined && selectorFromSet(svc.spec.selector).matches(pod.metadata.labels))
      .map((svc) => ({ namespace: svc.metadata.namespace, name: svc.metadata.name ?? '' }));
}

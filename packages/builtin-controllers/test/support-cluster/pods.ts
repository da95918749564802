/**
 * Helpers for the cluster scenario tests and the controllers' unit tests: pods in the states a
 * node agent would put them in, without a node agent.
 *
 * @module
 */
import { formatTime, kinds, type Client } from '@harbormaster/core';

/** What a test pod looks like. */
export interface TestPodOptions {
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
  /** Container ports, e.g. `[{ name: 'http', containerPort: 8080 }]`. */
  readonly ports?: { name?: string; containerPort: number; protocol?: 'TCP' | 'UDP' | 'SCTP' }[];
  readonly nodeName?: string;
  readonly hostname?: string;
  readonly subdomain?: string;
  readonly restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  readonly tolerations?: kinds.Toleration[];
}

/** Create a pod (Pending, no IP). */
export async function createPod(client: Client, name: string, options: TestPodOptions = {}): Promise<kinds.Pod> {
  return client.create(kinds.Pod, {
    metadata: { name, namespace: options.namespace ?? 'default', ...(options.labels ? { labels: options.labels } : {}) },
    spec: {
      containers: [{ name: 'app', image: 'nginx', ...(options.ports ? { ports: options.ports } : {}) }],
      ...(options.nodeName ? { nodeName: options.nodeName } : {}),
      ...(options.hostname ? { hostname: options.hostname } : {}),
      ...(options.subdomain ? { subdomain: options.subdomain } : {}),
      ...(options.restartPolicy ? { restartPolicy: options.restartPolicy } : {}),
      ...(options.tolerations ? { tolerations: options.tolerations } : {}),
    },
  });
}

/** Set a pod's status as a node agent would: phase, IP and the Ready condition. */
export async function setPodStatus(
  client: Client,
  key: { namespace?: string; name: string },
  status: { ip?: string; ready?: boolean; phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed'; now?: number },
): Promise<kinds.Pod> {
  const pod = await client.get(kinds.Pod, { namespace: key.namespace ?? 'default', name: key.name });
  const time = formatTime(status.now ?? 0);
  const ready = status.ready ?? false;
  pod.status = {
    ...pod.status,
    phase: status.phase ?? 'Running',
    ...(status.ip ? { podIP: status.ip, podIPs: [{ ip: status.ip }] } : {}),
    conditions: [
      { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: time },
      { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: time },
    ],
  };
  return client.updateStatus(kinds.Pod, pod);
}

/** Create a pod and give it an IP, Running, Ready or not. */
export async function runningPod(
  client: Client,
  name: string,
  options: TestPodOptions & { ip: string; ready?: boolean },
): Promise<kinds.Pod> {
  await createPod(client, name, options);
  return setPodStatus(client, { namespace: options.namespace ?? 'default', name }, { ip: options.ip, ready: options.ready ?? true });
}

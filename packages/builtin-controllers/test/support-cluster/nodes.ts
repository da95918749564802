/**
 * Nodes and their heartbeats for tests, without the simulated node: a Node object with a Ready
 * condition, and its Lease in `kube-node-lease` renewed on the fake clock.
 *
 * @module
 */
import { formatMicroTime, formatTime, isNotFound, kinds, type Client, type Clock } from '@harbormaster/core';

/** Options of {@link createNode}. */
export interface TestNodeOptions {
  readonly zone?: string;
  /** The Ready condition's status. @default 'True' */
  readonly ready?: 'True' | 'False' | 'Unknown';
  /** Also create its Lease. @default true */
  readonly lease?: boolean;
}

/** Create a Node as a node agent registers it, with its Lease. */
export async function createNode(client: Client, clock: Clock, name: string, options: TestNodeOptions = {}): Promise<kinds.Node> {
  const now = formatTime(clock.now());
  const node = await client.create(kinds.Node, {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(options.zone ? { 'topology.kubernetes.io/zone': options.zone } : {}) } },
    status: {
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      conditions: [
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', lastHeartbeatTime: now, lastTransitionTime: now },
        { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', lastHeartbeatTime: now, lastTransitionTime: now },
        { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', lastHeartbeatTime: now, lastTransitionTime: now },
        { type: 'Ready', status: options.ready ?? 'True', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now },
      ],
    },
  });
  if (options.lease !== false) await renewLease(client, clock, name);
  return node;
}

/** Renew (or create) a node's Lease, as the node agent does every 10 s. */
export async function renewLease(client: Client, clock: Clock, name: string): Promise<void> {
  const renewTime = formatMicroTime(clock.now());
  try {
    await client.patch(kinds.Lease, { namespace: 'kube-node-lease', name }, { spec: { renewTime } });
  } catch (e) {
    if (!isNotFound(e)) throw e;
    await client.create(kinds.Lease, {
      metadata: { name, namespace: 'kube-node-lease' },
      spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime },
    });
  }
}

/** Set a node's Ready condition as its agent reports it (a fresh heartbeat). */
export async function setNodeReady(client: Client, clock: Clock, name: string, status: 'True' | 'False' | 'Unknown'): Promise<kinds.Node> {
  const node = await client.get(kinds.Node, { name });
  const now = formatTime(clock.now());
  const conditions = (node.status?.conditions ?? []).map((c) =>
    c.type === 'Ready'
      ? { ...c, status, reason: status === 'True' ? 'KubeletReady' : 'KubeletNotReady', lastHeartbeatTime: now, ...(c.status === status ? {} : { lastTransitionTime: now }) }
      : { ...c, status: c.status === 'Unknown' ? ('False' as const) : c.status, lastHeartbeatTime: now },
  );
  node.status = { ...node.status, conditions };
  return client.updateStatus(kinds.Node, node);
}

/**
 * Renew the Leases of the nodes `names()` returns every `periodMs` of fake time, until the
 * returned function is called.
 */
export function heartbeat(client: Client, clock: Clock, names: () => readonly string[], periodMs = 10_000): () => void {
  let stopped = false;
  let timer = clock.setTimeout(tick, periodMs);
  function tick(): void {
    if (stopped) return;
    void Promise.all(names().map((n) => renewLease(client, clock, n))).catch(() => undefined);
    timer = clock.setTimeout(tick, periodMs);
  }
  return () => {
    stopped = true;
    clock.clearTimeout(timer);
  };
}

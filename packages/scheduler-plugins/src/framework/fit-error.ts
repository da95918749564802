/**
 * Why a pod fits no node: the status of each node that was rejected, and the message Kubernetes
 * writes into the FailedScheduling event and the PodScheduled condition, e.g.
 *
 * ```
 * 0/5 nodes are available: 2 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 3 Insufficient cpu. preemption: 0/5 nodes are available: 2 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod.
 * ```
 *
 * The reasons are counted over the nodes, written `"<count> <reason>"`, sorted as strings (so
 * `"2 node(s)…"` comes before `"3 Insufficient cpu"`, exactly as `sort.Strings` orders them in
 * Kubernetes) and joined with `", "`; a PostFilter message (preemption's) follows.
 *
 * @module
 */
import { Status } from './status.js';

/** The status of every node that was rejected; nodes not recorded get `absentStatus`. */
export class NodeToStatus {
  readonly #statuses = new Map<string, Status>();
  /** The status of nodes not in the map (those never evaluated). */
  absentStatus: Status;

  constructor(absentStatus: Status = Status.unresolvable()) {
    this.absentStatus = absentStatus;
  }

  /** Record the node's status. */
  set(node: string, status: Status): void {
    this.#statuses.set(node, status);
  }

  /** The node's status: recorded, or `absentStatus`. */
  get(node: string): Status {
    return this.#statuses.get(node) ?? this.absentStatus;
  }

  /** The recorded status of the node, if any. */
  recorded(node: string): Status | undefined {
    return this.#statuses.get(node);
  }

  /** How many nodes have a recorded status. */
  get size(): number {
    return this.#statuses.size;
  }

  /** The recorded statuses. */
  entries(): IterableIterator<[string, Status]> {
    return this.#statuses.entries();
  }
}

/** The details of a failed scheduling attempt. */
export interface Diagnosis {
  /** Why each rejected node was rejected. */
  readonly nodeToStatus: NodeToStatus;
  /** Plugins that returned Unschedulable or UnschedulableAndUnresolvable. */
  readonly unschedulablePlugins: Set<string>;
  /** Plugins that returned Pending. */
  readonly pendingPlugins: Set<string>;
  /** The message of a PreFilter plugin that rejected the pod. */
  preFilterMsg: string;
  /** The message of the PostFilter plugins (preemption). */
  postFilterMsg: string;
}

/** A new, empty diagnosis. */
export function newDiagnosis(): Diagnosis {
  return { nodeToStatus: new NodeToStatus(), unschedulablePlugins: new Set(), pendingPlugins: new Set(), preFilterMsg: '', postFilterMsg: '' };
}

/** Record the plugin of a rejecting status in the diagnosis. */
export function addPluginStatus(d: Diagnosis, status: Status): void {
  if (status.plugin === undefined) return;
  if (status.isRejected()) d.unschedulablePlugins.add(status.plugin);
  if (status.code === 'Pending') d.pendingPlugins.add(status.plugin);
}

/** `"0/%d nodes are available"`. */
export function noNodeAvailableMsg(numAllNodes: number): string {
  return `0/${numAllNodes} nodes are available`;
}

/** The `"<count> <reason>"` histogram of the nodes' reasons, sorted as Kubernetes does. */
export function reasonHistogram(nodeToStatus: NodeToStatus, numAllNodes: number): string[] {
  const counts = new Map<string, number>();
  for (const [, status] of nodeToStatus.entries()) for (const r of status.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  const absent = numAllNodes - nodeToStatus.size;
  if (absent > 0) for (const r of nodeToStatus.absentStatus.reasons) counts.set(r, (counts.get(r) ?? 0) + absent);
  const lines = [...counts].map(([reason, n]) => `${n} ${reason}`);
  // Go's sort.Strings: byte-wise order (UTF-16 code units agree with bytes for these ASCII strings).
  lines.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return lines;
}

/**
 * No node fits the pod. `message` is Kubernetes' text.
 *
 * @example
 * ```ts
 * new FitError({ podKey: 'default/web', numAllNodes: 5, diagnosis }).message;
 * // "0/5 nodes are available: 2 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 3 Insufficient cpu."
 * ```
 */
export class FitError extends Error {
  /** Always `FitError`. */
  override readonly name = 'FitError';
  /** The pod's key, `namespace/name`. */
  readonly podKey: string;
  /** How many nodes the cluster had (the `N` of `0/N nodes are available`). */
  readonly numAllNodes: number;
  /** Why each node was rejected, and by which plugins. */
  readonly diagnosis: Diagnosis;

  constructor(options: { readonly podKey: string; readonly numAllNodes: number; readonly diagnosis: Diagnosis }) {
    // No message argument: Error would store it as an own property, hiding the getter below.
    super();
    this.podKey = options.podKey;
    this.numAllNodes = options.numAllNodes;
    this.diagnosis = options.diagnosis;
  }

  /** Kubernetes' text, computed from the diagnosis by {@link formatFitError}. */
  override get message(): string {
    return formatFitError(this.numAllNodes, this.diagnosis);
  }
  /** Ignored: the message is always computed. */
  override set message(_v: string) {
    // computed
  }
}

/** Kubernetes' FitError text: `0/N nodes are available: <prefilter or filter reasons>. <postfilter>`. */
export function formatFitError(numAllNodes: number, d: Pick<Diagnosis, 'nodeToStatus' | 'preFilterMsg' | 'postFilterMsg'>): string {
  let msg = `${noNodeAvailableMsg(numAllNodes)}:`;
  if (d.preFilterMsg !== '') {
    msg += ` ${d.preFilterMsg}.`;
  } else {
    const lines = reasonHistogram(d.nodeToStatus, numAllNodes);
    if (lines.length > 0) msg += ` ${lines.join(', ')}.`;
  }
  if (d.postFilterMsg !== '') msg += ` ${d.postFilterMsg}`;
  return msg;
}

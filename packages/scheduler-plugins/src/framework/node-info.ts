/**
 * What the scheduler knows about one node (kube-scheduler's `NodeInfo`): the Node, the pods on it
 * (bound and assumed), their summed requests (actual and non-zero), the host ports in use, the
 * images present, and the subsets of pods with inter-pod affinity. Plugins read it; only the
 * scheduler cache (and preemption, on clones) changes it.
 *
 * @module
 */
import type { kinds } from '@harbormaster/core';
import type { HostPort, PodInfo } from './pod-info.js';
import { Resource } from './resources.js';

/** An image present on nodes: its size and the nodes that have it (shared by every NodeInfo). */
export interface ImageState {
  /** Size in bytes. */
  readonly size: number;
  /** The nodes that report the image. */
  readonly nodes: ReadonlySet<string>;
}

/** Host ports in use on a node, by host IP, then `protocol/port`, with a use count. */
export class HostPortInfo {
  readonly #byIP = new Map<string, Map<string, number>>();

  add(p: HostPort): void {
    let m = this.#byIP.get(p.hostIP);
    if (m === undefined) this.#byIP.set(p.hostIP, (m = new Map<string, number>()));
    const k = `${p.protocol}/${p.port}`;
    m.set(k, (m.get(k) ?? 0) + 1);
  }

  remove(p: HostPort): void {
    const m = this.#byIP.get(p.hostIP);
    if (m === undefined) return;
    const k = `${p.protocol}/${p.port}`;
    const n = (m.get(k) ?? 0) - 1;
    if (n <= 0) m.delete(k);
    else m.set(k, n);
    if (m.size === 0) this.#byIP.delete(p.hostIP);
  }

  /** Whether `p` conflicts with a port in use: the same protocol and port on the same IP, or where either is `0.0.0.0`. */
  conflicts(p: HostPort): boolean {
    const k = `${p.protocol}/${p.port}`;
    if (p.hostIP === '0.0.0.0') {
      for (const m of this.#byIP.values()) if (m.has(k)) return true;
      return false;
    }
    return (this.#byIP.get('0.0.0.0')?.has(k) ?? false) || (this.#byIP.get(p.hostIP)?.has(k) ?? false);
  }

  get size(): number {
    return this.#byIP.size;
  }

  clone(): HostPortInfo {
    const c = new HostPortInfo();
    for (const [ip, m] of this.#byIP) c.#byIP.set(ip, new Map(m));
    return c;
  }
}

let generationCounter = 0;
const NO_TAINTS: readonly kinds.Taint[] = Object.freeze([]);

/** The next generation number (monotonic across all NodeInfos). */
export function nextGeneration(): number {
  return ++generationCounter;
}

/**
 * Aggregated information about one node.
 *
 * @example
 * ```ts
 * filter(_state, _pod, nodeInfo) {
 *   const free = nodeInfo.allocatable.milliCPU - nodeInfo.requested.milliCPU;
 *   return free >= 500 ? undefined : Status.unschedulable('Insufficient cpu');
 * }
 * ```
 */
export class NodeInfo {
  /** The node's name. */
  readonly name: string;
  #node: kinds.Node | undefined;
  /** The pods on the node, bound or assumed. */
  pods: PodInfo[] = [];
  /** The pods with inter-pod affinity or anti-affinity of any kind. */
  podsWithAffinity: PodInfo[] = [];
  /** The pods with required anti-affinity. */
  podsWithRequiredAntiAffinity: PodInfo[] = [];
  usedPorts = new HostPortInfo();
  /** The sum of the pods' requests. Read-only for plugins. */
  requested = new Resource();
  /** The sum of the pods' non-zero CPU and memory requests (for scoring). Read-only for plugins. */
  nonZeroRequested = new Resource();
  /** The node's `status.allocatable` (CPU in millicores). Read-only for plugins. */
  allocatable = new Resource();
  /** The images on this node, by name. */
  imageStates: Map<string, ImageState> = new Map();
  /** Bumped on every change. */
  generation = nextGeneration();
  /**
   * The hot numbers of `allocatable`, `requested`, `nonZeroRequested` and `pods.length`, copied
   * onto the NodeInfo itself: the filters and scores read them for hundreds of nodes per pod, and
   * reading one object per node instead of four keeps that loop in the CPU cache. Kept in step by
   * `setNode`, `addPod` and `removePod`; read-only for plugins.
   */
  allocatableMilliCPU = 0;
  allocatableMemory = 0;
  allocatableEphemeralStorage = 0;
  allowedPodNumber = 0;
  requestedMilliCPU = 0;
  requestedMemory = 0;
  requestedEphemeralStorage = 0;
  nonZeroMilliCPU = 0;
  nonZeroMemory = 0;
  podCount = 0;
  /** `spec.unschedulable` of the node (cordoned), kept here for the filters' hot path. */
  unschedulable = false;
  /** `spec.taints` of the node (empty when none), kept here for the filters' hot path. */
  taints: readonly kinds.Taint[] = NO_TAINTS;

  constructor(name: string, node?: kinds.Node) {
    this.name = name;
    if (node !== undefined) this.setNode(node);
  }

  /** The Node object; `undefined` while only pods referring to it are known. */
  get node(): kinds.Node | undefined {
    return this.#node;
  }

  /** The node's labels. */
  get labels(): Readonly<Record<string, string>> | undefined {
    return this.#node?.metadata.labels;
  }

  /** Set (or replace) the Node object. */
  setNode(node: kinds.Node): void {
    this.#node = node;
    this.unschedulable = node.spec?.unschedulable === true;
    this.taints = node.spec?.taints ?? NO_TAINTS;
    this.allocatable = Resource.fromList(node.status?.allocatable ?? node.status?.capacity);
    this.allocatableMilliCPU = this.allocatable.milliCPU;
    this.allocatableMemory = this.allocatable.memory;
    this.allocatableEphemeralStorage = this.allocatable.ephemeralStorage;
    this.allowedPodNumber = this.allocatable.allowedPodNumber;
    this.generation = nextGeneration();
  }

  /** Forget the Node object, keeping the pods (they go when their deletions arrive). */
  removeNode(): void {
    this.#node = undefined;
    this.unschedulable = false;
    this.taints = NO_TAINTS;
    this.generation = nextGeneration();
  }

  /** Account for a pod on this node. */
  addPod(pi: PodInfo): void {
    this.pods.push(pi);
    if (pi.hasAffinity) this.podsWithAffinity.push(pi);
    if (pi.hasRequiredAntiAffinity) this.podsWithRequiredAntiAffinity.push(pi);
    this.#account(pi, 1);
  }

  /** Stop accounting for the pod with this key (`namespace/name`). Returns the PodInfo removed. */
  removePod(key: string): PodInfo | undefined {
    const removed = removeByKey(this.pods, key);
    if (removed === undefined) return undefined;
    if (removed.hasAffinity) removeByKey(this.podsWithAffinity, key);
    if (removed.hasRequiredAntiAffinity) removeByKey(this.podsWithRequiredAntiAffinity, key);
    this.#account(removed, -1);
    return removed;
  }

  #account(pi: PodInfo, sign: 1 | -1): void {
    const r = this.requested;
    r.add(pi.requests, sign);
    this.nonZeroRequested.milliCPU += sign * pi.nonZeroMilliCPU;
    this.nonZeroRequested.memory += sign * pi.nonZeroMemory;
    this.requestedMilliCPU = r.milliCPU;
    this.requestedMemory = r.memory;
    this.requestedEphemeralStorage = r.ephemeralStorage;
    this.nonZeroMilliCPU = this.nonZeroRequested.milliCPU;
    this.nonZeroMemory = this.nonZeroRequested.memory;
    this.podCount = this.pods.length;
    for (const p of pi.hostPorts) {
      if (sign > 0) this.usedPorts.add(p);
      else this.usedPorts.remove(p);
    }
    this.generation = nextGeneration();
  }

  /** A copy that can be changed without touching this one (pods themselves are shared). */
  clone(): NodeInfo {
    const c = new NodeInfo(this.name);
    c.#node = this.#node;
    c.unschedulable = this.unschedulable;
    c.taints = this.taints;
    c.pods = [...this.pods];
    c.podsWithAffinity = [...this.podsWithAffinity];
    c.podsWithRequiredAntiAffinity = [...this.podsWithRequiredAntiAffinity];
    c.usedPorts = this.usedPorts.clone();
    c.requested = this.requested.clone();
    c.nonZeroRequested = this.nonZeroRequested.clone();
    c.allocatable = this.allocatable.clone();
    c.allocatableMilliCPU = this.allocatableMilliCPU;
    c.allocatableMemory = this.allocatableMemory;
    c.allocatableEphemeralStorage = this.allocatableEphemeralStorage;
    c.allowedPodNumber = this.allowedPodNumber;
    c.requestedMilliCPU = this.requestedMilliCPU;
    c.requestedMemory = this.requestedMemory;
    c.requestedEphemeralStorage = this.requestedEphemeralStorage;
    c.nonZeroMilliCPU = this.nonZeroMilliCPU;
    c.nonZeroMemory = this.nonZeroMemory;
    c.podCount = this.podCount;
    c.imageStates = this.imageStates;
    c.generation = this.generation;
    return c;
  }
}

function removeByKey(list: PodInfo[], key: string): PodInfo | undefined {
  for (let i = 0; i < list.length; i++) {
    const p = list[i] as PodInfo;
    if (p.key !== key) continue;
    const last = list.pop() as PodInfo;
    if (i < list.length) list[i] = last;
    return p;
  }
  return undefined;
}

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

/** The hot numbers of a node, 8 doubles (one cache line), in this order. */
const ALLOC_CPU = 0;
const ALLOC_MEM = 1;
const ALLOC_EPH = 2;
const REQ_CPU = 3;
const REQ_MEM = 4;
const REQ_EPH = 5;
const NZ_CPU = 6;
const NZ_MEM = 7;
/** The number of doubles per node in a {@link NodeInfoStorage}. */
export const NODE_INFO_SLOT_SIZE = 8;

/**
 * Where a NodeInfo keeps its hot numbers: a slot of `NODE_INFO_SLOT_SIZE` doubles in a shared
 * array (the scheduler cache packs every node's slot into one array, so the filter and score
 * loops read contiguous memory), or a small array of its own.
 */
export interface NodeInfoStorage {
  readonly array: Float64Array;
  readonly base: number;
}

/**
 * Aggregated information about one node.
 *
 * The numbers plugins need for every node (allocatable and requested CPU, memory and ephemeral
 * storage, non-zero requests, pod count) are also available as plain properties
 * (`allocatableMilliCPU`, `requestedMemory`, …) that read a packed array: prefer them in
 * Filter and Score, which run for hundreds of nodes per pod.
 *
 * @example
 * ```ts
 * filter(_state, _pod, nodeInfo) {
 *   const free = nodeInfo.allocatableMilliCPU - nodeInfo.requestedMilliCPU;
 *   return free >= 500 ? undefined : Status.unschedulable('Insufficient cpu');
 * }
 * ```
 */
export class NodeInfo {
  // The fields the filters read for every node come first, so they share a cache line.
  #hot: Float64Array;
  #base: number;
  /** `spec.unschedulable` of the node (cordoned). Read-only for plugins. */
  unschedulable = false;
  /** `spec.taints` of the node (empty when none). Read-only for plugins. */
  taints: readonly kinds.Taint[] = NO_TAINTS;
  /** `pods.length`. Read-only for plugins. */
  podCount = 0;
  /** The node's allocatable `pods`. Read-only for plugins. */
  allowedPodNumber = 0;
  /** Whether the node reports any image (`imageStates` is not empty). Read-only for plugins. */
  hasImages = false;
  /** The node's name. */
  readonly name: string;
  #node: kinds.Node | undefined;
  /** The pods on the node, bound or assumed. */
  pods: PodInfo[] = [];
  /** The pods with inter-pod affinity or anti-affinity of any kind. */
  podsWithAffinity: PodInfo[] = [];
  /** The pods with required anti-affinity. */
  podsWithRequiredAntiAffinity: PodInfo[] = [];
  /** The host ports the node's pods use. Read-only for plugins. */
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
   * Values plugins derive from this node's pods (e.g. how many match a selector), by a key of the
   * plugin's choosing, valid while `generation` is unchanged. Saves recounting the pods of the
   * many nodes a cycle did not change.
   */
  readonly memo = new Map<string, { readonly generation: number; readonly value: number }>();

  /** A value derived from this node's pods, computed once per generation. */
  memoized(key: string, compute: (node: NodeInfo) => number): number {
    const hit = this.memo.get(key);
    if (hit !== undefined && hit.generation === this.generation) return hit.value;
    const value = compute(this);
    this.memo.set(key, { generation: this.generation, value });
    return value;
  }

  /**
   * @param storage Where to keep the hot numbers; the scheduler cache passes a slot of its packed
   * array. @default an array of its own
   */
  constructor(name: string, node?: kinds.Node, storage?: NodeInfoStorage) {
    this.#hot = storage?.array ?? new Float64Array(NODE_INFO_SLOT_SIZE);
    this.#base = storage?.base ?? 0;
    this.#hot.fill(0, this.#base, this.#base + NODE_INFO_SLOT_SIZE);
    this.name = name;
    if (node !== undefined) this.setNode(node);
  }

  /** The node's allocatable CPU, in millicores. */
  get allocatableMilliCPU(): number {
    return this.#hot[this.#base + ALLOC_CPU] as number;
  }
  /** The node's allocatable memory, in bytes. */
  get allocatableMemory(): number {
    return this.#hot[this.#base + ALLOC_MEM] as number;
  }
  /** The node's allocatable ephemeral storage, in bytes. */
  get allocatableEphemeralStorage(): number {
    return this.#hot[this.#base + ALLOC_EPH] as number;
  }
  /** The CPU requested by the pods on the node, in millicores. */
  get requestedMilliCPU(): number {
    return this.#hot[this.#base + REQ_CPU] as number;
  }
  /** The memory requested by the pods on the node, in bytes. */
  get requestedMemory(): number {
    return this.#hot[this.#base + REQ_MEM] as number;
  }
  /** The ephemeral storage requested by the pods on the node, in bytes. */
  get requestedEphemeralStorage(): number {
    return this.#hot[this.#base + REQ_EPH] as number;
  }
  /** The non-zero CPU requests of the pods (100m for a container without one), in millicores. */
  get nonZeroMilliCPU(): number {
    return this.#hot[this.#base + NZ_CPU] as number;
  }
  /** The non-zero memory requests of the pods (200 MiB for a container without one), in bytes. */
  get nonZeroMemory(): number {
    return this.#hot[this.#base + NZ_MEM] as number;
  }

  /** Move the hot numbers to another storage (the cache's packed array grew). @internal */
  moveStorage(storage: NodeInfoStorage): void {
    storage.array.set(this.#hot.subarray(this.#base, this.#base + NODE_INFO_SLOT_SIZE), storage.base);
    this.#hot = storage.array;
    this.#base = storage.base;
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
    const a = Resource.fromList(node.status?.allocatable ?? node.status?.capacity);
    this.allocatable = a;
    const h = this.#hot;
    const b = this.#base;
    h[b + ALLOC_CPU] = a.milliCPU;
    h[b + ALLOC_MEM] = a.memory;
    h[b + ALLOC_EPH] = a.ephemeralStorage;
    this.allowedPodNumber = a.allowedPodNumber;
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
    const nz = this.nonZeroRequested;
    nz.milliCPU += sign * pi.nonZeroMilliCPU;
    nz.memory += sign * pi.nonZeroMemory;
    const h = this.#hot;
    const b = this.#base;
    h[b + REQ_CPU] = r.milliCPU;
    h[b + REQ_MEM] = r.memory;
    h[b + REQ_EPH] = r.ephemeralStorage;
    h[b + NZ_CPU] = nz.milliCPU;
    h[b + NZ_MEM] = nz.memory;
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
    c.#hot.set(this.#hot.subarray(this.#base, this.#base + NODE_INFO_SLOT_SIZE));
    c.unschedulable = this.unschedulable;
    c.taints = this.taints;
    c.podCount = this.podCount;
    c.allowedPodNumber = this.allowedPodNumber;
    c.#node = this.#node;
    c.pods = [...this.pods];
    c.podsWithAffinity = [...this.podsWithAffinity];
    c.podsWithRequiredAntiAffinity = [...this.podsWithRequiredAntiAffinity];
    c.usedPorts = this.usedPorts.clone();
    c.requested = this.requested.clone();
    c.nonZeroRequested = this.nonZeroRequested.clone();
    c.allocatable = this.allocatable.clone();
    c.imageStates = this.imageStates;
    c.hasImages = this.hasImages;
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

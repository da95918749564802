/**
 * The scheduler's cache of node allocations (kube-scheduler's `internal/cache`): every node and
 * the pods on it, bound or *assumed*.
 *
 * When the scheduler picks a node it assumes the pod there at once (before the binding is
 * written), so the next pods see the node's resources as taken. Then:
 * - the binding succeeds and the informer sees the pod bound: the assumed pod is *confirmed*
 *   (replaced by the real one, on the node it was really bound to);
 * - the binding fails: the assumed pod is *forgotten* and its resources are free again.
 *
 * Assumed pods never expire on their own (Kubernetes' default since 1.x: a binding either fails,
 * and is forgotten, or is seen by the informer).
 *
 * @module
 */
import type { kinds } from '@harbormaster/core';
import type { NodeInfoLister } from '../framework/interface.js';
import { NODE_INFO_SLOT_SIZE, NodeInfo, type ImageState, type NodeInfoStorage } from '../framework/node-info.js';
import type { PodInfo } from '../framework/pod-info.js';
import { NodeTree } from './node-tree.js';

interface PodState {
  podInfo: PodInfo;
  nodeName: string;
  assumed: boolean;
  bindingFinished: boolean;
}

interface MutableImageState extends ImageState {
  readonly nodes: Set<string>;
}

/**
 * Nodes and the pods on them, with assumed pods.
 *
 * @example
 * ```ts
 * const cache = scheduler.cache;
 * cache.get('node-1')?.requested.milliCPU; // CPU requested on node-1, assumed pods included
 * cache.isAssumed(pod.metadata.uid);       // true between Reserve and the informer seeing the binding
 * ```
 */
export class SchedulerCache implements NodeInfoLister {
  readonly #nodes = new Map<string, NodeInfo>();
  readonly #tree = new NodeTree();
  readonly #pods = new Map<string, PodState>();
  readonly #images = new Map<string, MutableImageState>();
  #list: NodeInfo[] | undefined;
  /** Every node's hot numbers, packed: one slot of NODE_INFO_SLOT_SIZE doubles per node. */
  #slab = new Float64Array(NODE_INFO_SLOT_SIZE * 1024);
  readonly #slotOf = new Map<string, number>();
  readonly #freeSlots: number[] = [];
  #nextSlot = 0;
  #affinityList: NodeInfo[] | undefined;
  #antiAffinityList: NodeInfo[] | undefined;

  // --- Nodes

  /** A new NodeInfo whose hot numbers live in the packed array. */
  #newNodeInfo(name: string): NodeInfo {
    let slot = this.#freeSlots.pop();
    if (slot === undefined) {
      slot = this.#nextSlot++;
      if ((slot + 1) * NODE_INFO_SLOT_SIZE > this.#slab.length) this.#grow();
    }
    this.#slotOf.set(name, slot);
    const storage: NodeInfoStorage = { array: this.#slab, base: slot * NODE_INFO_SLOT_SIZE };
    const ni = new NodeInfo(name, undefined, storage);
    this.#nodes.set(name, ni);
    return ni;
  }

  #grow(): void {
    const bigger = new Float64Array(this.#slab.length * 2);
    bigger.set(this.#slab);
    this.#slab = bigger;
    for (const [name, ni] of this.#nodes) ni.moveStorage({ array: bigger, base: (this.#slotOf.get(name) ?? 0) * NODE_INFO_SLOT_SIZE });
  }

  #deleteNodeInfo(name: string): void {
    this.#nodes.delete(name);
    const slot = this.#slotOf.get(name);
    if (slot === undefined) return;
    this.#slotOf.delete(name);
    this.#freeSlots.push(slot);
  }

  /** Add or replace a node. */
  addNode(node: kinds.Node): NodeInfo {
    const name = node.metadata.name ?? '';
    let ni = this.#nodes.get(name);
    if (ni === undefined) ni = this.#newNodeInfo(name);
    else this.#removeImages(ni);
    ni.setNode(node);
    this.#addImages(ni, node);
    this.#tree.add(node);
    this.#list = undefined;
    this.#affinityList = undefined;
    this.#antiAffinityList = undefined;
    return ni;
  }

  /** Update a node (same as add). */
  updateNode(node: kinds.Node): NodeInfo {
    return this.addNode(node);
  }

  /** Remove a node. Its pods stay accounted (on a node without a Node object) until they are deleted. */
  removeNode(name: string): void {
    const ni = this.#nodes.get(name);
    if (ni === undefined) return;
    this.#removeImages(ni);
    this.#tree.remove(name);
    if (ni.pods.length === 0) this.#deleteNodeInfo(name);
    else ni.removeNode();
    this.#list = undefined;
    this.#affinityList = undefined;
    this.#antiAffinityList = undefined;
  }

  #addImages(ni: NodeInfo, node: kinds.Node): void {
    const states = new Map<string, ImageState>();
    for (const image of node.status?.images ?? []) {
      for (const name of image.names ?? []) {
        let state = this.#images.get(name);
        if (state === undefined) this.#images.set(name, (state = { size: image.sizeBytes ?? 0, nodes: new Set() }));
        state.nodes.add(ni.name);
        states.set(name, state);
      }
    }
    ni.imageStates = states;
    ni.hasImages = states.size > 0;
  }

  #removeImages(ni: NodeInfo): void {
    for (const name of ni.imageStates.keys()) {
      const state = this.#images.get(name);
      if (state === undefined) continue;
      state.nodes.delete(ni.name);
      if (state.nodes.size === 0) this.#images.delete(name);
    }
    ni.imageStates = new Map();
    ni.hasImages = false;
  }

  // --- Pods

  #nodeFor(name: string): NodeInfo {
    return this.#nodes.get(name) ?? this.#newNodeInfo(name);
  }

  #place(podInfo: PodInfo, nodeName: string): void {
    this.#nodeFor(nodeName).addPod(podInfo);
    if (podInfo.hasAffinity) this.#affinityList = undefined;
    if (podInfo.hasRequiredAntiAffinity) this.#antiAffinityList = undefined;
  }

  #unplace(podInfo: PodInfo, nodeName: string): void {
    const ni = this.#nodes.get(nodeName);
    if (ni === undefined) return;
    ni.removePod(podInfo.key);
    if (podInfo.hasAffinity) this.#affinityList = undefined;
    if (podInfo.hasRequiredAntiAffinity) this.#antiAffinityList = undefined;
    if (ni.node === undefined && ni.pods.length === 0) this.#deleteNodeInfo(nodeName);
  }

  /**
   * Assume `podInfo` (whose pod has `spec.nodeName` set) on its node, before the binding is written.
   * @throws Error if the pod is in the cache already.
   */
  assumePod(podInfo: PodInfo): void {
    const nodeName = podInfo.pod.spec.nodeName ?? '';
    if (this.#pods.has(podInfo.uid)) throw new Error(`pod ${podInfo.key} is in the cache already, so it cannot be assumed`);
    this.#place(podInfo, nodeName);
    this.#pods.set(podInfo.uid, { podInfo, nodeName, assumed: true, bindingFinished: false });
  }

  /** The binding of an assumed pod was written. */
  finishBinding(uid: string): void {
    const s = this.#pods.get(uid);
    if (s !== undefined && s.assumed) s.bindingFinished = true;
  }

  /** Forget an assumed pod (its binding failed): its resources are free again. */
  forgetPod(uid: string): void {
    const s = this.#pods.get(uid);
    if (s === undefined || !s.assumed) return;
    this.#unplace(s.podInfo, s.nodeName);
    this.#pods.delete(uid);
  }

  /** Whether the pod is assumed and not yet confirmed. */
  isAssumed(uid: string): boolean {
    return this.#pods.get(uid)?.assumed ?? false;
  }

  /** Whether the pod is in the cache (assumed or bound). */
  hasPod(uid: string): boolean {
    return this.#pods.has(uid);
  }

  /** A bound pod seen by the informer: confirms an assumed pod, or adds it. */
  addPod(podInfo: PodInfo): void {
    const nodeName = podInfo.pod.spec.nodeName ?? '';
    const s = this.#pods.get(podInfo.uid);
    if (s !== undefined) {
      // Confirm (or refresh): account the real pod on the node it is really bound to.
      this.#unplace(s.podInfo, s.nodeName);
      this.#place(podInfo, nodeName);
      s.podInfo = podInfo;
      s.nodeName = nodeName;
      s.assumed = false;
      return;
    }
    this.#place(podInfo, nodeName);
    this.#pods.set(podInfo.uid, { podInfo, nodeName, assumed: false, bindingFinished: true });
  }

  /** A bound pod changed. */
  updatePod(podInfo: PodInfo): void {
    this.addPod(podInfo);
  }

  /** A bound pod went away (deleted, or finished). */
  removePod(uid: string): void {
    const s = this.#pods.get(uid);
    if (s === undefined) return;
    this.#unplace(s.podInfo, s.nodeName);
    this.#pods.delete(uid);
  }

  /** The cached PodInfo of a pod. */
  getPod(uid: string): PodInfo | undefined {
    return this.#pods.get(uid)?.podInfo;
  }

  /** How many pods are cached (bound and assumed). */
  get podCount(): number {
    return this.#pods.size;
  }

  /** How many pods are assumed and not yet confirmed. */
  get assumedCount(): number {
    let n = 0;
    for (const s of this.#pods.values()) if (s.assumed) n++;
    return n;
  }

  // --- NodeInfoLister

  /** How many nodes (with a Node object) there are. */
  get nodeCount(): number {
    return this.#tree.size;
  }

  list(): readonly NodeInfo[] {
    if (this.#list === undefined) {
      const out: NodeInfo[] = [];
      for (const name of this.#tree.list()) {
        const ni = this.#nodes.get(name);
        if (ni?.node !== undefined) out.push(ni);
      }
      this.#list = out;
    }
    return this.#list;
  }

  get(name: string): NodeInfo | undefined {
    const ni = this.#nodes.get(name);
    return ni?.node === undefined ? undefined : ni;
  }

  havePodsWithAffinityList(): readonly NodeInfo[] {
    this.#affinityList ??= this.list().filter((n) => n.podsWithAffinity.length > 0);
    return this.#affinityList;
  }

  havePodsWithRequiredAntiAffinityList(): readonly NodeInfo[] {
    this.#antiAffinityList ??= this.list().filter((n) => n.podsWithRequiredAntiAffinity.length > 0);
    return this.#antiAffinityList;
  }
}

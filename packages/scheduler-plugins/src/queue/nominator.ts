/**
 * Pods nominated to run on a node (after they preempted others there) but not bound yet. The
 * Filter plugins take them into account when scheduling pods of lower or equal priority, so the
 * room made for a preemptor is not taken by someone else.
 *
 * @module
 */
import type { PodInfo } from '../framework/pod-info.js';

/** Nominated pods by node. */
export class Nominator {
  readonly #byNode = new Map<string, PodInfo[]>();
  readonly #nodeOf = new Map<string, string>();

  /** Nominate the pod to `nodeName` (or to its `status.nominatedNodeName`); replaces an earlier nomination. */
  add(podInfo: PodInfo, nodeName?: string): void {
    this.delete(podInfo.uid);
    const node = nodeName ?? podInfo.pod.status?.nominatedNodeName ?? '';
    if (node === '') return;
    let list = this.#byNode.get(node);
    if (list === undefined) this.#byNode.set(node, (list = []));
    list.push(podInfo);
    this.#nodeOf.set(podInfo.uid, node);
  }

  /** Drop the pod's nomination. */
  delete(uid: string): void {
    const node = this.#nodeOf.get(uid);
    if (node === undefined) return;
    this.#nodeOf.delete(uid);
    const list = this.#byNode.get(node);
    if (list === undefined) return;
    const i = list.findIndex((p) => p.uid === uid);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#byNode.delete(node);
  }

  /** Replace the PodInfo of a nominated pod, keeping its node unless the new pod names another. */
  update(podInfo: PodInfo): void {
    const current = this.#nodeOf.get(podInfo.uid);
    const wanted = podInfo.pod.status?.nominatedNodeName;
    if (current === undefined && (wanted === undefined || wanted === '')) return;
    this.add(podInfo, wanted !== undefined && wanted !== '' ? wanted : current);
  }

  /** The pods nominated to `nodeName`. */
  podsForNode(nodeName: string): readonly PodInfo[] {
    return this.#byNode.get(nodeName) ?? [];
  }

  /** The node a pod is nominated to. */
  nodeOf(uid: string): string | undefined {
    return this.#nodeOf.get(uid);
  }

  get size(): number {
    return this.#nodeOf.size;
  }
}

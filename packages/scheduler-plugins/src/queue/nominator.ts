/**
 * Pods nominated to run on a node (after they preempted others there) but not bound yet. The
 * Filter plugins take them into account when scheduling pods of lower or equal priority, so the
 * room made for a preemptor is not taken by someone else.
 *
 * @module
 */
import type { kinds } from '@harbormaster/core';
import type { PodInfo } from '../framework/pod-info.js';

/** Nominated pods by node. */
export class Nominator {
  readonly #byNode = new Map<string, PodInfo[]>();
  readonly #nodeOf = new Map<string, string>();

  /**
   * Nominate the pod (Kubernetes' `addNominatedPod`), replacing an earlier nomination:
   * `nodeName` `undefined` takes the node from the pod's `status.nominatedNodeName` (mode Noop),
   * a string overrides it (mode Override); an empty node clears the nomination.
   */
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

  /**
   * A nominated (or not) pending pod changed from `oldPod` to `podInfo` (Kubernetes'
   * `UpdateNominatedPod`). When neither version has a `status.nominatedNodeName`, the in-memory
   * nomination is kept: an update can arrive right after preemption nominated the pod but before
   * the API has the nomination. Otherwise the new version decides: a nomination added or changed
   * is taken, one removed is dropped (a cleared nomination holds no room on the node any more).
   */
  updateNominatedPod(oldPod: kinds.Pod, podInfo: PodInfo): void {
    const before = oldPod.status?.nominatedNodeName ?? '';
    const after = podInfo.pod.status?.nominatedNodeName ?? '';
    const current = this.#nodeOf.get(podInfo.uid);
    this.add(podInfo, before === '' && after === '' ? (current ?? '') : undefined);
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

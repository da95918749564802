/**
 * ImageLocality (Score; default weight 1): prefers nodes that already have the pod's images, by
 * their size scaled by how many nodes have them (an image on every node is no reason to pick
 * one): the sum over containers of `size × nodesWithImage / allNodes`, clamped between 23 MiB and
 * 1000 MiB per container, mapped to 0–100. An image without tag counts as `:latest`. When no
 * candidate node reports images, scoring is skipped (all would score 0).
 *
 * @module
 */
import type { kinds } from '@harbormaster/core';
import type { CycleState } from '../framework/cycle-state.js';
import { MAX_NODE_SCORE, type Handle, type PluginFactory, type PreScorePlugin, type ScorePlugin } from '../framework/interface.js';
import type { NodeInfo } from '../framework/node-info.js';
import { Status, type PluginStatus } from '../framework/status.js';
import { names } from './names.js';

const MB = 1024 * 1024;
/** Below this sum of image sizes, the score is 0. */
export const MIN_THRESHOLD = 23 * MB;
/** Per container, above this the score is 100. */
export const MAX_CONTAINER_THRESHOLD = 1000 * MB;

/** `nginx` → `nginx:latest`; a tag or digest is kept. */
export function normalizedImageName(name: string): string {
  if (name.lastIndexOf(':') <= name.lastIndexOf('/')) return `${name}:latest`;
  return name;
}

/** The score for a sum of scaled image sizes and a number of containers. */
export function imageLocalityScore(sumScores: number, numContainers: number): number {
  const max = MAX_CONTAINER_THRESHOLD * numContainers;
  const s = Math.min(Math.max(sumScores, MIN_THRESHOLD), max);
  return Math.trunc((MAX_NODE_SCORE * (s - MIN_THRESHOLD)) / (max - MIN_THRESHOLD));
}

/** The ImageLocality plugin. */
export const imageLocality: PluginFactory = ({ handle }: { handle: Handle }): PreScorePlugin & ScorePlugin => ({
  name: names.ImageLocality,
  preScore(_state: CycleState, _pod: kinds.Pod, nodes: readonly NodeInfo[]): PluginStatus {
    // Nodes that report no images all score 0: nothing to rank.
    for (const n of nodes) if (n.hasImages) return undefined;
    return Status.skip();
  },
  score(_state: CycleState, pod: kinds.Pod, nodeInfo: NodeInfo): number {
    const containers = pod.spec.containers.length + (pod.spec.initContainers?.length ?? 0);
    if (!nodeInfo.hasImages) return imageLocalityScore(0, containers);
    const total = handle.snapshot.list().length;
    let sum = 0;
    const add = (image: string | undefined): void => {
      if (image === undefined) return;
      const state = nodeInfo.imageStates.get(normalizedImageName(image));
      if (state !== undefined) sum += Math.trunc(state.size * (state.nodes.size / total));
    };
    for (const c of pod.spec.initContainers ?? []) add(c.image);
    for (const c of pod.spec.containers) add(c.image);
    return imageLocalityScore(sum, containers);
  },
});

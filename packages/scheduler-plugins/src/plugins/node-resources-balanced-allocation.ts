/**
 * NodeResourcesBalancedAllocation (PreScore, Score; default weight 1): prefers nodes where the
 * pod leaves CPU and memory (by default) equally used: `(1 − std(requested/allocatable)) × 100`
 * over the resources, fractions capped at 1. Best-effort pods (requesting nothing) skip it.
 *
 * Args (`NodeResourcesBalancedAllocationArgs`): `resources` [{ name, weight }], default cpu and
 * memory.
 *
 * @module
 */
import type { kinds } from '@harbormaster/core';
import { stateKey, type CycleState } from '../framework/cycle-state.js';
import { MAX_NODE_SCORE, type PluginFactory, type PreScorePlugin, type ScorePlugin } from '../framework/interface.js';
import type { NodeInfo } from '../framework/node-info.js';
import { podInfoOf } from '../framework/pod-info.js';
import { Status, type PluginStatus } from '../framework/status.js';
import { allocatableAndRequested, DEFAULT_SCORING_RESOURCES, podScoringRequests, type ResourceSpec } from './node-resources-fit.js';
import { names } from './names.js';

/** The arguments of NodeResourcesBalancedAllocation. */
export interface NodeResourcesBalancedAllocationArgs {
  /** @default cpu and memory */
  readonly resources?: readonly ResourceSpec[] | undefined;
}

const preScoreKey = stateKey<number[]>('PreScore' + names.NodeResourcesBalancedAllocation);

/** `(1 − standard deviation of the used fractions) × 100`. */
export function balancedResourceScore(requested: readonly number[], allocatable: readonly number[]): number {
  const fractions: number[] = [];
  let total = 0;
  for (let i = 0; i < requested.length; i++) {
    const cap = allocatable[i] as number;
    if (cap === 0) continue;
    const f = Math.min(1, (requested[i] as number) / cap);
    total += f;
    fractions.push(f);
  }
  let std = 0;
  if (fractions.length === 2) std = Math.abs(((fractions[0] as number) - (fractions[1] as number)) / 2);
  else if (fractions.length > 2) {
    const mean = total / fractions.length;
    let sum = 0;
    for (const f of fractions) sum += (f - mean) * (f - mean);
    std = Math.sqrt(sum / fractions.length);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

/** The score for cpu and memory (the default resources), without allocations. */
function balancedCpuMemory(podReq: readonly number[], nodeInfo: NodeInfo): number {
  const capCPU = nodeInfo.allocatableMilliCPU;
  const capMem = nodeInfo.allocatableMemory;
  // One fraction or none: no deviation.
  if (capCPU === 0 || capMem === 0) return MAX_NODE_SCORE;
  const fc = Math.min(1, (nodeInfo.requestedMilliCPU + (podReq[0] as number)) / capCPU);
  const fm = Math.min(1, (nodeInfo.requestedMemory + (podReq[1] as number)) / capMem);
  return Math.trunc((1 - Math.abs((fc - fm) / 2)) * MAX_NODE_SCORE);
}

/** The NodeResourcesBalancedAllocation plugin. */
export const nodeResourcesBalancedAllocation: PluginFactory = ({ args }): PreScorePlugin & ScorePlugin => {
  const resources = ((args ?? {}) as NodeResourcesBalancedAllocationArgs).resources ?? DEFAULT_SCORING_RESOURCES;
  // Score runs once per node: remember the last cycle's requests instead of reading the state each time.
  let lastState: CycleState | undefined;
  let lastPodReq: readonly number[] | undefined;
  const cpuAndMemory = resources.length === 2 && resources[0]?.name === 'cpu' && resources[1]?.name === 'memory';
  return {
    name: names.NodeResourcesBalancedAllocation,
    preScore(state: CycleState, pod: kinds.Pod): PluginStatus {
      const req = podScoringRequests(podInfoOf(state, pod), resources, true);
      if (req.every((r) => r === 0)) return Status.skip();
      state.write(preScoreKey, req);
      lastState = undefined;
      return undefined;
    },
    score(state: CycleState, pod: kinds.Pod, nodeInfo: NodeInfo): number {
      if (state !== lastState || lastPodReq === undefined) {
        lastPodReq = state.read(preScoreKey) ?? podScoringRequests(podInfoOf(state, pod), resources, true);
        lastState = state;
      }
      const podReq = lastPodReq;
      if (cpuAndMemory) return balancedCpuMemory(podReq, nodeInfo);
      const { requested, allocatable } = allocatableAndRequested(resources, podReq, nodeInfo, true);
      return balancedResourceScore(requested, allocatable);
    },
  };
};

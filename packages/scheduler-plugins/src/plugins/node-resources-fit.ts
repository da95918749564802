/**
 * NodeResourcesFit (PreFilter, Filter, PreScore, Score; default weight 1).
 *
 * Filter: the node must have room for the pod's requests (see `resources.ts` for how init
 * containers, sidecars, pod-level resources and overhead count): `pods` ("Too many pods"), CPU,
 * memory, ephemeral storage and extended resources ("Insufficient cpu", "Insufficient memory",
 * …; every missing resource is a reason). When the pod requests more than the node has in total,
 * preemption cannot help (UnschedulableAndUnresolvable).
 *
 * Score, by `scoringStrategy.type`:
 * - `LeastAllocated` (default): `(allocatable − requested) × 100 / allocatable` per resource,
 *   weighted mean; spreads pods.
 * - `MostAllocated`: `requested × 100 / allocatable`; packs pods.
 * - `RequestedToCapacityRatio`: a piecewise-linear `shape` of utilization (0–100) to score
 *   (0–10, scaled to 0–100).
 * CPU and memory use the non-zero requests (100m / 200 MiB for containers that request none).
 *
 * Args (`NodeResourcesFitArgs`): `scoringStrategy` (`type`, `resources` [{ name, weight }], default
 * cpu and memory with weight 1, `requestedToCapacityRatio.shape`), `ignoredResources`,
 * `ignoredResourceGroups`.
 *
 * @module
 */
import type { kinds } from '@harbormaster/core';
import { stateKey, type CycleState } from '../framework/cycle-state.js';
import { ActionType, type ClusterEventWithHint, type QueueingHint } from '../framework/events.js';
import { MAX_NODE_SCORE, type EnqueueExtensions, type FilterPlugin, type PluginFactory, type PreFilterOutcome, type PreFilterPlugin, type PreScorePlugin, type ScorePlugin } from '../framework/interface.js';
import { NodeInfo } from '../framework/node-info.js';
import { PodInfo, podInfoOf } from '../framework/pod-info.js';
import { isExtendedResourceName, type Resource } from '../framework/resources.js';
import { Status, type PluginStatus } from '../framework/status.js';
import { names } from './names.js';

/** A resource and its weight in scoring. */
export interface ResourceSpec {
  /** The resource's name, e.g. `cpu`, `memory` or `example.com/gpu`. */
  readonly name: string;
  /** Its weight in the node's score; 0 or unset means 1. */
  readonly weight?: number | undefined;
}

/** A point of the RequestedToCapacityRatio shape: utilization 0–100 → score 0–10. */
export interface UtilizationShapePoint {
  /** The requested share of the node's allocatable, in percent (0–100). */
  readonly utilization: number;
  /** The score at that utilization (0–10); scores between points are interpolated. */
  readonly score: number;
}

/** How NodeResourcesFit scores nodes. */
export interface ScoringStrategy {
  /** @default "LeastAllocated" */
  readonly type?: 'LeastAllocated' | 'MostAllocated' | 'RequestedToCapacityRatio' | undefined;
  /** @default [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }] */
  readonly resources?: readonly ResourceSpec[] | undefined;
  /** For `RequestedToCapacityRatio`: the `shape`, points mapping utilization to score. */
  readonly requestedToCapacityRatio?: { readonly shape: readonly UtilizationShapePoint[] } | undefined;
}

/** The arguments of NodeResourcesFit. */
export interface NodeResourcesFitArgs {
  /** How nodes are scored. @default LeastAllocated on cpu and memory */
  readonly scoringStrategy?: ScoringStrategy | undefined;
  /** Extended resources the filter ignores. */
  readonly ignoredResources?: readonly string[] | undefined;
  /** Groups (the part before `/`) of extended resources the filter ignores. */
  readonly ignoredResourceGroups?: readonly string[] | undefined;
}

/** The default scoring resources: cpu and memory, weight 1. */
export const DEFAULT_SCORING_RESOURCES: readonly ResourceSpec[] = [
  { name: 'cpu', weight: 1 },
  { name: 'memory', weight: 1 },
];

/** One resource the pod lacks on a node. */
export interface InsufficientResource {
  readonly resourceName: string;
  readonly reason: string;
  readonly requested: number;
  readonly used: number;
  readonly capacity: number;
  /** The node could never hold the pod (its allocatable is less than the request). */
  readonly unresolvable: boolean;
}

const preFilterKey = stateKey<PodInfo>('PreFilter' + names.NodeResourcesFit);
const preScoreKey = stateKey<number[]>('PreScore' + names.NodeResourcesFit);

/** Extended resources the filter ignores, by name and by group (the part before `/`). */
export interface IgnoredResources {
  readonly resources?: ReadonlySet<string> | undefined;
  readonly groups?: ReadonlySet<string> | undefined;
}

const NO_IGNORED: IgnoredResources = {};
const FITS: readonly InsufficientResource[] = Object.freeze([]);

function insufficient(name: string, requested: number, capacity: number, used: number): InsufficientResource {
  return { resourceName: name, reason: `Insufficient ${name}`, requested, used, capacity, unresolvable: requested > capacity };
}

/** The resources `requests` lacks on `nodeInfo`, as Kubernetes' `fitsRequest` (empty when it fits). */
export function fitsRequest(requests: Resource, nodeInfo: NodeInfo, ignored: IgnoredResources = NO_IGNORED): readonly InsufficientResource[] {
  let out: InsufficientResource[] | undefined;
  const podCount = nodeInfo.podCount;
  const allowedPods = nodeInfo.allowedPodNumber;
  if (podCount + 1 > allowedPods) {
    (out ??= []).push({ resourceName: 'pods', reason: 'Too many pods', requested: 1, used: podCount, capacity: allowedPods, unresolvable: false });
  }
  const cpu = requests.milliCPU;
  const mem = requests.memory;
  const eph = requests.ephemeralStorage;
  const scalar = requests.scalar;
  if (cpu === 0 && mem === 0 && eph === 0 && (scalar === undefined || requests.isZero())) return out ?? FITS;
  if (cpu > 0 && cpu > nodeInfo.allocatableMilliCPU - nodeInfo.requestedMilliCPU) {
    (out ??= []).push(insufficient('cpu', cpu, nodeInfo.allocatableMilliCPU, nodeInfo.requestedMilliCPU));
  }
  if (mem > 0 && mem > nodeInfo.allocatableMemory - nodeInfo.requestedMemory) {
    (out ??= []).push(insufficient('memory', mem, nodeInfo.allocatableMemory, nodeInfo.requestedMemory));
  }
  if (eph > 0 && eph > nodeInfo.allocatableEphemeralStorage - nodeInfo.requestedEphemeralStorage) {
    (out ??= []).push(insufficient('ephemeral-storage', eph, nodeInfo.allocatableEphemeralStorage, nodeInfo.requestedEphemeralStorage));
  }
  if (scalar !== undefined) {
    const alloc = nodeInfo.allocatable;
    const used = nodeInfo.requested;
    for (const [name, req] of scalar) {
      if (req === 0) continue;
      if (isExtendedResourceName(name)) {
        if (ignored.resources?.has(name)) continue;
        if (ignored.groups?.has(name.slice(0, name.indexOf('/')))) continue;
      }
      const cap = alloc.scalar?.get(name) ?? 0;
      const inUse = used.scalar?.get(name) ?? 0;
      if (req > cap - inUse) (out ??= []).push(insufficient(name, req, cap, inUse));
    }
  }
  return out ?? FITS;
}

type Scorer = (requested: readonly number[], allocatable: readonly number[]) => number;

function leastAllocated(weights: readonly number[]): Scorer {
  return (req, alloc) => {
    let score = 0;
    let sum = 0;
    for (let i = 0; i < req.length; i++) {
      const cap = alloc[i] as number;
      if (cap === 0) continue;
      const r = req[i] as number;
      const s = r > cap ? 0 : Math.trunc(((cap - r) * MAX_NODE_SCORE) / cap);
      score += s * (weights[i] as number);
      sum += weights[i] as number;
    }
    return sum === 0 ? 0 : Math.trunc(score / sum);
  };
}

function mostAllocated(weights: readonly number[]): Scorer {
  return (req, alloc) => {
    let score = 0;
    let sum = 0;
    for (let i = 0; i < req.length; i++) {
      const cap = alloc[i] as number;
      if (cap === 0) continue;
      const r = Math.min(req[i] as number, cap);
      score += Math.trunc((r * MAX_NODE_SCORE) / cap) * (weights[i] as number);
      sum += weights[i] as number;
    }
    return sum === 0 ? 0 : Math.trunc(score / sum);
  };
}

/** A piecewise-linear function through the points (utilization ascending), flat outside them. */
export function brokenLinearFunction(shape: readonly { readonly utilization: number; readonly score: number }[]): (p: number) => number {
  return (p) => {
    for (let i = 0; i < shape.length; i++) {
      const pt = shape[i] as { utilization: number; score: number };
      if (p <= pt.utilization) {
        if (i === 0) return pt.score;
        const prev = shape[i - 1] as { utilization: number; score: number };
        return prev.score + Math.trunc(((pt.score - prev.score) * (p - prev.utilization)) / (pt.utilization - prev.utilization));
      }
    }
    return (shape[shape.length - 1] as { score: number }).score;
  };
}

function requestedToCapacityRatio(weights: readonly number[], shape: readonly UtilizationShapePoint[]): Scorer {
  const fn = brokenLinearFunction(shape.map((p) => ({ utilization: p.utilization, score: p.score * (MAX_NODE_SCORE / 10) })));
  return (req, alloc) => {
    let score = 0;
    let sum = 0;
    for (let i = 0; i < req.length; i++) {
      const cap = alloc[i] as number;
      if (cap === 0) continue;
      const r = req[i] as number;
      const s = r > cap ? fn(100) : fn(Math.trunc((r * 100) / cap));
      if (s > 0) {
        score += s * (weights[i] as number);
        sum += weights[i] as number;
      }
    }
    return sum === 0 ? 0 : Math.round(score / sum);
  };
}

/**
 * The requested and allocatable amounts of each scoring resource on a node, with the pod's
 * requests added (CPU and memory from the non-zero requests unless `useRequested`). A scalar
 * resource the pod does not request is left out (0, 0).
 */
export function allocatableAndRequested(
  resources: readonly ResourceSpec[],
  podRequests: readonly number[],
  nodeInfo: NodeInfo,
  useRequested: boolean,
): { readonly requested: number[]; readonly allocatable: number[] } {
  const requested: number[] = new Array<number>(resources.length);
  const allocatable: number[] = new Array<number>(resources.length);
  const used = useRequested ? nodeInfo.requested : nodeInfo.nonZeroRequested;
  for (let i = 0; i < resources.length; i++) {
    const name = (resources[i] as ResourceSpec).name;
    const podReq = podRequests[i] as number;
    let alloc = 0;
    let req = 0;
    switch (name) {
      case 'cpu':
        alloc = nodeInfo.allocatable.milliCPU;
        req = used.milliCPU + podReq;
        break;
      case 'memory':
        alloc = nodeInfo.allocatable.memory;
        req = used.memory + podReq;
        break;
      case 'ephemeral-storage':
        alloc = nodeInfo.allocatable.ephemeralStorage;
        req = nodeInfo.requested.ephemeralStorage + podReq;
        break;
      default:
        if (podReq !== 0) {
          alloc = nodeInfo.allocatable.scalar?.get(name) ?? 0;
          req = (nodeInfo.requested.scalar?.get(name) ?? 0) + podReq;
        }
    }
    if (alloc === 0) {
      requested[i] = 0;
      allocatable[i] = 0;
    } else {
      requested[i] = req;
      allocatable[i] = alloc;
    }
  }
  return { requested, allocatable };
}

/** LeastAllocated over cpu and memory with equal weights, without allocations. */
function leastAllocatedCpuMemory(podReq: readonly number[], nodeInfo: NodeInfo): number {
  let score = 0;
  let n = 0;
  const capCPU = nodeInfo.allocatableMilliCPU;
  if (capCPU !== 0) {
    const r = nodeInfo.nonZeroMilliCPU + (podReq[0] as number);
    score += r > capCPU ? 0 : Math.trunc(((capCPU - r) * MAX_NODE_SCORE) / capCPU);
    n++;
  }
  const capMem = nodeInfo.allocatableMemory;
  if (capMem !== 0) {
    const r = nodeInfo.nonZeroMemory + (podReq[1] as number);
    score += r > capMem ? 0 : Math.trunc(((capMem - r) * MAX_NODE_SCORE) / capMem);
    n++;
  }
  return n === 0 ? 0 : Math.trunc(score / n);
}

/** The pod's requests of each scoring resource (CPU and memory non-zero unless `useRequested`). */
export function podScoringRequests(pi: PodInfo, resources: readonly ResourceSpec[], useRequested: boolean): number[] {
  return resources.map((r) => {
    if (!useRequested && r.name === 'cpu') return pi.nonZeroMilliCPU;
    if (!useRequested && r.name === 'memory') return pi.nonZeroMemory;
    return pi.requests.get(r.name);
  });
}

/** The NodeResourcesFit plugin. */
export const nodeResourcesFit: PluginFactory = ({ args }): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions => {
  const a = (args ?? {}) as NodeResourcesFitArgs;
  const strategy = a.scoringStrategy ?? {};
  const resources = strategy.resources ?? DEFAULT_SCORING_RESOURCES;
  const weights = resources.map((r) => (r.weight === undefined || r.weight === 0 ? 1 : r.weight));
  const type = strategy.type ?? 'LeastAllocated';
  let scorer: Scorer;
  switch (type) {
    case 'LeastAllocated':
      scorer = leastAllocated(weights);
      break;
    case 'MostAllocated':
      scorer = mostAllocated(weights);
      break;
    case 'RequestedToCapacityRatio': {
      const shape = strategy.requestedToCapacityRatio?.shape;
      if (shape === undefined || shape.length === 0) throw new Error('NodeResourcesFit: scoringStrategy.requestedToCapacityRatio.shape is required for RequestedToCapacityRatio');
      scorer = requestedToCapacityRatio(weights, [...shape].sort((x, y) => x.utilization - y.utilization));
      break;
    }
    default:
      throw new Error(`NodeResourcesFit: unknown scoringStrategy.type ${String(type)}`);
  }
  const ignored: IgnoredResources = { resources: new Set(a.ignoredResources ?? []), groups: new Set(a.ignoredResourceGroups ?? []) };
  // The default resources (cpu and memory, equal weights) have a fast path.
  const cpuAndMemoryEqual = resources.length === 2 && resources[0]?.name === 'cpu' && resources[1]?.name === 'memory' && weights[0] === weights[1];
  // The filter and score run once per node: remember the last cycle's values instead of reading the state each time.
  let lastFilterState: CycleState | undefined;
  let lastRequests: Resource | undefined;
  let lastScoreState: CycleState | undefined;
  let lastPodReq: readonly number[] | undefined;
  const podInfoFor = (state: CycleState, pod: kinds.Pod): PodInfo => state.read(preFilterKey) ?? podInfoOf(state, pod);
  const requestsFor = (state: CycleState, pod: kinds.Pod): Resource => {
    if (state === lastFilterState && lastRequests !== undefined) return lastRequests;
    lastRequests = podInfoFor(state, pod).requests;
    lastFilterState = state;
    return lastRequests;
  };
  const scoringRequestsFor = (state: CycleState, pod: kinds.Pod): readonly number[] => {
    if (state === lastScoreState && lastPodReq !== undefined) return lastPodReq;
    lastPodReq = state.read(preScoreKey) ?? podScoringRequests(podInfoFor(state, pod), resources, false);
    lastScoreState = state;
    return lastPodReq;
  };
  return {
    name: names.NodeResourcesFit,
    preFilter(state: CycleState, pod: kinds.Pod): PreFilterOutcome {
      state.write(preFilterKey, podInfoOf(state, pod));
      lastFilterState = undefined;
      return undefined;
    },
    filter(state: CycleState, pod: kinds.Pod, nodeInfo: NodeInfo): PluginStatus {
      const lacking = fitsRequest(requestsFor(state, pod), nodeInfo, ignored);
      if (lacking.length === 0) return undefined;
      const unresolvable = lacking.some((r) => r.unresolvable);
      return new Status(unresolvable ? 'UnschedulableAndUnresolvable' : 'Unschedulable', lacking.map((r) => r.reason));
    },
    preScore(state: CycleState, pod: kinds.Pod): PluginStatus {
      state.write(preScoreKey, podScoringRequests(podInfoFor(state, pod), resources, false));
      lastScoreState = undefined;
      return undefined;
    },
    score(state: CycleState, pod: kinds.Pod, nodeInfo: NodeInfo): number {
      const podReq = scoringRequestsFor(state, pod);
      if (cpuAndMemoryEqual && type === 'LeastAllocated') return leastAllocatedCpuMemory(podReq, nodeInfo);
      const { requested, allocatable } = allocatableAndRequested(resources, podReq, nodeInfo, false);
      return scorer(requested, allocatable);
    },
    eventsToRegister(): ClusterEventWithHint[] {
      // Only a node big enough for the pod (were it empty) can help it.
      const queueingHint = (pod: kinds.Pod, _oldObj: unknown, newObj: unknown): QueueingHint => {
        const node = newObj as kinds.Node | undefined;
        if (node === undefined) return 'Queue';
        const empty = new NodeInfo(node.metadata.name ?? '', node);
        return fitsRequest(PodInfo.of(pod).requests, empty, ignored).every((r) => r.resourceName === 'pods') ? 'Queue' : 'QueueSkip';
      };
      return [
        { event: { resource: 'AssignedPod', actions: ActionType.Delete | ActionType.UpdatePodScaleDown } },
        { event: { resource: 'Node', actions: ActionType.Add | ActionType.UpdateNodeAllocatable }, queueingHint },
      ];
    },
  };
};

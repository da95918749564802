/**
 * InterPodAffinity (PreFilter, Filter, PreScore, Score; default weight 2): pod affinity and
 * anti-affinity between pods, per topology domain (`topologyKey`, e.g. hostname or zone).
 *
 * Filter:
 * - the pod's required affinity: every term needs a matching pod in the node's domain ("node(s)
 *   didn't match pod affinity rules"; preemption cannot help). A pod matching its own terms
 *   while no pod anywhere matches them may go anywhere (the first pod of a group);
 * - the pod's required anti-affinity: no matching pod in the node's domain ("node(s) didn't match
 *   pod anti-affinity rules");
 * - existing pods' required anti-affinity: the pod must not match the terms of a pod in the same
 *   domain ("node(s) didn't satisfy existing pods anti-affinity rules").
 *
 * Score: preferred terms of the pod (+weight for affinity, −weight for anti-affinity), the
 * preferred terms of existing pods towards the pod (symmetry), and `hardPodAffinityWeight` for
 * existing pods' required affinity terms matching the pod; summed per domain, min–max normalized.
 *
 * Terms select pods by `labelSelector` (plus `matchLabelKeys` / `mismatchLabelKeys`) in the
 * pod's namespace, in `namespaces`, or in namespaces matching `namespaceSelector` (`{}`: all).
 *
 * Args (`InterPodAffinityArgs`): `hardPodAffinityWeight` (default 1),
 * `ignorePreferredTermsOfExistingPods` (default false).
 *
 * @module
 */
import { kinds, type Informer, type Labels } from '@harbormaster/core';
import { stateKey, type CycleState } from '../framework/cycle-state.js';
import { ActionType, type ClusterEventWithHint } from '../framework/events.js';
import {
  MAX_NODE_SCORE,
  type EnqueueExtensions,
  type FilterPlugin,
  type Handle,
  type NodeScore,
  type PluginFactory,
  type PreFilterOutcome,
  type PreFilterPlugin,
  type PreScorePlugin,
  type ScorePlugin,
} from '../framework/interface.js';
import type { NodeInfo } from '../framework/node-info.js';
import { podInfoOf, podMatchesAllAffinityTerms, type AffinityTerm, type PodInfo, type WeightedAffinityTerm } from '../framework/pod-info.js';
import { Status, type PluginStatus } from '../framework/status.js';
import { names } from './names.js';

/** The arguments of InterPodAffinity. */
export interface InterPodAffinityArgs {
  /** The score an existing pod's required affinity term matching the pod adds. @default 1 */
  readonly hardPodAffinityWeight?: number | undefined;
  /**
   * Skip scoring (PreScore returns Skip) for a pod without preferred affinity or anti-affinity
   * terms of its own, instead of scoring it by the existing pods' preferred terms; a pod with such
   * terms is still scored by both. @default false
   */
  readonly ignorePreferredTermsOfExistingPods?: boolean | undefined;
}

export const ERR_REASON_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod anti-affinity rules";
export const ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't satisfy existing pods anti-affinity rules";

/** Counts per `topologyKey\0value`. */
type TopologyCounts = Map<string, number>;
const tp = (key: string, value: string): string => `${key}\u0000${value}`;

function add(m: TopologyCounts, k: string, d: number): void {
  const v = (m.get(k) ?? 0) + d;
  if (v === 0) m.delete(k);
  else m.set(k, v);
}

class FilterState {
  constructor(
    readonly requiredAffinity: readonly AffinityTerm[],
    readonly requiredAntiAffinity: readonly AffinityTerm[],
    readonly pod: kinds.Pod,
    readonly namespaceLabels: Labels,
    readonly existingAntiAffinityCounts: TopologyCounts,
    readonly affinityCounts: TopologyCounts,
    readonly antiAffinityCounts: TopologyCounts,
  ) {}

  clone(): FilterState {
    return new FilterState(
      this.requiredAffinity,
      this.requiredAntiAffinity,
      this.pod,
      this.namespaceLabels,
      new Map(this.existingAntiAffinityCounts),
      new Map(this.affinityCounts),
      new Map(this.antiAffinityCounts),
    );
  }

  /** Account for `pi` added (`multiplier` 1) to or removed (-1) from `node`. */
  update(pi: PodInfo, node: kinds.Node, multiplier: number): void {
    const labels = node.metadata.labels ?? {};
    // Existing pod's anti-affinity towards the incoming pod.
    for (const t of pi.requiredAntiAffinityTerms) {
      const v = labels[t.topologyKey];
      if (v !== undefined && t.matches(this.pod, this.namespaceLabels)) add(this.existingAntiAffinityCounts, tp(t.topologyKey, v), multiplier);
    }
    // The incoming pod's terms towards the existing pod.
    if (this.requiredAffinity.length > 0 && podMatchesAllAffinityTerms(this.requiredAffinity, pi.pod)) {
      for (const t of this.requiredAffinity) {
        const v = labels[t.topologyKey];
        if (v !== undefined) add(this.affinityCounts, tp(t.topologyKey, v), multiplier);
      }
    }
    for (const t of this.requiredAntiAffinity) {
      const v = labels[t.topologyKey];
      if (v !== undefined && t.matches(pi.pod, undefined)) add(this.antiAffinityCounts, tp(t.topologyKey, v), multiplier);
    }
  }
}

interface ScoreState {
  /** Score per `topologyKey\0value`. */
  readonly topologyScore: Map<string, number>;
  /** The topology keys that appear in `topologyScore`. */
  readonly keys: Set<string>;
}

const filterKey = stateKey<FilterState>('PreFilter' + names.InterPodAffinity);
const scoreKey = stateKey<ScoreState>('PreScore' + names.InterPodAffinity);

/** The InterPodAffinity plugin. */
export const interPodAffinity: PluginFactory = ({ args, handle }: { args: unknown; handle: Handle }): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions => {
  const a = (args ?? {}) as InterPodAffinityArgs;
  const hardWeight = a.hardPodAffinityWeight ?? 1;
  if (hardWeight < 0 || hardWeight > 100) throw new Error('InterPodAffinity: hardPodAffinityWeight must be in the range 0-100');
  const ignoreExisting = a.ignorePreferredTermsOfExistingPods ?? false;
  const namespaces: Informer<typeof kinds.Namespace> = handle.informers.informerFor(kinds.Namespace);

  const nsLabels = (name: string | undefined): Labels => namespaces.cache.get(name ?? 'default')?.metadata.labels;

  /** Fold a non-empty namespace selector into the term's namespace names. */
  const mergeNamespaces = (t: AffinityTerm): AffinityTerm => {
    if (t.namespaceSelector.empty || t.namespaceSelector.nothing) return t;
    const matching = namespaces.cache.list({ labelSelector: t.namespaceSelector }).map((n) => n.metadata.name ?? '');
    return t.withNamespaces(matching);
  };

  return {
    name: names.InterPodAffinity,
    preFilter(state: CycleState, pod: kinds.Pod, nodes: readonly NodeInfo[]): PreFilterOutcome {
      const pi = podInfoOf(state, pod);
      const withAnti = handle.snapshot.havePodsWithRequiredAntiAffinityList();
      if (withAnti.length === 0 && pi.requiredAffinityTerms.length === 0 && pi.requiredAntiAffinityTerms.length === 0) return Status.skip();
      const s = new FilterState(
        pi.requiredAffinityTerms.map(mergeNamespaces),
        pi.requiredAntiAffinityTerms.map(mergeNamespaces),
        pod,
        nsLabels(pod.metadata.namespace),
        new Map(),
        new Map(),
        new Map(),
      );
      for (const ni of withAnti) {
        const labels = ni.labels ?? {};
        for (const existing of ni.podsWithRequiredAntiAffinity) {
          for (const t of existing.requiredAntiAffinityTerms) {
            const v = labels[t.topologyKey];
            if (v !== undefined && t.matches(pod, s.namespaceLabels)) add(s.existingAntiAffinityCounts, tp(t.topologyKey, v), 1);
          }
        }
      }
      if (s.requiredAffinity.length > 0 || s.requiredAntiAffinity.length > 0) {
        for (const ni of nodes) {
          const labels = ni.labels;
          if (labels === undefined) continue;
          for (const existing of ni.pods) {
            if (s.requiredAffinity.length > 0 && podMatchesAllAffinityTerms(s.requiredAffinity, existing.pod)) {
              for (const t of s.requiredAffinity) {
                const v = labels[t.topologyKey];
                if (v !== undefined) add(s.affinityCounts, tp(t.topologyKey, v), 1);
              }
            }
            for (const t of s.requiredAntiAffinity) {
              const v = labels[t.topologyKey];
              if (v !== undefined && t.matches(existing.pod, undefined)) add(s.antiAffinityCounts, tp(t.topologyKey, v), 1);
            }
          }
        }
      }
      if (s.existingAntiAffinityCounts.size === 0 && s.requiredAffinity.length === 0 && s.requiredAntiAffinity.length === 0) return Status.skip();
      state.write(filterKey, s);
      return undefined;
    },
    preFilterExtensions: {
      addPod(state, _podToSchedule, podInfoToAdd, nodeInfo) {
        const s = state.read(filterKey);
        if (s !== undefined && nodeInfo.node !== undefined) s.update(podInfoToAdd, nodeInfo.node, 1);
        return undefined;
      },
      removePod(state, _podToSchedule, podInfoToRemove, nodeInfo) {
        const s = state.read(filterKey);
        if (s !== undefined && nodeInfo.node !== undefined) s.update(podInfoToRemove, nodeInfo.node, -1);
        return undefined;
      },
    },
    filter(state: CycleState, pod: kinds.Pod, nodeInfo: NodeInfo): PluginStatus {
      const s = state.read(filterKey);
      if (s === undefined) return undefined;
      const labels = nodeInfo.labels ?? {};
      // The pod's required affinity.
      let podsExist = true;
      for (const t of s.requiredAffinity) {
        const v = labels[t.topologyKey];
        if (v === undefined) return Status.unresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH);
        if ((s.affinityCounts.get(tp(t.topologyKey, v)) ?? 0) <= 0) podsExist = false;
      }
      if (!podsExist && !(s.affinityCounts.size === 0 && podMatchesAllAffinityTerms(s.requiredAffinity, pod))) {
        return Status.unresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH);
      }
      // The pod's required anti-affinity.
      if (s.antiAffinityCounts.size > 0) {
        for (const t of s.requiredAntiAffinity) {
          const v = labels[t.topologyKey];
          if (v !== undefined && (s.antiAffinityCounts.get(tp(t.topologyKey, v)) ?? 0) > 0) return Status.unschedulable(ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH);
        }
      }
      // Existing pods' required anti-affinity.
      if (s.existingAntiAffinityCounts.size > 0) {
        for (const k in labels) {
          if ((s.existingAntiAffinityCounts.get(tp(k, labels[k] as string)) ?? 0) > 0) return Status.unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH);
        }
      }
      return undefined;
    },
    preScore(state: CycleState, pod: kinds.Pod, nodes: readonly NodeInfo[]): PluginStatus {
      if (nodes.length === 0) return undefined;
      const pi = podInfoOf(state, pod);
      const hasConstraints = pi.preferredAffinityTerms.length > 0 || pi.preferredAntiAffinityTerms.length > 0;
      if (ignoreExisting && !hasConstraints) return Status.skip();
      const all = hasConstraints ? handle.snapshot.list() : handle.snapshot.havePodsWithAffinityList();
      if (all.length === 0) return Status.skip();
      const podNsLabels = nsLabels(pod.metadata.namespace);
      const preferredAffinity = pi.preferredAffinityTerms.map((w) => ({ term: mergeNamespaces(w.term), weight: w.weight }));
      const preferredAnti = pi.preferredAntiAffinityTerms.map((w) => ({ term: mergeNamespaces(w.term), weight: w.weight }));
      const topologyScore = new Map<string, number>();
      const keys = new Set<string>();
      const processTerm = (t: AffinityTerm, weight: number, target: kinds.Pod, targetNsLabels: Labels, labels: Readonly<Record<string, string>>, multiplier: number): void => {
        if (!t.matches(target, targetNsLabels)) return;
        const v = labels[t.topologyKey];
        if (v === undefined) return;
        add(topologyScore, tp(t.topologyKey, v), weight * multiplier);
        keys.add(t.topologyKey);
      };
      const processTerms = (terms: readonly WeightedAffinityTerm[], target: kinds.Pod, targetNsLabels: Labels, labels: Readonly<Record<string, string>>, multiplier: number): void => {
        for (const w of terms) processTerm(w.term, w.weight, target, targetNsLabels, labels, multiplier);
      };
      for (const ni of all) {
        const labels = ni.labels;
        if (labels === undefined || Object.keys(labels).length === 0) continue;
        const pods = hasConstraints ? ni.pods : ni.podsWithAffinity;
        for (const existing of pods) {
          processTerms(preferredAffinity, existing.pod, undefined, labels, 1);
          processTerms(preferredAnti, existing.pod, undefined, labels, -1);
          if (hardWeight > 0) for (const t of existing.requiredAffinityTerms) processTerm(t, hardWeight, pod, podNsLabels, labels, 1);
          // Existing pods' preferred terms count even with ignorePreferredTermsOfExistingPods, once
          // the pod has preferred terms of its own (the option only skips pods without any).
          processTerms(existing.preferredAffinityTerms, pod, podNsLabels, labels, 1);
          processTerms(existing.preferredAntiAffinityTerms, pod, podNsLabels, labels, -1);
        }
      }
      if (topologyScore.size === 0) return Status.skip();
      state.write(scoreKey, { topologyScore, keys });
      return undefined;
    },
    score(state: CycleState, _pod: kinds.Pod, nodeInfo: NodeInfo): number {
      const s = state.read(scoreKey);
      if (s === undefined) return 0;
      const labels = nodeInfo.labels;
      if (labels === undefined) return 0;
      let score = 0;
      for (const k of s.keys) {
        const v = labels[k];
        if (v !== undefined) score += s.topologyScore.get(tp(k, v)) ?? 0;
      }
      return score;
    },
    normalizeScore(state: CycleState, _pod: kinds.Pod, scores: NodeScore[]): PluginStatus {
      const s = state.read(scoreKey);
      if (s === undefined || s.topologyScore.size === 0) return undefined;
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (const sc of scores) {
        if (sc.score > max) max = sc.score;
        if (sc.score < min) min = sc.score;
      }
      const diff = max - min;
      for (const sc of scores) sc.score = diff > 0 ? Math.trunc(MAX_NODE_SCORE * ((sc.score - min) / diff)) : 0;
      return undefined;
    },
    eventsToRegister(): ClusterEventWithHint[] {
      return [
        { event: { resource: 'Pod', actions: ActionType.Add | ActionType.UpdatePodLabel | ActionType.Delete } },
        { event: { resource: 'Node', actions: ActionType.Add | ActionType.UpdateNodeLabel } },
      ];
    },
  };
};

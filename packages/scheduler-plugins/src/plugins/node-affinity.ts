/**
 * NodeAffinity (PreFilter, Filter, PreScore, Score; default weight 2).
 *
 * - Filter: the node must match the pod's `nodeSelector` and its required node affinity
 *   ("node(s) didn't match Pod's node affinity/selector"), and the profile's `addedAffinity`
 *   if configured ("node(s) didn't match scheduler-enforced node affinity").
 * - PreFilter: when every required term names nodes by `metadata.name`, only those nodes are
 *   considered; it is skipped for pods with no node requirement.
 * - Score: the sum of the weights of the preferred terms the node matches, normalized to 0–100.
 *
 * Args (`NodeAffinityArgs`): `addedAffinity`, a NodeAffinity applied to every pod of the profile.
 *
 * @module
 */
import type { kinds } from '@harbormaster/core';
import { stateKey, type CycleState } from '../framework/cycle-state.js';
import { ActionType, type ClusterEventWithHint, type QueueingHint } from '../framework/events.js';
import type {
  EnqueueExtensions,
  FilterPlugin,
  NodeScore,
  PluginFactory,
  PreFilterOutcome,
  PreFilterPlugin,
  PreScorePlugin,
  ScorePlugin,
} from '../framework/interface.js';
import type { NodeInfo } from '../framework/node-info.js';
import { Status, type PluginStatus } from '../framework/status.js';
import { NodeSelectorMatcher, PreferredSchedulingTerms, RequiredNodeAffinity } from '../helpers/node-affinity.js';
import { defaultNormalizeScore } from '../helpers/normalize.js';
import { names } from './names.js';

/** The arguments of NodeAffinity. */
export interface NodeAffinityArgs {
  /** Node affinity every pod of the profile must (required) or should (preferred) satisfy. */
  readonly addedAffinity?: kinds.NodeAffinity | undefined;
}

/** The reason of a node that does not match the pod's node affinity or selector. */
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";
/** The reason of a node that does not match the profile's added affinity. */
export const ERR_REASON_ENFORCED = "node(s) didn't match scheduler-enforced node affinity";
/** The reason when the pod's required terms name no node in common. */
export const ERR_REASON_CONFLICT = 'pod affinity terms conflict';

const preFilterKey = stateKey<RequiredNodeAffinity>('PreFilter' + names.NodeAffinity);
const preScoreKey = stateKey<PreferredSchedulingTerms>('PreScore' + names.NodeAffinity);

/** The NodeAffinity plugin. */
export const nodeAffinity: PluginFactory = ({ args }): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions => {
  const a = (args ?? {}) as NodeAffinityArgs;
  const addedRequired = a.addedAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const addedSelector = addedRequired === undefined ? undefined : new NodeSelectorMatcher(addedRequired);
  const addedPreferred = new PreferredSchedulingTerms(a.addedAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
  return {
    name: names.NodeAffinity,
    preFilter(state: CycleState, pod: kinds.Pod): PreFilterOutcome {
      const required = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
      if (required === undefined && addedSelector === undefined && pod.spec.nodeSelector === undefined) return Status.skip();
      state.write(preFilterKey, new RequiredNodeAffinity(pod));
      const terms = required?.nodeSelectorTerms ?? [];
      if (terms.length === 0) return undefined;
      let nodeNames: Set<string> | undefined;
      for (const t of terms) {
        let termNames: Set<string> | undefined;
        for (const r of t.matchFields ?? []) {
          if (r.key !== 'metadata.name' || r.operator !== 'In') continue;
          const s = new Set(r.values ?? []);
          termNames = termNames === undefined ? s : new Set([...termNames].filter((n) => s.has(n)));
        }
        // A term without a metadata.name requirement can match any node: no restriction.
        if (termNames === undefined) return undefined;
        nodeNames ??= new Set();
        for (const n of termNames) nodeNames.add(n);
      }
      if (nodeNames !== undefined && nodeNames.size === 0) return Status.unresolvable(ERR_REASON_CONFLICT);
      return nodeNames === undefined ? undefined : { nodeNames };
    },
    filter(state: CycleState, pod: kinds.Pod, nodeInfo: NodeInfo): PluginStatus {
      const node = nodeInfo.node;
      if (node === undefined) return Status.error(new Error('node not found'));
      if (addedSelector !== undefined && !addedSelector.match(node)) return Status.unresolvable(ERR_REASON_ENFORCED);
      const required = state.read(preFilterKey) ?? new RequiredNodeAffinity(pod);
      if (!required.match(node)) return Status.unresolvable(ERR_REASON_POD);
      return undefined;
    },
    preScore(state: CycleState, pod: kinds.Pod): PluginStatus {
      const preferred = new PreferredSchedulingTerms(pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
      if (preferred.empty && addedPreferred.empty) return Status.skip();
      state.write(preScoreKey, preferred);
      return undefined;
    },
    score(state: CycleState, pod: kinds.Pod, nodeInfo: NodeInfo): number {
      const node = nodeInfo.node;
      if (node === undefined) return 0;
      const preferred = state.read(preScoreKey) ?? new PreferredSchedulingTerms(pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
      return addedPreferred.score(node) + preferred.score(node);
    },
    normalizeScore(_state: CycleState, _pod: kinds.Pod, scores: NodeScore[]): PluginStatus {
      defaultNormalizeScore(scores, false);
      return undefined;
    },
    eventsToRegister(): ClusterEventWithHint[] {
      // Only a node that now matches the pod's requirements can help it.
      const queueingHint = (pod: kinds.Pod, _oldObj: unknown, newObj: unknown): QueueingHint => {
        const node = newObj as kinds.Node | undefined;
        if (node === undefined) return 'Queue';
        if (addedSelector !== undefined && !addedSelector.match(node)) return 'QueueSkip';
        return new RequiredNodeAffinity(pod).match(node) ? 'Queue' : 'QueueSkip';
      };
      return [{ event: { resource: 'Node', actions: ActionType.Add | ActionType.UpdateNodeLabel }, queueingHint }];
    },
  };
};

/**
 * TaintToleration (Filter, PreScore, Score; default weight 3).
 *
 * - Filter: a node with a `NoSchedule` or `NoExecute` taint the pod does not tolerate is
 *   rejected ("node(s) had untolerated taint {key: value}"); preemption cannot help.
 * - Score: the fewer `PreferNoSchedule` taints the pod does not tolerate, the better; scores are
 *   normalized in reverse (no untolerated taint = 100). When no candidate node has such a taint,
 *   every node would score 100, so scoring is skipped (the ranking is the same).
 *
 * @module
 */
import type { kinds } from '@harbormaster/core';
import { stateKey, type CycleState } from '../framework/cycle-state.js';
import { ActionType, type ClusterEventWithHint, type QueueingHint } from '../framework/events.js';
import type { EnqueueExtensions, FilterPlugin, NodeScore, PluginFactory, PreScorePlugin, ScorePlugin } from '../framework/interface.js';
import type { NodeInfo } from '../framework/node-info.js';
import { Status, type PluginStatus } from '../framework/status.js';
import { defaultNormalizeScore } from '../helpers/normalize.js';
import { doNotScheduleTaint, findUntoleratedTaint, tolerationsTolerateTaint } from '../helpers/taints.js';
import { names } from './names.js';

const preScoreKey = stateKey<readonly kinds.Toleration[]>('PreScore' + names.TaintToleration);

/** The TaintToleration plugin. */
export const taintToleration: PluginFactory = (): FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions => ({
  name: names.TaintToleration,
  filter(_state: CycleState, pod: kinds.Pod, nodeInfo: NodeInfo): PluginStatus {
    const taints = nodeInfo.taints;
    if (taints.length === 0) return undefined;
    const taint = findUntoleratedTaint(taints, pod.spec.tolerations, doNotScheduleTaint);
    if (taint === undefined) return undefined;
    return Status.unresolvable(`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`);
  },
  preScore(state: CycleState, pod: kinds.Pod, nodes: readonly NodeInfo[]): PluginStatus {
    // Without PreferNoSchedule taints every node scores the same: nothing to rank.
    let preferNoSchedule = false;
    for (const n of nodes) {
      if (n.taints.length === 0) continue;
      if (n.taints.some((t) => t.effect === 'PreferNoSchedule')) {
        preferNoSchedule = true;
        break;
      }
    }
    if (!preferNoSchedule) return Status.skip();
    const tolerations = (pod.spec.tolerations ?? []).filter((t) => t.effect === undefined || t.effect === '' || t.effect === 'PreferNoSchedule');
    state.write(preScoreKey, tolerations);
    return undefined;
  },
  score(state: CycleState, pod: kinds.Pod, nodeInfo: NodeInfo): number {
    const taints = nodeInfo.taints;
    if (taints.length === 0) return 0;
    const tolerations = state.read(preScoreKey) ?? pod.spec.tolerations ?? [];
    let n = 0;
    for (const t of taints) if (t.effect === 'PreferNoSchedule' && !tolerationsTolerateTaint(tolerations, t)) n++;
    return n;
  },
  normalizeScore(_state: CycleState, _pod: kinds.Pod, scores: NodeScore[]): PluginStatus {
    defaultNormalizeScore(scores, true);
    return undefined;
  },
  eventsToRegister(): ClusterEventWithHint[] {
    // Only a node whose NoSchedule/NoExecute taints the pod tolerates can help it.
    const queueingHint = (pod: kinds.Pod, _oldObj: unknown, newObj: unknown): QueueingHint => {
      const node = newObj as kinds.Node | undefined;
      if (node === undefined) return 'Queue';
      return findUntoleratedTaint(node.spec?.taints, pod.spec.tolerations, doNotScheduleTaint) === undefined ? 'Queue' : 'QueueSkip';
    };
    return [
      { event: { resource: 'Node', actions: ActionType.Add | ActionType.UpdateNodeTaint }, queueingHint },
      { event: { resource: 'UnscheduledPod', actions: ActionType.UpdatePodToleration } },
    ];
  },
});

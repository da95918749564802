/**
 * DefaultPreemption (PostFilter): when no node fits a pod, find a node where deleting pods of
 * lower priority makes room, delete them, and nominate the node for the pod
 * (`status.nominatedNodeName`); the pod is retried once they are gone.
 *
 * 1. The pod must be eligible: not `preemptionPolicy: Never`, and not already waiting for
 *    victims on its nominated node to terminate.
 * 2. Candidates: nodes rejected as Unschedulable (not UnschedulableAndUnresolvable). On each (a
 *    copy), every lower-priority pod is removed; if the pod then fits, victims are reprieved from
 *    the most important down (higher priority, then earlier start) while it still fits. At least
 *    `max(10% of nodes, 100)` candidates are tried, from a random offset.
 * 3. The best candidate: the lowest highest-victim priority, then the smallest sum of
 *    priorities (each shifted by 2^31, so more victims never sum lower), then the fewest victims,
 *    then the latest of the earliest start times of the highest-priority victims, then the first.
 * 4. Each victim gets the condition `DisruptionTarget=True` (reason `PreemptionByScheduler`) and
 *    is deleted (gracefully); a `Preempted` event is recorded. A victim already terminating is
 *    left alone (no write, no event); one waiting on Permit is rejected instead. Lower-priority
 *    pods nominated to the node lose their nomination.
 *
 * PodDisruptionBudgets are not consulted (Harbormaster has none), so no victim "violates" one.
 * When preemption cannot help, the message explains it per node, prefixed with "preemption: ":
 * `preemption: 0/5 nodes are available: 2 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.`
 *
 * Args (`DefaultPreemptionArgs`): `minCandidateNodesPercentage` (10), `minCandidateNodesAbsolute` (100).
 *
 * @module
 */
import { isNotFound, kinds } from '@harbormaster/core';
import type { CycleState } from '../framework/cycle-state.js';
import { formatFitError, NodeToStatus } from '../framework/fit-error.js';
import type { Handle, PluginFactory, PostFilterPlugin, PostFilterResult } from '../framework/interface.js';
import type { NodeInfo } from '../framework/node-info.js';
import type { PodInfo } from '../framework/pod-info.js';
import { Status } from '../framework/status.js';
import { patchPodStatus } from '../helpers/pod-status.js';
import { names } from './names.js';

/** The arguments of DefaultPreemption. */
export interface DefaultPreemptionArgs {
  /** @default 10 */
  readonly minCandidateNodesPercentage?: number | undefined;
  /** @default 100 */
  readonly minCandidateNodesAbsolute?: number | undefined;
}

/** A node where preemption makes room, and the pods to delete there (most important first). */
export interface Candidate {
  readonly nodeName: string;
  readonly victims: readonly PodInfo[];
}

const INT32_OFFSET = 2 ** 31;

function startTime(p: kinds.Pod, now: number): number {
  const t = p.status?.startTime;
  return t === undefined || t === null ? now : Date.parse(t);
}

/** Whether `a` is more important than `b`: higher priority, then started earlier. */
export function moreImportantPod(a: kinds.Pod, b: kinds.Pod, now: number): boolean {
  const pa = a.spec.priority ?? 0;
  const pb = b.spec.priority ?? 0;
  if (pa !== pb) return pa > pb;
  return startTime(a, now) < startTime(b, now);
}

function podTerminatingByPreemption(p: kinds.Pod): boolean {
  if (!p.metadata.deletionTimestamp) return false;
  const c = p.status?.conditions?.find((x) => x.type === 'DisruptionTarget');
  return c !== undefined && c.status === 'True' && c.reason === 'PreemptionByScheduler';
}

/** Pick the best candidate (Kubernetes' `pickOneNodeForPreemption`, without PDBs). */
export function pickOneNodeForPreemption(candidates: readonly Candidate[], now: number): Candidate | undefined {
  if (candidates.length === 0) return undefined;
  const scoreFuncs: ((c: Candidate) => number)[] = [
    (c) => -((c.victims[0]?.priority ?? 0)),
    (c) => -c.victims.reduce((s, v) => s + v.priority + INT32_OFFSET, 0),
    (c) => -c.victims.length,
    (c) => {
      // The latest start among the highest-priority victims' earliest start.
      const top = c.victims[0]?.priority ?? 0;
      let earliest = Number.POSITIVE_INFINITY;
      for (const v of c.victims) if (v.priority === top) earliest = Math.min(earliest, startTime(v.pod, now));
      return earliest === Number.POSITIVE_INFINITY ? Number.NEGATIVE_INFINITY : earliest;
    },
  ];
  let pool = [...candidates];
  for (const f of scoreFuncs) {
    let best = Number.NEGATIVE_INFINITY;
    let selected: Candidate[] = [];
    for (const c of pool) {
      const s = f(c);
      if (s > best) {
        best = s;
        selected = [c];
      } else if (s === best) selected.push(c);
    }
    if (selected.length === 1) return selected[0];
    pool = selected;
  }
  return pool[0];
}

/** The DefaultPreemption plugin. */
export const defaultPreemption: PluginFactory = ({ args, handle }: { args: unknown; handle: Handle }): PostFilterPlugin & {
  selectVictimsOnNode(state: CycleState, pod: kinds.Pod, nodeInfo: NodeInfo): { readonly victims: PodInfo[]; readonly status: Status };
} => {
  const a = (args ?? {}) as DefaultPreemptionArgs;
  const pct = a.minCandidateNodesPercentage ?? 10;
  const abs = a.minCandidateNodesAbsolute ?? 100;
  if (pct < 0 || pct > 100) throw new Error('DefaultPreemption: minCandidateNodesPercentage must be in the range 0-100');
  if (abs < 0) throw new Error('DefaultPreemption: minCandidateNodesAbsolute must not be negative');
  const pods = handle.informers.informerFor(kinds.Pod);

  const numCandidates = (n: number): number => Math.min(n, Math.max(Math.trunc((n * pct) / 100), abs));

  const selectVictimsOnNode = (state: CycleState, pod: kinds.Pod, nodeInfo: NodeInfo): { victims: PodInfo[]; status: Status } => {
    const priority = pod.spec.priority ?? 0;
    const potential = nodeInfo.pods.filter((p) => p.priority < priority);
    if (potential.length === 0) return { victims: [], status: Status.unresolvable('No preemption victims found for incoming pod') };
    for (const p of potential) {
      nodeInfo.removePod(p.key);
      const s = handle.runPreFilterExtensionRemovePod(state, pod, p, nodeInfo);
      if (!s.isSuccess()) return { victims: [], status: s };
    }
    const fits = handle.runFilterPluginsWithNominatedPods(state, pod, nodeInfo);
    if (!fits.isSuccess()) return { victims: [], status: fits };
    const now = handle.clock.now();
    potential.sort((x, y) => (moreImportantPod(x.pod, y.pod, now) ? -1 : moreImportantPod(y.pod, x.pod, now) ? 1 : 0));
    const victims: PodInfo[] = [];
    for (const p of potential) {
      nodeInfo.addPod(p);
      const s = handle.runPreFilterExtensionAddPod(state, pod, p, nodeInfo);
      if (!s.isSuccess()) return { victims: [], status: s };
      if (!handle.runFilterPluginsWithNominatedPods(state, pod, nodeInfo).isSuccess()) {
        nodeInfo.removePod(p.key);
        const r = handle.runPreFilterExtensionRemovePod(state, pod, p, nodeInfo);
        if (!r.isSuccess()) return { victims: [], status: r };
        victims.push(p);
      }
    }
    return { victims, status: Status.success };
  };

  const preempt = async (state: CycleState, incoming: kinds.Pod, m: NodeToStatus): Promise<PostFilterResult> => {
    // The latest version of the pod (its nomination may have changed).
    const pod = pods.cache.get({ namespace: incoming.metadata.namespace ?? 'default', name: incoming.metadata.name ?? '' }) ?? incoming;
    if (pod.spec.preemptionPolicy === 'Never') return { status: Status.unschedulable('not eligible due to preemptionPolicy=Never.') };
    const nominated = pod.status?.nominatedNodeName ?? '';
    if (nominated !== '' && m.get(nominated).code !== 'UnschedulableAndUnresolvable') {
      const ni = handle.snapshot.get(nominated);
      const priority = pod.spec.priority ?? 0;
      if (ni !== undefined && ni.pods.some((p) => p.priority < priority && podTerminatingByPreemption(p.pod))) {
        return { status: Status.unschedulable('not eligible due to a terminating pod on the nominated node.') };
      }
    }
    const all = handle.snapshot.list();
    const statuses = new NodeToStatus(Status.unresolvable('Preemption is not helpful for scheduling'));
    const potential = all.filter((n) => m.get(n.name).code === 'Unschedulable');
    const candidates: Candidate[] = [];
    if (potential.length > 0) {
      const offset = Math.floor(handle.random() * potential.length);
      const wanted = numCandidates(potential.length);
      for (let i = 0; i < potential.length && candidates.length < wanted; i++) {
        const ni = (potential[(offset + i) % potential.length] as NodeInfo).clone();
        const { victims, status } = selectVictimsOnNode(state.clone(), pod, ni);
        if (status.isSuccess() && victims.length > 0) candidates.push({ nodeName: ni.name, victims });
        else statuses.set(ni.name, status.isSuccess() ? Status.error(new Error(`expected at least one victim pod on node "${ni.name}"`)) : status);
      }
    }
    if (candidates.length === 0) {
      const msg = formatFitError(all.length, { nodeToStatus: statuses, preFilterMsg: '', postFilterMsg: '' });
      return { status: Status.unschedulable(msg), nominatedNodeName: '' };
    }
    const best = pickOneNodeForPreemption(candidates, handle.clock.now()) as Candidate;
    await prepareCandidate(pod, best);
    return { status: Status.success, nominatedNodeName: best.nodeName };
  };

  const prepareCandidate = async (preemptor: kinds.Pod, c: Candidate): Promise<void> => {
    const message = `${preemptor.spec.schedulerName}: preempting to accommodate a higher priority pod`;
    await Promise.all(
      c.victims.map(async (v) => {
        const victim = v.pod;
        // Graceful deletion has started already: no API call, and no Preempted event (Kubernetes'
        // prepareCandidate skips such victims before anything else).
        if (victim.metadata.deletionTimestamp) return;
        const waiting = handle.getWaitingPod(victim.metadata.uid ?? '');
        if (waiting !== undefined) {
          waiting.reject(names.DefaultPreemption, 'preempted');
        } else {
          try {
            await patchPodStatus({
              client: handle.client,
              clock: handle.clock,
              pod: victim,
              condition: { type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler', message },
            });
            await handle.client.delete(kinds.Pod, { namespace: victim.metadata.namespace ?? 'default', name: victim.metadata.name ?? '' }, { preconditions: { uid: victim.metadata.uid } });
          } catch (e) {
            if (!isNotFound(e)) throw e;
            return;
          }
        }
        handle.recorder.event(victim, 'Normal', 'Preempted', `Preempted by pod ${preemptor.metadata.uid ?? ''} on node ${c.nodeName}`);
      }),
    );
    // Lower-priority pods nominated to this node may no longer fit there: clear their nomination.
    const priority = preemptor.spec.priority ?? 0;
    for (const p of handle.nominatedPodsForNode(c.nodeName)) {
      if (p.priority >= priority) continue;
      await patchPodStatus({ client: handle.client, clock: handle.clock, pod: p.pod, nominatedNodeName: '' }).catch((e: unknown) => {
        handle.logger.warn({ err: e, pod: p.key }, 'could not clear the nominated node name');
      });
    }
  };

  return {
    name: names.DefaultPreemption,
    selectVictimsOnNode,
    async postFilter(state: CycleState, pod: kinds.Pod, m: NodeToStatus): Promise<PostFilterResult> {
      const r = await preempt(state, pod, m);
      const msg = r.status?.message ?? '';
      if (msg === '' || r.status === undefined) return r;
      return { ...r, status: new Status(r.status.code, [`preemption: ${msg}`]) };
    },
  };
};

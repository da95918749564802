/**
 * The scheduler: assigns pending pods to nodes, one scheduling cycle at a time, the way
 * kube-scheduler does.
 *
 * It watches Pods and Nodes through the manager's shared informers. Pending pods whose
 * `spec.schedulerName` names one of its profiles go into the {@link SchedulingQueue}; bound pods
 * and nodes go into the {@link SchedulerCache}. For each pod it pops:
 *
 * 1. **PreFilter**, then **Filter** on the nodes, starting where the last cycle stopped and
 *    stopping once enough feasible nodes are found (percentageOfNodesToScore: adaptive
 *    `max(5, 50 − nodes/125)` % by default, never fewer than 100 nodes). A pod nominated to a
 *    node (after preemption) tries that node first.
 * 2. No node fits: **PostFilter** (preemption), then a `FailedScheduling` Warning event and the
 *    condition `PodScheduled=False` (reason `Unschedulable`) with Kubernetes' message, and the pod
 *    waits in the queue.
 * 3. Otherwise **PreScore** and **Score** on the feasible nodes; the best node wins (ties broken at
 *    random). The pod is *assumed* there in the cache, then **Reserve** and **Permit** run. A
 *    rejection there (or while waiting on Permit) is reported as Kubernetes does since 1.28, as
 *    no fit on the one node tried ("0/1 nodes are available: 1 quota exhausted."), and the pod
 *    waits for an event the rejecting plugin registered.
 * 4. The **binding cycle** runs asynchronously while the next pods are scheduled: wait on Permit,
 *    **PreBind**, **Bind** (one write through the binding subresource: `spec.nodeName` and
 *    `PodScheduled=True`), **PostBind**, and a `Scheduled` event ("Successfully assigned
 *    default/web-0 to node-1"). A failed PreBind or Bind forgets the assumed pod and retries it
 *    after back-off.
 *
 * A pod with `schedulingGates` also gets `PodScheduled=False` with reason `SchedulingGated`.
 *
 * @module
 */
import { kinds, silentLogger, type Clock, type Informer, type Logger, type Manager, type Runnable } from '@harbormaster/core';
import { SchedulerCache } from './cache/scheduler-cache.js';
import { DEFAULT_SCHEDULER_NAME, resolveProfile, type ResolvedProfile } from './config/defaults.js';
import { loadSchedulerConfiguration, validateSchedulerConfiguration } from './config/load.js';
import type { KubeSchedulerConfiguration, KubeSchedulerProfile } from './config/types.js';
import { CycleState } from './framework/cycle-state.js';
import { ActionType, nodeUpdateActions, podUpdateActions, type ClusterEvent } from './framework/events.js';
import { addPluginStatus, FitError, newDiagnosis, type Diagnosis } from './framework/fit-error.js';
import { Framework } from './framework/framework.js';
import type { NodeInfo } from './framework/node-info.js';
import { podInfoKey, PodInfo } from './framework/pod-info.js';
import { rejectorPlugins, type QueuedPodInfo } from './framework/queued-pod-info.js';
import type { Registry } from './framework/registry.js';
import { Status } from './framework/status.js';
import { patchPodStatus } from './helpers/pod-status.js';
import { defaultRegistry } from './plugins/registry.js';
import { Nominator } from './queue/nominator.js';
import { SchedulingQueue } from './queue/scheduling-queue.js';

/** Never look for fewer feasible nodes than this (unless there are fewer nodes). */
export const MIN_FEASIBLE_NODES_TO_FIND = 100;
/** The adaptive percentage never goes below this. */
export const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;
/** The message when the cluster has no node at all. */
export const ERR_NO_NODES_AVAILABLE = 'no nodes available to schedule pods';
/** The longest event message; longer ones are cut, as Kubernetes does. */
const MAX_EVENT_MESSAGE = 1024;

/**
 * How many feasible nodes to find before scoring, as Kubernetes' `numFeasibleNodesToFind`: all of
 * them below 100 nodes; otherwise `percentage` % of them (0 = adaptive: `50 − nodes/125`, at
 * least 5), and at least 100.
 *
 * @example
 * ```ts
 * numFeasibleNodesToFind(0, 5000); // 500 (10 %)
 * numFeasibleNodesToFind(0, 1000); // 420 (42 %)
 * numFeasibleNodesToFind(30, 200); // 100
 * ```
 */
export function numFeasibleNodesToFind(percentage: number, numAllNodes: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let p = percentage;
  if (p === 0) {
    p = 50 - Math.trunc(numAllNodes / 125);
    if (p < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND) p = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
  }
  const n = Math.trunc((numAllNodes * p) / 100);
  return n < MIN_FEASIBLE_NODES_TO_FIND ? MIN_FEASIBLE_NODES_TO_FIND : n;
}

/** Options of {@link createScheduler}. */
export interface SchedulerOptions {
  /** The manager whose informers, client, clock and event recorders the scheduler uses. */
  readonly manager: Manager;
  /**
   * A `KubeSchedulerConfiguration`, as an object or as YAML text.
   * @default one profile, `default-scheduler`, with the default plugins
   */
  readonly configuration?: KubeSchedulerConfiguration | string | undefined;
  /** Profiles; replace the configuration's. @default the configuration's, else one default profile */
  readonly profiles?: readonly KubeSchedulerProfile[] | undefined;
  /** The plugin factories. @default defaultRegistry() */
  readonly registry?: Registry | undefined;
  /** Overrides the configuration's percentageOfNodesToScore (0 = adaptive). @default 0 */
  readonly percentageOfNodesToScore?: number | undefined;
  /** The first back-off of a pod that failed. @default 1000 (or the configuration's podInitialBackoffSeconds) */
  readonly podInitialBackoffMs?: number | undefined;
  /** The longest back-off. @default 10000 (or the configuration's podMaxBackoffSeconds) */
  readonly podMaxBackoffMs?: number | undefined;
  /** How long a pod waits as unschedulable before it is retried anyway. @default 300000 (5 minutes) */
  readonly podMaxInUnschedulablePodsMs?: number | undefined;
  /** Random numbers in [0, 1), for tie-breaking between equal nodes. @default Math.random */
  readonly random?: (() => number) | undefined;
  /** The runnable's name (unique among the manager's runnables). @default "scheduler" */
  readonly name?: string | undefined;
  /** @default the manager's logger */
  readonly logger?: Logger | undefined;
}

/** The scheduler, a {@link Runnable} to add to a manager. */
export interface Scheduler extends Runnable {
  /** The runnable's name in the manager, from {@link SchedulerOptions.name}. */
  readonly name: string;
  /** Scheduling runs only on the elected leader. */
  readonly needLeaderElection: true;
  /** The frameworks, by scheduler name. */
  readonly profiles: ReadonlyMap<string, Framework>;
  /** The queue of pods waiting to be scheduled. */
  readonly queue: SchedulingQueue;
  /** The nodes and the pods on them, assumed pods included. */
  readonly cache: SchedulerCache;
  /** Run until `signal` aborts; resolves once every binding in progress has finished. */
  start(signal: AbortSignal): Promise<void>;
}

const EVENTS = {
  nodeAdd: { resource: 'Node', actions: ActionType.Add, label: 'NodeAdd' },
  nodeDelete: { resource: 'Node', actions: ActionType.Delete, label: 'NodeDelete' },
  assignedPodAdd: { resource: 'AssignedPod', actions: ActionType.Add, label: 'AssignedPodAdd' },
  assignedPodDelete: { resource: 'AssignedPod', actions: ActionType.Delete, label: 'AssignedPodDelete' },
} as const satisfies Record<string, ClusterEvent>;

const isTerminal = (pod: kinds.Pod): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
const isAssigned = (pod: kinds.Pod): boolean => pod.spec.nodeName !== undefined && pod.spec.nodeName !== '';
const uidOf = (pod: kinds.Pod): string => pod.metadata.uid ?? `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;

function truncate(message: string): string {
  if (message.length <= MAX_EVENT_MESSAGE) return message;
  return `${message.slice(0, MAX_EVENT_MESSAGE - 4)} ...`;
}

/** The result of a successful scheduling algorithm run. */
interface ScheduleResult {
  readonly nodeName: string;
  readonly evaluatedNodes: number;
  readonly feasibleNodes: number;
}

class SchedulerImpl implements Scheduler {
  readonly name: string;
  readonly needLeaderElection = true as const;
  readonly profiles = new Map<string, Framework>();
  readonly queue: SchedulingQueue;
  readonly cache = new SchedulerCache();
  readonly #manager: Manager;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #random: () => number;
  readonly #percentage: number;
  readonly #pods: Informer<typeof kinds.Pod>;
  readonly #nodes: Informer<typeof kinds.Node>;
  readonly #pending = new Set<Promise<unknown>>();
  #nextStartNodeIndex = 0;
  #started = false;

  constructor(options: SchedulerOptions) {
    const { manager } = options;
    this.#manager = manager;
    this.name = options.name ?? 'scheduler';
    this.#clock = manager.clock;
    this.#log = (options.logger ?? manager.logger ?? silentLogger).child({ component: this.name });
    this.#random = options.random ?? Math.random;
    const configuration =
      options.configuration === undefined
        ? {}
        : typeof options.configuration === 'string'
          ? loadSchedulerConfiguration(options.configuration)
          : validateSchedulerConfiguration(options.configuration);
    const profiles: ResolvedProfile[] = (options.profiles ?? configuration.profiles ?? [{}]).map(resolveProfile);
    if (profiles.length === 0) profiles.push(resolveProfile({}));
    this.#percentage = options.percentageOfNodesToScore ?? configuration.percentageOfNodesToScore ?? 0;
    if (!(this.#percentage >= 0 && this.#percentage <= 100)) throw new RangeError('percentageOfNodesToScore must be in the range 0 to 100');
    this.#pods = manager.informers.informerFor(kinds.Pod);
    this.#nodes = manager.informers.informerFor(kinds.Node);
    const registry = options.registry ?? defaultRegistry();
    const nominator = new Nominator();
    for (const profile of profiles) {
      if (this.profiles.has(profile.schedulerName)) throw new Error(`two profiles are named ${profile.schedulerName}`);
      const fwk = Framework.create({
        profile,
        registry,
        deps: {
          client: manager.client,
          clock: this.#clock,
          logger: this.#log,
          recorder: manager.recorderFor(profile.schedulerName),
          informers: manager.informers,
          snapshot: this.cache,
          nominator,
          activate: (pods) => this.queue.activate(pods),
          random: this.#random,
        },
      });
      this.profiles.set(profile.schedulerName, fwk);
    }
    const frameworks = [...this.profiles.values()];
    const first = frameworks[0] as Framework;
    const sortName = first.queueSortPlugins[0]?.name;
    for (const f of frameworks) {
      if (f.queueSortPlugins[0]?.name !== sortName) throw new Error(`every profile must use the same queueSort plugin; ${f.profileName} uses ${f.queueSortPlugins[0]?.name ?? 'none'}, ${first.profileName} uses ${sortName ?? 'none'}`);
    }
    this.queue = new SchedulingQueue({
      clock: this.#clock,
      less: (a, b) => first.less(a, b),
      preEnqueue: (pod) => this.profiles.get(pod.spec.schedulerName)?.runPreEnqueuePlugins(pod),
      isEventOfInterest: (qpi, event, oldObj, newObj) => {
        const fwk = this.profiles.get(qpi.podInfo.pod.spec.schedulerName);
        if (fwk === undefined) return false;
        return fwk.isEventOfInterest({ plugins: rejectorPlugins(qpi), event, pod: qpi.podInfo.pod, oldObj, newObj });
      },
      podInitialBackoffMs: options.podInitialBackoffMs ?? (configuration.podInitialBackoffSeconds ?? 1) * 1000,
      podMaxBackoffMs: options.podMaxBackoffMs ?? (configuration.podMaxBackoffSeconds ?? 10) * 1000,
      podMaxInUnschedulablePodsMs: options.podMaxInUnschedulablePodsMs ?? 300_000,
      logger: this.#log,
      nominator,
    });
  }

  async start(signal: AbortSignal): Promise<void> {
    if (this.#started) throw new Error(`${this.name} is started already`);
    this.#started = true;
    const unregister = [this.#nodes.addEventHandler(this.#nodeHandler()), this.#pods.addEventHandler(this.#podHandler())];
    try {
      const synced = await this.#manager.informers.waitForCacheSync(signal);
      if (!synced || signal.aborted) return;
      this.queue.run();
      this.#log.info({ profiles: [...this.profiles.keys()], nodes: this.cache.nodeCount }, 'scheduler started');
      let lastYield = performance.now();
      for (;;) {
        const qpi = await this.queue.pop(signal);
        if (qpi === undefined) break;
        await this.#scheduleOne(qpi);
        // Let timers and I/O run now and then when the queue never runs dry.
        if (performance.now() - lastYield > 20) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          lastYield = performance.now();
        }
      }
    } finally {
      this.queue.close();
      for (const f of this.profiles.values()) f.iterateOverWaitingPods((w) => w.reject('', 'the scheduler is stopping'));
      while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
      for (const u of unregister) u();
    }
  }

  #track(p: Promise<unknown>): void {
    const tracked = p.catch((e: unknown) => this.#log.warn({ err: e }, 'background scheduler work failed'));
    this.#pending.add(tracked);
    void tracked.finally(() => this.#pending.delete(tracked));
  }

  // --- Informer handlers

  #podHandler(): { onAdd(pod: kinds.Pod): void; onUpdate(oldPod: kinds.Pod, newPod: kinds.Pod): void; onDelete(pod: kinds.Pod): void } {
    return {
      onAdd: (pod) => {
        if (isAssigned(pod)) {
          if (isTerminal(pod)) return;
          this.#addAssigned(pod);
          return;
        }
        this.#addPending(pod);
      },
      onUpdate: (oldPod, newPod) => {
        if (isAssigned(newPod)) {
          if (!isAssigned(oldPod)) {
            // Bound (by us, or by someone else): leave the queue, enter the cache.
            this.queue.delete(newPod);
            if (!isTerminal(newPod)) this.#addAssigned(newPod);
            return;
          }
          if (isTerminal(newPod)) {
            this.#removeAssigned(oldPod);
            return;
          }
          const uid = uidOf(newPod);
          const current = this.cache.getPod(uid);
          this.cache.updatePod(current === undefined ? PodInfo.of(newPod) : current.update(newPod));
          const actions = podUpdateActions(oldPod, newPod);
          if (actions !== 0) this.queue.moveAllToActiveOrBackoffQueue({ resource: 'AssignedPod', actions, label: 'AssignedPodUpdate' }, oldPod, newPod);
          return;
        }
        if (!this.profiles.has(newPod.spec.schedulerName) || isTerminal(newPod)) return;
        if (newPod.metadata.deletionTimestamp) {
          this.queue.delete(newPod);
          return;
        }
        this.queue.update(oldPod, newPod);
        this.#markGated(newPod);
      },
      onDelete: (pod) => {
        if (isAssigned(pod)) {
          this.#removeAssigned(pod);
          return;
        }
        this.queue.delete(pod);
        const fwk = this.profiles.get(pod.spec.schedulerName);
        fwk?.rejectWaitingPod(uidOf(pod), 'the pod was deleted');
      },
    };
  }

  #addPending(pod: kinds.Pod): void {
    if (!this.profiles.has(pod.spec.schedulerName) || isTerminal(pod) || pod.metadata.deletionTimestamp) return;
    this.queue.add(pod);
    this.#markGated(pod);
  }

  /** Give a gated pod the condition `PodScheduled=False`, reason `SchedulingGated`. */
  #markGated(pod: kinds.Pod): void {
    if (this.queue.whereIs(uidOf(pod)) !== 'gated') return;
    const c = pod.status?.conditions?.find((x) => x.type === 'PodScheduled');
    if (c?.reason === 'SchedulingGated') return;
    this.#track(
      patchPodStatus({
        client: this.#manager.client,
        clock: this.#clock,
        pod,
        condition: { type: 'PodScheduled', status: 'False', reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' },
      }),
    );
  }

  #addAssigned(pod: kinds.Pod): void {
    const uid = uidOf(pod);
    const current = this.cache.getPod(uid);
    this.cache.addPod(current === undefined ? PodInfo.of(pod) : current.update(pod));
    this.queue.nominator.delete(uid);
    this.queue.moveAllToActiveOrBackoffQueue(EVENTS.assignedPodAdd, undefined, pod);
  }

  #removeAssigned(pod: kinds.Pod): void {
    this.cache.removePod(uidOf(pod));
    this.queue.moveAllToActiveOrBackoffQueue(EVENTS.assignedPodDelete, pod, undefined);
  }

  #nodeHandler(): { onAdd(node: kinds.Node): void; onUpdate(oldNode: kinds.Node, newNode: kinds.Node): void; onDelete(node: kinds.Node): void } {
    return {
      onAdd: (node) => {
        this.cache.addNode(node);
        this.queue.moveAllToActiveOrBackoffQueue(EVENTS.nodeAdd, undefined, node);
      },
      onUpdate: (oldNode, newNode) => {
        this.cache.updateNode(newNode);
        const actions = nodeUpdateActions(oldNode, newNode);
        if (actions !== 0) this.queue.moveAllToActiveOrBackoffQueue({ resource: 'Node', actions, label: 'NodeUpdate' }, oldNode, newNode);
      },
      onDelete: (node) => {
        this.cache.removeNode(node.metadata.name ?? '');
        this.queue.moveAllToActiveOrBackoffQueue(EVENTS.nodeDelete, node, undefined);
      },
    };
  }

  // --- One pod

  async #scheduleOne(qpi: QueuedPodInfo): Promise<void> {
    const pod = qpi.podInfo.pod;
    const uid = qpi.podInfo.uid;
    const podCycle = this.queue.schedulingCycle;
    const fwk = this.profiles.get(pod.spec.schedulerName);
    if (fwk === undefined || pod.metadata.deletionTimestamp || this.cache.hasPod(uid)) {
      this.queue.done(uid);
      return;
    }
    const state = new CycleState();
    state.write(podInfoKey, qpi.podInfo);
    const diagnosis = newDiagnosis();
    let result: ScheduleResult;
    try {
      result = this.#schedulePod(fwk, state, qpi, diagnosis);
    } catch (e) {
      if (e instanceof FitError) {
        // Without PostFilter plugins the nomination stays as it is (Kubernetes' nil
        // nominatingInfo, ModeNoop); with them, it is what they say.
        let nominated: string | undefined;
        if (fwk.postFilterPlugins.length > 0) {
          const post = await fwk.runPostFilterPlugins(state, pod, diagnosis.nodeToStatus);
          e.diagnosis.postFilterMsg = post.status.message;
          nominated = post.nominatedNodeName;
          if (post.status.code === 'Error') this.#log.warn({ err: post.status.asError(), pod: qpi.podInfo.key }, 'PostFilter failed');
        }
        this.#handleFailure({ fwk, qpi, status: new Status('Unschedulable', [e.message], { error: e }), diagnosis, nominated, podCycle });
        return;
      }
      if (e instanceof NoNodesError) {
        this.#handleFailure({ fwk, qpi, status: Status.unresolvable(ERR_NO_NODES_AVAILABLE), diagnosis: undefined, nominated: '', podCycle });
        return;
      }
      this.#handleFailure({ fwk, qpi, status: Status.error(e), diagnosis: undefined, nominated: '', podCycle });
      return;
    }

    // Assume the pod on the node, then Reserve and Permit.
    const host = result.nodeName;
    const assumedPod: kinds.Pod = { ...pod, spec: { ...pod.spec, nodeName: host } };
    const assumed = qpi.podInfo.withPod(assumedPod);
    try {
      this.cache.assumePod(assumed);
    } catch (e) {
      this.#handleFailure({ fwk, qpi, status: Status.error(e), diagnosis: undefined, nominated: '', podCycle });
      return;
    }
    this.queue.nominator.delete(uid);
    const reserve = fwk.runReservePluginsReserve(state, assumedPod, host);
    if (!reserve.isSuccess()) {
      this.#undoAssume(fwk, state, assumedPod, host);
      this.#handleFailure({ fwk, qpi, ...rejectedOnNode(qpi, host, reserve), nominated: '', podCycle });
      return;
    }
    const permit = fwk.runPermitPlugins(state, assumedPod, host);
    if (!permit.isSuccess() && permit.code !== 'Wait') {
      this.#undoAssume(fwk, state, assumedPod, host);
      this.#handleFailure({ fwk, qpi, ...rejectedOnNode(qpi, host, permit), nominated: '', podCycle });
      return;
    }
    this.#track(this.#bindingCycle({ fwk, state, qpi, assumedPod, host, podCycle }));
  }

  /** Undo Reserve and the assumption (Unreserve, then forget the pod in the cache). */
  #undoAssume(fwk: Framework, state: CycleState, assumedPod: kinds.Pod, host: string): void {
    fwk.runReservePluginsUnreserve(state, assumedPod, host);
    this.cache.forgetPod(uidOf(assumedPod));
  }

  async #bindingCycle(c: { fwk: Framework; state: CycleState; qpi: QueuedPodInfo; assumedPod: kinds.Pod; host: string; podCycle: number }): Promise<void> {
    const { fwk, state, qpi, assumedPod, host, podCycle } = c;
    // Only a rejection while waiting on Permit makes the pod unschedulable (as a FitError on the
    // node); a failure of PreBind or Bind is retried after back-off.
    // The room the pod was assumed to take is free again, which other pods may wait for: an
    // AssignedPod delete event, as Kubernetes' handleBindingCycleError sends. After a rejection it
    // is sent once the pod is back among the unschedulable pods, and not to the pod itself, so the
    // pod waits for an event its rejecting plugin registered.
    const fail = (f: { readonly status: Status; readonly diagnosis: Diagnosis | undefined }): void => {
      this.#undoAssume(fwk, state, assumedPod, host);
      const uid = uidOf(assumedPod);
      if (f.status.isRejected()) {
        this.#handleFailure({ fwk, qpi, ...f, nominated: '', podCycle });
        this.queue.moveAllToActiveOrBackoffQueue(EVENTS.assignedPodDelete, assumedPod, undefined, (p) => uidOf(p) !== uid);
      } else {
        this.queue.moveAllToActiveOrBackoffQueue(EVENTS.assignedPodDelete, assumedPod, undefined);
        this.#handleFailure({ fwk, qpi, ...f, nominated: '', podCycle });
      }
    };
    const waited = await fwk.waitOnPermit(assumedPod);
    if (!waited.isSuccess()) return fail(rejectedOnNode(qpi, host, waited));
    const preBind = await fwk.runPreBindPlugins(state, assumedPod, host);
    if (!preBind.isSuccess()) return fail({ status: preBind, diagnosis: undefined });
    const bind = await fwk.runBindPlugins(state, assumedPod, host);
    if (!bind.isSuccess()) return fail({ status: bind.code === 'Skip' ? Status.error(new Error('no bind plugin bound the pod')) : bind, diagnosis: undefined });
    this.cache.finishBinding(uidOf(assumedPod));
    fwk.recorder.event(assumedPod, 'Normal', 'Scheduled', `Successfully assigned ${assumedPod.metadata.namespace ?? ''}/${assumedPod.metadata.name ?? ''} to ${host}`);
    await fwk.runPostBindPlugins(state, assumedPod, host);
    this.queue.done(uidOf(assumedPod));
  }

  /** The scheduling algorithm: the best node, or a FitError / NoNodesError. Synchronous. */
  #schedulePod(fwk: Framework, state: CycleState, qpi: QueuedPodInfo, diagnosis: Diagnosis): ScheduleResult {
    const pod = qpi.podInfo.pod;
    const all = this.cache.list();
    if (all.length === 0) throw new NoNodesError();
    const pre = fwk.runPreFilterPlugins(state, pod, all);
    if (!pre.status.isSuccess()) {
      if (!pre.status.isRejected()) throw pre.status.asError();
      diagnosis.preFilterMsg = pre.status.message;
      diagnosis.nodeToStatus.absentStatus = pre.status;
      addPluginStatus(diagnosis, pre.status);
      throw new FitError({ podKey: qpi.podInfo.key, numAllNodes: all.length, diagnosis });
    }
    let nodes: readonly NodeInfo[] = all;
    if (pre.nodeNames !== undefined) {
      const restricted: NodeInfo[] = [];
      for (const n of pre.nodeNames) {
        const ni = this.cache.get(n);
        if (ni !== undefined) restricted.push(ni);
      }
      nodes = restricted;
      diagnosis.nodeToStatus.absentStatus = Status.unresolvable(`node(s) didn't satisfy plugin(s) [${[...pre.restrictingPlugins].sort().join(' ')}]`);
      for (const p of pre.restrictingPlugins) diagnosis.unschedulablePlugins.add(p);
    }
    // A pod nominated to a node (after preemption) tries that node first.
    const nominated = pod.status?.nominatedNodeName;
    if (nominated !== undefined && nominated !== '') {
      const ni = nodes.find((n) => n.name === nominated);
      if (ni !== undefined) {
        const s = fwk.runFilterPluginsWithNominatedPods(state, pod, ni);
        if (s.isSuccess()) return { nodeName: ni.name, evaluatedNodes: 1, feasibleNodes: 1 };
        if (s.code === 'Error') throw s.asError();
      }
    }
    const feasible = this.#findNodesThatPassFilters(fwk, state, pod, diagnosis, nodes, all.length);
    if (feasible.length === 0) throw new FitError({ podKey: qpi.podInfo.key, numAllNodes: all.length, diagnosis });
    if (feasible.length === 1) return { nodeName: (feasible[0] as NodeInfo).name, evaluatedNodes: diagnosis.nodeToStatus.size + 1, feasibleNodes: 1 };
    const pre2 = fwk.runPreScorePlugins(state, pod, feasible);
    if (!pre2.isSuccess()) throw pre2.asError();
    const totals = fwk.scorePlugins.length === 0 ? new Float64Array(feasible.length).fill(1) : fwk.runScorePlugins(state, pod, feasible);
    return { nodeName: this.#selectHost(feasible, totals), evaluatedNodes: diagnosis.nodeToStatus.size + feasible.length, feasibleNodes: feasible.length };
  }

  /**
   * Filter `nodes` (all nodes, or those PreFilter restricted the pod to) from where the last cycle
   * stopped, until enough feasible nodes are found. The next cycle starts after the nodes
   * processed here, counted over all `numAllNodes` nodes, as Kubernetes does.
   */
  #findNodesThatPassFilters(fwk: Framework, state: CycleState, pod: kinds.Pod, diagnosis: Diagnosis, nodes: readonly NodeInfo[], numAllNodes: number): NodeInfo[] {
    const numAll = nodes.length;
    const toFind = numFeasibleNodesToFind(fwk.percentageOfNodesToScore ?? this.#percentage, numAll);
    const start = numAll === 0 ? 0 : this.#nextStartNodeIndex % numAll;
    let feasible: NodeInfo[];
    let processed: number;
    if (fwk.filterPlugins.length === 0) {
      feasible = [];
      for (let i = 0; i < toFind; i++) feasible.push(nodes[(start + i) % numAll] as NodeInfo);
      processed = feasible.length;
    } else {
      ({ feasible, processed } = fwk.findFeasibleNodes({
        state,
        pod,
        nodes,
        start,
        toFind,
        onRejected: (ni, s) => {
          diagnosis.nodeToStatus.set(ni.name, s);
          addPluginStatus(diagnosis, s);
        },
      }));
    }
    this.#nextStartNodeIndex = numAllNodes === 0 ? 0 : (this.#nextStartNodeIndex + processed) % numAllNodes;
    return feasible;
  }

  /** The node with the highest total score; ties broken uniformly at random (reservoir sampling). */
  #selectHost(nodes: readonly NodeInfo[], totals: Float64Array): string {
    let best = 0;
    let max = totals[0] as number;
    let ties = 1;
    for (let i = 1; i < totals.length; i++) {
      const s = totals[i] as number;
      if (s > max) {
        max = s;
        best = i;
        ties = 1;
      } else if (s === max) {
        ties++;
        if (Math.floor(this.#random() * ties) === 0) best = i;
      }
    }
    return (nodes[best] as NodeInfo).name;
  }

  /**
   * A failed attempt (Kubernetes' `handleSchedulingFailure`): requeue the pod (unless it is gone
   * or bound meanwhile) with the plugins that rejected it, apply the nomination (`undefined`: the
   * one in the pod's status; `''`: none; a node name), record `FailedScheduling` and set
   * `PodScheduled=False`.
   */
  #handleFailure(f: {
    fwk: Framework;
    qpi: QueuedPodInfo;
    status: Status;
    /** The diagnosis of a FitError; `undefined` for other failures (errors). */
    diagnosis: Diagnosis | undefined;
    nominated: string | undefined;
    podCycle: number;
  }): void {
    const { fwk, qpi, status, diagnosis, nominated, podCycle } = f;
    const uid = qpi.podInfo.uid;
    qpi.unschedulablePlugins = new Set(diagnosis?.unschedulablePlugins);
    qpi.pendingPlugins = new Set(diagnosis?.pendingPlugins);
    if (qpi.unschedulablePlugins.size === 0 && qpi.pendingPlugins.size === 0) {
      // Not rejected by a plugin (an error, no nodes, a failed binding): retried after back-off.
      qpi.consecutiveErrorsCount++;
      if (status.code === 'Error') this.#log.warn({ err: status.asError(), pod: qpi.podInfo.key }, 'error scheduling pod; retrying');
    } else {
      qpi.consecutiveErrorsCount = 0;
      qpi.unschedulableCount++;
    }
    const pod = qpi.podInfo.pod;
    const cached = this.#pods.cache.get({ namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name ?? '' });
    if (cached === undefined || cached.metadata.uid !== pod.metadata.uid || isAssigned(cached)) {
      // Deleted, or bound by someone else meanwhile: nothing to retry or report.
      this.queue.nominator.delete(uid);
      this.queue.done(uid);
      return;
    }
    qpi.podInfo = qpi.podInfo.update(cached);
    this.queue.addUnschedulableIfNotPresent(qpi, podCycle);
    // After requeueing, as Kubernetes does: the in-memory nomination follows what this attempt decided.
    this.queue.nominator.add(qpi.podInfo, nominated);
    const message = status.message;
    fwk.recorder.event(cached, 'Warning', 'FailedScheduling', truncate(message));
    this.#track(
      patchPodStatus({
        client: this.#manager.client,
        clock: this.#clock,
        pod: cached,
        condition: { type: 'PodScheduled', status: 'False', reason: status.isRejected() ? 'Unschedulable' : 'SchedulerError', message },
        nominatedNodeName: nominated,
      }).catch((e: unknown) => this.#log.debug({ err: e, pod: qpi.podInfo.key }, 'could not update the pod status')),
    );
  }
}

/**
 * A Reserve or Permit rejection as Kubernetes reports it since 1.28: a FitError over one node (the
 * chosen one), e.g. "0/1 nodes are available: 1 quota exhausted.", whose plugin is the one the
 * pod waits on. Errors are returned as they are.
 */
function rejectedOnNode(qpi: QueuedPodInfo, host: string, status: Status): { readonly status: Status; readonly diagnosis: Diagnosis | undefined } {
  if (!status.isRejected()) return { status, diagnosis: undefined };
  const diagnosis = newDiagnosis();
  diagnosis.nodeToStatus.set(host, status);
  addPluginStatus(diagnosis, status);
  const fitError = new FitError({ podKey: qpi.podInfo.key, numAllNodes: 1, diagnosis });
  return { status: new Status(status.code, [fitError.message], { error: fitError }), diagnosis };
}

class NoNodesError extends Error {
  constructor() {
    super(ERR_NO_NODES_AVAILABLE);
  }
}

/**
 * Create the scheduler. Add it to the manager before starting the manager; it runs on the
 * elected leader.
 *
 * @throws Error for an invalid configuration or profile (unknown plugin, plugin at a point it
 * does not implement, duplicate, missing QueueSort or Bind, profiles with different QueueSort).
 *
 * @example
 * ```ts
 * const manager = createManager({ api });
 * manager.add(createScheduler({ manager }));
 * await manager.start(signal);
 * ```
 *
 * @example
 * ```ts
 * // A second profile that packs pods, from a kube-scheduler configuration file.
 * manager.add(createScheduler({ manager, configuration: readFileSync('scheduler.yaml', 'utf8') }));
 * ```
 */
export function createScheduler(options: SchedulerOptions): Scheduler {
  return new SchedulerImpl(options);
}

export { DEFAULT_SCHEDULER_NAME };

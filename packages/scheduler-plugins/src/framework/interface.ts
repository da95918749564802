/**
 * The scheduling framework's extension points, one small interface each (kube-scheduler's
 * `framework/interface.go`). A plugin is an object with a `name` and the methods of the extension
 * points it implements; the framework finds them by their method names.
 *
 * Scheduling cycle (one pod at a time, synchronous, so plugins see a consistent cache):
 * PreEnqueue (before the pod may enter the active queue), QueueSort, PreFilter, Filter (per
 * node), PostFilter (when no node fits: preemption; may be asynchronous), PreScore, Score (per
 * node, then NormalizeScore, then the weight), Reserve / Unreserve, Permit.
 *
 * Binding cycle (asynchronous, concurrent with the next pods' scheduling cycles): waiting on
 * Permit, PreBind, Bind, PostBind.
 *
 * Filter, Score and the other scheduling-cycle methods return synchronously; a plugin that throws
 * is treated as returning an `Error` status (or, from Score, failing the cycle).
 *
 * @example
 * ```ts
 * const preferSSD: Plugin & ScorePlugin = {
 *   name: 'PreferSSD',
 *   score: (_state, _pod, nodeInfo) => (nodeInfo.labels?.['disk'] === 'ssd' ? 100 : 0),
 * };
 * ```
 *
 * @module
 */
import type { Client, Clock, EventRecorder, InformerFactory, kinds, Logger } from '@harbormaster/core';
import type { CycleState } from './cycle-state.js';
import type { ClusterEventWithHint } from './events.js';
import type { NodeToStatus } from './fit-error.js';
import type { NodeInfo } from './node-info.js';
import type { PodInfo } from './pod-info.js';
import type { QueuedPodInfo } from './queued-pod-info.js';
import type { PluginStatus, Status } from './status.js';

/** The highest score a Score plugin gives (after NormalizeScore). */
export const MAX_NODE_SCORE = 100;
/** The lowest score. */
export const MIN_NODE_SCORE = 0;

/** Every plugin has a unique name. */
export interface Plugin {
  /** The name profiles refer to it by in `plugins` and `pluginConfig`, e.g. `NodeResourcesFit`. */
  readonly name: string;
}

/** Decides whether a pod may enter the active queue at all (e.g. scheduling gates). */
export interface PreEnqueuePlugin extends Plugin {
  /** Success lets the pod into the active queue; any other status keeps it gated. */
  preEnqueue(pod: kinds.Pod): PluginStatus;
}

/** Orders the active queue; only one per profile. */
export interface QueueSortPlugin extends Plugin {
  /** Whether `a` should be scheduled before `b`. */
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean;
}

/** The nodes a PreFilter plugin restricts the pod to. */
export interface PreFilterResult {
  /** The only nodes the cycle considers; the results of several plugins intersect. */
  readonly nodeNames: ReadonlySet<string>;
}

/** What PreFilter returns: a status, a node restriction, or nothing (success). */
export type PreFilterOutcome = PluginStatus | PreFilterResult;

/** Keeps the cycle state in step when preemption or nominated pods add or remove pods on a node. */
export interface PreFilterExtensions {
  /** Update the plugin's cycle state as if `podInfoToAdd` ran on the node. */
  addPod(state: CycleState, podToSchedule: kinds.Pod, podInfoToAdd: PodInfo, nodeInfo: NodeInfo): PluginStatus;
  /** Update the plugin's cycle state as if `podInfoToRemove` no longer ran on the node. */
  removePod(state: CycleState, podToSchedule: kinds.Pod, podInfoToRemove: PodInfo, nodeInfo: NodeInfo): PluginStatus;
}

/** Runs once per cycle before Filter: precompute, reject early, or return Skip to skip Filter. */
export interface PreFilterPlugin extends Plugin {
  /** Check the pod and precompute the cycle state: Success, Skip, a rejection, or the nodes it may run on. */
  preFilter(state: CycleState, pod: kinds.Pod, nodes: readonly NodeInfo[]): PreFilterOutcome;
  /** Keeps the plugin's cycle state in step with added and removed pods; absent if the state needs no update. */
  readonly preFilterExtensions?: PreFilterExtensions;
}

/** Decides whether the pod can run on one node. */
export interface FilterPlugin extends Plugin {
  /** Success if the pod fits the node, else `Unschedulable` (or `UnschedulableAndUnresolvable`) with the reason. */
  filter(state: CycleState, pod: kinds.Pod, nodeInfo: NodeInfo): PluginStatus;
}

/** What PostFilter returns. */
export interface PostFilterResult {
  /** Success if the plugin made room for the pod (e.g. by preempting pods), else why it could not. */
  readonly status: PluginStatus;
  /** `undefined` leaves the pod's nominatedNodeName as is; `''` clears it; a name sets it. */
  readonly nominatedNodeName?: string | undefined;
}

/** Runs when no node fits (preemption). May be asynchronous. */
export interface PostFilterPlugin extends Plugin {
  /** Try to make the pod schedulable, given why each node was filtered out. */
  postFilter(state: CycleState, pod: kinds.Pod, filteredNodeStatus: NodeToStatus): PostFilterResult | Promise<PostFilterResult>;
}

/** Runs once per cycle before Score, with the feasible nodes; Skip skips the plugin's Score. */
export interface PreScorePlugin extends Plugin {
  /** Precompute the cycle state for Score from the feasible nodes. */
  preScore(state: CycleState, pod: kinds.Pod, nodes: readonly NodeInfo[]): PluginStatus;
}

/** The score of one node. */
export interface NodeScore {
  /** The node's name. */
  readonly name: string;
  /** The node's score; higher is better. */
  score: number;
}

/** Ranks the feasible nodes: a score per node, then optionally normalized to 0–100. */
export interface ScorePlugin extends Plugin {
  /** The node's score for the pod; higher is better. */
  score(state: CycleState, pod: kinds.Pod, nodeInfo: NodeInfo): number;
  /** Rescale the scores in place to 0–{@link MAX_NODE_SCORE}. */
  normalizeScore?(state: CycleState, pod: kinds.Pod, scores: NodeScore[]): PluginStatus;
}

/** Reserves what the pod needs on the chosen node; Unreserve undoes it if a later step fails. */
export interface ReservePlugin extends Plugin {
  /** Reserve what the pod needs on the node, before it is bound. */
  reserve(state: CycleState, pod: kinds.Pod, nodeName: string): PluginStatus;
  /** Undo `reserve` when a later step fails; it must not fail itself. */
  unreserve(state: CycleState, pod: kinds.Pod, nodeName: string): void;
}

/** What Permit returns: a status, or Wait with a timeout. */
export type PermitOutcome = PluginStatus | { readonly status: Status; readonly timeoutMs: number };

/** Approves, rejects or delays (Wait) the binding of a pod. */
export interface PermitPlugin extends Plugin {
  /** Success to bind, a rejection, or Wait (with a timeout) to hold the pod until it is allowed. */
  permit(state: CycleState, pod: kinds.Pod, nodeName: string): PermitOutcome;
}

/** Runs before binding (e.g. provisioning volumes). */
export interface PreBindPlugin extends Plugin {
  /** Prepare for the binding; a failure unreserves the pod and sends it back to the queue. */
  preBind(state: CycleState, pod: kinds.Pod, nodeName: string): PluginStatus | Promise<PluginStatus>;
}

/** Binds the pod to the node; Skip passes to the next Bind plugin. */
export interface BindPlugin extends Plugin {
  /** Bind the pod to the node, or Skip to leave it to the next Bind plugin. */
  bind(state: CycleState, pod: kinds.Pod, nodeName: string): PluginStatus | Promise<PluginStatus>;
}

/** Informational, after a successful binding. */
export interface PostBindPlugin extends Plugin {
  /** Called after the pod was bound; errors are logged and ignored. */
  postBind(state: CycleState, pod: kinds.Pod, nodeName: string): void | Promise<void>;
}

/** The cluster events that may make pods this plugin rejected schedulable. */
export interface EnqueueExtensions extends Plugin {
  /** The events, each with an optional queueing hint; a plugin without this method is woken by every event. */
  eventsToRegister(): readonly ClusterEventWithHint[];
}

/** Read access to the nodes of the current cycle. */
export interface NodeInfoLister {
  /** Every node (with a Node object), interleaved across zones as Kubernetes' node tree lists them. */
  list(): readonly NodeInfo[];
  /** The node with this name, if it has a Node object. */
  get(name: string): NodeInfo | undefined;
  /** The nodes with at least one pod with inter-pod affinity or anti-affinity. */
  havePodsWithAffinityList(): readonly NodeInfo[];
  /** The nodes with at least one pod with required anti-affinity. */
  havePodsWithRequiredAntiAffinityList(): readonly NodeInfo[];
}

/** A pod held by a Permit plugin's Wait. */
export interface WaitingPod {
  /** The pod, as the scheduling cycle assumed it onto the node. */
  readonly pod: kinds.Pod;
  /** The plugins still to allow it. */
  pendingPlugins(): string[];
  /** Allow the pod on behalf of `plugin`; it proceeds once every waiting plugin allowed it. */
  allow(plugin: string): void;
  /** Reject the pod. */
  reject(plugin: string, message: string): void;
}

/** What the framework gives plugins: the cluster, the cache, and the other plugins' extension points. */
export interface Handle {
  /** The profile's scheduler name. */
  readonly profileName: string;
  /** The API client (the manager's, with read-your-writes). */
  readonly client: Client;
  /** The scheduler's clock. */
  readonly clock: Clock;
  /** The scheduler's logger. */
  readonly logger: Logger;
  /** Records events as `default-scheduler` (or the profile's name). */
  readonly recorder: EventRecorder;
  /** The shared informers, for plugins that read other kinds. */
  readonly informers: InformerFactory;
  /** The nodes and the pods on them. */
  readonly snapshot: NodeInfoLister;
  /** A random number in [0, 1) (tie-breaking; injectable for tests). */
  random(): number;
  /** Pods nominated to run on the node (after preemption), not yet bound. */
  nominatedPodsForNode(nodeName: string): readonly PodInfo[];
  /** Run the Filter plugins, also with the nominated pods of equal or higher priority added. */
  runFilterPluginsWithNominatedPods(state: CycleState, pod: kinds.Pod, nodeInfo: NodeInfo): Status;
  /** Run every PreFilter plugin's {@link PreFilterExtensions.addPod} for `podInfoToAdd` on the node. */
  runPreFilterExtensionAddPod(state: CycleState, podToSchedule: kinds.Pod, podInfoToAdd: PodInfo, nodeInfo: NodeInfo): Status;
  /** Run every PreFilter plugin's {@link PreFilterExtensions.removePod} for `podInfoToRemove` on the node. */
  runPreFilterExtensionRemovePod(state: CycleState, podToSchedule: kinds.Pod, podInfoToRemove: PodInfo, nodeInfo: NodeInfo): Status;
  /** The pod waiting on Permit with this uid. */
  getWaitingPod(uid: string): WaitingPod | undefined;
  /** Call `fn` with every pod waiting on Permit. */
  iterateOverWaitingPods(fn: (pod: WaitingPod) => void): void;
  /** Move these pods (if unschedulable or backing off) straight to the active queue. */
  activate(pods: Iterable<kinds.Pod>): void;
}

/** What a factory gets: the plugin's arguments (from `pluginConfig`, merged over defaults) and the handle. */
export interface PluginFactoryContext<A = unknown> {
  /** The plugin's arguments: its `pluginConfig` args merged over its defaults. */
  readonly args: A;
  /** The profile's framework, as the plugin sees it. */
  readonly handle: Handle;
}

/** Makes a plugin for one profile. */
export type PluginFactory<A = unknown> = (context: PluginFactoryContext<A>) => Plugin;

const has = (p: Plugin, m: string): boolean => typeof (p as unknown as Record<string, unknown>)[m] === 'function';

/** Type guards for the extension points. */
export const implementsPoint = {
  preEnqueue: (p: Plugin): p is PreEnqueuePlugin => has(p, 'preEnqueue'),
  queueSort: (p: Plugin): p is QueueSortPlugin => has(p, 'less'),
  preFilter: (p: Plugin): p is PreFilterPlugin => has(p, 'preFilter'),
  filter: (p: Plugin): p is FilterPlugin => has(p, 'filter'),
  postFilter: (p: Plugin): p is PostFilterPlugin => has(p, 'postFilter'),
  preScore: (p: Plugin): p is PreScorePlugin => has(p, 'preScore'),
  score: (p: Plugin): p is ScorePlugin => has(p, 'score'),
  reserve: (p: Plugin): p is ReservePlugin => has(p, 'reserve') && has(p, 'unreserve'),
  permit: (p: Plugin): p is PermitPlugin => has(p, 'permit'),
  preBind: (p: Plugin): p is PreBindPlugin => has(p, 'preBind'),
  bind: (p: Plugin): p is BindPlugin => has(p, 'bind'),
  postBind: (p: Plugin): p is PostBindPlugin => has(p, 'postBind'),
  enqueueExtensions: (p: Plugin): p is EnqueueExtensions => has(p, 'eventsToRegister'),
} satisfies Record<string, (p: Plugin) => boolean>;


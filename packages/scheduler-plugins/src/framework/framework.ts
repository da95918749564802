/**
 * The framework of one profile (kube-scheduler's `frameworkImpl`): it builds the profile's plugins
 * from the registry and runs them at each extension point, in the configured order.
 *
 * Plugins are placed at extension points as Kubernetes does: first the plugins listed at the
 * point itself that also appear in `multiPoint` (their explicit settings win), then the other
 * `multiPoint` plugins implementing the point (unless disabled there, or all are with `*`), then
 * the remaining plugins listed at the point. A plugin listed twice is refused; a Score weight of 0
 * means 1. A profile needs exactly one QueueSort plugin and at least one Bind plugin.
 *
 * @module
 */
import { formatDuration, type Client, type Clock, type EventRecorder, type InformerFactory, type kinds, type Logger } from '@harbormaster/core';
import type { ResolvedProfile } from '../config/defaults.js';
import { EXTENSION_POINTS, type ExtensionPoint, type PluginRef } from '../config/types.js';
import type { CycleState } from './cycle-state.js';
import { ActionType, matchClusterEvent, type ClusterEvent, type ClusterEventWithHint } from './events.js';
import type { NodeToStatus } from './fit-error.js';
import {
  implementsPoint,
  MAX_NODE_SCORE,
  MIN_NODE_SCORE,
  type BindPlugin,
  type FilterPlugin,
  type Handle,
  type NodeInfoLister,
  type NodeScore,
  type Plugin,
  type PostBindPlugin,
  type PostFilterPlugin,
  type PreBindPlugin,
  type PreEnqueuePlugin,
  type PreFilterPlugin,
  type PreScorePlugin,
  type PermitPlugin,
  type QueueSortPlugin,
  type ReservePlugin,
  type ScorePlugin,
  type WaitingPod,
} from './interface.js';
import type { NodeInfo } from './node-info.js';
import type { PodInfo } from './pod-info.js';
import type { QueuedPodInfo } from './queued-pod-info.js';
import type { Registry } from './registry.js';
import { Status, type PluginStatus } from './status.js';

/** The longest a Permit plugin may hold a pod (Kubernetes: 15 minutes). */
export const MAX_PERMIT_TIMEOUT_MS = 15 * 60_000;

/** What the scheduler gives a framework (and through it, the plugins). */
export interface FrameworkDeps {
  readonly client: Client;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly recorder: EventRecorder;
  readonly informers: InformerFactory;
  readonly snapshot: NodeInfoLister;
  /** The nominated pods (after preemption) by node. */
  readonly nominator: { readonly size: number; podsForNode(nodeName: string): readonly PodInfo[] };
  readonly activate: (pods: Iterable<kinds.Pod>) => void;
  readonly random: () => number;
}

/** Options of {@link Framework.create}. */
export interface FrameworkOptions {
  readonly profile: ResolvedProfile;
  readonly registry: Registry;
  readonly deps: FrameworkDeps;
}

/** The wildcard registration of a plugin that registers no events. */
const ALL_EVENTS: readonly ClusterEventWithHint[] = [{ event: { resource: '*', actions: ActionType.All } }];

/** An invalid profile: unknown plugin, wrong extension point, duplicate, missing QueueSort or Bind. */
export class ProfileError extends Error {
  /** Always `ProfileError`. */
  override readonly name = 'ProfileError';
}

class WaitingPodImpl implements WaitingPod {
  readonly pod: kinds.Pod;
  readonly promise: Promise<Status>;
  readonly #pending = new Map<string, ReturnType<Clock['setTimeout']>>();
  readonly #clock: Clock;
  #resolve!: (s: Status) => void;
  #done = false;

  constructor(pod: kinds.Pod, waits: ReadonlyMap<string, number>, clock: Clock) {
    this.pod = pod;
    this.#clock = clock;
    this.promise = new Promise((resolve) => (this.#resolve = resolve));
    for (const [plugin, ms] of waits) {
      const timer = clock.setTimeout(() => this.reject(plugin, `rejected due to timeout after waiting ${formatDuration(ms)} at plugin ${plugin}`), ms);
      this.#pending.set(plugin, timer);
    }
  }

  pendingPlugins(): string[] {
    return [...this.#pending.keys()];
  }

  allow(plugin: string): void {
    const t = this.#pending.get(plugin);
    if (t === undefined || this.#done) return;
    this.#clock.clearTimeout(t);
    this.#pending.delete(plugin);
    if (this.#pending.size === 0) this.#finish(Status.success);
  }

  reject(plugin: string, message: string): void {
    if (this.#done) return;
    this.#finish(new Status('Unschedulable', [message], { plugin }));
  }

  #finish(s: Status): void {
    this.#done = true;
    for (const t of this.#pending.values()) this.#clock.clearTimeout(t);
    this.#pending.clear();
    this.#resolve(s);
  }
}

/**
 * A profile's plugins, run at their extension points. The scheduler builds one per profile;
 * plugins see it as their {@link Handle}.
 *
 * @example
 * ```ts
 * const fwk = scheduler.profiles.get('default-scheduler');
 * fwk?.scorePlugins.map((s) => `${s.plugin.name}:${s.weight}`); // ['TaintToleration:3', 'NodeAffinity:2', …]
 * ```
 */
export class Framework implements Handle {
  readonly profileName: string;
  /** The profile's own percentageOfNodesToScore, if set. */
  readonly percentageOfNodesToScore: number | undefined;
  readonly client: Client;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly recorder: EventRecorder;
  readonly informers: InformerFactory;
  readonly snapshot: NodeInfoLister;

  /** Every plugin of the profile, by name. */
  readonly plugins = new Map<string, Plugin>();
  /** The PreEnqueue plugins, in the order they run. */
  readonly preEnqueuePlugins: PreEnqueuePlugin[] = [];
  /** The QueueSort plugin (exactly one). */
  readonly queueSortPlugins: QueueSortPlugin[] = [];
  /** The PreFilter plugins, in the order they run. */
  readonly preFilterPlugins: PreFilterPlugin[] = [];
  /** The Filter plugins, in the order they run. */
  readonly filterPlugins: FilterPlugin[] = [];
  /** The PostFilter plugins, in the order they run. */
  readonly postFilterPlugins: PostFilterPlugin[] = [];
  /** The PreScore plugins, in the order they run. */
  readonly preScorePlugins: PreScorePlugin[] = [];
  /** The Score plugins with their weights (a configured weight of 0 means 1). */
  readonly scorePlugins: { readonly plugin: ScorePlugin; readonly weight: number }[] = [];
  /** The Reserve plugins, in the order they run (Unreserve runs in reverse). */
  readonly reservePlugins: ReservePlugin[] = [];
  /** The Permit plugins, in the order they run. */
  readonly permitPlugins: PermitPlugin[] = [];
  /** The PreBind plugins, in the order they run. */
  readonly preBindPlugins: PreBindPlugin[] = [];
  /** The Bind plugins, in the order they are tried. */
  readonly bindPlugins: BindPlugin[] = [];
  /** The PostBind plugins, in the order they run. */
  readonly postBindPlugins: PostBindPlugin[] = [];
  /** The events each rejecting plugin registered. */
  readonly enqueueRegistrations = new Map<string, readonly ClusterEventWithHint[]>();

  readonly #deps: FrameworkDeps;
  readonly #waiting = new Map<string, WaitingPodImpl>();
  #filterMemo: { readonly state: CycleState; readonly skipSize: number; readonly plugins: readonly FilterPlugin[] } | undefined;

  private constructor(profile: ResolvedProfile, deps: FrameworkDeps) {
    this.profileName = profile.schedulerName;
    this.percentageOfNodesToScore = profile.percentageOfNodesToScore;
    this.client = deps.client;
    this.clock = deps.clock;
    this.logger = deps.logger.child({ profile: profile.schedulerName });
    this.recorder = deps.recorder;
    this.informers = deps.informers;
    this.snapshot = deps.snapshot;
    this.#deps = deps;
  }

  /**
   * Build the framework of a profile.
   * @throws {@link ProfileError} for an unknown plugin, a plugin at a point it does not implement,
   * a duplicate, no or several QueueSort plugins, or no Bind plugin.
   */
  static create(options: FrameworkOptions): Framework {
    const { profile, registry, deps } = options;
    const f = new Framework(profile, deps);
    const p = profile.plugins;
    const where = `profile ${profile.schedulerName}`;
    const instantiate = (name: string): Plugin => {
      let plugin = f.plugins.get(name);
      if (plugin !== undefined) return plugin;
      const factory = registry.get(name);
      if (factory === undefined) throw new ProfileError(`${where}: plugin "${name}" does not exist`);
      plugin = factory({ args: profile.pluginConfig.get(name), handle: f });
      if (plugin.name !== name) throw new ProfileError(`${where}: the factory of "${name}" made a plugin named "${plugin.name}"`);
      f.plugins.set(name, plugin);
      return plugin;
    };
    for (const ref of p.multiPoint?.enabled ?? []) instantiate(ref.name);
    for (const point of EXTENSION_POINTS) for (const ref of p[point]?.enabled ?? []) instantiate(ref.name);

    const multiPointWeights = new Map<string, number>();
    for (const ref of p.multiPoint?.enabled ?? []) if (ref.weight !== undefined) multiPointWeights.set(ref.name, ref.weight);
    for (const point of EXTENSION_POINTS) {
      const refs = placePlugins(point, p[point]?.enabled ?? [], p[point]?.disabled ?? [], p.multiPoint?.enabled ?? [], (name) => {
        const plugin = f.plugins.get(name) as Plugin;
        return implementsPoint[point](plugin);
      }, where);
      for (const ref of refs) {
        const plugin = f.plugins.get(ref.name) as Plugin;
        if (!implementsPoint[point](plugin)) throw new ProfileError(`${where}: plugin "${ref.name}" does not extend the ${point} extension point`);
        f.#add(point, plugin, ref.weight ?? multiPointWeights.get(ref.name));
      }
    }
    if (f.queueSortPlugins.length !== 1) throw new ProfileError(`${where}: exactly one queueSort plugin is required, found ${f.queueSortPlugins.length}`);
    if (f.bindPlugins.length === 0) throw new ProfileError(`${where}: at least one bind plugin is required`);
    for (const plugin of f.plugins.values()) {
      const rejects =
        implementsPoint.preEnqueue(plugin) || implementsPoint.preFilter(plugin) || implementsPoint.filter(plugin) || implementsPoint.reserve(plugin) || implementsPoint.permit(plugin);
      if (!rejects) continue;
      f.enqueueRegistrations.set(plugin.name, implementsPoint.enqueueExtensions(plugin) ? plugin.eventsToRegister() : ALL_EVENTS);
    }
    return f;
  }

  #add(point: ExtensionPoint, plugin: Plugin, weight: number | undefined): void {
    switch (point) {
      case 'preEnqueue':
        this.preEnqueuePlugins.push(plugin as PreEnqueuePlugin);
        break;
      case 'queueSort':
        this.queueSortPlugins.push(plugin as QueueSortPlugin);
        break;
      case 'preFilter':
        this.preFilterPlugins.push(plugin as PreFilterPlugin);
        break;
      case 'filter':
        this.filterPlugins.push(plugin as FilterPlugin);
        break;
      case 'postFilter':
        this.postFilterPlugins.push(plugin as PostFilterPlugin);
        break;
      case 'preScore':
        this.preScorePlugins.push(plugin as PreScorePlugin);
        break;
      case 'score':
        this.scorePlugins.push({ plugin: plugin as ScorePlugin, weight: weight === undefined || weight === 0 ? 1 : weight });
        break;
      case 'reserve':
        this.reservePlugins.push(plugin as ReservePlugin);
        break;
      case 'permit':
        this.permitPlugins.push(plugin as PermitPlugin);
        break;
      case 'preBind':
        this.preBindPlugins.push(plugin as PreBindPlugin);
        break;
      case 'bind':
        this.bindPlugins.push(plugin as BindPlugin);
        break;
      case 'postBind':
        this.postBindPlugins.push(plugin as PostBindPlugin);
        break;
    }
  }

  // --- Handle

  random(): number {
    return this.#deps.random();
  }

  nominatedPodsForNode(nodeName: string): readonly PodInfo[] {
    return this.#deps.nominator.podsForNode(nodeName);
  }

  activate(pods: Iterable<kinds.Pod>): void {
    this.#deps.activate(pods);
  }

  getWaitingPod(uid: string): WaitingPod | undefined {
    return this.#waiting.get(uid);
  }

  iterateOverWaitingPods(fn: (pod: WaitingPod) => void): void {
    for (const w of [...this.#waiting.values()]) fn(w);
  }

  // --- Extension points

  /** The QueueSort order. */
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
    return (this.queueSortPlugins[0] as QueueSortPlugin).less(a, b);
  }

  /** The first PreEnqueue rejection, or `undefined` if the pod may be queued. */
  runPreEnqueuePlugins(pod: kinds.Pod): { readonly plugin: string; readonly status: Status } | undefined {
    for (const pl of this.preEnqueuePlugins) {
      const s = guard(() => pl.preEnqueue(pod));
      if (s !== undefined && s.code !== 'Success') return { plugin: pl.name, status: s.withPlugin(pl.name) };
    }
    return undefined;
  }

  /**
   * Run PreFilter. Returns the nodes the plugins restrict the pod to (if any) and the status:
   * Success, or the first UnschedulableAndUnresolvable (which stops), or the last Unschedulable,
   * or an Error.
   */
  runPreFilterPlugins(state: CycleState, pod: kinds.Pod, nodes: readonly NodeInfo[]): { readonly nodeNames: ReadonlySet<string> | undefined; readonly status: Status; readonly restrictingPlugins: readonly string[] } {
    let nodeNames: Set<string> | undefined;
    let rejected: Status | undefined;
    const restricting: string[] = [];
    for (const pl of this.preFilterPlugins) {
      let out;
      try {
        out = pl.preFilter(state, pod, nodes);
      } catch (e) {
        return { nodeNames: undefined, status: Status.error(new Error(`running PreFilter plugin "${pl.name}": ${errorMessage(e)}`)).withPlugin(pl.name), restrictingPlugins: restricting };
      }
      if (out === undefined) continue;
      if (out instanceof Status) {
        if (out.code === 'Success') continue;
        if (out.code === 'Skip') {
          state.skipFilterPlugins.add(pl.name);
          continue;
        }
        const s = out.withPlugin(pl.name);
        if (s.code === 'UnschedulableAndUnresolvable') return { nodeNames: undefined, status: s, restrictingPlugins: restricting };
        if (s.code === 'Unschedulable' || s.code === 'Pending') {
          rejected = s;
          continue;
        }
        return { nodeNames: undefined, status: Status.error(new Error(`running PreFilter plugin "${pl.name}": ${s.message}`)).withPlugin(pl.name), restrictingPlugins: restricting };
      }
      restricting.push(pl.name);
      if (nodeNames === undefined) nodeNames = new Set(out.nodeNames);
      else for (const n of nodeNames) if (!out.nodeNames.has(n)) nodeNames.delete(n);
      if (nodeNames.size === 0) {
        const msg =
          restricting.length === 1 ? `node(s) didn't satisfy plugin ${restricting[0] ?? ''}` : `node(s) didn't satisfy plugin(s) [${restricting.join(' ')}] simultaneously`;
        return { nodeNames, status: Status.unresolvable(msg), restrictingPlugins: restricting };
      }
    }
    return { nodeNames, status: rejected ?? Status.success, restrictingPlugins: restricting };
  }

  /** The Filter plugins not skipped in this cycle (memoized for the last state asked about). */
  #activeFilters(state: CycleState): readonly FilterPlugin[] {
    const skip = state.skipFilterPlugins;
    if (skip.size === 0) return this.filterPlugins;
    const memo = this.#filterMemo;
    if (memo !== undefined && memo.state === state && memo.skipSize === skip.size) return memo.plugins;
    const plugins = this.filterPlugins.filter((p) => !skip.has(p.name));
    this.#filterMemo = { state, skipSize: skip.size, plugins };
    return plugins;
  }

  /** Run the Filter plugins on one node; the first rejection (with its plugin) or Success. */
  runFilterPlugins(state: CycleState, pod: kinds.Pod, nodeInfo: NodeInfo): Status {
    return runFilters(this.#activeFilters(state), state, pod, nodeInfo);
  }

  /**
   * Filter `nodes`, starting at index `start` and wrapping around, until `toFind` nodes pass
   * (with nominated pods taken into account). Rejected nodes are reported to `onRejected`; an
   * Error status is thrown. Returns the feasible nodes and how many nodes were examined.
   */
  findFeasibleNodes(q: {
    readonly state: CycleState;
    readonly pod: kinds.Pod;
    readonly nodes: readonly NodeInfo[];
    readonly start: number;
    readonly toFind: number;
    readonly onRejected: (nodeInfo: NodeInfo, status: Status) => void;
  }): { readonly feasible: NodeInfo[]; readonly processed: number } {
    const { state, pod, nodes, start, toFind, onRejected } = q;
    const n = nodes.length;
    const feasible: NodeInfo[] = [];
    const plugins = this.#activeFilters(state);
    const nominated = this.#deps.nominator.size > 0;
    let processed = 0;
    for (let i = 0; i < n; i++) {
      const ni = nodes[(start + i) % n] as NodeInfo;
      processed++;
      const s = nominated ? this.runFilterPluginsWithNominatedPods(state, pod, ni) : runFilters(plugins, state, pod, ni);
      if (s === Status.success || s.code === 'Success') {
        feasible.push(ni);
        if (feasible.length >= toFind) break;
      } else if (s.code === 'Error') {
        throw s.asError();
      } else {
        onRejected(ni, s);
      }
    }
    return { feasible, processed };
  }

  /**
   * Run the Filter plugins with the pods nominated to the node that have equal or higher priority
   * added (when there are any), then, if that passes, without them (Kubernetes runs filters twice
   * so that a preemptor's room is respected both ways).
   */
  runFilterPluginsWithNominatedPods(state: CycleState, pod: kinds.Pod, nodeInfo: NodeInfo): Status {
    const nominator = this.#deps.nominator;
    if (nominator.size === 0) return this.runFilterPlugins(state, pod, nodeInfo);
    const nominated = nominator.podsForNode(nodeInfo.name);
    if (nominated.length === 0) return this.runFilterPlugins(state, pod, nodeInfo);
    const priority = pod.spec.priority ?? 0;
    const uid = pod.metadata.uid;
    let stateWith: CycleState | undefined;
    let nodeWith: NodeInfo | undefined;
    for (const pi of nominated) {
      if (pi.priority < priority || pi.uid === uid) continue;
      stateWith ??= state.clone();
      nodeWith ??= nodeInfo.clone();
      nodeWith.addPod(pi);
      const s = this.runPreFilterExtensionAddPod(stateWith, pod, pi, nodeWith);
      if (!s.isSuccess()) return s;
    }
    if (stateWith === undefined || nodeWith === undefined) return this.runFilterPlugins(state, pod, nodeInfo);
    const first = this.runFilterPlugins(stateWith, pod, nodeWith);
    if (!first.isSuccess()) return first;
    return this.runFilterPlugins(state, pod, nodeInfo);
  }

  runPreFilterExtensionAddPod(state: CycleState, podToSchedule: kinds.Pod, podInfoToAdd: PodInfo, nodeInfo: NodeInfo): Status {
    for (const pl of this.preFilterPlugins) {
      const ext = pl.preFilterExtensions;
      if (ext === undefined || state.skipFilterPlugins.has(pl.name)) continue;
      const s = guard(() => ext.addPod(state, podToSchedule, podInfoToAdd, nodeInfo));
      if (s !== undefined && !s.isSuccess()) return Status.error(new Error(`running AddPod on PreFilter plugin "${pl.name}": ${s.message}`));
    }
    return Status.success;
  }

  runPreFilterExtensionRemovePod(state: CycleState, podToSchedule: kinds.Pod, podInfoToRemove: PodInfo, nodeInfo: NodeInfo): Status {
    for (const pl of this.preFilterPlugins) {
      const ext = pl.preFilterExtensions;
      if (ext === undefined || state.skipFilterPlugins.has(pl.name)) continue;
      const s = guard(() => ext.removePod(state, podToSchedule, podInfoToRemove, nodeInfo));
      if (s !== undefined && !s.isSuccess()) return Status.error(new Error(`running RemovePod on PreFilter plugin "${pl.name}": ${s.message}`));
    }
    return Status.success;
  }

  /**
   * Run the PostFilter plugins until one succeeds (or errs, or is unresolvable), as Kubernetes'
   * `RunPostFilterPlugins`. When all of them reject the pod, the status is Unschedulable with
   * every plugin's reasons (its message joins them with `", "`), attributed to the first plugin
   * that rejected it; the nomination is the last one a rejecting plugin asked for.
   */
  async runPostFilterPlugins(state: CycleState, pod: kinds.Pod, nodeToStatus: NodeToStatus): Promise<{ readonly status: Status; readonly nominatedNodeName: string | undefined }> {
    let nominated: string | undefined;
    const reasons: string[] = [];
    let rejector: string | undefined;
    for (const pl of this.postFilterPlugins) {
      let r;
      try {
        r = await pl.postFilter(state, pod, nodeToStatus);
      } catch (e) {
        return { status: Status.error(new Error(`running PostFilter plugin "${pl.name}": ${errorMessage(e)}`)).withPlugin(pl.name), nominatedNodeName: undefined };
      }
      const s = r.status ?? Status.success;
      if (s.isSuccess()) return { status: s.withPlugin(pl.name), nominatedNodeName: r.nominatedNodeName };
      if (s.code === 'UnschedulableAndUnresolvable') return { status: s.withPlugin(pl.name), nominatedNodeName: r.nominatedNodeName };
      if (!s.isRejected()) return { status: Status.error(s.asError()).withPlugin(pl.name), nominatedNodeName: undefined };
      if (r.nominatedNodeName !== undefined) nominated = r.nominatedNodeName;
      reasons.push(...s.reasons);
      rejector ??= pl.name;
    }
    return { status: new Status('Unschedulable', reasons, { plugin: rejector }), nominatedNodeName: nominated };
  }

  /** Run PreScore; Skip marks the plugin's Score as skipped. */
  runPreScorePlugins(state: CycleState, pod: kinds.Pod, nodes: readonly NodeInfo[]): Status {
    for (const pl of this.preScorePlugins) {
      let s: PluginStatus;
      try {
        s = pl.preScore(state, pod, nodes);
      } catch (e) {
        return Status.error(new Error(`running PreScore plugin "${pl.name}": ${errorMessage(e)}`)).withPlugin(pl.name);
      }
      if (s === undefined || s.code === 'Success') continue;
      if (s.code === 'Skip') {
        state.skipScorePlugins.add(pl.name);
        continue;
      }
      return Status.error(new Error(`running PreScore plugin "${pl.name}": ${s.message}`)).withPlugin(pl.name);
    }
    return Status.success;
  }

  /**
   * Run Score on every node, then NormalizeScore, then apply the weights. Returns the total
   * score per node (index-aligned with `nodes`).
   * @throws Error if a plugin fails or gives a score outside 0–100 after normalization.
   */
  runScorePlugins(state: CycleState, pod: kinds.Pod, nodes: readonly NodeInfo[]): Float64Array {
    const totals = new Float64Array(nodes.length);
    const n = nodes.length;
    let scores: NodeScore[] | undefined;
    for (const { plugin, weight } of this.scorePlugins) {
      if (state.skipScorePlugins.has(plugin.name)) continue;
      try {
        if (plugin.normalizeScore === undefined) {
          for (let i = 0; i < n; i++) {
            const s = plugin.score(state, pod, nodes[i] as NodeInfo);
            if (!(s >= MIN_NODE_SCORE && s <= MAX_NODE_SCORE)) throw new Error(`returned an invalid score ${s} for node ${(nodes[i] as NodeInfo).name}`);
            totals[i] = (totals[i] as number) + s * weight;
          }
          continue;
        }
        if (scores === undefined) {
          scores = new Array<NodeScore>(n);
          for (let i = 0; i < n; i++) scores[i] = { name: (nodes[i] as NodeInfo).name, score: 0 };
        }
        for (let i = 0; i < n; i++) (scores[i] as NodeScore).score = plugin.score(state, pod, nodes[i] as NodeInfo);
        const s = plugin.normalizeScore(state, pod, scores);
        if (s !== undefined && !s.isSuccess()) throw new Error(`NormalizeScore: ${s.message}`);
        for (let i = 0; i < n; i++) {
          const v = (scores[i] as NodeScore).score;
          if (!(v >= MIN_NODE_SCORE && v <= MAX_NODE_SCORE)) throw new Error(`returned an invalid score ${v} for node ${(nodes[i] as NodeInfo).name}`);
          totals[i] = (totals[i] as number) + v * weight;
        }
      } catch (e) {
        throw new Error(`running Score plugin "${plugin.name}": ${errorMessage(e)}`);
      }
    }
    return totals;
  }

  /** Run Reserve; the first failure (the caller then runs Unreserve). */
  runReservePluginsReserve(state: CycleState, pod: kinds.Pod, nodeName: string): Status {
    for (const pl of this.reservePlugins) {
      const s = guard(() => pl.reserve(state, pod, nodeName));
      if (s !== undefined && !s.isSuccess()) {
        const out = s.isRejected() ? s : Status.error(new Error(`running Reserve plugin "${pl.name}": ${s.message}`));
        return out.withPlugin(pl.name);
      }
    }
    return Status.success;
  }

  /** Run Unreserve, in reverse order. */
  runReservePluginsUnreserve(state: CycleState, pod: kinds.Pod, nodeName: string): void {
    for (let i = this.reservePlugins.length - 1; i >= 0; i--) {
      const pl = this.reservePlugins[i] as ReservePlugin;
      try {
        pl.unreserve(state, pod, nodeName);
      } catch (e) {
        this.logger.error({ err: e, plugin: pl.name }, 'unreserve failed');
      }
    }
  }

  /** Run Permit: Success, a rejection, or Wait (the pod is then a waiting pod). */
  runPermitPlugins(state: CycleState, pod: kinds.Pod, nodeName: string): Status {
    const waits = new Map<string, number>();
    for (const pl of this.permitPlugins) {
      let out;
      try {
        out = pl.permit(state, pod, nodeName);
      } catch (e) {
        return Status.error(new Error(`running Permit plugin "${pl.name}": ${errorMessage(e)}`)).withPlugin(pl.name);
      }
      const s = out === undefined ? Status.success : out instanceof Status ? out : out.status;
      if (s.isSuccess()) continue;
      if (s.code === 'Wait') {
        const timeout = out instanceof Status || out === undefined ? MAX_PERMIT_TIMEOUT_MS : Math.min(out.timeoutMs, MAX_PERMIT_TIMEOUT_MS);
        waits.set(pl.name, timeout);
        continue;
      }
      if (s.isRejected()) return s.withPlugin(pl.name);
      return Status.error(new Error(`running Permit plugin "${pl.name}": ${s.message}`)).withPlugin(pl.name);
    }
    if (waits.size === 0) return Status.success;
    const uid = pod.metadata.uid ?? '';
    this.#waiting.set(uid, new WaitingPodImpl(pod, waits, this.clock));
    return Status.wait();
  }

  /** Wait for a waiting pod to be allowed or rejected (immediately Success if it is not waiting). */
  async waitOnPermit(pod: kinds.Pod): Promise<Status> {
    const uid = pod.metadata.uid ?? '';
    const w = this.#waiting.get(uid);
    if (w === undefined) return Status.success;
    try {
      return await w.promise;
    } finally {
      this.#waiting.delete(uid);
    }
  }

  /** Reject a waiting pod (e.g. deleted while waiting). */
  rejectWaitingPod(uid: string, message: string): boolean {
    const w = this.#waiting.get(uid);
    if (w === undefined) return false;
    w.reject('', message);
    return true;
  }

  /** Run the PreBind plugins; the first failure stops them and is returned. */
  async runPreBindPlugins(state: CycleState, pod: kinds.Pod, nodeName: string): Promise<Status> {
    for (const pl of this.preBindPlugins) {
      let s: PluginStatus;
      try {
        s = await pl.preBind(state, pod, nodeName);
      } catch (e) {
        s = Status.error(e);
      }
      if (s === undefined || s.isSuccess() || s.code === 'Skip') continue;
      if (s.isRejected()) return s.withPlugin(pl.name);
      return Status.error(new Error(`running PreBind plugin "${pl.name}": ${s.message}`)).withPlugin(pl.name);
    }
    return Status.success;
  }

  /** Run Bind plugins until one does not Skip. */
  async runBindPlugins(state: CycleState, pod: kinds.Pod, nodeName: string): Promise<Status> {
    for (const pl of this.bindPlugins) {
      let s: PluginStatus;
      try {
        s = await pl.bind(state, pod, nodeName);
      } catch (e) {
        s = Status.error(e);
      }
      if (s !== undefined && s.code === 'Skip') continue;
      if (s === undefined || s.isSuccess()) return Status.success;
      if (s.isRejected()) return s.withPlugin(pl.name);
      return Status.error(new Error(`running Bind plugin "${pl.name}": ${s.message}`)).withPlugin(pl.name);
    }
    return Status.skip();
  }

  /** Run the PostBind plugins, logging and ignoring their errors. */
  async runPostBindPlugins(state: CycleState, pod: kinds.Pod, nodeName: string): Promise<void> {
    for (const pl of this.postBindPlugins) {
      try {
        await pl.postBind(state, pod, nodeName);
      } catch (e) {
        this.logger.warn({ err: e, plugin: pl.name }, 'PostBind failed');
      }
    }
  }

  /**
   * Whether `event` may make a pod rejected by these plugins schedulable: some plugin registered a
   * matching event, and its hint (if any) says Queue.
   */
  isEventOfInterest(q: { readonly plugins: Iterable<string>; readonly event: ClusterEvent; readonly pod: kinds.Pod; readonly oldObj: unknown; readonly newObj: unknown }): boolean {
    const { plugins, event, pod, oldObj, newObj } = q;
    for (const name of plugins) {
      const regs = this.enqueueRegistrations.get(name) ?? ALL_EVENTS;
      for (const r of regs) {
        if (!matchClusterEvent(r.event, event)) continue;
        if (r.queueingHint === undefined) return true;
        try {
          if (r.queueingHint(pod, oldObj, newObj) === 'Queue') return true;
        } catch (e) {
          this.logger.warn({ err: e, plugin: name }, 'queueing hint failed; requeueing the pod');
          return true;
        }
      }
    }
    return false;
  }

  /** Whether any plugin of this profile registered an event matching `event`. */
  hasInterestIn(event: ClusterEvent): boolean {
    for (const regs of this.enqueueRegistrations.values()) for (const r of regs) if (matchClusterEvent(r.event, event)) return true;
    return false;
  }
}

/** Place plugins at one extension point (Kubernetes' `expandMultiPointPlugins`). */
function placePlugins(
  point: ExtensionPoint,
  enabled: readonly PluginRef[],
  disabled: readonly PluginRef[],
  multiPoint: readonly PluginRef[],
  implementsIt: (name: string) => boolean,
  where: string,
): PluginRef[] {
  const explicit = new Map<string, PluginRef>();
  for (const ref of enabled) {
    if (explicit.has(ref.name)) throw new ProfileError(`${where}: plugin "${ref.name}" already registered as ${point}`);
    explicit.set(ref.name, ref);
  }
  const disabledNames = new Set(disabled.map((d) => d.name));
  if (disabledNames.has('*')) return [...explicit.values()];
  const overrides = new Set<string>();
  const fromMultiPoint: PluginRef[] = [];
  const seen = new Set<string>();
  for (const ref of multiPoint) {
    if (!implementsIt(ref.name)) continue;
    if (disabledNames.has(ref.name)) continue;
    if (explicit.has(ref.name)) {
      overrides.add(ref.name);
      continue;
    }
    if (seen.has(ref.name)) throw new ProfileError(`${where}: plugin "${ref.name}" already registered as ${point}`);
    seen.add(ref.name);
    fromMultiPoint.push(ref);
  }
  const out: PluginRef[] = [];
  for (const ref of explicit.values()) if (overrides.has(ref.name)) out.push(ref);
  out.push(...fromMultiPoint);
  for (const ref of explicit.values()) if (!overrides.has(ref.name)) out.push(ref);
  return out;
}

/** Run `plugins` on one node: the first rejection (with its plugin) or Success. */
function runFilters(plugins: readonly FilterPlugin[], state: CycleState, pod: kinds.Pod, nodeInfo: NodeInfo): Status {
  for (let i = 0; i < plugins.length; i++) {
    const pl = plugins[i] as FilterPlugin;
    let s: PluginStatus;
    try {
      s = pl.filter(state, pod, nodeInfo);
    } catch (e) {
      return Status.error(new Error(`running "${pl.name}" filter plugin: ${errorMessage(e)}`)).withPlugin(pl.name);
    }
    if (s === undefined || s.code === 'Success') continue;
    if (!s.isRejected()) s = Status.error(new Error(`running "${pl.name}" filter plugin: ${s.message}`));
    return s.withPlugin(pl.name);
  }
  return Status.success;
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function guard(fn: () => PluginStatus): PluginStatus {
  try {
    return fn();
  } catch (e) {
    return Status.error(e);
  }
}

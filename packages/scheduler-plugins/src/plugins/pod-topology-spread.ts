/**
 * PodTopologySpread (PreFilter, Filter, PreScore, Score; default weight 2): spreads matching pods
 * evenly across topology domains (nodes, zones, …), per `spec.topologySpreadConstraints`.
 *
 * For each constraint, the matching pods (same namespace, not terminating, labels matching the
 * constraint's selector plus its `matchLabelKeys`) are counted per domain of `topologyKey`, over
 * the nodes that have every constraint's key and pass the inclusion policies
 * (`nodeAffinityPolicy: Honor` by default: nodes the pod's nodeSelector/affinity excludes do not
 * count; `nodeTaintsPolicy: Ignore` by default). Then:
 *
 * - `whenUnsatisfiable: DoNotSchedule` (Filter): placing the pod on a node must keep
 *   `count(domain) + 1 − min(count)` ≤ `maxSkew` ("node(s) didn't match pod topology spread
 *   constraints"); a node without the key is rejected ("… (missing required label)"). With
 *   `minDomains`, the minimum counts as 0 while there are fewer domains.
 * - `whenUnsatisfiable: ScheduleAnyway` (Score): nodes in less crowded domains score higher;
 *   each constraint weighs `log(domains + 2)`.
 *
 * Filter compares against the two smallest counts per constraint (Kubernetes' "critical
 * paths"), computed once at PreFilter and kept up to date as preemption and nominated pods add
 * and remove pods, so each node is checked in constant time however many domains there are.
 *
 * Pods without constraints get the default ones: `kubernetes.io/hostname` maxSkew 3 and
 * `topology.kubernetes.io/zone` maxSkew 5, both ScheduleAnyway (`defaultingType: System`), or the
 * `defaultConstraints` of the args with `defaultingType: List`. They select the pods that the
 * pod's Services select, narrowed by the selector of its controller when that is a ReplicaSet
 * (`apps/v1`), a StatefulSet (`apps/v1`) or a ReplicationController (`v1`), as Kubernetes'
 * `DefaultSelector`. StatefulSet and ReplicationController are not built-in kinds of Harbormaster:
 * a program that registers such a kind and runs an informer for it on the scheduler's manager
 * (`manager.informers.informerFor(statefulSetKind)`) gets their selectors used; otherwise a pod
 * they control is spread by its Services alone.
 *
 * @module
 */
import { everything, kinds, selectorFromSet, type AnyKind, type Informer, type Selector } from '@harbormaster/core';
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
import type { PodInfo } from '../framework/pod-info.js';
import { Status, type PluginStatus } from '../framework/status.js';
import { RequiredNodeAffinity } from '../helpers/node-affinity.js';
import { allOf, compileSelector, labelKeyRequirements, withRequirements } from '../helpers/selectors.js';
import { doNotScheduleTaint, findUntoleratedTaint } from '../helpers/taints.js';
import { names } from './names.js';

/** The arguments of PodTopologySpread. */
export interface PodTopologySpreadArgs {
  /** Constraints for pods that have none (with `defaultingType: List`); `labelSelector` must be unset. */
  readonly defaultConstraints?: readonly kinds.TopologySpreadConstraint[] | undefined;
  /** `System` (the built-in defaults) or `List` (`defaultConstraints`). @default "System" */
  readonly defaultingType?: 'System' | 'List' | undefined;
}

/** The reason of a node that would make the skew too large. */
export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
/** The reason of a node without a constraint's topology key. */
export const ERR_REASON_NODE_LABEL_NOT_MATCH = `${ERR_REASON_CONSTRAINTS_NOT_MATCH} (missing required label)`;

/** Filter's rejections, made once (a status is immutable; the plugin is set so the framework need not copy them). */
const MISSING_LABEL = Status.unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH).withPlugin(names.PodTopologySpread);
const SKEW_TOO_LARGE = Status.unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH).withPlugin(names.PodTopologySpread);

const HOSTNAME = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';

/** Kubernetes' system default constraints. */
export const SYSTEM_DEFAULT_CONSTRAINTS: readonly kinds.TopologySpreadConstraint[] = [
  { topologyKey: HOSTNAME, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 3 },
  { topologyKey: ZONE, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 5 },
];

interface Constraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly selector: Selector;
  /** What counts of matching pods are remembered by on each node: the namespace and the selector. */
  readonly memoKey: string;
  readonly minDomains: number | undefined;
  readonly honorNodeAffinity: boolean;
  readonly honorNodeTaints: boolean;
}

/** Kubernetes' `math.MaxInt32`: the count of a critical path not found yet. */
const MAX_INT32 = 2_147_483_647;

/**
 * The two domains with the smallest counts of one constraint (Kubernetes' `criticalPaths`):
 * `n0` is always the minimum; `n1` is at least `n0` but, after updates, not necessarily the
 * second smallest. Updates of one domain at a time (what AddPod and RemovePod of one node do)
 * keep `n0` exact.
 */
export class CriticalPaths {
  v0 = '';
  n0 = MAX_INT32;
  v1 = '';
  n1 = MAX_INT32;

  /** Record that domain `value` now has `count` matching pods (Kubernetes' `criticalPaths.update`). */
  update(value: string, count: number): void {
    if (value === this.v0 || value === this.v1) {
      if (value === this.v0) this.n0 = count;
      else this.n1 = count;
      if (this.n0 > this.n1) {
        const [v, n] = [this.v0, this.n0];
        this.v0 = this.v1;
        this.n0 = this.n1;
        this.v1 = v;
        this.n1 = n;
      }
    } else if (count < this.n0) {
      this.v1 = this.v0;
      this.n1 = this.n0;
      this.v0 = value;
      this.n0 = count;
    } else if (count < this.n1) {
      this.v1 = value;
      this.n1 = count;
    }
  }

  clone(): CriticalPaths {
    const c = new CriticalPaths();
    c.v0 = this.v0;
    c.n0 = this.n0;
    c.v1 = this.v1;
    c.n1 = this.n1;
    return c;
  }
}

class FilterState {
  constructor(
    readonly constraints: readonly Constraint[],
    /** Per constraint: matching pods per domain value. */
    readonly counts: Map<string, number>[],
    /** Per constraint: the domains with the fewest matching pods. */
    readonly paths: CriticalPaths[],
    /** Per constraint: 1 if the pod being scheduled matches its selector (it counts itself). */
    readonly selfMatch: readonly number[],
    readonly requiredAffinity: RequiredNodeAffinity,
  ) {}

  clone(): FilterState {
    return new FilterState(
      this.constraints,
      this.counts.map((m) => new Map(m)),
      this.paths.map((p) => p.clone()),
      this.selfMatch,
      this.requiredAffinity,
    );
  }

  /** The global minimum of constraint `i`; 0 while there are fewer domains than its minDomains. */
  minMatch(i: number): number {
    const c = this.constraints[i] as Constraint;
    if (c.minDomains !== undefined && (this.counts[i] as Map<string, number>).size < c.minDomains) return 0;
    return (this.paths[i] as CriticalPaths).n0;
  }
}

interface ScoreState {
  readonly constraints: readonly Constraint[];
  /** Per constraint: pods per domain value (hostname constraints are counted per node at Score). */
  readonly counts: Map<string, number>[];
  readonly weights: number[];
  readonly ignoredNodes: Set<string>;
}

const filterKey = stateKey<FilterState>('PreFilter' + names.PodTopologySpread);
const scoreKey = stateKey<ScoreState>('PreScore' + names.PodTopologySpread);

function memoKey(pod: kinds.Pod, selector: Selector): string {
  return `PodTopologySpread\u0000${pod.metadata.namespace ?? ''}\u0000${selector.nothing ? '<nothing>' : selector.toString()}`;
}

/**
 * How many pods on `node` in `namespace`, not terminating, match the constraint's selector;
 * remembered on the node until its pods change.
 */
function countOnNode(node: NodeInfo, c: Constraint, namespace: string | undefined): number {
  if (c.selector.empty || node.pods.length === 0) return 0;
  const hit = node.memo.get(c.memoKey);
  if (hit !== undefined && hit.generation === node.generation) return hit.value;
  const value = countMatching(node.pods, c.selector, namespace);
  node.memo.set(c.memoKey, { generation: node.generation, value });
  return value;
}

/** How many pods of `pods` in `namespace`, not terminating, match `selector` (an empty selector matches none). */
function countMatching(pods: readonly PodInfo[], selector: Selector, namespace: string | undefined): number {
  if (selector.empty) return 0;
  let n = 0;
  for (const p of pods) {
    const m = p.pod.metadata;
    if (m.deletionTimestamp || m.namespace !== namespace) continue;
    if (selector.matches(m.labels)) n++;
  }
  return n;
}

function hasAllKeys(labels: Readonly<Record<string, string>> | undefined, constraints: readonly Constraint[]): boolean {
  if (labels === undefined) return constraints.length === 0;
  for (const c of constraints) if (labels[c.topologyKey] === undefined) return false;
  return true;
}

function passesInclusion(c: Constraint, pod: kinds.Pod, node: kinds.Node, required: RequiredNodeAffinity): boolean {
  if (c.honorNodeAffinity && !required.match(node)) return false;
  if (c.honorNodeTaints && findUntoleratedTaint(node.spec?.taints, pod.spec.tolerations, doNotScheduleTaint) !== undefined) return false;
  return true;
}

/** The PodTopologySpread plugin. */
export const podTopologySpread: PluginFactory = ({ args, handle }: { args: unknown; handle: Handle }): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin & EnqueueExtensions => {
  const a = (args ?? {}) as PodTopologySpreadArgs;
  const defaultingType = a.defaultingType ?? 'System';
  if (defaultingType === 'System' && (a.defaultConstraints?.length ?? 0) > 0) {
    throw new Error('PodTopologySpread: defaultConstraints must be empty with defaultingType System');
  }
  const defaults = defaultingType === 'System' ? SYSTEM_DEFAULT_CONSTRAINTS : (a.defaultConstraints ?? []);
  const systemDefaulted = defaultingType === 'System';
  const services: Informer<typeof kinds.Service> = handle.informers.informerFor(kinds.Service);
  const replicaSets: Informer<typeof kinds.ReplicaSet> = handle.informers.informerFor(kinds.ReplicaSet);
  /** The informer of a kind core does not define, if the program runs one (found once, then kept). */
  const found = new Map<string, Informer<AnyKind>>();
  const informerOf = (apiVersion: string, kind: string): Informer<AnyKind> | undefined => {
    const id = `${apiVersion}/${kind}`;
    let informer = found.get(id);
    if (informer === undefined) {
      informer = handle.informers.informers().find((i) => i.kind.apiVersion === apiVersion && i.kind.kind === kind);
      if (informer !== undefined) found.set(id, informer);
    }
    return informer;
  };
  /** The `spec.selector` of the pod's controller of kind `apiVersion`/`kind`, if it is known. */
  const controllerSelector = <T>(o: { readonly apiVersion: string; readonly kind: string; readonly namespace: string; readonly name: string }): T | null | undefined => {
    const obj: unknown = informerOf(o.apiVersion, o.kind)?.cache.get({ namespace: o.namespace, name: o.name });
    return (obj as { spec?: { selector?: T | null } } | undefined)?.spec?.selector;
  };

  /**
   * Kubernetes' `DefaultSelector`: the merged selectors of the Services selecting the pod, then
   * those of its controlling ReplicationController (merged likewise), ReplicaSet or StatefulSet
   * (their requirements added).
   */
  const defaultSelector = (pod: kinds.Pod): Selector => {
    const ns = pod.metadata.namespace ?? 'default';
    const labels = pod.metadata.labels ?? {};
    const set: Record<string, string> = {};
    for (const svc of services.cache.list({ namespace: ns })) {
      const sel = svc.spec?.selector;
      // A Service without a selector selects nothing (not everything).
      if (sel === undefined || sel === null) continue;
      if (Object.entries(sel).every(([k, v]) => labels[k] === v)) Object.assign(set, sel);
    }
    let selector = Object.keys(set).length === 0 ? everything : selectorFromSet(set);
    const owner = pod.metadata.ownerReferences?.find((r) => r.controller === true);
    if (owner === undefined) return selector;
    const addRequirements = (other: Selector): void => {
      // A selector that matches nothing has no requirements to add (Requirements() is not ok).
      if (!other.nothing) selector = allOf([selector, other]);
    };
    switch (`${owner.apiVersion}/${owner.kind}`) {
      case 'v1/ReplicationController': {
        // A ReplicationController's selector is a plain map, merged like a Service's.
        const sel = controllerSelector<Readonly<Record<string, string>>>({ apiVersion: 'v1', kind: 'ReplicationController', namespace: ns, name: owner.name });
        if (sel !== undefined && sel !== null) {
          Object.assign(set, sel);
          selector = Object.keys(set).length === 0 ? everything : selectorFromSet(set);
        }
        break;
      }
      case 'apps/v1/ReplicaSet': {
        const rs = replicaSets.cache.get({ namespace: ns, name: owner.name });
        if (rs !== undefined) addRequirements(compileSelector(rs.spec.selector));
        break;
      }
      case 'apps/v1/StatefulSet': {
        const sel = controllerSelector<kinds.LabelSelector>({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: ns, name: owner.name });
        if (sel !== undefined) addRequirements(compileSelector(sel));
        break;
      }
      default:
      // Not owned by a supported controller.
    }
    return selector;
  };

  const buildConstraints = (pod: kinds.Pod, action: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] => {
    const own = pod.spec.topologySpreadConstraints ?? [];
    const out: Constraint[] = [];
    if (own.length > 0) {
      for (const c of own) {
        if (c.whenUnsatisfiable !== action) continue;
        let selector = compileSelector(c.labelSelector);
        if (!selector.nothing) selector = withRequirements(selector, labelKeyRequirements(c.matchLabelKeys, pod.metadata.labels, 'In'));
        out.push({
          maxSkew: c.maxSkew,
          topologyKey: c.topologyKey,
          selector,
          memoKey: memoKey(pod, selector),
          minDomains: c.minDomains,
          honorNodeAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
          honorNodeTaints: (c.nodeTaintsPolicy ?? 'Ignore') === 'Honor',
        });
      }
      return out;
    }
    const relevant = defaults.filter((c) => c.whenUnsatisfiable === action);
    if (relevant.length === 0) return out;
    const selector = defaultSelector(pod);
    if (selector.empty) return out;
    const key = memoKey(pod, selector);
    for (const c of relevant) {
      out.push({
        maxSkew: c.maxSkew,
        topologyKey: c.topologyKey,
        selector,
        memoKey: key,
        minDomains: c.minDomains,
        honorNodeAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
        honorNodeTaints: (c.nodeTaintsPolicy ?? 'Ignore') === 'Honor',
      });
    }
    return out;
  };

  const updateWithPod = (state: CycleState, preemptor: kinds.Pod, updated: PodInfo, nodeInfo: NodeInfo, delta: number): PluginStatus => {
    const s = state.read(filterKey);
    const node = nodeInfo.node;
    if (s === undefined || node === undefined || updated.pod.metadata.namespace !== preemptor.metadata.namespace) return undefined;
    if (!hasAllKeys(node.metadata.labels, s.constraints)) return undefined;
    s.constraints.forEach((c, i) => {
      if (!c.selector.matches(updated.pod.metadata.labels)) return;
      if (!passesInclusion(c, preemptor, node, s.requiredAffinity)) return;
      const v = node.metadata.labels?.[c.topologyKey] ?? '';
      const m = s.counts[i] as Map<string, number>;
      const count = (m.get(v) ?? 0) + delta;
      m.set(v, count);
      (s.paths[i] as CriticalPaths).update(v, count);
    });
    return undefined;
  };

  return {
    name: names.PodTopologySpread,
    preFilter(state: CycleState, pod: kinds.Pod, nodes: readonly NodeInfo[]): PreFilterOutcome {
      const constraints = buildConstraints(pod, 'DoNotSchedule');
      if (constraints.length === 0) return Status.skip();
      const required = new RequiredNodeAffinity(pod);
      const counts = constraints.map(() => new Map<string, number>());
      const ns = pod.metadata.namespace;
      // Runs over every node for every pod with constraints: plain loops, no closures.
      const n = constraints.length;
      const checkInclusion = constraints.map((c) => (c.honorNodeAffinity && !required.empty) || c.honorNodeTaints);
      for (let j = 0; j < nodes.length; j++) {
        const ni = nodes[j] as NodeInfo;
        const node = ni.node;
        if (node === undefined || !hasAllKeys(node.metadata.labels, constraints)) continue;
        const labels = node.metadata.labels as Readonly<Record<string, string>>;
        for (let i = 0; i < n; i++) {
          const c = constraints[i] as Constraint;
          if (checkInclusion[i] === true && !passesInclusion(c, pod, node, required)) continue;
          const v = labels[c.topologyKey] as string;
          const m = counts[i] as Map<string, number>;
          m.set(v, (m.get(v) ?? 0) + countOnNode(ni, c, ns));
        }
      }
      const paths = counts.map((m) => {
        const p = new CriticalPaths();
        for (const [v, n] of m) p.update(v, n);
        return p;
      });
      const selfMatch = constraints.map((c) => (c.selector.matches(pod.metadata.labels) ? 1 : 0));
      state.write(filterKey, new FilterState(constraints, counts, paths, selfMatch, required));
      return undefined;
    },
    preFilterExtensions: {
      addPod: (state, podToSchedule, podInfoToAdd, nodeInfo) => updateWithPod(state, podToSchedule, podInfoToAdd, nodeInfo, 1),
      removePod: (state, podToSchedule, podInfoToRemove, nodeInfo) => updateWithPod(state, podToSchedule, podInfoToRemove, nodeInfo, -1),
    },
    filter(state: CycleState, _pod: kinds.Pod, nodeInfo: NodeInfo): PluginStatus {
      const s = state.read(filterKey);
      if (s === undefined) return undefined;
      const labels = nodeInfo.labels;
      for (let i = 0; i < s.constraints.length; i++) {
        const c = s.constraints[i] as Constraint;
        const value = labels?.[c.topologyKey];
        if (value === undefined) return MISSING_LABEL;
        const matching = (s.counts[i] as Map<string, number>).get(value) ?? 0;
        if (matching + (s.selfMatch[i] as number) - s.minMatch(i) > c.maxSkew) return SKEW_TOO_LARGE;
      }
      return undefined;
    },
    preScore(state: CycleState, pod: kinds.Pod, filteredNodes: readonly NodeInfo[]): PluginStatus {
      const all = handle.snapshot.list();
      if (filteredNodes.length === 0 || all.length === 0) return undefined;
      const constraints = buildConstraints(pod, 'ScheduleAnyway');
      if (constraints.length === 0) return Status.skip();
      const requireAll = (pod.spec.topologySpreadConstraints?.length ?? 0) > 0 || !systemDefaulted;
      const counts = constraints.map(() => new Map<string, number>());
      const ignoredNodes = new Set<string>();
      const sizes = constraints.map(() => 0);
      for (const ni of filteredNodes) {
        const labels = ni.labels;
        if (requireAll && !hasAllKeys(labels, constraints)) {
          ignoredNodes.add(ni.name);
          continue;
        }
        constraints.forEach((c, i) => {
          if (c.topologyKey === HOSTNAME) return;
          const v = labels?.[c.topologyKey] ?? '';
          const m = counts[i] as Map<string, number>;
          if (!m.has(v)) {
            m.set(v, 0);
            sizes[i] = (sizes[i] as number) + 1;
          }
        });
      }
      const weights = constraints.map((c, i) => Math.log((c.topologyKey === HOSTNAME ? filteredNodes.length - ignoredNodes.size : (sizes[i] as number)) + 2));
      const required = new RequiredNodeAffinity(pod);
      const ns = pod.metadata.namespace;
      for (const ni of all) {
        const node = ni.node;
        if (node === undefined) continue;
        if (requireAll && !hasAllKeys(node.metadata.labels, constraints)) continue;
        constraints.forEach((c, i) => {
          if (c.topologyKey === HOSTNAME) return;
          if (!passesInclusion(c, pod, node, required)) return;
          const v = node.metadata.labels?.[c.topologyKey];
          const m = counts[i] as Map<string, number>;
          if (v === undefined || !m.has(v)) return;
          m.set(v, (m.get(v) ?? 0) + countOnNode(ni, c, ns));
        });
      }
      state.write(scoreKey, { constraints, counts, weights, ignoredNodes });
      return undefined;
    },
    score(state: CycleState, pod: kinds.Pod, nodeInfo: NodeInfo): number {
      const s = state.read(scoreKey);
      if (s === undefined || s.ignoredNodes.has(nodeInfo.name)) return 0;
      let score = 0;
      s.constraints.forEach((c, i) => {
        const v = nodeInfo.labels?.[c.topologyKey];
        if (v === undefined) return;
        const cnt = c.topologyKey === HOSTNAME ? countOnNode(nodeInfo, c, pod.metadata.namespace) : ((s.counts[i] as Map<string, number>).get(v) ?? 0);
        score += cnt * (s.weights[i] as number) + (c.maxSkew - 1);
      });
      return Math.round(score);
    },
    normalizeScore(state: CycleState, _pod: kinds.Pod, scores: NodeScore[]): PluginStatus {
      const s = state.read(scoreKey);
      if (s === undefined) return undefined;
      let min = Number.POSITIVE_INFINITY;
      let max = 0;
      for (const sc of scores) {
        if (s.ignoredNodes.has(sc.name)) continue;
        if (sc.score < min) min = sc.score;
        if (sc.score > max) max = sc.score;
      }
      for (const sc of scores) {
        if (s.ignoredNodes.has(sc.name)) sc.score = 0;
        else if (max === 0) sc.score = MAX_NODE_SCORE;
        else sc.score = Math.trunc((MAX_NODE_SCORE * (max + min - sc.score)) / max);
      }
      return undefined;
    },
    eventsToRegister(): ClusterEventWithHint[] {
      return [
        { event: { resource: 'Pod', actions: ActionType.Add | ActionType.UpdatePodLabel | ActionType.Delete } },
        { event: { resource: 'Node', actions: ActionType.Add | ActionType.Delete | ActionType.UpdateNodeLabel | ActionType.UpdateNodeTaint } },
      ];
    },
  };
};

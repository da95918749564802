/**
 * The node lifecycle controller: notices nodes that stop reporting and taints them, as
 * Kubernetes' `pkg/controller/nodelifecycle` does.
 *
 * Every `nodeMonitorPeriodMs` (5 s) it looks at each Node:
 * - A node is heard from when its Lease in `kube-node-lease` is renewed or its Ready condition's
 *   heartbeat changes. A node not heard from for `nodeMonitorGracePeriodMs` (50 s, Kubernetes'
 *   default since 1.32 — it was 40 s before; 60 s for a node that never posted a Ready
 *   condition) gets its `Ready`, `MemoryPressure`,
 *   `DiskPressure` and `PIDPressure` conditions set to `Unknown` (reason `NodeStatusUnknown`,
 *   "Kubelet stopped posting node status."; `NodeStatusNeverUpdated` if it never did).
 * - When a node's Ready condition leaves `True`, a Normal `NodeNotReady` Event is recorded on
 *   the node and the `Ready` condition of each of its pods is set to `False` (with a Warning
 *   `NodeNotReady` Event on the pod); pods bound later to a not-ready node are marked too.
 * - A node whose Ready condition is `Unknown` gets the `node.kubernetes.io/unreachable:NoExecute`
 *   taint, one that is `False` gets `node.kubernetes.io/not-ready:NoExecute` (the two are
 *   swapped as the condition changes, and removed when it is `True` again). The taint eviction
 *   controller then evicts the pods that do not tolerate them. Tainting is rate limited per zone
 *   (`topology.kubernetes.io/zone`) like Kubernetes' evictions: `evictionRate` (0.1 nodes/s) while
 *   the zone is healthy, `secondaryEvictionRate` (0.01) or none when at least
 *   `unhealthyZoneThreshold` (55 %) of more than two nodes are not ready, and no tainting at all
 *   (existing NoExecute taints removed) when every node of every zone is not ready — Kubernetes'
 *   "master disruption mode", so a control plane that lost its network does not evict
 *   everything. A single-node cluster is thus never tainted for unreachability.
 * - `NoSchedule` taints follow the conditions on every node change: `not-ready`, `unreachable`,
 *   `memory-pressure`, `disk-pressure`, `network-unavailable`, `pid-pressure`, and
 *   `node.kubernetes.io/unschedulable` for a cordoned node.
 *
 * It does not set a node `Ready` again: the node agent does, and the taints go on the next pass.
 *
 * @example
 * ```ts
 * setupNodeLifecycleController(manager, { nodeMonitorGracePeriodMs: 50_000 });
 * setupTaintEvictionController(manager);
 * api.admission.add(defaultTolerationSeconds());
 * ```
 *
 * @module
 */
import {
  controller,
  delay,
  formatTime,
  isConflict,
  isNotFound,
  kinds,
  type Clock,
  type EventRecorder,
  type Informer,
  type Logger,
  type Manager,
  type ReconcileContext,
  type Request,
  type Result,
  type Runnable,
} from '@harbormaster/core';
import { podsByNode } from './pods-by-node.js';
import {
  hasTaint,
  sameTaint,
  TAINT_NODE_DISK_PRESSURE,
  TAINT_NODE_MEMORY_PRESSURE,
  TAINT_NODE_NETWORK_UNAVAILABLE,
  TAINT_NODE_NOT_READY,
  TAINT_NODE_PID_PRESSURE,
  TAINT_NODE_UNREACHABLE,
  TAINT_NODE_UNSCHEDULABLE,
} from './taints.js';

type Node = kinds.Node;
type NodeCondition = kinds.NodeCondition;
type Taint = kinds.Taint;

/** The namespace of the nodes' heartbeat Leases. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** A node with this label is left out of the zone health computation. */
export const LABEL_EXCLUDE_DISRUPTION = 'node.kubernetes.io/exclude-disruption';

const NOT_READY_NO_EXECUTE: Taint = { key: TAINT_NODE_NOT_READY, effect: 'NoExecute' };
const UNREACHABLE_NO_EXECUTE: Taint = { key: TAINT_NODE_UNREACHABLE, effect: 'NoExecute' };

/** Conditions the controller sets Unknown for a silent node (not NetworkUnavailable: the network plugin owns it). */
const MONITORED_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'] as const;

/** NoSchedule taint key by condition type and status (Kubernetes' nodeConditionToTaintKeyStatusMap). */
const CONDITION_TAINTS: Readonly<Record<string, Readonly<Partial<Record<'True' | 'False' | 'Unknown', string>>>>> = {
  Ready: { False: TAINT_NODE_NOT_READY, Unknown: TAINT_NODE_UNREACHABLE },
  MemoryPressure: { True: TAINT_NODE_MEMORY_PRESSURE },
  DiskPressure: { True: TAINT_NODE_DISK_PRESSURE },
  NetworkUnavailable: { True: TAINT_NODE_NETWORK_UNAVAILABLE },
  PIDPressure: { True: TAINT_NODE_PID_PRESSURE },
};
const CONDITION_TAINT_KEYS = new Set(Object.values(CONDITION_TAINTS).flatMap((m) => Object.values(m)));

/** Options of {@link NodeLifecycleController} and {@link setupNodeLifecycleController}. */
export interface NodeLifecycleOptions {
  /** How often node health is checked (`--node-monitor-period`). @default 5000 */
  readonly nodeMonitorPeriodMs?: number;
  /**
   * How long a node may be silent before it is Unknown (`--node-monitor-grace-period`): Kubernetes
   * 1.32's default (kubernetes/kubernetes#126287 raised it from 40 s). @default 50000
   */
  readonly nodeMonitorGracePeriodMs?: number;
  /** The same, for a node that never posted a Ready condition (`--node-startup-grace-period`). @default 60000 */
  readonly nodeStartupGracePeriodMs?: number;
  /** NoExecute tainting rate per zone, nodes per second (`--node-eviction-rate`). @default 0.1 */
  readonly evictionRate?: number;
  /** The rate in a partially disrupted large zone (`--secondary-node-eviction-rate`). @default 0.01 */
  readonly secondaryEvictionRate?: number;
  /** Zones with more nodes than this are "large" (`--large-cluster-size-threshold`). @default 50 */
  readonly largeClusterSizeThreshold?: number;
  /** The share of not-ready nodes (of more than two) that makes a zone partially disrupted (`--unhealthy-zone-threshold`). @default 0.55 */
  readonly unhealthyZoneThreshold?: number;
}

/**
 * The health of a zone, as Kubernetes' node lifecycle controller names it: `Initial` for a zone
 * just seen, `FullDisruption` when none of its nodes is Ready, `PartialDisruption` when more than
 * two of them, and at least the `unhealthyZoneThreshold` fraction, are not Ready, else `Normal`.
 */
type ZoneState = 'Initial' | 'Normal' | 'PartialDisruption' | 'FullDisruption';

interface NodeHealth {
  /** The node's status when last seen. */
  status: kinds.NodeStatus | undefined;
  /** When the node was last heard from (clock ms). */
  probeTimestamp: number;
  readyTransitionTimestamp: number;
  /** The renewTime of its Lease when last seen (ms), if any. */
  leaseRenewTime: number | undefined;
}

/** A token bucket with a burst of one, on the clock (client-go's, as the zone tainters use). */
class TokenBucket {
  #tokens = 1;
  #last: number;
  constructor(
    readonly qps: number,
    readonly clock: Clock,
  ) {
    this.#last = clock.now();
  }
  tryAccept(): boolean {
    if (this.qps <= 0) return false;
    const now = this.clock.now();
    this.#tokens = Math.min(1, this.#tokens + ((now - this.#last) / 1000) * this.qps);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

interface ZoneTainter {
  /** Nodes to taint, in the order they were queued: name → uid. */
  readonly queue: Map<string, string>;
  limiter: TokenBucket;
}

function condition(status: kinds.NodeStatus | undefined, type: string): NodeCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

function parseTime(t: string | null | undefined): number {
  const n = t ? Date.parse(t) : NaN;
  return Number.isFinite(n) ? n : 0;
}

/** Kubernetes' zone key: region and zone labels. */
export function zoneKey(node: Node): string {
  const labels = node.metadata.labels ?? {};
  const region = labels['topology.kubernetes.io/region'] ?? labels['failure-domain.beta.kubernetes.io/region'] ?? '';
  const zone = labels['topology.kubernetes.io/zone'] ?? labels['failure-domain.beta.kubernetes.io/zone'] ?? '';
  return region === '' && zone === '' ? '' : `${region}:\u0000:${zone}`;
}

function sameCondition(a: NodeCondition | undefined, b: NodeCondition | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * The node health monitor and NoExecute tainter, a {@link Runnable}. Most users call
 * {@link setupNodeLifecycleController}, which also wires the NoSchedule tainting and the marking
 * of newly bound pods.
 */
export class NodeLifecycleController implements Runnable {
  /** The runnable's name in the manager, as in kube-controller-manager: `node-lifecycle-controller`. */
  readonly name = 'node-lifecycle-controller';
  readonly needLeaderElection = true;
  readonly #manager: Manager;
  readonly #nodes: Informer<typeof kinds.Node>;
  readonly #leases: Informer<typeof kinds.Lease>;
  readonly #podsOn: (nodeName: string) => kinds.Pod[];
  readonly #recorder: EventRecorder;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #monitorPeriod: number;
  readonly #gracePeriod: number;
  readonly #startupGracePeriod: number;
  readonly #evictionRate: number;
  readonly #secondaryEvictionRate: number;
  readonly #largeClusterThreshold: number;
  readonly #unhealthyZoneThreshold: number;
  readonly #health = new Map<string, NodeHealth>();
  readonly #known = new Map<string, Node>();
  readonly #zoneStates = new Map<string, ZoneState>();
  readonly #tainters = new Map<string, ZoneTainter>();
  /** Nodes whose pods must be marked not ready again (a failed attempt). */
  readonly #retryPods = new Set<string>();

  constructor(manager: Manager, options: NodeLifecycleOptions = {}) {
    this.#manager = manager;
    this.#clock = manager.clock;
    this.#nodes = manager.informers.informerFor(kinds.Node);
    this.#leases = manager.informers.informerFor(kinds.Lease);
    this.#podsOn = podsByNode(manager);
    this.#recorder = manager.recorderFor('node-controller');
    this.#log = manager.logger.child({ controller: this.name });
    this.#monitorPeriod = options.nodeMonitorPeriodMs ?? 5_000;
    this.#gracePeriod = options.nodeMonitorGracePeriodMs ?? 50_000;
    this.#startupGracePeriod = options.nodeStartupGracePeriodMs ?? 60_000;
    this.#evictionRate = options.evictionRate ?? 0.1;
    this.#secondaryEvictionRate = options.secondaryEvictionRate ?? 0.01;
    this.#largeClusterThreshold = options.largeClusterSizeThreshold ?? 50;
    this.#unhealthyZoneThreshold = options.unhealthyZoneThreshold ?? 0.55;
  }

  /** The Ready condition the controller last saw or wrote for a node. */
  readyCondition(nodeName: string): NodeCondition | undefined {
    return condition(this.#health.get(nodeName)?.status, 'Ready');
  }

  /** The health state of a zone (`''` for nodes without zone labels). */
  zoneState(zone: string): ZoneState | undefined {
    return this.#zoneStates.get(zone);
  }

  async start(signal: AbortSignal): Promise<void> {
    const synced = await Promise.all([this.#nodes.waitForSync(signal), this.#leases.waitForSync(signal), this.#manager.informers.informerFor(kinds.Pod).waitForSync(signal)]);
    if (!synced.every(Boolean)) return;
    while (!signal.aborted) {
      try {
        await this.monitorNodeHealth();
        await this.#noExecuteTaintingPass();
      } catch (e) {
        if (signal.aborted) return;
        this.#log.error({ err: e }, 'node health monitoring failed; retrying at the next period');
      }
      await delay(this.#clock, this.#monitorPeriod, signal);
    }
  }

  // ---------------------------------------------------------------- health

  /** One monitoring pass over every node (Kubernetes' monitorNodeHealth). */
  async monitorNodeHealth(): Promise<void> {
    const nodes = this.#nodes.cache.list();
    const names = new Set(nodes.map((n) => n.metadata.name ?? ''));
    for (const node of nodes) {
      const name = node.metadata.name ?? '';
      this.#ensureZone(node);
      if (!this.#known.has(name)) {
        this.#known.set(name, node);
        this.#recorder.event(node, 'Normal', 'RegisteredNode', `Registered Node ${name} in Controller`);
        await this.#markNodeAsReachable(node);
      }
    }
    for (const [name, node] of [...this.#known]) {
      if (names.has(name)) continue;
      this.#known.delete(name);
      this.#health.delete(name);
      this.#recorder.event(node, 'Normal', 'RemovingNode', `Removing Node ${name} from Controller`);
    }

    const zoneConditions = new Map<string, (NodeCondition | undefined)[]>();
    for (const cached of nodes) {
      let node: Node = structuredClone(cached);
      let result: { observed: NodeCondition; current: NodeCondition | undefined } | undefined;
      for (let attempt = 0; attempt < 5 && result === undefined; attempt++) {
        try {
          result = await this.#tryUpdateNodeHealth(node);
        } catch (e) {
          if (!isConflict(e)) {
            this.#log.error({ err: e, node: node.metadata.name }, 'updating the node health failed; no pods will be evicted');
            break;
          }
          try {
            node = await this.#manager.client.get(kinds.Node, { name: node.metadata.name ?? '' });
          } catch (err) {
            if (!isNotFound(err)) throw err;
            break;
          }
        }
      }
      if (result === undefined) continue;
      const { observed, current } = result;
      const name = node.metadata.name ?? '';
      if (node.metadata.labels?.[LABEL_EXCLUDE_DISRUPTION] === undefined) {
        const zone = zoneKey(node);
        zoneConditions.set(zone, [...(zoneConditions.get(zone) ?? []), current]);
      }
      if (current === undefined) continue;
      await this.#processTaintBasedEviction(node, observed);
      const transitioned = current.status !== 'True' && observed.status === 'True';
      if (transitioned) this.#recorder.event(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
      if (transitioned || (this.#retryPods.has(name) && observed.status !== 'True')) {
        try {
          await this.markPodsNotReady(name);
        } catch (e) {
          this.#log.warn({ err: e, node: name }, 'could not mark all pods not ready; retrying');
          this.#retryPods.add(name);
          continue;
        }
      }
      this.#retryPods.delete(name);
    }
    await this.#handleDisruption(zoneConditions, nodes);
  }

  /**
   * Kubernetes' tryUpdateNodeHealth: decide when the node was last heard from and, past the
   * grace period, set its conditions Unknown. Returns the Ready condition as observed and as it
   * is now.
   */
  async #tryUpdateNodeHealth(node: Node): Promise<{ observed: NodeCondition; current: NodeCondition | undefined }> {
    const name = node.metadata.name ?? '';
    const now = this.#clock.now();
    const created = parseTime(node.metadata.creationTimestamp);
    let health = this.#health.get(name);
    let current = condition(node.status, 'Ready');
    let observed: NodeCondition;
    let gracePeriod: number;
    if (current === undefined) {
      // Never posted: judge from the creation time, with the startup grace period.
      observed = { type: 'Ready', status: 'Unknown', lastHeartbeatTime: node.metadata.creationTimestamp ?? null, lastTransitionTime: node.metadata.creationTimestamp ?? null };
      gracePeriod = this.#startupGracePeriod;
      health = health !== undefined ? { ...health, status: node.status } : { status: node.status, probeTimestamp: created, readyTransitionTimestamp: created, leaseRenewTime: undefined };
    } else {
      observed = structuredClone(current);
      gracePeriod = this.#gracePeriod;
    }
    const saved = condition(health?.status, 'Ready');
    if (health === undefined || (saved === undefined && current !== undefined) || (saved !== undefined && current === undefined)) {
      health = { status: node.status, probeTimestamp: now, readyTransitionTimestamp: now, leaseRenewTime: health?.leaseRenewTime };
    } else if (saved !== undefined && current !== undefined && saved.lastHeartbeatTime !== current.lastHeartbeatTime) {
      const transition = saved.lastTransitionTime !== current.lastTransitionTime ? now : health.readyTransitionTimestamp;
      health = { status: node.status, probeTimestamp: now, readyTransitionTimestamp: transition, leaseRenewTime: health.leaseRenewTime };
    }
    // A renewed Lease is always a sign of life.
    const lease = this.#leases.cache.get({ namespace: NODE_LEASE_NAMESPACE, name });
    if (lease !== undefined) {
      const renewed = parseTime(lease.spec.renewTime);
      if (health.leaseRenewTime === undefined || health.leaseRenewTime < renewed) {
        health = { ...health, leaseRenewTime: renewed, probeTimestamp: now };
      }
    }
    this.#health.set(name, health);

    if (now > health.probeTimestamp + gracePeriod) {
      const nowTime = formatTime(now);
      const conditions = [...(node.status?.conditions ?? [])];
      for (const type of MONITORED_CONDITIONS) {
        const i = conditions.findIndex((c) => c.type === type);
        const c = conditions[i];
        if (c === undefined) {
          conditions.push({
            type,
            status: 'Unknown',
            reason: 'NodeStatusNeverUpdated',
            message: 'Kubelet never posted node status.',
            lastHeartbeatTime: node.metadata.creationTimestamp ?? null,
            lastTransitionTime: nowTime,
          });
        } else if (c.status !== 'Unknown') {
          conditions[i] = { ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: nowTime };
        }
      }
      node.status = { ...node.status, conditions };
      current = condition(node.status, 'Ready');
      if (!sameCondition(current, observed)) {
        this.#log.info({ node: name, silentForMs: now - health.probeTimestamp }, 'node stopped posting status; marking it Unknown');
        const written = await this.#manager.client.updateStatus(kinds.Node, node);
        node.status = written.status;
        node.metadata = written.metadata;
        this.#health.set(name, { status: node.status, probeTimestamp: health.probeTimestamp, readyTransitionTimestamp: now, leaseRenewTime: health.leaseRenewTime });
      }
    }
    return { observed, current };
  }

  /** Set the Ready condition of every pod on the node to False (Kubernetes' MarkPodsNotReady). */
  async markPodsNotReady(nodeName: string, pods: readonly kinds.Pod[] = this.#podsOn(nodeName)): Promise<void> {
    const failures: unknown[] = [];
    for (const cached of pods) {
      if (cached.spec.nodeName !== nodeName) continue;
      const ready = cached.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready === undefined || ready.status === 'False') continue;
      const pod = structuredClone(cached);
      const now = formatTime(this.#clock.now());
      pod.status = {
        ...pod.status,
        conditions: (pod.status?.conditions ?? []).map((c) => (c.type === 'Ready' ? { ...c, status: 'False', lastTransitionTime: now } : c)),
      };
      try {
        await this.#manager.client.updateStatus(kinds.Pod, pod);
        this.#recorder.event(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (e) {
        if (isNotFound(e)) continue;
        failures.push(e);
      }
    }
    if (failures.length > 0) throw new AggregateError(failures, `could not mark the pods of node ${nodeName} not ready`);
  }

  // ---------------------------------------------------------------- NoExecute taints

  #ensureZone(node: Node): void {
    const zone = zoneKey(node);
    if (this.#zoneStates.has(zone)) return;
    this.#zoneStates.set(zone, 'Initial');
    this.#tainters.set(zone, { queue: new Map(), limiter: new TokenBucket(this.#evictionRate, this.#clock) });
  }

  #tainter(node: Node): ZoneTainter {
    this.#ensureZone(node);
    return this.#tainters.get(zoneKey(node)) as ZoneTainter;
  }

  async #processTaintBasedEviction(node: Node, observed: NodeCondition): Promise<void> {
    const taints = node.spec.taints;
    switch (observed.status) {
      case 'False':
        if (hasTaint(taints, UNREACHABLE_NO_EXECUTE)) await this.#swapTaints(node, [NOT_READY_NO_EXECUTE], [UNREACHABLE_NO_EXECUTE]);
        else this.#markNodeForTainting(node, 'False');
        break;
      case 'Unknown':
        if (hasTaint(taints, NOT_READY_NO_EXECUTE)) await this.#swapTaints(node, [UNREACHABLE_NO_EXECUTE], [NOT_READY_NO_EXECUTE]);
        else this.#markNodeForTainting(node, 'Unknown');
        break;
      case 'True':
        await this.#markNodeAsReachable(node);
        break;
    }
  }

  #markNodeForTainting(node: Node, status: 'False' | 'Unknown'): void {
    const { queue } = this.#tainter(node);
    const name = node.metadata.name ?? '';
    const wanted = status === 'False' ? NOT_READY_NO_EXECUTE : UNREACHABLE_NO_EXECUTE;
    if (!hasTaint(node.spec.taints, wanted)) queue.delete(name);
    if (!queue.has(name)) queue.set(name, node.metadata.uid ?? '');
  }

  async #markNodeAsReachable(node: Node): Promise<void> {
    await this.#swapTaints(node, [], [UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE]);
    this.#tainter(node).queue.delete(node.metadata.name ?? '');
  }

  /** Taint the queued nodes, as the zones' rate limiters allow (Kubernetes' doNoExecuteTaintingPass). */
  async #noExecuteTaintingPass(): Promise<void> {
    for (const tainter of this.#tainters.values()) {
      for (const [name, uid] of [...tainter.queue]) {
        if (!tainter.limiter.tryAccept()) break;
        const node = this.#nodes.cache.get(name);
        if (node === undefined || node.metadata.uid !== uid) {
          tainter.queue.delete(name);
          continue;
        }
        const ready = condition(node.status, 'Ready');
        if (ready === undefined) continue;
        let done = true;
        if (ready.status === 'False') done = await this.#swapTaints(node, [NOT_READY_NO_EXECUTE], [UNREACHABLE_NO_EXECUTE]);
        else if (ready.status === 'Unknown') done = await this.#swapTaints(node, [UNREACHABLE_NO_EXECUTE], [NOT_READY_NO_EXECUTE]);
        if (done) tainter.queue.delete(name);
      }
    }
  }

  /** Add and remove taints with a fresh read and a conflict-checked write; added taints get `timeAdded`. */
  async #swapTaints(node: Node, add: readonly Taint[], remove: readonly Taint[]): Promise<boolean> {
    // Most passes change nothing: skip the read when the cached node already agrees.
    const taints = node.spec.taints;
    if (add.every((t) => hasTaint(taints, t)) && !remove.some((t) => hasTaint(taints, t))) return true;
    return swapNodeTaints({ client: this.#manager.client, clock: this.#clock, log: this.#log }, node.metadata.name ?? '', add, remove);
  }

  // ---------------------------------------------------------------- disruption

  #computeZoneState(conditions: readonly (NodeCondition | undefined)[]): ZoneState {
    let ready = 0;
    let notReady = 0;
    for (const c of conditions) {
      if (c?.status === 'True') ready++;
      else notReady++;
    }
    if (ready === 0 && notReady > 0) return 'FullDisruption';
    if (notReady > 2 && notReady / (notReady + ready) >= this.#unhealthyZoneThreshold) return 'PartialDisruption';
    return 'Normal';
  }

  #setZoneLimiter(zone: string, size: number, state: ZoneState): void {
    const tainter = this.#tainters.get(zone);
    if (tainter === undefined) return;
    let qps = this.#evictionRate;
    if (state === 'PartialDisruption') qps = size > this.#largeClusterThreshold ? this.#secondaryEvictionRate : 0;
    tainter.limiter = new TokenBucket(qps, this.#clock);
  }

  /** Kubernetes' handleDisruption: per-zone tainting rates, and no tainting when every zone is down. */
  async #handleDisruption(zoneConditions: ReadonlyMap<string, (NodeCondition | undefined)[]>, nodes: readonly Node[]): Promise<void> {
    const newStates = new Map<string, ZoneState>();
    let allFullyDisrupted = true;
    for (const [zone, conditions] of zoneConditions) {
      const state = this.#computeZoneState(conditions);
      if (state !== 'FullDisruption') allFullyDisrupted = false;
      newStates.set(zone, state);
      if (!this.#zoneStates.has(zone)) this.#zoneStates.set(zone, 'Initial');
    }
    let allWereFullyDisrupted = true;
    for (const [zone, state] of [...this.#zoneStates]) {
      if (!zoneConditions.has(zone)) {
        this.#zoneStates.delete(zone);
        continue;
      }
      if (state !== 'FullDisruption') allWereFullyDisrupted = false;
    }
    if (allFullyDisrupted && allWereFullyDisrupted) return;
    if (allFullyDisrupted) {
      this.#log.info({}, 'every node is not ready: entering master disruption mode (no NoExecute tainting)');
      for (const node of nodes) await this.#markNodeAsReachable(node);
      for (const zone of this.#zoneStates.keys()) {
        const tainter = this.#tainters.get(zone);
        if (tainter !== undefined) tainter.limiter = new TokenBucket(0, this.#clock);
        this.#zoneStates.set(zone, 'FullDisruption');
      }
      return;
    }
    if (allWereFullyDisrupted) {
      this.#log.info({}, 'some nodes are ready again: leaving master disruption mode');
      // Every node gets a fresh grace period.
      const now = this.#clock.now();
      for (const node of nodes) {
        const h = this.#health.get(node.metadata.name ?? '');
        if (h !== undefined) this.#health.set(node.metadata.name ?? '', { ...h, probeTimestamp: now, readyTransitionTimestamp: now });
      }
      for (const zone of [...this.#zoneStates.keys()]) {
        const state = newStates.get(zone) ?? 'Normal';
        this.#setZoneLimiter(zone, zoneConditions.get(zone)?.length ?? 0, state);
        this.#zoneStates.set(zone, state);
      }
      return;
    }
    for (const [zone, old] of [...this.#zoneStates]) {
      const state = newStates.get(zone) ?? 'Normal';
      if (state === old) continue;
      this.#log.info({ zone, state }, 'zone changed state');
      this.#setZoneLimiter(zone, zoneConditions.get(zone)?.length ?? 0, state);
      this.#zoneStates.set(zone, state);
    }
  }
}

/** Add and remove taints on a node (a fresh read, a conflict-checked update, retried); added taints get `timeAdded`. */
async function swapNodeTaints(
  deps: { client: Manager['client']; clock: Clock; log: Logger },
  name: string,
  add: readonly Taint[],
  remove: readonly Taint[],
): Promise<boolean> {
  for (let attempt = 0; attempt < 5; attempt++) {
    let node: Node;
    try {
      node = await deps.client.get(kinds.Node, { name });
    } catch (e) {
      if (isNotFound(e)) return true;
      throw e;
    }
    const before = node.spec.taints ?? [];
    const kept = before.filter((t) => !remove.some((r) => sameTaint(r, t)));
    const added = add.filter((t) => !kept.some((k) => sameTaint(k, t))).map((t) => ({ ...t, timeAdded: formatTime(deps.clock.now()) }));
    const next = [...kept, ...added];
    if (next.length === before.length && added.length === 0) return true;
    node.spec.taints = next.length > 0 ? next : undefined;
    if (node.spec.taints === undefined) delete node.spec.taints;
    try {
      await deps.client.update(kinds.Node, node);
      deps.log.debug({ node: name, added: added.map((t) => `${t.key}:${t.effect}`), removed: remove.map((t) => `${t.key}:${t.effect}`) }, 'taints updated');
      return true;
    } catch (e) {
      if (isNotFound(e)) return true;
      if (!isConflict(e)) throw e;
    }
  }
  return false;
}

/** The NoSchedule taints a node should have (Kubernetes' doNoScheduleTaintingPass). */
export function noScheduleTaintsFor(node: Node): Taint[] {
  const taints: Taint[] = [];
  for (const c of node.status?.conditions ?? []) {
    const key = CONDITION_TAINTS[c.type]?.[c.status];
    if (key !== undefined) taints.push({ key, effect: 'NoSchedule' });
  }
  if (node.spec.unschedulable === true) taints.push({ key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' });
  return taints;
}

/**
 * Add the node lifecycle controller to `manager`: the health monitor and NoExecute tainter
 * ({@link NodeLifecycleController}), a controller keeping the NoSchedule taints of each Node, and
 * one marking pods bound to a not-ready node not ready.
 *
 * @example
 * ```ts
 * const nodeLifecycle = setupNodeLifecycleController(manager);
 * setupTaintEvictionController(manager);
 * ```
 */
export function setupNodeLifecycleController(manager: Manager, options: NodeLifecycleOptions = {}): NodeLifecycleController {
  const monitor = new NodeLifecycleController(manager, options);
  manager.add(monitor);
  const log = manager.logger.child({ controller: 'node-lifecycle-noschedule' });
  controller(manager)
    .named('node-lifecycle-noschedule')
    .for(kinds.Node)
    .complete(async (req: Request, ctx: ReconcileContext): Promise<Result> => {
      const node = await ctx.cache.get(kinds.Node, req);
      if (node === undefined) return undefined;
      const wanted = noScheduleTaintsFor(node);
      const managed = (node.spec.taints ?? []).filter((t) => t.effect === 'NoSchedule' && (t.key === TAINT_NODE_UNSCHEDULABLE || CONDITION_TAINT_KEYS.has(t.key)));
      const add = wanted.filter((t) => !managed.some((m) => sameTaint(m, t)));
      const remove = managed.filter((m) => !wanted.some((t) => sameTaint(m, t)));
      if (add.length === 0 && remove.length === 0) return undefined;
      if (!(await swapNodeTaints({ client: ctx.client, clock: ctx.clock, log }, req.name, add, remove))) throw new Error(`could not update the NoSchedule taints of node ${req.name}`);
      return undefined;
    });
  // Pods bound to a node that is not ready are not ready either (Kubernetes' processPod).
  controller(manager)
    .named('node-lifecycle-pods')
    .for(kinds.Pod, {
      predicates: [{ create: (pod) => Boolean(pod.spec.nodeName), update: (a, b) => Boolean(b.spec.nodeName) && a.spec.nodeName !== b.spec.nodeName, delete: () => false }],
    })
    .complete(async (req: Request, ctx: ReconcileContext): Promise<Result> => {
      const pod = await ctx.cache.get(kinds.Pod, req);
      const nodeName = pod?.spec.nodeName;
      if (pod === undefined || !nodeName) return undefined;
      const ready = monitor.readyCondition(nodeName);
      if (ready === undefined || ready.status === 'True') return undefined;
      await monitor.markPodsNotReady(nodeName, [pod]);
      return undefined;
    });
  return monitor;
}

/** Whether the node has the taint the node lifecycle controller puts on an unreachable node. */
export function isUnreachable(node: Node): boolean {
  return hasTaint(node.spec.taints, UNREACHABLE_NO_EXECUTE);
}

export type { ZoneState };

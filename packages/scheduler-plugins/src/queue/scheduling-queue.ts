/**
 * The scheduling queue (kube-scheduler's `PriorityQueue`): three places a pending pod can be.
 *
 * - **activeQ**: pods ready to be tried, ordered by the QueueSort plugin (PrioritySort: higher
 *   `spec.priority` first, then the longest-queued).
 * - **backoffQ**: pods that failed and wait out their back-off: 1 s after the first failure,
 *   doubling with each further one up to 10 s. They move to activeQ when it ends.
 * - **unschedulable pods**: pods no node fits. They stay until a cluster event that could make
 *   them fit happens (a node added, a node's labels, taints or allocatable changed, a bound pod
 *   deleted, …, as registered by the plugins that rejected them), and at the latest after 5
 *   minutes; then they go to backoffQ, or straight to activeQ when their back-off is over.
 *
 * A pod rejected by a PreEnqueue plugin (e.g. one with `schedulingGates`) is *gated*: it waits
 * with the unschedulable pods, and its PreEnqueue plugins run again when the pod itself is
 * updated, when a cluster event the gating plugin registered happens (and its queueing hint says
 * Queue), when a plugin activates it, and at the 5-minute flush; it leaves only once they all
 * pass.
 *
 * An event that arrives while a pod is being scheduled (asynchronous PostFilter or binding) is
 * not lost: a pod that then fails goes to backoffQ rather than waiting for another event.
 *
 * All timing uses the injected clock.
 *
 * @module
 */
import { silentLogger, type Clock, type kinds, type Logger, type TimerHandle } from '@harbormaster/core';
import type { ClusterEvent } from '../framework/events.js';
import { FORCE_ACTIVATE, UNSCHEDULABLE_TIMEOUT } from '../framework/events.js';
import { PodInfo } from '../framework/pod-info.js';
import { newQueuedPodInfo, type QueuedPodInfo } from '../framework/queued-pod-info.js';
import type { Status } from '../framework/status.js';
import { Heap } from './heap.js';
import { Nominator } from './nominator.js';

/** How often the unschedulable pods are checked for the 5-minute limit (Kubernetes: 30 s). */
export const UNSCHEDULABLE_FLUSH_INTERVAL_MS = 30_000;

/** Options of {@link SchedulingQueue}. */
export interface SchedulingQueueOptions {
  /** The clock of back-offs and of the unschedulable pods' timeout. */
  readonly clock: Clock;
  /** The QueueSort order: whether `a` goes before `b`. */
  readonly less: (a: QueuedPodInfo, b: QueuedPodInfo) => boolean;
  /** Run the PreEnqueue plugins of the pod's profile; the first rejection, or `undefined`. */
  readonly preEnqueue?: (pod: kinds.Pod) => { readonly plugin: string; readonly status: Status } | undefined;
  /**
   * Whether `event` may make the pod schedulable, given the plugins that rejected it
   * ({@link rejectorPlugins}: the gating PreEnqueue plugin of a gated pod).
   */
  readonly isEventOfInterest?: (qpi: QueuedPodInfo, event: ClusterEvent, oldObj: unknown, newObj: unknown) => boolean;
  /** @default 1000 */
  readonly podInitialBackoffMs?: number;
  /** @default 10000 */
  readonly podMaxBackoffMs?: number;
  /** @default 300000 (5 minutes) */
  readonly podMaxInUnschedulablePodsMs?: number;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** The nominated pods, shared with the frameworks. @default a new one */
  readonly nominator?: Nominator;
}

/** How many pods are where. */
export interface QueueCounts {
  /** Pods ready to be scheduled (kube-scheduler's activeQ). */
  readonly active: number;
  /** Pods waiting out their back-off (podBackoffQ). */
  readonly backoff: number;
  /** Unschedulable pods, gated ones included. */
  readonly unschedulable: number;
  /** Pods a PreEnqueue plugin keeps out of the active queue (e.g. scheduling gates). */
  readonly gated: number;
  /** Popped and not done. */
  readonly inFlight: number;
}

const uidOf = (q: QueuedPodInfo): string => q.podInfo.uid;

/** The pod's spec or metadata changed in a way that may change where it fits (not status). */
function podSpecOrLabelsChanged(oldPod: kinds.Pod, newPod: kinds.Pod): boolean {
  const strip = (p: kinds.Pod): unknown => {
    const { resourceVersion: _rv, generation: _g, managedFields: _m, ...meta } = p.metadata as Record<string, unknown>;
    return [meta, p.spec];
  };
  return JSON.stringify(strip(oldPod)) !== JSON.stringify(strip(newPod));
}

/**
 * The scheduling queue. See the module documentation.
 *
 * @example
 * ```ts
 * scheduler.queue.counts();          // { active: 0, backoff: 1, unschedulable: 3, gated: 1, inFlight: 0 }
 * scheduler.queue.whereIs(pod.metadata.uid); // 'unschedulable'
 * ```
 */
export class SchedulingQueue {
  /** The pods nominated to nodes by preemption, by node. */
  readonly nominator: Nominator;
  readonly #clock: Clock;
  readonly #less: (a: QueuedPodInfo, b: QueuedPodInfo) => boolean;
  readonly #preEnqueue: SchedulingQueueOptions['preEnqueue'];
  readonly #isEventOfInterest: NonNullable<SchedulingQueueOptions['isEventOfInterest']>;
  readonly #initialBackoff: number;
  readonly #maxBackoff: number;
  readonly #maxInUnschedulable: number;
  readonly #log: Logger;
  readonly #active: Heap<QueuedPodInfo>;
  readonly #backoff: Heap<QueuedPodInfo>;
  readonly #unschedulable = new Map<string, QueuedPodInfo>();
  readonly #inFlight = new Map<string, QueuedPodInfo>();
  readonly #backoffExpiry = new WeakMap<QueuedPodInfo, number>();
  #waiters: ((q: QueuedPodInfo | undefined) => void)[] = [];
  #schedulingCycle = 0;
  #moveRequestCycle = -1;
  #closed = false;
  #backoffTimer: TimerHandle | undefined;
  #backoffTimerAt = Number.POSITIVE_INFINITY;
  #flushTimer: TimerHandle | undefined;

  constructor(options: SchedulingQueueOptions) {
    this.#clock = options.clock;
    this.#less = options.less;
    this.#preEnqueue = options.preEnqueue;
    this.#isEventOfInterest = options.isEventOfInterest ?? (() => true);
    this.#initialBackoff = options.podInitialBackoffMs ?? 1000;
    this.#maxBackoff = options.podMaxBackoffMs ?? 10_000;
    this.#maxInUnschedulable = options.podMaxInUnschedulablePodsMs ?? 300_000;
    this.#log = options.logger ?? silentLogger;
    this.nominator = options.nominator ?? new Nominator();
    this.#active = new Heap(uidOf, this.#less);
    this.#backoff = new Heap(uidOf, (a, b) => {
      const ea = this.#backoffExpiry.get(a) ?? 0;
      const eb = this.#backoffExpiry.get(b) ?? 0;
      return ea !== eb ? ea < eb : this.#less(a, b);
    });
  }

  /** The number of pods popped so far: the current scheduling cycle. */
  get schedulingCycle(): number {
    return this.#schedulingCycle;
  }

  /** Start the periodic flush of pods unschedulable for too long. */
  run(): void {
    if (this.#flushTimer !== undefined || this.#closed) return;
    const tick = (): void => {
      this.flushUnschedulablePodsLeftover();
      if (!this.#closed) this.#flushTimer = this.#clock.setTimeout(tick, UNSCHEDULABLE_FLUSH_INTERVAL_MS);
    };
    this.#flushTimer = this.#clock.setTimeout(tick, UNSCHEDULABLE_FLUSH_INTERVAL_MS);
  }

  /** Stop: waiting pops resolve `undefined`, timers are cleared. */
  close(): void {
    this.#closed = true;
    if (this.#flushTimer !== undefined) this.#clock.clearTimeout(this.#flushTimer);
    if (this.#backoffTimer !== undefined) this.#clock.clearTimeout(this.#backoffTimer);
    this.#flushTimer = undefined;
    this.#backoffTimer = undefined;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w(undefined);
  }

  /** How many pods are where. */
  counts(): QueueCounts {
    let gated = 0;
    for (const q of this.#unschedulable.values()) if (q.gatingPlugin !== undefined) gated++;
    return { active: this.#active.size, backoff: this.#backoff.size, unschedulable: this.#unschedulable.size, gated, inFlight: this.#inFlight.size };
  }

  /** Where a pod is: `active`, `backoff`, `unschedulable`, `gated`, `inFlight`, or `undefined`. */
  whereIs(uid: string): 'active' | 'backoff' | 'unschedulable' | 'gated' | 'inFlight' | undefined {
    if (this.#active.has(uid)) return 'active';
    if (this.#backoff.has(uid)) return 'backoff';
    const u = this.#unschedulable.get(uid);
    if (u !== undefined) return u.gatingPlugin === undefined ? 'unschedulable' : 'gated';
    if (this.#inFlight.has(uid)) return 'inFlight';
    return undefined;
  }

  /** The queued info of a pod anywhere in the queue. */
  get(uid: string): QueuedPodInfo | undefined {
    return this.#active.get(uid) ?? this.#backoff.get(uid) ?? this.#unschedulable.get(uid) ?? this.#inFlight.get(uid);
  }

  /** A new pending pod. */
  add(pod: kinds.Pod): void {
    const podInfo = PodInfo.of(pod);
    if (this.get(podInfo.uid) !== undefined) {
      this.update(undefined, pod);
      return;
    }
    const qpi = newQueuedPodInfo(podInfo, this.#clock.now());
    this.nominator.add(podInfo);
    this.#toActiveOrGated(qpi);
  }

  /** A pending pod changed. */
  update(oldPod: kinds.Pod | undefined, newPod: kinds.Pod): void {
    const uid = newPod.metadata.uid ?? `${newPod.metadata.namespace ?? ''}/${newPod.metadata.name ?? ''}`;
    const refresh = (q: QueuedPodInfo): void => {
      const before = q.podInfo.pod;
      q.podInfo = q.podInfo.update(newPod);
      this.nominator.updateNominatedPod(oldPod ?? before, q.podInfo);
    };
    const inActive = this.#active.get(uid);
    if (inActive !== undefined) {
      refresh(inActive);
      this.#active.addOrUpdate(inActive);
      return;
    }
    const inBackoff = this.#backoff.get(uid);
    if (inBackoff !== undefined) {
      refresh(inBackoff);
      this.#backoff.addOrUpdate(inBackoff);
      return;
    }
    const inFlight = this.#inFlight.get(uid);
    if (inFlight !== undefined) {
      refresh(inFlight);
      return;
    }
    const u = this.#unschedulable.get(uid);
    if (u !== undefined) {
      refresh(u);
      if (u.gatingPlugin !== undefined) {
        // A gated pod: check the PreEnqueue plugins again.
        this.#unschedulable.delete(uid);
        this.#toActiveOrGated(u);
        return;
      }
      if (oldPod === undefined || podSpecOrLabelsChanged(oldPod, newPod)) {
        this.#unschedulable.delete(uid);
        this.#requeue(u);
      }
      return;
    }
    this.add(newPod);
  }

  /** A pending pod was deleted (or bound elsewhere). */
  delete(pod: kinds.Pod): void {
    const uid = pod.metadata.uid ?? `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
    this.#active.delete(uid);
    this.#backoff.delete(uid);
    this.#unschedulable.delete(uid);
    this.nominator.delete(uid);
  }

  /**
   * The next pod to schedule: waits until activeQ has one, or resolves `undefined` once the queue
   * is closed or `signal` aborts.
   */
  pop(signal?: AbortSignal): Promise<QueuedPodInfo | undefined> {
    if (this.#closed || signal?.aborted) return Promise.resolve(undefined);
    const q = this.#active.pop();
    if (q !== undefined) return Promise.resolve(this.#take(q));
    return new Promise((resolve) => {
      const onAbort = (): void => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(undefined);
      };
      const waiter = (x: QueuedPodInfo | undefined): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(x === undefined ? undefined : this.#take(x));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Take the next pod if activeQ has one, without waiting. */
  tryPop(): QueuedPodInfo | undefined {
    const q = this.#active.pop();
    return q === undefined ? undefined : this.#take(q);
  }

  #take(q: QueuedPodInfo): QueuedPodInfo {
    this.#schedulingCycle++;
    q.attempts++;
    q.initialAttemptTimestamp ??= this.#clock.now();
    this.#inFlight.set(q.podInfo.uid, q);
    return q;
  }

  /** The pod's scheduling attempt is over (bound, or back in the queue). */
  done(uid: string): void {
    this.#inFlight.delete(uid);
  }

  /**
   * Put back a pod whose attempt failed. It goes to the unschedulable pods if a plugin rejected it
   * and no event arrived during its attempt (`podSchedulingCycle`); otherwise to backoffQ (errors,
   * or an event that may have changed things meanwhile).
   */
  addUnschedulableIfNotPresent(q: QueuedPodInfo, podSchedulingCycle: number): void {
    const uid = q.podInfo.uid;
    this.#inFlight.delete(uid);
    if (this.#active.has(uid) || this.#backoff.has(uid) || this.#unschedulable.has(uid)) return;
    q.timestamp = this.#clock.now();
    const rejected = q.unschedulablePlugins.size > 0 || q.pendingPlugins.size > 0;
    if (!rejected || this.#moveRequestCycle >= podSchedulingCycle) {
      this.#requeue(q);
      return;
    }
    this.#unschedulable.set(uid, q);
  }

  /**
   * A cluster event: move the unschedulable pods it may help (per the plugins that rejected them)
   * to backoffQ or activeQ. `preCheck` can rule pods out first. A gated pod is considered for the
   * events its gating plugin registered (and for the flush and forced activation); its PreEnqueue
   * plugins then run again, and it moves only if they all pass.
   */
  moveAllToActiveOrBackoffQueue(event: ClusterEvent, oldObj?: unknown, newObj?: unknown, preCheck?: (pod: kinds.Pod) => boolean): void {
    this.#moveRequestCycle = this.#schedulingCycle;
    if (this.#unschedulable.size === 0) return;
    const wildcard = event === UNSCHEDULABLE_TIMEOUT || event === FORCE_ACTIVATE;
    const moving: QueuedPodInfo[] = [];
    for (const q of this.#unschedulable.values()) {
      if (preCheck !== undefined && !preCheck(q.podInfo.pod)) continue;
      if (wildcard || this.#isEventOfInterest(q, event, oldObj, newObj)) moving.push(q);
    }
    let moved = 0;
    for (const q of moving) if (this.#moveUnschedulable(q)) moved++;
    if (moved > 0) this.#log.debug({ event: event.label ?? event.resource, pods: moved }, 'moved unschedulable pods');
  }

  /**
   * Move these pods straight to activeQ (skipping back-off), if they are waiting; a gated pod
   * goes only if its PreEnqueue plugins now pass.
   */
  activate(pods: Iterable<kinds.Pod>): void {
    for (const pod of pods) {
      const uid = pod.metadata.uid ?? '';
      const q = this.#unschedulable.get(uid) ?? this.#backoff.get(uid);
      if (q === undefined) continue;
      this.#unschedulable.delete(uid);
      this.#backoff.delete(uid);
      this.#toActiveOrGated(q);
    }
    this.#moveRequestCycle = this.#schedulingCycle;
  }

  /**
   * Move pods unschedulable (or gated) for longer than the limit (5 minutes) back, as the
   * `UnschedulableTimeout` event. Called every 30 s.
   */
  flushUnschedulablePodsLeftover(): void {
    const now = this.#clock.now();
    const moving: QueuedPodInfo[] = [];
    for (const q of this.#unschedulable.values()) if (now - q.timestamp > this.#maxInUnschedulable) moving.push(q);
    if (moving.length > 0) this.#moveRequestCycle = this.#schedulingCycle;
    for (const q of moving) this.#moveUnschedulable(q);
  }

  /**
   * Take a pod out of the unschedulable pods to backoffQ or activeQ. A gated pod's PreEnqueue
   * plugins run first; if one still rejects it, it stays (returns false).
   */
  #moveUnschedulable(q: QueuedPodInfo): boolean {
    const gated = q.gatingPlugin !== undefined;
    if (gated && this.#runPreEnqueue(q)) return false;
    this.#unschedulable.delete(q.podInfo.uid);
    this.#requeue(q, gated);
    return true;
  }

  /** Move pods whose back-off is over to activeQ. */
  flushBackoffQCompleted(): void {
    const now = this.#clock.now();
    for (;;) {
      const top = this.#backoff.peek();
      if (top === undefined || (this.#backoffExpiry.get(top) ?? 0) > now) break;
      this.#backoff.pop();
      this.#toActiveOrGated(top);
    }
    this.#armBackoffTimer();
  }

  /** How long the pod backs off after its failures (1 s doubling to 10 s). */
  backoffDuration(q: QueuedPodInfo): number {
    const count = q.consecutiveErrorsCount > 0 ? q.consecutiveErrorsCount : q.unschedulableCount;
    if (count <= 0) return 0;
    let d = this.#initialBackoff;
    for (let i = 1; i < count; i++) {
      if (d > this.#maxBackoff - d) return this.#maxBackoff;
      d += d;
    }
    return Math.min(d, this.#maxBackoff);
  }

  /** When the pod's back-off ends. */
  backoffExpiry(q: QueuedPodInfo): number {
    return q.timestamp + this.backoffDuration(q);
  }

  /** To backoffQ while the pod backs off, else to activeQ (or gated). `checked`: PreEnqueue just passed. */
  #requeue(q: QueuedPodInfo, checked = false): void {
    const expiry = this.backoffExpiry(q);
    if (expiry > this.#clock.now()) {
      this.#backoffExpiry.set(q, expiry);
      this.#backoff.addOrUpdate(q);
      this.#armBackoffTimer();
    } else {
      this.#toActiveOrGated(q, checked);
    }
  }

  #armBackoffTimer(): void {
    if (this.#closed) return;
    const top = this.#backoff.peek();
    if (top === undefined) return;
    const at = this.#backoffExpiry.get(top) ?? 0;
    if (this.#backoffTimer !== undefined && this.#backoffTimerAt <= at) return;
    if (this.#backoffTimer !== undefined) this.#clock.clearTimeout(this.#backoffTimer);
    this.#backoffTimerAt = at;
    this.#backoffTimer = this.#clock.setTimeout(
      () => {
        this.#backoffTimer = undefined;
        this.#backoffTimerAt = Number.POSITIVE_INFINITY;
        this.flushBackoffQCompleted();
      },
      Math.max(0, at - this.#clock.now()),
    );
  }

  /** Run the pod's PreEnqueue plugins: whether one rejects it (it is then gated by that plugin). */
  #runPreEnqueue(q: QueuedPodInfo): boolean {
    const rejection = this.#preEnqueue?.(q.podInfo.pod);
    q.gatingPlugin = rejection?.plugin;
    return rejection !== undefined;
  }

  /** To activeQ if the PreEnqueue plugins pass (`checked`: they just did), else to the gated pods. */
  #toActiveOrGated(q: QueuedPodInfo, checked = false): void {
    if (!checked && this.#runPreEnqueue(q)) {
      this.#unschedulable.set(q.podInfo.uid, q);
      return;
    }
    this.#active.addOrUpdate(q);
    const w = this.#waiters.shift();
    if (w !== undefined) {
      const next = this.#active.pop();
      if (next !== undefined) w(next);
    }
  }
}

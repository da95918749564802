/**
 * The ReplicaSet controller: keeps `spec.replicas` pods of a ReplicaSet's template running, as
 * Kubernetes' (pkg/controller/replicaset/replica_set.go).
 *
 * Each reconcile of a ReplicaSet:
 * 1. claims its pods: active pods in its namespace that match its selector or carry its controller
 *    reference; orphans that match are adopted and owned pods that stopped matching are released
 *    (see {@link claimObjects});
 * 2. if its {@link ControllerExpectations} are met (the cache has seen every pod it created or
 *    deleted before), creates or deletes pods to reach `spec.replicas`, at most `burstReplicas`
 *    (500) per sync: creates in slow-start batches of 1, 2, 4, … (`generateName: <rs>-`, the
 *    template's labels, annotations and finalizers, a controller owner reference), and deletes the
 *    pods Kubernetes would delete first (see {@link podsToDelete});
 * 3. writes the status: `replicas`, `fullyLabeledReplicas`, `readyReplicas`, `availableReplicas`
 *    (ready for more than `minReadySeconds`), `terminatingReplicas`, `observedGeneration`, and a
 *    `ReplicaFailure` condition while creates or deletes fail;
 * 4. with `minReadySeconds`, requeues itself for the moment the next ready pod becomes available.
 *
 * Events, as Kubernetes records them on the ReplicaSet: `SuccessfulCreate` ("Created pod: web-x7k2p"),
 * `FailedCreate` ("Error creating: …"), `SuccessfulDelete` ("Deleted pod: …"), `FailedDelete`.
 *
 * @example
 * ```ts
 * const manager = createManager({ api });
 * setupReplicaSetController(manager);
 * await manager.start(signal);
 * ```
 *
 * @module
 */
import {
  CONTROLLER_INDEX,
  controller,
  getControllerOf,
  isForbidden,
  isNotFound,
  kinds,
  ownerReference,
  requestKey,
  type CacheReader,
  type Controller,
  type EventHandler,
  type Manager,
  type Predicate,
  type ReconcileContext,
  type Reconciler,
  type Request,
  type Result,
  type Selector,
  jsonEqual,
} from '@harbormaster/core';
import { cachedSelector, claimObjects, recheckDeletionTimestamp } from './controller-ref-manager.js';
import { ControllerExpectations, EXPECTATIONS_TIMEOUT_MS } from './expectations.js';
import { podsToDelete } from './pod-deletion-order.js';
import { keyOf, podAvailableAt, podFacts } from './pod-utils.js';
import { calculateReplicaSetStatus } from './replicaset-status.js';
import { toError } from './to-error.js';
import { SLOW_START_INITIAL_BATCH_SIZE, slowStartBatch } from './slow-start.js';

/** Kubernetes' default `burstReplicas`: the most pods one sync creates or deletes. */
export const DEFAULT_BURST_REPLICAS = 500;

/** Options of {@link ReplicaSetReconciler}. */
export interface ReplicaSetReconcilerOptions {
  /** The most pods one sync creates or deletes. @default 500 */
  readonly burstReplicas?: number;
  /** After this long, unmet expectations count as met (a lost event cannot stall a ReplicaSet forever). @default 300000 */
  readonly expectationsTimeoutMs?: number;
  /**
   * The pod informer's cache, for finding a ReplicaSet's pods by the controller index and orphans
   * by the `ORPHAN_POD_INDEX` index instead of scanning the namespace.
   * {@link setupReplicaSetController} passes the manager's, with that index added.
   */
  readonly pods?: CacheReader<kinds.Pod>;
}

/** The request key of the ReplicaSet that controls `pod`, if a ReplicaSet does. */
function controllingReplicaSetKey(pod: kinds.Pod): string | undefined {
  const ref = getControllerOf(pod);
  if (ref === undefined || ref.kind !== 'ReplicaSet' || !ref.apiVersion.startsWith('apps/')) return undefined;
  return `${pod.metadata.namespace ?? 'default'}/${ref.name}`;
}

/** The parsed selector of a workload object (shared among equal selectors). */
export function selectorOf(obj: { spec: { selector?: kinds.LabelSelector | undefined } }): Selector {
  return cachedSelector(obj.spec.selector);
}

/** The index of pods without a controller, by namespace: the candidates for adoption. */
export const ORPHAN_POD_INDEX = 'replicaset-controller:orphans';

/** Index function of {@link ORPHAN_POD_INDEX}. */
export function orphanPodIndex(pod: kinds.Pod): string[] {
  return getControllerOf(pod) === undefined ? [pod.metadata.namespace ?? 'default'] : [];
}

function sameLabels(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>> | undefined): boolean {
  if (a === b) return true;
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  return ka.every((k) => a?.[k] === b?.[k]);
}

/**
 * Lets through the pod changes a ReplicaSet's reconcile can act on: labels, controller
 * reference, deletion, reaching a terminal phase, and readiness. Binding, other status changes
 * and resyncs are dropped (a reconcile at that moment would find nothing to do).
 */
export const replicaSetPodChanges: Predicate<kinds.Pod> = {
  update: (o, n) => {
    if (o.metadata.resourceVersion === n.metadata.resourceVersion) return false;
    const fo = podFacts(o);
    const fn = podFacts(n);
    return (
      fo.controllerUid !== fn.controllerUid ||
      fo.active !== fn.active ||
      fo.terminating !== fn.terminating ||
      fo.ready !== fn.ready ||
      fo.readySince !== fn.readySince ||
      !sameLabels(o.metadata.labels, n.metadata.labels)
    );
  },
};

/**
 * Reconciles ReplicaSets. See the module documentation. Feed its {@link ControllerExpectations}
 * from the pod informer with {@link ReplicaSetReconciler.podEventHandler}, or use
 * {@link setupReplicaSetController}, which wires everything.
 *
 * @example
 * ```ts
 * const pods = manager.informers.informerFor(kinds.Pod);
 * const reconciler = new ReplicaSetReconciler({ burstReplicas: 100 });
 * pods.addEventHandler(reconciler.podEventHandler());
 * controller(manager).for(kinds.ReplicaSet).owns(kinds.Pod).complete(reconciler);
 * ```
 */
export class ReplicaSetReconciler implements Reconciler {
  /** What each ReplicaSet waits for the pod cache to observe. */
  readonly expectations: ControllerExpectations;
  readonly #burst: number;
  readonly #expectationsTimeoutMs: number;
  readonly #pods: CacheReader<kinds.Pod> | undefined;

  constructor(options: ReplicaSetReconcilerOptions = {}) {
    this.#burst = options.burstReplicas ?? DEFAULT_BURST_REPLICAS;
    this.#expectationsTimeoutMs = options.expectationsTimeoutMs ?? EXPECTATIONS_TIMEOUT_MS;
    this.expectations = new ControllerExpectations({ timeoutMs: this.#expectationsTimeoutMs });
    this.#pods = options.pods;
  }

  /**
   * Handlers for the pod informer that lower the expectations as pods appear and go, as the
   * Kubernetes controller's pod event handlers do. Register them on the informer the reconciler's
   * cache reads from.
   * @param replicaSets The ReplicaSet cache, to ignore pods whose controller reference names a
   * ReplicaSet that has since been replaced (another uid).
   */
  podEventHandler(replicaSets?: CacheReader<kinds.ReplicaSet>): EventHandler<kinds.Pod> {
    const rsKey = (pod: kinds.Pod): string | undefined => {
      const key = controllingReplicaSetKey(pod);
      if (key === undefined || replicaSets === undefined) return key;
      const rs = replicaSets.get(key);
      return rs !== undefined && rs.metadata.uid === getControllerOf(pod)?.uid ? key : undefined;
    };
    const deleted = (pod: kinds.Pod): void => {
      const key = rsKey(pod);
      if (key !== undefined) this.expectations.deletionObserved(key, keyOf(pod));
    };
    return {
      onAdd: (pod) => {
        if (pod.metadata.deletionTimestamp) {
          deleted(pod);
          return;
        }
        const key = rsKey(pod);
        if (key !== undefined) this.expectations.creationObserved(key);
      },
      onUpdate: (oldPod, pod) => {
        if (oldPod.metadata.resourceVersion === pod.metadata.resourceVersion) return;
        if (pod.metadata.deletionTimestamp) {
          deleted(pod);
          if (controllingReplicaSetKey(oldPod) !== controllingReplicaSetKey(pod)) deleted(oldPod);
        }
      },
      onDelete: deleted,
    };
  }

  async reconcile(request: Request, ctx: ReconcileContext): Promise<Result> {
    const key = requestKey(request);
    const rs = await ctx.cache.get(kinds.ReplicaSet, request);
    if (rs === undefined) {
      this.expectations.delete(key);
      return;
    }
    const now = ctx.clock.now();
    const needsSync = this.expectations.satisfied(key, now);
    let selector: Selector;
    try {
      selector = selectorOf(rs);
    } catch (e) {
      ctx.log.error({ err: e }, 'invalid selector; not syncing');
      return;
    }

    const candidates = await this.#candidatePods(ctx, rs, selector);
    const claimed = await claimObjects({
      client: ctx.client,
      kind: kinds.Pod,
      owner: rs,
      selector,
      candidates: candidates.filter((p) => podFacts(p).active),
      canAdopt: recheckDeletionTimestamp(ctx.client, kinds.ReplicaSet, rs),
    });
    let active = claimed;
    let terminating = candidates.filter((p) => podFacts(p).terminating && podFacts(p).controllerUid === rs.metadata.uid).length;

    const diff = active.length - rs.spec.replicas;
    let manageError: Error | undefined;
    if (needsSync && !rs.metadata.deletionTimestamp) {
      try {
        const deleted = await this.#manageReplicas(ctx, rs, active);
        if (deleted.size > 0) {
          // The deleted pods are going: count them as terminating now, not as replicas.
          active = active.filter((p) => !deleted.has(podFacts(p).key));
          terminating += deleted.size;
        }
      } catch (e) {
        manageError = toError(e);
      }
    }

    const status = calculateReplicaSetStatus({ rs, activePods: active, terminating, manageReplicasError: manageError, diff, now: ctx.clock.now() });
    const generation = rs.metadata.generation ?? 0;
    if (!jsonEqual({ ...status, observedGeneration: generation }, rs.status)) {
      await ctx.client.updateStatus(kinds.ReplicaSet, { ...rs, status: { ...status, observedGeneration: generation } });
    }
    if (manageError !== undefined) throw manageError;

    // Come back when the next ready pod becomes available, or when unmet expectations expire.
    let next: number | undefined;
    const consider = (at: number | undefined): void => {
      if (at !== undefined && (next === undefined || at < next)) next = at;
    };
    if ((rs.spec.minReadySeconds ?? 0) > 0) for (const pod of active) consider(podAvailableAt(pod, rs.spec.minReadySeconds ?? 0, now));
    const waiting = this.expectations.get(key);
    if (!this.expectations.satisfied(key, now) && waiting !== undefined) consider(waiting.timestamp + this.#expectationsTimeoutMs + 1);
    return next === undefined ? undefined : { requeueAfter: Math.max(1, next - now) };
  }

  /** Pods in the ReplicaSet's namespace that it controls, and orphans (only matching ones if it must scan). */
  async #candidatePods(ctx: ReconcileContext, rs: kinds.ReplicaSet, selector: Selector): Promise<kinds.Pod[]> {
    const namespace = rs.metadata.namespace ?? 'default';
    const uid = rs.metadata.uid ?? '';
    const pods = this.#pods;
    if (pods !== undefined) {
      const owned = pods.byIndex(CONTROLLER_INDEX, uid).filter((p) => p.metadata.namespace === namespace);
      let orphans: kinds.Pod[];
      try {
        orphans = pods.byIndex(ORPHAN_POD_INDEX, namespace);
      } catch {
        orphans = (await ctx.cache.list(kinds.Pod, { namespace, labelSelector: selector })).filter((p) => podFacts(p).controllerUid === undefined);
      }
      return orphans.length === 0 ? owned : [...owned, ...orphans];
    }
    const byKey = new Map<string, kinds.Pod>();
    for (const p of await ctx.cache.list(kinds.Pod, { namespace, labelSelector: selector })) byKey.set(podFacts(p).key, p);
    for (const p of await ctx.cache.list(kinds.Pod, { namespace, filter: (x) => podFacts(x).controllerUid === uid })) byKey.set(podFacts(p).key, p);
    return [...byKey.values()];
  }

  /** Active pods of every ReplicaSet with the same controller as `rs` (just `rs`'s own without one). */
  async #relatedPods(ctx: ReconcileContext, rs: kinds.ReplicaSet, own: readonly kinds.Pod[]): Promise<kinds.Pod[]> {
    const ref = getControllerOf(rs);
    if (ref === undefined) return [...own];
    const namespace = rs.metadata.namespace;
    const siblings = await ctx.cache.list(kinds.ReplicaSet, { namespace, filter: (r) => getControllerOf(r)?.uid === ref.uid });
    const uids = new Set(siblings.map((r) => r.metadata.uid ?? ''));
    const byKey = new Map<string, kinds.Pod>();
    for (const p of own) byKey.set(keyOf(p), p);
    if (this.#pods !== undefined) {
      for (const uid of uids) for (const p of this.#pods.byIndex(CONTROLLER_INDEX, uid)) byKey.set(keyOf(p), p);
    } else {
      const pods = await ctx.cache.list(kinds.Pod, { namespace, filter: (p) => uids.has(getControllerOf(p)?.uid ?? '') });
      for (const p of pods) byKey.set(keyOf(p), p);
    }
    return [...byKey.values()];
  }

  /** Create or delete pods towards `spec.replicas`. Returns the keys of the pods it deleted. */
  async #manageReplicas(ctx: ReconcileContext, rs: kinds.ReplicaSet, active: readonly kinds.Pod[]): Promise<Set<string>> {
    const key = keyOf(rs);
    const diff = active.length - rs.spec.replicas;
    const deletedKeys = new Set<string>();
    if (diff < 0) {
      const count = Math.min(-diff, this.#burst);
      this.expectations.expectCreations(key, count, ctx.clock.now());
      ctx.log.debug({ need: rs.spec.replicas, creating: count }, 'too few replicas');
      const { successes, error } = await slowStartBatch(count, SLOW_START_INITIAL_BATCH_SIZE, () => this.#createPod(ctx, rs));
      // Creations never attempted will not be observed.
      for (let i = successes; i < count; i++) this.expectations.creationObserved(key);
      if (error !== undefined) throw toError(error);
    } else if (diff > 0) {
      const count = Math.min(diff, this.#burst);
      ctx.log.debug({ need: rs.spec.replicas, deleting: count }, 'too many replicas');
      const related = await this.#relatedPods(ctx, rs, active);
      const victims = podsToDelete(active, related, count, ctx.clock.now());
      this.expectations.expectDeletions(key, victims.map(keyOf), ctx.clock.now());
      const results = await Promise.allSettled(victims.map((pod) => this.#deletePod(ctx, rs, pod)));
      let firstError: Error | undefined;
      results.forEach((r, i) => {
        const pod = victims[i];
        if (pod === undefined) return;
        if (r.status === 'fulfilled') {
          deletedKeys.add(keyOf(pod));
          return;
        }
        // The deletion will not be observed.
        this.expectations.deletionObserved(key, keyOf(pod));
        if (!isNotFound(r.reason)) firstError ??= toError(r.reason);
      });
      if (firstError !== undefined) throw firstError;
    }
    return deletedKeys;
  }

  async #createPod(ctx: ReconcileContext, rs: kinds.ReplicaSet): Promise<void> {
    const template = rs.spec.template;
    const labels = template.metadata?.labels ?? {};
    try {
      if (Object.keys(labels).length === 0) throw new Error('unable to create pods, no labels');
      const pod = await ctx.client.create(kinds.Pod, {
        metadata: {
          generateName: `${rs.metadata.name ?? ''}-`,
          namespace: rs.metadata.namespace,
          labels: { ...labels },
          ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
          ...(template.metadata?.finalizers ? { finalizers: [...template.metadata.finalizers] } : {}),
          ownerReferences: [ownerReference(rs, { controller: true, blockOwnerDeletion: true })],
        },
        spec: structuredClone(template.spec),
      });
      ctx.recorder.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name ?? ''}`);
    } catch (e) {
      // A terminating namespace refuses every create: nothing to report or retry.
      if (isForbidden(e) && e.message.includes('being terminated')) return;
      ctx.recorder.event(rs, 'Warning', 'FailedCreate', `Error creating: ${e instanceof Error ? e.message : String(e)}`);
      throw e;
    }
  }

  async #deletePod(ctx: ReconcileContext, rs: kinds.ReplicaSet, pod: kinds.Pod): Promise<void> {
    const name = pod.metadata.name ?? '';
    try {
      await ctx.client.delete(kinds.Pod, { namespace: pod.metadata.namespace, name });
      ctx.recorder.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
    } catch (e) {
      if (!isNotFound(e)) ctx.recorder.event(rs, 'Warning', 'FailedDelete', `Error deleting: ${e instanceof Error ? e.message : String(e)}`);
      throw e;
    }
  }
}

/** Options of {@link setupReplicaSetController}. */
export interface SetupReplicaSetControllerOptions extends Omit<ReplicaSetReconcilerOptions, 'pods'> {
  /** ReplicaSets reconciled at once. @default 5 (Kubernetes' `--concurrent-replicaset-syncs`) */
  readonly workers?: number;
  /** Collapse bursts of pod status updates into one sync per this many ms. @default 250 */
  readonly podUpdateBatchPeriodMs?: number;
}

/**
 * Add the ReplicaSet controller (`replicaset-controller`) to a manager: it reconciles ReplicaSets,
 * follows the pods they control, and offers orphan pods to the ReplicaSets whose selector matches.
 *
 * @example
 * ```ts
 * const manager = createManager({ api });
 * setupReplicaSetController(manager);
 * setupDeploymentController(manager);
 * await manager.start(signal);
 * ```
 */
export function setupReplicaSetController(manager: Manager, options: SetupReplicaSetControllerOptions = {}): Controller {
  const pods = manager.informers.informerFor(kinds.Pod, { indexers: { [ORPHAN_POD_INDEX]: orphanPodIndex } });
  const replicaSets = manager.informers.informerFor(kinds.ReplicaSet);
  const reconciler = new ReplicaSetReconciler({ ...options, pods: pods.cache });
  pods.addEventHandler(reconciler.podEventHandler(replicaSets.cache));
  return controller(manager)
    .named('replicaset-controller')
    .for(kinds.ReplicaSet)
    // Status changes of a ReplicaSet's pods (bound, running, ready) come in bursts: collapse
    // them into one status sync per 250 ms. Creates and deletes still reconcile at once.
    .owns(kinds.Pod, { predicates: [replicaSetPodChanges], updateBatchPeriodMs: options.podUpdateBatchPeriodMs ?? 250 })
    .watches(
      kinds.Pod,
      (pod) => {
        // An orphan: every ReplicaSet that could adopt it.
        if (getControllerOf(pod) !== undefined) return undefined;
        const namespace = pod.metadata.namespace;
        return replicaSets.cache
          .list({ namespace })
          .filter((rs) => {
            try {
              return selectorOf(rs).matches(pod.metadata.labels);
            } catch {
              return false;
            }
          })
          .map((rs) => ({ namespace, name: rs.metadata.name ?? '' }));
      },
      { predicates: [replicaSetPodChanges] },
    )
    .withOptions({ maxConcurrentReconciles: options.workers ?? 5 })
    .complete(reconciler);
}

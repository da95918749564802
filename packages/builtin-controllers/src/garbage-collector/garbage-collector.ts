/**
 * The garbage collector: deletes objects whose owners are gone, as Kubernetes'
 * `pkg/controller/garbagecollector` does.
 *
 * It watches every kind the API serves (through the manager's shared informers; Events are
 * ignored, as in Kubernetes) and keeps a dependency graph by owner uid. Then:
 *
 * - **Background** (the default propagation): once an owner is gone, each dependent whose owner
 *   references are all dangling (the owner does not exist, or exists with another uid) is
 *   deleted. A dependent that still has a live owner only loses its dangling references.
 * - **Foreground**: an owner deleted with `propagationPolicy: 'Foreground'` carries the
 *   `foregroundDeletion` finalizer. Its dependents are deleted first (those that have dependents
 *   of their own are deleted in the foreground too); the owner's finalizer is removed once no
 *   dependent with `blockOwnerDeletion: true` is left, and the API then removes the owner.
 * - **Orphan**: an owner deleted with `propagationPolicy: 'Orphan'` carries the `orphan`
 *   finalizer. Its references are removed from every dependent, then the finalizer, so the
 *   dependents stay.
 *
 * Before acting, the collector reads the live object and its owners from the API (not the
 * cache), and deletes with a uid precondition. A namespaced owner is looked up in its
 * dependent's namespace; a reference to an owner in another namespace is treated as absent
 * and reported with a Warning `OwnerRefInvalidNamespace` Event on the dependent; a
 * cluster-scoped dependent that names a namespaced owner is never collected (and reported the
 * same way). A reference to a kind the API does not serve is retried with back-off, because a
 * CustomResourceDefinition may register it later; the collector looks for newly served kinds
 * every `resyncPeriodMs` (30 s).
 *
 * @example
 * ```ts
 * const api = createApiServer({ store: memoryStore() });
 * const manager = createManager({ api });
 * setupGarbageCollectorController(manager, { registry: api.registry });
 * await manager.start(signal);
 * ```
 *
 * @module
 */
import {
  Controller,
  delay,
  isConflict,
  isNotFound,
  parseApiVersion,
  type AnyKind,
  type Client,
  type EventRecorder,
  type Informer,
  type KindRegistry,
  type KubeObject,
  type Logger,
  type Manager,
  type OwnerReference,
  type ReconcileContext,
  type Result,
  type Runnable,
} from '@harbormaster/core';
import { DependencyGraph, GraphNode, referenceMatches, referencesDiff, type LinkResult, type ObjectIdentity } from './dependency-graph.js';

/** The finalizer of an object whose dependents must be orphaned before it goes. */
export const ORPHAN_FINALIZER = 'orphan';
/** The finalizer of an object whose dependents must be deleted before it goes. */
export const FOREGROUND_DELETION_FINALIZER = 'foregroundDeletion';

/** A kind by group and kind name, whatever its version. */
export interface GroupKind {
  /** `''` for the core group. */
  readonly group: string;
  /** The kind's name, e.g. `Event`. */
  readonly kind: string;
}

/** Options of {@link setupGarbageCollectorController} and {@link GarbageCollector}. */
export interface GarbageCollectorOptions {
  /** The kinds the API serves (`api.registry`). The collector watches each of them. */
  readonly registry: KindRegistry;
  /** Kinds the collector neither watches nor deletes. @default Events (core and events.k8s.io), as in Kubernetes */
  readonly ignoredKinds?: readonly GroupKind[];
  /** How often to look for kinds registered since (CustomResourceDefinitions). @default 30000 */
  readonly resyncPeriodMs?: number;
  /** Workers of each of the two queues (attempt to delete, attempt to orphan). @default 20 */
  readonly workers?: number;
}

const DEFAULT_IGNORED: readonly GroupKind[] = [
  { group: '', kind: 'Event' },
  { group: 'events.k8s.io', kind: 'Event' },
];

/** How many absent owners to remember (Kubernetes keeps 500). */
const ABSENT_OWNER_CACHE_SIZE = 500;

/** A reference whose kind the API does not serve (yet): retried with back-off. */
export class UnknownOwnerKindError extends Error {
  /** Always `UnknownOwnerKindError`. */
  override readonly name: string = 'UnknownOwnerKindError';
  constructor(
    /** The `apiVersion` and `kind` of the owner reference. */
    readonly reference: { apiVersion: string; kind: string },
  ) {
    super(`unable to resolve the owner kind ${reference.kind} in ${reference.apiVersion}: the API does not serve it`);
  }
}

type OwnerState =
  | { readonly state: 'dangling' }
  | { readonly state: 'invalid' }
  | { readonly state: 'exists'; readonly owner: KubeObject };

/** A bounded set that forgets its oldest entries. */
class LruSet {
  readonly #items = new Set<string>();
  constructor(readonly capacity: number) {}
  has(key: string): boolean {
    if (!this.#items.has(key)) return false;
    this.#items.delete(key);
    this.#items.add(key);
    return true;
  }
  add(key: string): void {
    this.#items.delete(key);
    this.#items.add(key);
    if (this.#items.size > this.capacity) {
      const oldest = this.#items.values().next().value;
      if (oldest !== undefined) this.#items.delete(oldest);
    }
  }
}

function hasFinalizer(obj: KubeObject, finalizer: string): boolean {
  return (obj.metadata.finalizers ?? []).includes(finalizer);
}

/** The object is being deleted and has `finalizer`, and was not both before. */
function deletionStartsWith(oldObj: KubeObject | undefined, obj: KubeObject, finalizer: string): boolean {
  if (!obj.metadata.deletionTimestamp || !hasFinalizer(obj, finalizer)) return false;
  if (oldObj === undefined) return true;
  return !oldObj.metadata.deletionTimestamp || !hasFinalizer(oldObj, finalizer);
}

function identityOf(kind: AnyKind, obj: KubeObject): ObjectIdentity {
  return {
    apiVersion: obj.apiVersion || kind.apiVersion,
    kind: obj.kind || kind.kind,
    name: obj.metadata.name ?? '',
    uid: obj.metadata.uid ?? '',
    namespace: obj.metadata.namespace ?? '',
  };
}

/** Read an object of any kind, typed as the KubeObject it is. */
function getObject(client: Client, kind: AnyKind, key: { name: string; namespace?: string }): Promise<KubeObject> {
  return client.get(kind, key) as Promise<KubeObject>;
}

function refString(ref: OwnerReference, namespace: string): string {
  return `[${ref.apiVersion}/${ref.kind}, namespace: ${namespace}, name: ${ref.name}, uid: ${ref.uid}]`;
}

/**
 * The garbage collector, a {@link Runnable}: builds the dependency graph from the shared
 * informers and runs the attempt-to-delete and attempt-to-orphan queues. Most users call
 * {@link setupGarbageCollectorController} instead.
 */
export class GarbageCollector implements Runnable {
  /** The runnable's name in the manager, as in kube-controller-manager: `garbage-collector`. */
  readonly name = 'garbage-collector';
  readonly needLeaderElection = true;
  readonly #manager: Manager;
  readonly #registry: KindRegistry;
  readonly #ignored: readonly GroupKind[];
  readonly #resyncPeriodMs: number;
  readonly #graph = new DependencyGraph();
  readonly #absentOwners = new LruSet(ABSENT_OWNER_CACHE_SIZE);
  readonly #monitored = new Map<string, Informer<AnyKind>>();
  readonly #attemptToDelete: Controller;
  readonly #attemptToOrphan: Controller;
  readonly #recorder: EventRecorder;
  readonly #log: Logger;

  constructor(manager: Manager, options: GarbageCollectorOptions) {
    this.#manager = manager;
    this.#registry = options.registry;
    this.#ignored = options.ignoredKinds ?? DEFAULT_IGNORED;
    this.#resyncPeriodMs = options.resyncPeriodMs ?? 30_000;
    this.#recorder = manager.recorderFor('garbage-collector-controller');
    this.#log = manager.logger.child({ controller: 'garbage-collector' });
    const common = {
      client: manager.client,
      cache: manager.cache,
      recorder: this.#recorder,
      clock: manager.clock,
      logger: manager.logger,
      metrics: manager.metrics,
      maxConcurrentReconciles: options.workers ?? 20,
    };
    this.#attemptToDelete = new Controller({
      ...common,
      name: 'garbage_collector_attempt_to_delete',
      reconciler: { reconcile: (req, ctx) => this.#attemptToDeleteWorker(req.name, ctx) },
    });
    this.#attemptToOrphan = new Controller({
      ...common,
      name: 'garbage_collector_attempt_to_orphan',
      reconciler: { reconcile: (req, ctx) => this.#attemptToOrphanWorker(req.name, ctx) },
    });
    this.#syncMonitors();
  }

  /** Whether the graph has a node for `uid` (observed or virtual). For tests and debugging. */
  graphHasUid(uid: string): boolean {
    return this.#graph.get(uid) !== undefined;
  }

  /** The uids of the dependents the graph knows for `uid`. For tests and debugging. */
  dependentsOf(uid: string): string[] {
    return [...(this.#graph.get(uid)?.dependents ?? [])].map((d) => d.identity.uid);
  }

  /**
   * Wait for every watched kind's cache, then run both queues until `signal` aborts, looking for
   * newly served kinds every `resyncPeriodMs`.
   */
  async start(signal: AbortSignal): Promise<void> {
    const synced = await Promise.all([...this.#monitored.values()].map((i) => i.waitForSync(signal)));
    if (!synced.every(Boolean)) return;
    this.#log.info({ kinds: this.#monitored.size, objects: this.#graph.size }, 'garbage collector synced');
    const resync = async (): Promise<void> => {
      while (!signal.aborted) {
        await delay(this.#manager.clock, this.#resyncPeriodMs, signal);
        if (!signal.aborted) this.#syncMonitors();
      }
    };
    await Promise.all([this.#attemptToDelete.start(signal), this.#attemptToOrphan.start(signal), resync()]);
  }

  // ---------------------------------------------------------------- the graph builder

  #ignoredKind(kind: AnyKind): boolean {
    return this.#ignored.some((g) => g.group === kind.group && g.kind === kind.kind);
  }

  /** Watch every served kind not watched yet. */
  #syncMonitors(): void {
    for (const kind of this.#registry.list()) {
      const id = `${kind.apiVersion}/${kind.kind}`;
      if (this.#monitored.has(id) || this.#ignoredKind(kind)) continue;
      const informer = this.#manager.informers.informerFor(kind);
      informer.addEventHandler({
        onAdd: (obj: KubeObject) => this.#observe(kind, obj, undefined),
        onUpdate: (oldObj: KubeObject, obj: KubeObject) => this.#observe(kind, obj, oldObj),
        onDelete: (obj: KubeObject) => this.#observeDelete(obj),
      });
      this.#monitored.set(id, informer);
    }
  }

  #enqueueDelete(node: GraphNode): void {
    this.#attemptToDelete.enqueue({ name: node.identity.uid });
  }

  #enqueueOrphan(node: GraphNode): void {
    this.#attemptToOrphan.enqueue({ name: node.identity.uid });
  }

  /** An add or update from an informer (Kubernetes' processGraphChanges). */
  #observe(kind: AnyKind, obj: KubeObject, oldObj: KubeObject | undefined): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    const owners = [...(obj.metadata.ownerReferences ?? [])];
    const beingDeleted = Boolean(obj.metadata.deletionTimestamp);
    let node = this.#graph.get(uid);
    if (node === undefined) {
      node = new GraphNode({
        identity: identityOf(kind, obj),
        owners,
        observed: true,
        beingDeleted,
        deletingDependents: beingDeleted && hasFinalizer(obj, FOREGROUND_DELETION_FINALIZER),
      });
      this.#linked(node, this.#graph.insert(node));
    } else {
      if (!node.observed) this.#observeVirtual(node, identityOf(kind, obj));
      const diff = referencesDiff(node.owners, owners);
      if (diff.added.length > 0 || diff.removed.length > 0 || diff.changed.length > 0) {
        this.#enqueueUnblockedOwners(diff.removed, diff.changed);
        node.owners = owners;
        this.#linked(node, this.#graph.addDependentToOwners(node, diff.added));
        this.#graph.removeDependentFromOwners(node, diff.removed);
      }
      if (beingDeleted) node.beingDeleted = true;
    }
    this.#processTransitions(oldObj, obj, node);
  }

  /** Act on what linking `node` to its owners found. */
  #linked(node: GraphNode, result: LinkResult): void {
    for (const virtual of result.virtual) this.#enqueueDelete(virtual);
    for (const ref of result.invalidNamespace) this.#reportInvalidNamespace(node, ref);
    if (result.suspicious) this.#enqueueDelete(node);
  }

  /**
   * A virtual node's object is delivered at last. Dependents that named it by other coordinates
   * (another namespace, kind or name) are checked again.
   */
  #observeVirtual(node: GraphNode, observed: ObjectIdentity): void {
    const before = node.identity;
    node.observed = true;
    node.identity = observed;
    if (before.namespace === observed.namespace && before.name === observed.name && before.kind === observed.kind && before.apiVersion === observed.apiVersion) return;
    for (const dep of node.dependents) {
      const ref = dep.owners.find((r) => r.uid === observed.uid);
      const namespaceOk = observed.namespace === '' || dep.identity.namespace === observed.namespace;
      if (ref !== undefined && referenceMatches(ref, observed) && namespaceOk) continue;
      if (!namespaceOk && ref !== undefined) this.#reportInvalidNamespace(dep, ref);
      this.#enqueueDelete(dep);
    }
  }

  /** A blocking reference that went away (or stopped blocking) may let a foreground owner go. */
  #enqueueUnblockedOwners(removed: readonly OwnerReference[], changed: readonly { before: OwnerReference; after: OwnerReference }[]): void {
    for (const ref of removed) {
      if (ref.blockOwnerDeletion !== true) continue;
      const owner = this.#graph.get(ref.uid);
      if (owner !== undefined) this.#enqueueDelete(owner);
    }
    for (const c of changed) {
      if (c.before.blockOwnerDeletion === true && c.after.blockOwnerDeletion !== true) {
        const owner = this.#graph.get(c.after.uid);
        if (owner !== undefined) this.#enqueueDelete(owner);
      }
    }
  }

  #processTransitions(oldObj: KubeObject | undefined, obj: KubeObject, node: GraphNode): void {
    if (deletionStartsWith(oldObj, obj, ORPHAN_FINALIZER)) {
      this.#enqueueOrphan(node);
      return;
    }
    if (deletionStartsWith(oldObj, obj, FOREGROUND_DELETION_FINALIZER)) {
      node.deletingDependents = true;
      for (const dep of node.dependents) this.#enqueueDelete(dep);
      this.#enqueueDelete(node);
    }
  }

  #observeDelete(obj: KubeObject): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    const node = this.#graph.get(uid);
    if (node === undefined) return;
    this.#removeNode(node);
  }

  /** Remove a node that is gone: its dependents and its foreground owners need another look. */
  #removeNode(node: GraphNode): void {
    this.#graph.remove(node);
    if (node.dependents.size > 0) this.#absentOwners.add(`${node.identity.namespace}/${node.identity.uid}`);
    for (const dep of node.dependents) this.#enqueueDelete(dep);
    for (const ref of node.owners) {
      const owner = this.#graph.get(ref.uid);
      if (owner?.deletingDependents) this.#enqueueDelete(owner);
    }
  }

  // ---------------------------------------------------------------- attempt to delete

  /** The kind of a reference, by apiVersion, or by group and kind at any served version. */
  #resolveKind(ref: { apiVersion: string; kind: string }): AnyKind {
    const exact = this.#registry.get(ref.apiVersion, ref.kind);
    if (exact !== undefined) return exact;
    const { group } = parseApiVersion(ref.apiVersion);
    const any = this.#registry.list().find((k) => k.group === group && k.kind === ref.kind);
    if (any === undefined) throw new UnknownOwnerKindError(ref);
    return any;
  }

  async #attemptToDeleteWorker(uid: string, ctx: ReconcileContext): Promise<Result> {
    const node = this.#graph.get(uid);
    if (node === undefined) return undefined;
    if (!node.observed) return this.#processVirtual(node, ctx);
    await this.#attemptToDeleteItem(node, ctx);
    return undefined;
  }

  /**
   * A referenced owner the informers have not delivered: look it up where each dependent would
   * find it. Dependents that cannot find it are processed (and collected); if no dependent can,
   * the virtual node goes. If it exists, wait until an informer delivers it.
   */
  async #processVirtual(node: GraphNode, ctx: ReconcileContext): Promise<Result> {
    const kind = this.#resolveKind(node.identity);
    let exists = false;
    const found = new Map<string, boolean>();
    for (const dep of [...node.dependents]) {
      if (kind.namespaced && dep.identity.namespace === '') {
        // A cluster-scoped dependent naming a namespaced owner: attemptToDeleteItem reports it.
        this.#enqueueDelete(dep);
        continue;
      }
      const namespace = kind.namespaced ? dep.identity.namespace : '';
      let here = found.get(namespace);
      if (here === undefined) {
        const state = await this.#lookupOwner(kind, namespace, { name: node.identity.name, uid: node.identity.uid }, ctx.client);
        here = state.state === 'exists';
        found.set(namespace, here);
      }
      if (here) exists = true;
      else this.#enqueueDelete(dep);
    }
    if (exists) {
      // It exists but has not been observed yet: look again later.
      return this.#graph.get(node.identity.uid) === node && !node.observed ? { requeue: true } : undefined;
    }
    if (this.#graph.get(node.identity.uid) === node && !node.observed) this.#graph.remove(node);
    return undefined;
  }

  /** Look an owner up at the API (or in the absent-owner cache). */
  async #lookupOwner(kind: AnyKind, namespace: string, ref: { name: string; uid: string }, client: Client): Promise<OwnerState> {
    const cacheKey = `${namespace}/${ref.uid}`;
    if (this.#absentOwners.has(cacheKey)) return { state: 'dangling' };
    try {
      const owner = await getObject(client, kind, { name: ref.name, ...(kind.namespaced ? { namespace } : {}) });
      if (owner.metadata.uid !== ref.uid) {
        this.#absentOwners.add(cacheKey);
        return { state: 'dangling' };
      }
      return { state: 'exists', owner };
    } catch (e) {
      if (!isNotFound(e)) throw e;
      this.#absentOwners.add(cacheKey);
      return { state: 'dangling' };
    }
  }

  /** Look up one owner reference of `item` where `item` would find it. */
  async #classifyReference(item: KubeObject, ref: OwnerReference, client: Client): Promise<OwnerState> {
    const kind = this.#resolveKind(ref);
    const namespace = item.metadata.namespace ?? '';
    // A cluster-scoped object cannot have a namespaced owner: never resolvable.
    if (kind.namespaced && namespace === '') return { state: 'invalid' };
    return this.#lookupOwner(kind, kind.namespaced ? namespace : '', ref, client);
  }

  /** A Warning `OwnerRefInvalidNamespace` Event on the dependent, worded as Kubernetes does. */
  #reportInvalidNamespace(dependent: GraphNode, ref: OwnerReference): void {
    const { apiVersion, kind, name, uid, namespace } = dependent.identity;
    this.#recorder.event(
      { apiVersion, kind, metadata: { name, uid, ...(namespace ? { namespace } : {}) } },
      'Warning',
      'OwnerRefInvalidNamespace',
      `ownerRef ${refString(ref, namespace)} does not exist in namespace "${namespace}"`,
    );
  }

  /**
   * Kubernetes' attemptToDeleteItem: read the live object; if it waits for its dependents, see
   * whether they are gone; else classify its owners (solid, dangling, waiting for their
   * dependents) and delete it, or drop the references that no longer hold.
   */
  async #attemptToDeleteItem(node: GraphNode, ctx: ReconcileContext): Promise<void> {
    if (node.beingDeleted && !node.deletingDependents) return;
    const latest = await this.#getLive(node.identity, ctx.client);
    // Gone (or replaced): the informer's delete event updates the graph.
    if (latest === undefined) return;
    if (node.deletingDependents) {
      await this.#processDeletingDependents(node, ctx);
      return;
    }
    const refs = latest.metadata.ownerReferences ?? [];
    if (refs.length === 0) return;

    const solid: OwnerReference[] = [];
    const dangling: OwnerReference[] = [];
    const waiting: OwnerReference[] = [];
    for (const ref of refs) {
      const state = await this.#classifyReference(latest, ref, ctx.client);
      switch (state.state) {
        case 'invalid':
          // Never resolvable: keep the object (Kubernetes does not retry either).
          return;
        case 'dangling':
          dangling.push(ref);
          break;
        case 'exists':
          if (state.owner.metadata.deletionTimestamp && hasFinalizer(state.owner, FOREGROUND_DELETION_FINALIZER)) waiting.push(ref);
          else solid.push(ref);
          break;
      }
    }

    if (solid.length > 0) {
      if (dangling.length === 0 && waiting.length === 0) return;
      // Owners waiting for their dependents must not wait for this one, which stays.
      const drop = new Set([...dangling, ...waiting].map((r) => r.uid));
      ctx.log.debug({ item: String(node), drop: [...drop] }, 'removing dangling and waiting owner references');
      await this.#patchOwnerReferences(node.identity, ctx.client, (current) => current.filter((r) => !drop.has(r.uid)));
      return;
    }
    if (waiting.length > 0 && node.dependents.size > 0) {
      for (const dep of node.dependents) {
        if (dep.deletingDependents) {
          // A possible cycle: stop this item from blocking its owners, then delete it in the foreground.
          ctx.log.debug({ item: String(node), dependent: String(dep) }, 'unblocking owner references to prevent a cycle');
          await this.#patchOwnerReferences(node.identity, ctx.client, (current) =>
            current.map((r) => (r.blockOwnerDeletion === true ? { ...r, blockOwnerDeletion: false } : r)),
          );
          break;
        }
      }
      await this.#deleteObject(node.identity, 'Foreground', ctx);
      return;
    }
    const policy = hasFinalizer(latest, ORPHAN_FINALIZER) ? 'Orphan' : hasFinalizer(latest, FOREGROUND_DELETION_FINALIZER) ? 'Foreground' : 'Background';
    await this.#deleteObject(node.identity, policy, ctx);
  }

  /** An owner being deleted in the foreground: remove its finalizer once nothing blocks it. */
  async #processDeletingDependents(node: GraphNode, ctx: ReconcileContext): Promise<void> {
    const blocking = node.blockingDependents();
    if (blocking.length === 0) {
      ctx.log.debug({ item: String(node) }, 'removing the foregroundDeletion finalizer');
      await this.#removeFinalizer(node.identity, FOREGROUND_DELETION_FINALIZER, ctx.client);
      return;
    }
    for (const dep of blocking) if (!dep.deletingDependents) this.#enqueueDelete(dep);
  }

  // ---------------------------------------------------------------- attempt to orphan

  async #attemptToOrphanWorker(uid: string, ctx: ReconcileContext): Promise<Result> {
    const node = this.#graph.get(uid);
    if (node === undefined) return undefined;
    const failures: unknown[] = [];
    for (const dep of [...node.dependents]) {
      try {
        await this.#patchOwnerReferences(dep.identity, ctx.client, (current) => current.filter((r) => r.uid !== uid));
      } catch (e) {
        failures.push(e);
      }
    }
    if (failures.length > 0) throw new AggregateError(failures, `failed to orphan the dependents of ${String(node)}`);
    await this.#removeFinalizer(node.identity, ORPHAN_FINALIZER, ctx.client);
    return undefined;
  }

  // ---------------------------------------------------------------- writes

  /** The live object with this identity, or undefined if it is gone or was replaced. */
  async #getLive(identity: ObjectIdentity, client: Client): Promise<KubeObject | undefined> {
    const kind = this.#resolveKind(identity);
    try {
      const obj = await getObject(client, kind, this.#keyOf(identity));
      return obj.metadata.uid === identity.uid ? obj : undefined;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  #keyOf(identity: ObjectIdentity): { name: string; namespace?: string } {
    return { name: identity.name, ...(identity.namespace ? { namespace: identity.namespace } : {}) };
  }

  async #deleteObject(identity: ObjectIdentity, policy: 'Background' | 'Foreground' | 'Orphan', ctx: ReconcileContext): Promise<void> {
    const kind = this.#resolveKind(identity);
    ctx.log.debug({ kind: identity.kind, namespace: identity.namespace, name: identity.name, policy }, 'deleting');
    try {
      await ctx.client.delete(kind, this.#keyOf(identity), { preconditions: { uid: identity.uid }, propagationPolicy: policy });
    } catch (e) {
      // Gone already, or replaced by another object of that name (the uid precondition).
      if (isNotFound(e) || isConflict(e)) return;
      throw e;
    }
  }

  /** Rewrite an object's owner references with optimistic concurrency, retrying conflicts. */
  async #patchOwnerReferences(
    identity: ObjectIdentity,
    client: Client,
    change: (current: OwnerReference[]) => OwnerReference[],
  ): Promise<void> {
    const kind = this.#resolveKind(identity);
    for (let attempt = 0; ; attempt++) {
      const latest = await this.#getLive(identity, client);
      if (latest === undefined) return;
      const current = latest.metadata.ownerReferences ?? [];
      const next = change(current);
      if (JSON.stringify(next) === JSON.stringify(current)) return;
      try {
        await client.patch(kind, this.#keyOf(identity), {
          metadata: { resourceVersion: latest.metadata.resourceVersion, ownerReferences: next.length > 0 ? next : null },
        });
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        if (isConflict(e) && attempt < 5) continue;
        throw e;
      }
    }
  }

  async #removeFinalizer(identity: ObjectIdentity, finalizer: string, client: Client): Promise<void> {
    const kind = this.#resolveKind(identity);
    for (let attempt = 0; ; attempt++) {
      const latest = await this.#getLive(identity, client);
      if (latest === undefined || !hasFinalizer(latest, finalizer)) return;
      const rest = (latest.metadata.finalizers ?? []).filter((f) => f !== finalizer);
      try {
        await client.patch(kind, this.#keyOf(identity), {
          metadata: { resourceVersion: latest.metadata.resourceVersion, finalizers: rest.length > 0 ? rest : null },
        });
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        if (isConflict(e) && attempt < 5) continue;
        throw e;
      }
    }
  }
}

/**
 * Add the garbage collector to `manager`. It watches every kind in `options.registry` (give it
 * `api.registry`) and runs on the elected leader.
 *
 * @example
 * ```ts
 * const manager = createManager({ api });
 * setupGarbageCollectorController(manager, { registry: api.registry });
 * // Deleting a Deployment now deletes its ReplicaSets and their Pods:
 * await api.client.delete(kinds.Deployment, { namespace: 'default', name: 'web' }, { propagationPolicy: 'Foreground' });
 * ```
 */
export function setupGarbageCollectorController(manager: Manager, options: GarbageCollectorOptions): GarbageCollector {
  const gc = new GarbageCollector(manager, options);
  manager.add(gc);
  return gc;
}

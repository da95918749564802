/**
 * The namespace controller: deleting a Namespace deletes everything in it, as Kubernetes'
 * `pkg/controller/namespace` does.
 *
 * A deleted Namespace stays `Terminating` while its `spec.finalizers` holds `kubernetes` (the API
 * adds it on create; the `NamespaceLifecycle` admission plugin refuses new objects in it
 * meanwhile). For such a Namespace the controller:
 *
 * 1. deletes every object of every namespaced kind the API serves, with Background propagation;
 * 2. lists again and reports what is left in the Namespace's status conditions, exactly as
 *    Kubernetes names them: `NamespaceDeletionDiscoveryFailure`,
 *    `NamespaceDeletionGroupVersionParsingFailure`, `NamespaceDeletionContentFailure`,
 *    `NamespaceContentRemaining` and `NamespaceFinalizersRemaining` (status `False` with the
 *    "all went well" reason, `True` with what remains);
 * 3. if objects remain, looks again later: after half the longest grace period of the Pods still
 *    terminating (plus one second), or after 8 s when objects wait for their finalizers. An object
 *    that should be gone but is not is an error, retried with back-off;
 * 4. once the Namespace is empty, removes `kubernetes` from `spec.finalizers` (a plain update), and
 *    the API removes the Namespace.
 *
 * @example
 * ```ts
 * setupNamespaceController(manager, { registry: api.registry });
 * await api.client.delete(kinds.Namespace, { name: 'shop' }); // Terminating, then gone with its contents
 * ```
 *
 * @module
 */
import {
  controller,
  formatTime,
  isConflict,
  isNotFound,
  kinds,
  type AnyKind,
  type Client,
  type Controller,
  type KindRegistry,
  type KubeObject,
  type Manager,
  type ReconcileContext,
  type Reconciler,
  type Request,
  type Result,
} from '@harbormaster/core';

/** The finalizer token this controller owns in `spec.finalizers`. */
export const NAMESPACE_FINALIZER: string = kinds.namespaceFinalizer;

/** How long to wait for objects held by finalizers before looking again (Kubernetes' estimate). */
const FINALIZER_ESTIMATE_SECONDS = 15;

/** The condition types the namespace controller maintains, in Kubernetes' order. */
export const NAMESPACE_CONDITION_TYPES = [
  'NamespaceDeletionDiscoveryFailure',
  'NamespaceDeletionGroupVersionParsingFailure',
  'NamespaceDeletionContentFailure',
  'NamespaceContentRemaining',
  'NamespaceFinalizersRemaining',
] as const;
/** A condition type the namespace controller maintains. */
export type NamespaceDeletionConditionType = (typeof NAMESPACE_CONDITION_TYPES)[number];

const OK_REASONS: Record<NamespaceDeletionConditionType, string> = {
  NamespaceDeletionDiscoveryFailure: 'ResourcesDiscovered',
  NamespaceDeletionGroupVersionParsingFailure: 'ParsedGroupVersions',
  NamespaceDeletionContentFailure: 'ContentDeleted',
  NamespaceContentRemaining: 'ContentRemoved',
  NamespaceFinalizersRemaining: 'ContentRemoved',
};

const OK_MESSAGES: Record<NamespaceDeletionConditionType, string> = {
  NamespaceDeletionDiscoveryFailure: 'All resources successfully discovered',
  NamespaceDeletionGroupVersionParsingFailure: 'All legacy kube types successfully parsed',
  NamespaceDeletionContentFailure: 'All content successfully deleted, may be waiting on finalization',
  NamespaceContentRemaining: 'All content successfully removed',
  NamespaceFinalizersRemaining: 'All content successfully removed',
};

interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string | null | undefined;
  reason?: string | undefined;
  message?: string | undefined;
}

/** What deleting the objects of one kind left behind. */
interface KindDeletion {
  /** Seconds to wait before looking again; 0: no estimate. */
  estimate: number;
  remaining: number;
  finalizers: Map<string, number>;
}

/** Options of {@link NamespaceReconciler} and {@link setupNamespaceController}. */
export interface NamespaceControllerOptions {
  /** The kinds the API serves (`api.registry`): the namespaced ones are emptied. */
  readonly registry: KindRegistry;
  /** How many Namespaces may be emptied at once (Kubernetes' `--concurrent-namespace-syncs`). @default 10 */
  readonly workers?: number;
}

/** An object of any kind, read through the typed client. */
async function listObjects(client: Client, kind: AnyKind, namespace: string): Promise<KubeObject[]> {
  const list = await client.list(kind, { namespace });
  return list.items as KubeObject[];
}

/** Empties deleted Namespaces, then releases them. See the module documentation. */
export class NamespaceReconciler implements Reconciler {
  readonly #registry: KindRegistry;

  constructor(options: Pick<NamespaceControllerOptions, 'registry'>) {
    this.#registry = options.registry;
  }

  async reconcile(request: Request, ctx: ReconcileContext): Promise<Result> {
    // Several controllers may edit a terminating Namespace: work from its latest state.
    let ns: kinds.Namespace;
    try {
      ns = await ctx.client.get(kinds.Namespace, { name: request.name });
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    if (!ns.metadata.deletionTimestamp) return undefined;
    if (ns.status.phase !== 'Terminating') {
      ns.status.phase = 'Terminating';
      ns = await ctx.client.updateStatus(kinds.Namespace, ns);
    }
    if ((ns.spec.finalizers ?? []).length === 0) return undefined;

    const { estimate, errors } = await this.#deleteAllContent(ns, ctx);
    if (errors.length > 0) throw new AggregateError(errors, errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; '));
    if (estimate > 0) {
      ctx.log.debug({ estimate }, 'content remains in the namespace; looking again later');
      return { requeueAfter: (Math.floor(estimate / 2) + 1) * 1000 };
    }
    await this.#finalize(request.name, ctx);
    return undefined;
  }

  /** Delete every namespaced object; update the conditions; return the wait estimate and errors. */
  async #deleteAllContent(ns: kinds.Namespace, ctx: ReconcileContext): Promise<{ estimate: number; errors: unknown[] }> {
    const namespace = ns.metadata.name ?? '';
    const deletedAt = Date.parse(ns.metadata.deletionTimestamp ?? '');
    const errors: unknown[] = [];
    const contentErrors: string[] = [];
    let estimate = 0;
    const remainingByKind = new Map<string, number>();
    const remainingByFinalizer = new Map<string, number>();
    for (const kind of this.#registry.list()) {
      if (!kind.namespaced) continue;
      try {
        const result = await this.#deleteKind(kind, namespace, deletedAt, ctx);
        estimate = Math.max(estimate, result.estimate);
        if (result.remaining > 0) {
          remainingByKind.set(`${kind.plural}.${kind.group}`, result.remaining);
          for (const [f, n] of result.finalizers) remainingByFinalizer.set(f, (remainingByFinalizer.get(f) ?? 0) + n);
        }
      } catch (e) {
        errors.push(e);
        contentErrors.push(e instanceof Error ? e.message : String(e));
      }
    }

    const conditions = new Map<string, Condition>();
    if (remainingByKind.size > 0) {
      const parts = [...remainingByKind].map(([k, n]) => `${k} has ${n} resource instances`).sort();
      conditions.set('NamespaceContentRemaining', {
        type: 'NamespaceContentRemaining',
        status: 'True',
        reason: 'SomeResourcesRemain',
        message: `Some resources are remaining: ${parts.join(', ')}`,
      });
    }
    if (remainingByFinalizer.size > 0) {
      const parts = [...remainingByFinalizer].map(([f, n]) => `${f} in ${n} resource instances`).sort();
      conditions.set('NamespaceFinalizersRemaining', {
        type: 'NamespaceFinalizersRemaining',
        status: 'True',
        reason: 'SomeFinalizerRemain',
        message: `Some finalizers are remaining: ${parts.join(', ')}`,
      });
    }
    if (contentErrors.length > 0) {
      conditions.set('NamespaceDeletionContentFailure', {
        type: 'NamespaceDeletionContentFailure',
        status: 'True',
        reason: 'ContentDeletionFailed',
        message: `Failed to delete all resource types, ${contentErrors.length} remaining: ${contentErrors.sort().join(', ')}`,
      });
    }
    await this.#updateConditions(ns, conditions, ctx);
    return { estimate, errors };
  }

  /** Delete the objects of one kind in the namespace and see what is left. */
  async #deleteKind(kind: AnyKind, namespace: string, deletedAt: number, ctx: ReconcileContext): Promise<KindDeletion> {
    let estimate = 0;
    const items = await listObjects(ctx.client, kind, namespace);
    if (kind.group === '' && kind.kind === 'Pod') {
      // The longest grace period of the pods still running, if it has not passed yet.
      for (const pod of items as kinds.Pod[]) {
        const phase = pod.status?.phase;
        if (phase === 'Succeeded' || phase === 'Failed') continue;
        estimate = Math.max(estimate, pod.spec.terminationGracePeriodSeconds ?? 0);
      }
      if (Number.isFinite(deletedAt) && ctx.clock.now() - deletedAt >= estimate * 1000) estimate = 0;
    }
    for (const item of items) {
      if (item.metadata.deletionTimestamp) continue;
      try {
        await ctx.client.delete(kind, { namespace, name: item.metadata.name ?? '' }, { propagationPolicy: 'Background' });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    const remaining = await listObjects(ctx.client, kind, namespace);
    if (remaining.length === 0) return { estimate: 0, remaining: 0, finalizers: new Map() };
    const finalizers = new Map<string, number>();
    for (const item of remaining) for (const f of item.metadata.finalizers ?? []) finalizers.set(f, (finalizers.get(f) ?? 0) + 1);
    if (estimate > 0) return { estimate, remaining: remaining.length, finalizers };
    // Objects held by finalizers are normal: give whoever owns them time to finish.
    if (finalizers.size > 0) return { estimate: FINALIZER_ESTIMATE_SECONDS, remaining: remaining.length, finalizers };
    throw new Error(`unexpected items still remain in namespace: ${namespace} for gvr: ${kind.apiVersion}, Resource=${kind.plural}`);
  }

  /** Set every maintained condition (the "all went well" variant unless given), writing only on change. */
  async #updateConditions(ns: kinds.Namespace, failing: ReadonlyMap<string, Condition>, ctx: ReconcileContext): Promise<void> {
    const now = formatTime(ctx.clock.now());
    const conditions: Condition[] = [...(ns.status.conditions ?? [])].map((c) => ({ ...c }));
    let changed = false;
    for (const type of NAMESPACE_CONDITION_TYPES) {
      const wanted = failing.get(type) ?? { type, status: 'False', reason: OK_REASONS[type], message: OK_MESSAGES[type] };
      const existing = conditions.find((c) => c.type === type);
      if (existing === undefined) {
        conditions.push({ ...wanted, lastTransitionTime: now });
        changed = true;
      } else if (existing.status !== wanted.status || existing.reason !== wanted.reason || existing.message !== wanted.message) {
        if (existing.status !== wanted.status) existing.lastTransitionTime = now;
        existing.status = wanted.status;
        existing.reason = wanted.reason;
        existing.message = wanted.message;
        changed = true;
      }
    }
    if (!changed) return;
    try {
      await ctx.client.updateStatus(kinds.Namespace, { ...ns, status: { ...ns.status, conditions } });
    } catch (e) {
      // Best effort, as in Kubernetes: the next pass writes them again.
      if (!isNotFound(e) && !isConflict(e)) ctx.log.warn({ err: e }, 'could not update the namespace conditions');
    }
  }

  /** Remove our token from `spec.finalizers` (a plain update), retrying conflicts. */
  async #finalize(name: string, ctx: ReconcileContext): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let ns: kinds.Namespace;
      try {
        ns = await ctx.client.get(kinds.Namespace, { name });
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
      const finalizers = ns.spec.finalizers ?? [];
      if (!finalizers.includes(NAMESPACE_FINALIZER)) return;
      ns.spec.finalizers = finalizers.filter((f) => f !== NAMESPACE_FINALIZER);
      try {
        await ctx.client.update(kinds.Namespace, ns);
        ctx.log.info({ namespace: name }, 'namespace emptied and finalized');
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
 * Add the namespace controller to `manager`.
 *
 * @example
 * ```ts
 * const manager = createManager({ api });
 * setupNamespaceController(manager, { registry: api.registry });
 * ```
 */
export function setupNamespaceController(manager: Manager, options: NamespaceControllerOptions): Controller {
  return controller(manager)
    .named('namespace')
    .for(kinds.Namespace)
    .withOptions({ maxConcurrentReconciles: options.workers ?? 10 })
    .complete(new NamespaceReconciler(options));
}

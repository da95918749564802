/**
 * The finalizer helper, in the manner of kube-rs' `finalizer`: a reconciler that owns something
 * outside the API (a file, a container, a DNS record) wraps its work in {@link withFinalizer} and
 * gets cleanup on deletion for free.
 *
 * - Not being deleted, finalizer missing: adds the finalizer and returns (the update brings the
 *   object back to the queue).
 * - Not being deleted, finalizer present: runs `apply`.
 * - Being deleted (`deletionTimestamp` set), finalizer present: runs `cleanup`, then removes the
 *   finalizer, which lets the API delete the object. If `cleanup` throws, the finalizer stays and
 *   the controller retries with back-off.
 * - Being deleted, finalizer gone: nothing to do.
 *
 * Finalizer edits are JSON merge patches that carry the object's resourceVersion, so a stale
 * object yields a 409 Conflict (and a retry) instead of dropping someone else's finalizer.
 *
 * @example
 * ```ts
 * reconcile: async (req, ctx) => {
 *   const site = await ctx.cache.get(Website, req);
 *   if (!site) return;
 *   return withFinalizer(ctx, Website, site, {
 *     finalizer: 'example.com/cleanup',
 *     apply: async (s) => { await publish(s); },
 *     cleanup: async (s) => { await unpublish(s); },
 *   });
 * }
 * ```
 *
 * @module
 */
import type { AnyKind, TypeOf } from '../kinds/kind.js';
import type { KubeObject } from '../meta/object-meta.js';
import type { ReconcileContext, Result } from './reconciler.js';

/** The finalizer and the work a finalized reconciler does. */
export interface FinalizerHandlers<T> {
  /** The finalizer's name, a qualified name such as `example.com/cleanup`. */
  readonly finalizer: string;
  /** Reconcile a live object. */
  apply(obj: T): Promise<Result>;
  /** Release what the object held; runs once deletion has begun. */
  cleanup(obj: T): Promise<void>;
}

/** Run `apply` or `cleanup` for `obj`, adding and removing the finalizer around them. */
export async function withFinalizer<K extends AnyKind>(
  ctx: Pick<ReconcileContext, 'client' | 'log'>,
  kind: K,
  obj: TypeOf<K>,
  handlers: FinalizerHandlers<TypeOf<K>>,
): Promise<Result> {
  const name = handlers.finalizer;
  const meta = (obj as KubeObject).metadata;
  const finalizers: string[] = meta.finalizers ?? [];
  const key = { namespace: meta.namespace, name: meta.name ?? '' };
  if (!meta.deletionTimestamp) {
    if (!finalizers.includes(name)) {
      ctx.log.debug({ finalizer: name }, 'adding finalizer');
      await ctx.client.patch(kind, key, { metadata: { resourceVersion: meta.resourceVersion, finalizers: [...finalizers, name] } } as never);
      return undefined;
    }
    return handlers.apply(obj);
  }
  if (!finalizers.includes(name)) return undefined;
  ctx.log.debug({ finalizer: name }, 'running cleanup');
  await handlers.cleanup(obj);
  const rest = finalizers.filter((f) => f !== name);
  await ctx.client.patch(kind, key, { metadata: { resourceVersion: meta.resourceVersion, finalizers: rest.length > 0 ? rest : null } } as never);
  ctx.log.debug({ finalizer: name }, 'finalizer removed');
  return undefined;
}

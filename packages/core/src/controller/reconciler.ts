/**
 * The Reconciler contract: one method, level-based. The request names an object, never what
 * happened to it; the reconciler reads the world as it is and makes it as it should be. Return
 * `{ requeueAfter }` to be called again later, throw to be retried with back-off, throw a
 * {@link terminalError} for a failure retrying cannot fix.
 *
 * @example
 * ```ts
 * const reconciler = reconcilerFunc(async (req, ctx) => {
 *   const site = await ctx.cache.get(Website, req);
 *   if (site === undefined) return; // deleted: owned objects go with it
 *   // … create or update what the site needs through ctx.client …
 *   return { requeueAfter: 60_000 };
 * });
 * ```
 *
 * @module
 */
import type { Clock } from '../clock/clock.js';
import type { Client } from '../api/client.js';
import type { EventRecorder } from '../events/event-recorder.js';
import type { ObjectKey } from '../meta/object-meta.js';
import type { Logger } from '../observability/logger.js';
import type { CachedReader } from './cached-reader.js';

/** Which object to reconcile. */
export type Request = ObjectKey;

/** What to do after a successful reconcile. */
export type Result = void | undefined | {
  /** Reconcile this object again after this many milliseconds (by the clock), even if nothing changes. */
  readonly requeueAfter?: number;
  /** Reconcile again soon, with the rate limiter's back-off (prefer `requeueAfter`). */
  readonly requeue?: boolean;
};

/** What a reconcile gets besides the request. */
export interface ReconcileContext {
  /** Aborted when the controller shuts down: pass it to anything slow. */
  readonly signal: AbortSignal;
  /**
   * The API client for writes (and reads that must be fresh). After a write returns, the cache of
   * that kind has seen it, so the next read from `cache` sees at least that version.
   */
  readonly client: Client;
  /** Reads from the shared informer caches (frozen objects: copy before changing). */
  readonly cache: CachedReader;
  /** A logger with the controller name and the object key bound. */
  readonly log: Logger;
  /** Records Kubernetes Events about objects. */
  readonly recorder: EventRecorder;
  /** The controller's clock: use it, not `Date.now()`, for timestamps and `requeueAfter` decisions. */
  readonly clock: Clock;
  /** The controller's name. */
  readonly controller: string;
}

/** Reconciles objects of one kind. */
export interface Reconciler {
  /**
   * Make the object `request` names as it should be. Resolve with what to do next, throw to be
   * retried with back-off, or throw a {@link terminalError} to stop retrying.
   */
  reconcile(request: Request, context: ReconcileContext): Promise<Result>;
}

/** A reconcile function. */
export type ReconcileFunc = (request: Request, context: ReconcileContext) => Promise<Result>;

/** A {@link Reconciler} from a function. */
export function reconcilerFunc(fn: ReconcileFunc): Reconciler {
  return { reconcile: fn };
}

/** An error that retrying will not fix: the controller logs it and does not requeue. */
export class TerminalError extends Error {
  /** Always `TerminalError`. */
  override readonly name: string = 'TerminalError';
}

/**
 * Mark an error as terminal: throw `terminalError(e)` from a reconcile to stop retrying this
 * request (until the object changes again).
 */
export function terminalError(error: unknown): TerminalError {
  if (error instanceof TerminalError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new TerminalError(message, { cause: error });
}

/**
 * Whether `e` is a {@link TerminalError} or wraps one: the `cause` chain is followed (as Go's
 * `errors.As` follows wrapped errors), so `new Error('syncing', { cause: terminalError(e) })` is
 * terminal too.
 */
export function isTerminalError(e: unknown): boolean {
  const seen = new Set<unknown>();
  for (let current = e; current instanceof Error && !seen.has(current); current = current.cause) {
    if (current instanceof TerminalError) return true;
    seen.add(current);
  }
  return false;
}

/** The work queue key of a request: `namespace/name`, or `name` when cluster-scoped. */
export function requestKey(request: Request): string {
  return request.namespace ? `${request.namespace}/${request.name}` : request.name;
}

/** The request of a work queue key. */
export function requestFromKey(key: string): Request {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/**
 * The Store contract: a revisioned key-value log in the manner of etcd and kine.
 *
 * A store is deliberately dumb. It knows keys, JSON values and revisions, nothing about
 * Kubernetes. Every write (create, update, delete) takes the next value of one global revision
 * counter; updates and deletes are compare-and-swap on the key's last modification revision; a
 * watch replays every change after a given revision, in order and without gaps, then follows live
 * changes. History older than the store's retention window is compacted away, and asking for it
 * fails with {@link @harbormaster/core!CompactedError | CompactedError}. All Kubernetes semantics live above this contract, in the API
 * layer of `@harbormaster/core`.
 *
 * Backends: `@harbormaster/store-memory` (`memoryStore()`), `@harbormaster/store-sqlite`
 * (`sqliteStore({ path })`). Each passes the shared conformance suite exported by
 * `@harbormaster/core/testing`.
 *
 * @module
 */
import type { Observable } from 'rxjs';

/** A JSON value as a store holds it. Stores never see class instances, `undefined` or functions. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** One key at one revision. */
export interface Entry {
  /** The key, e.g. `/registry/apps/deployments/default/storefront`. */
  readonly key: string;
  /**
   * The stored value. Treat it as read-only: a store may hand the same (frozen) object to every
   * reader. Copy it before changing it.
   */
  readonly value: JsonValue;
  /** The revision at which this key was created (and not deleted since). */
  readonly createRevision: number;
  /** The revision of the last write to this key. For a deletion event, the revision of the delete. */
  readonly modRevision: number;
}

/**
 * What {@link Store.delete} resolves with: the key's last entry, as it was just before the delete,
 * and the revision the delete itself was written at.
 *
 * etcd answers a delete the same way: the deleted key-values (`prev_kv`) and, in the response
 * header, the revision of the delete. The API layer returns a deleted object at that revision, so
 * that a caller can wait until a cache has seen the deletion.
 *
 * @example
 * ```ts
 * const created = await store.create('/registry/configmaps/default/app', { data: {} }); // revision 1
 * const deleted = await store.delete(created.key, created.modRevision);                   // revision 2
 * deleted.modRevision;    // 1: the last write before the delete
 * deleted.deleteRevision; // 2: the delete, as its `deleted` event's `revision` says
 * ```
 */
export interface DeletedEntry extends Entry {
  /**
   * The revision the delete was written at: the revision of the `deleted` {@link StoreEvent} that
   * watches deliver for it (and that event's `entry.modRevision`). Greater than `modRevision`.
   */
  readonly deleteRevision: number;
}

/**
 * One change, as a watch delivers it. `revision` equals `entry.modRevision`.
 *
 * - `created`: `entry` is the new key.
 * - `updated`: `entry` is the new state, `prev` the state it replaced.
 * - `deleted`: `entry` carries the last value the key had, with `modRevision` set to the revision of
 *   the delete; `prev` is that last state with its own `modRevision`.
 */
export type StoreEvent =
  | { readonly type: 'created'; readonly revision: number; readonly entry: Entry }
  | { readonly type: 'updated'; readonly revision: number; readonly entry: Entry; readonly prev: Entry }
  | { readonly type: 'deleted'; readonly revision: number; readonly entry: Entry; readonly prev: Entry };

/** Options of {@link Store.list}. */
export interface ListOptions {
  /** Return at most this many items; a `continue` token then names the rest. `0` or absent: all. */
  readonly limit?: number;
  /**
   * A token from a previous page. The next page is served from the same snapshot (revision) as the
   * first one; if that revision has been compacted since, the list fails with {@link @harbormaster/core!CompactedError | CompactedError}.
   * A token this store did not issue for this prefix (malformed, or from a list of another prefix)
   * fails with a `TypeError`.
   */
  readonly continue?: string;
  /**
   * Read at this revision instead of the current one. Fails with {@link @harbormaster/core!CompactedError | CompactedError} if it is
   * older than the retained history, and with a `RangeError` if it is newer than the store.
   */
  readonly revision?: number;
}

/** One page of a list. */
export interface ListResult {
  /** Entries in ascending key order. */
  readonly items: Entry[];
  /** The snapshot revision the page was read at. Watch from it to follow later changes. */
  readonly revision: number;
  /** Present when more items remain: pass it as `continue` to read the next page. */
  readonly continue?: string;
  /** How many items with the prefix remain after this page, when a `continue` is returned. */
  readonly remainingItemCount?: number;
}

/**
 * A revisioned key-value store. See the module documentation for the guarantees every backend
 * gives; `@harbormaster/core/testing` checks them.
 *
 * Keys are strings; a prefix is a plain string prefix (callers end prefixes with `/` to avoid
 * matching siblings). Values are JSON.
 */
export interface Store {
  /** The current entry of `key`, or `undefined`. */
  get(key: string): Promise<Entry | undefined>;

  /** Entries whose key starts with `prefix`, in key order, paged by `limit` and `continue`. */
  list(prefix: string, options?: ListOptions): Promise<ListResult>;

  /**
   * Create `key`. Resolves with the new entry (createRevision = modRevision = the new revision).
   * @throws {@link @harbormaster/core!KeyExistsError | KeyExistsError} if the key exists.
   */
  create(key: string, value: JsonValue): Promise<Entry>;

  /**
   * Replace the value of `key` if its current modRevision is `expectedModRevision`.
   * @throws {@link @harbormaster/core!KeyNotFoundError | KeyNotFoundError} if the key does not exist.
   * @throws {@link @harbormaster/core!RevisionConflictError | RevisionConflictError} if the key's modRevision differs.
   */
  update(key: string, value: JsonValue, expectedModRevision: number): Promise<Entry>;

  /**
   * Delete `key`, if given only when its modRevision is `expectedModRevision`. Resolves with the
   * entry as it was before the delete, and the revision of the delete as
   * {@link DeletedEntry.deleteRevision | deleteRevision}: the revision of the `deleted` event
   * watches deliver for it.
   * @throws {@link @harbormaster/core!KeyNotFoundError | KeyNotFoundError} if the key does not exist.
   * @throws {@link @harbormaster/core!RevisionConflictError | RevisionConflictError} if the key's modRevision differs.
   */
  delete(key: string, expectedModRevision?: number): Promise<DeletedEntry>;

  /**
   * Every change to keys under `prefix` with a revision strictly greater than `afterRevision`:
   * first the retained history, then live changes, in revision order, each exactly once, with no
   * gaps. The Observable errors with {@link @harbormaster/core!CompactedError | CompactedError} if `afterRevision` is older than the
   * retained history (or falls out of it before this watcher caught up), and completes when the
   * store closes. Unsubscribe to stop.
   */
  watch(prefix: string, afterRevision: number): Observable<StoreEvent>;

  /**
   * Drop history up to and including `revision`: older versions of keys and deleted keys go; the
   * current value of every key stays. Lists and watches below the new compacted revision then fail
   * with {@link @harbormaster/core!CompactedError | CompactedError}. Compacting to a revision at or below the current compacted
   * revision does nothing; compacting to one newer than the store fails with a `RangeError`.
   */
  compact(revision: number): Promise<void>;

  /**
   * The current revision: every change at or below it is visible to `get` and `list`, and has been
   * handed to every open watch of this store whose prefix it matches. `0` for an empty new store.
   */
  revision(): Promise<number>;

  /** The newest compacted revision (0 if nothing has been compacted). */
  compactedRevision(): Promise<number>;

  /** Release resources. Open watches complete; later calls fail with {@link @harbormaster/core!StoreClosedError | StoreClosedError}. */
  close(): Promise<void>;
}

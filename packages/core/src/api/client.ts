/**
 * The typed client of the API: what controllers, tests and programs use to read and write
 * objects. Every method takes the kind first, so results are typed:
 * `client.get(kinds.Pod, key)` resolves to a `kinds.Pod`.
 *
 * Objects returned are the caller's own copies: change them freely and send them back with
 * `update`.
 *
 * @module
 */
import type { Observable } from 'rxjs';
import type { AnyKind, InputOf, TypeOf } from '../kinds/kind.js';
import type { KubeObject, ObjectKey } from '../meta/object-meta.js';
import type { Pod } from '../kinds/core/pod.js';
import type { MergePatch } from './merge-patch.js';
import type { LabelSelectorObject, Selector } from './selectors/label-selector.js';
import type { FieldSelector } from './selectors/field-selector.js';

/** A list of objects, as Kubernetes returns it (`PodList`, …). */
export interface ObjectList<T> {
  /** The kind's group and version, e.g. `apps/v1`. */
  readonly apiVersion: string;
  /** `<Kind>List`. */
  readonly kind: string;
  /** Kubernetes' `ListMeta`: where the list was read and how to get the next page. */
  readonly metadata: {
    /** The revision the list was read at: watch from it to follow later changes. */
    readonly resourceVersion: string;
    /** Pass as `continue` to get the next page; absent on the last page. */
    readonly continue?: string;
    /** How many more objects remain (without selectors only). */
    readonly remainingItemCount?: number;
  };
  /** The objects (of this page, with `limit`). */
  readonly items: T[];
}

/** Selection shared by `list` and `watch`. */
export interface SelectOptions {
  /** Only objects in this namespace; all namespaces when absent. Ignored for cluster-scoped kinds. */
  readonly namespace?: string | undefined;
  /** A label selector: the string form (`app=web,env in (prod)`), the object form of specs, or a parsed Selector. */
  readonly labelSelector?: string | LabelSelectorObject | Selector | undefined;
  /** A field selector such as `spec.nodeName=node-1,status.phase!=Succeeded`. */
  readonly fieldSelector?: string | FieldSelector | undefined;
}

/** Options of {@link Client.list}. */
export interface ListOptions extends SelectOptions {
  /** Return at most this many objects and a `continue` token for the rest. */
  readonly limit?: number | undefined;
  /** The token of the previous page. Pages come from one snapshot; an expired token is 410 Gone. */
  readonly continue?: string | undefined;
  /** With `resourceVersionMatch: 'Exact'`, list at exactly this revision (410 Gone if compacted). */
  readonly resourceVersion?: string | undefined;
  /** `'Exact'`: read at `resourceVersion`; `'NotOlderThan'` (default): read the current state. */
  readonly resourceVersionMatch?: 'Exact' | 'NotOlderThan' | undefined;
}

/** Options of {@link Client.watch}. */
export interface WatchOptions extends SelectOptions {
  /**
   * Deliver changes strictly after this revision. When absent (or `'0'`), the watch starts with a
   * synthetic ADDED event for every matching object, then follows changes. A revision older than the
   * retained history fails the watch with 410 Gone (relist and watch again).
   */
  readonly resourceVersion?: string | undefined;
  /** Send BOOKMARK events carrying the current resourceVersion, periodically and after the initial events. */
  readonly allowWatchBookmarks?: boolean | undefined;
  /**
   * With `allowWatchBookmarks`, start with the current state as ADDED events even when
   * `resourceVersion` is given, and mark their end with a BOOKMARK annotated
   * `k8s.io/initial-events-end: "true"`.
   */
  readonly sendInitialEvents?: boolean | undefined;
  /** Complete the watch after this many seconds (by the API's clock). */
  readonly timeoutSeconds?: number | undefined;
  /** Complete the watch when this signal aborts. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * One watch event. ADDED, MODIFIED and DELETED carry the object (DELETED: its last state, with the
 * resourceVersion of the deletion). An object that stops matching the watch's selectors is seen as
 * DELETED (in its last matching state, with the resourceVersion of the change), and one that
 * starts matching as ADDED. A BOOKMARK carries an object of the kind with
 * only `apiVersion`, `kind` and `metadata.resourceVersion` set (and, after the initial events, the
 * annotation `k8s.io/initial-events-end: "true"`), as in client-go.
 */
export interface WatchEvent<T> {
  /** What happened, as in Kubernetes' `watch.EventType`. */
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  /** The object after the change (for DELETED its last state, for BOOKMARK only its resourceVersion). */
  readonly object: T;
}

/** Options of every write. */
export interface WriteOptions {
  /** Run admission and validation and return the result, but store nothing. */
  readonly dryRun?: boolean | undefined;
}

/** Options of {@link Client.patch}. */
export interface PatchOptions extends WriteOptions {
  /** Patch the status subresource instead of the main resource. */
  readonly subresource?: 'status' | undefined;
}

/** How dependents are treated when their owner is deleted (the garbage collector acts on it). */
export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

/** Options of {@link Client.delete}. */
export interface DeleteOptions extends WriteOptions {
  /** Delete only if the object still has this uid and/or resourceVersion; 409 Conflict otherwise. */
  readonly preconditions?: { readonly uid?: string | undefined; readonly resourceVersion?: string | undefined } | undefined;
  /**
   * `Background` (default): delete now, the garbage collector deletes dependents later.
   * `Foreground`: the object stays (with the `foregroundDeletion` finalizer) until its blocking
   * dependents are gone. `Orphan`: dependents lose their owner reference (`orphan` finalizer).
   */
  readonly propagationPolicy?: PropagationPolicy | undefined;
  /** For kinds with graceful deletion (Pods): seconds to wait; 0 deletes at once. */
  readonly gracePeriodSeconds?: number | undefined;
}

/** Options of {@link Client.apply}. */
export interface ApplyOptions extends WriteOptions {
  /** The namespace of namespaced objects that name none. @default "default" */
  readonly namespace?: string | undefined;
}

/** An object as a manifest holds it: TypeMeta, ObjectMeta and any other fields. */
export type Manifest = KubeObject & { readonly [field: string]: unknown };

/** What `apply` did to one object, as `kubectl apply` reports it. */
export interface ApplyResult {
  /** `created`, `configured` (updated) or `unchanged`, as `kubectl apply` prints it. */
  readonly action: 'created' | 'configured' | 'unchanged';
  /** The object as the apply left it (as it would be stored, for a dry run). */
  readonly object: KubeObject;
}

/** The typed client. */
export interface Client {
  /**
   * Read one object.
   * @throws {@link NotFoundError} if it does not exist.
   */
  get<K extends AnyKind>(kind: K, key: ObjectKey): Promise<TypeOf<K>>;

  /**
   * List objects, filtered by namespace and selectors, optionally paged.
   * @throws {@link GoneError} for an expired continue token or a compacted exact resourceVersion.
   * @throws {@link BadRequestError} for a malformed selector or an unsupported field.
   */
  list<K extends AnyKind>(kind: K, options?: ListOptions): Promise<ObjectList<TypeOf<K>>>;

  /**
   * Create an object. `apiVersion` and `kind` may be left out. A namespaced object with no
   * namespace goes to `default`; `metadata.generateName` makes a unique name.
   * @throws {@link AlreadyExistsError}, {@link InvalidError} (with field paths), {@link NotFoundError}
   * (the namespace does not exist), {@link ForbiddenError} (the namespace is terminating).
   */
  create<K extends AnyKind>(kind: K, object: InputOf<K>, options?: WriteOptions): Promise<TypeOf<K>>;

  /**
   * Replace an object. With `metadata.resourceVersion` set, the update succeeds only if the object
   * has not changed since (409 Conflict otherwise); without it (or with `''`), the update is
   * unconditional. For kinds with a status subresource, `status` is ignored: use
   * {@link Client.updateStatus}. An update that changes nothing writes nothing and keeps the
   * resourceVersion. Null-valued fields read as absent, as Kubernetes decodes them.
   * @throws {@link NotFoundError}, {@link ConflictError}, {@link InvalidError}.
   */
  update<K extends AnyKind>(kind: K, object: TypeOf<K> | InputOf<K>, options?: WriteOptions): Promise<TypeOf<K>>;

  /**
   * Write only the `status` of an object (the status subresource); everything else is kept.
   * @throws {@link MethodNotAllowedError} if the kind has no status subresource.
   */
  updateStatus<K extends AnyKind>(kind: K, object: TypeOf<K>, options?: WriteOptions): Promise<TypeOf<K>>;

  /**
   * Apply a JSON merge patch (RFC 7386) to an object. Retried internally on conflicting writes
   * unless the patch sets `metadata.resourceVersion` (to something other than `''`).
   */
  patch<K extends AnyKind>(kind: K, key: ObjectKey, patch: MergePatch<TypeOf<K>>, options?: PatchOptions): Promise<TypeOf<K>>;

  /**
   * Delete an object. If it has finalizers (or a graceful deletion period), it only gets a
   * `deletionTimestamp` and stays until they are done; the returned object says which. An object
   * deleted at once is returned in its last state with the resourceVersion of the deletion, the
   * one its DELETED watch event carries. An update that removes the last finalizer of an object
   * being deleted deletes it the same way.
   * @throws {@link NotFoundError}, {@link ConflictError} (a failed precondition).
   */
  delete<K extends AnyKind>(kind: K, key: ObjectKey, options?: DeleteOptions): Promise<TypeOf<K>>;

  /**
   * Bind a pod to a node, as Kubernetes' `pods/binding` subresource: sets `spec.nodeName` and the
   * `PodScheduled=True` condition in one write. What a scheduler calls.
   * @throws {@link ConflictError} if the pod is bound already, being deleted, or not of `uid`.
   * @throws {@link NotFoundError}, {@link InvalidError} (a bad node name).
   */
  bind(key: ObjectKey, target: { readonly nodeName: string; readonly uid?: string | undefined }, options?: WriteOptions): Promise<Pod>;

  /**
   * Watch objects of a kind. The Observable errors with {@link GoneError} when the requested
   * resourceVersion is compacted, and completes on `timeoutSeconds`, `signal` or API shutdown.
   */
  watch<K extends AnyKind>(kind: K, options?: WatchOptions): Observable<WatchEvent<TypeOf<K>>>;

  /**
   * Create or update objects from manifests like `kubectl apply`: idempotent (applying the same
   * manifests twice changes nothing), a changed field is updated, and a field removed from the
   * manifest since the last apply is removed (the last applied configuration is kept in the
   * `kubectl.kubernetes.io/last-applied-configuration` annotation).
   * @param manifests Multi-document YAML, or objects (such as `loadManifests` returns).
   */
  apply(manifests: string | Manifest | KubeObject | readonly (Manifest | KubeObject)[], options?: ApplyOptions): Promise<ApplyResult[]>;
}

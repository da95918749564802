/**
 * The API server: Kubernetes' API semantics over a {@link Store}.
 *
 * `createApiServer({ store })` gives a typed {@link Client} and keeps, for every kind it serves:
 * `resourceVersion` as the store revision with 409 Conflict on a stale write; `uid`,
 * `creationTimestamp` and `generateName`; `generation` that rises only when the desired state
 * changes; the status subresource; finalizers and `deletionTimestamp`; delete preconditions and
 * propagation policies; label and field selectors; paged lists from one snapshot; typed watches
 * with ADDED, MODIFIED, DELETED and BOOKMARK and 410 Gone for a compacted revision; an admission
 * chain; and namespaces that must exist (`default`, `kube-system`, `kube-public` and
 * `kube-node-lease` exist from the start).
 *
 * Writes follow Kubernetes' order: decode (null-valued fields read as absent, as Go decodes them;
 * schema and defaults), mutating admission, decode again, the kind's preparation (system fields,
 * status reset or carried over, generation), validation, validating admission, then the store.
 * Removing the last finalizer of an object being deleted deletes it in the same step, and an
 * object deleted at once is returned with the resourceVersion of its deletion.
 *
 * Storage keys are `/registry/<group>/<plural>/<namespace>/<name>` (`core` for the core group;
 * no namespace segment for cluster-scoped kinds), so one backend can hold everything.
 *
 * @example
 * ```ts
 * import { createApiServer, kinds } from '@harbormaster/core';
 * import { memoryStore } from '@harbormaster/store-memory';
 *
 * const api = createApiServer({ store: memoryStore() });
 * const cm = await api.client.create(kinds.ConfigMap, {
 *   metadata: { name: 'settings', namespace: 'default' },
 *   data: { color: 'blue' },
 * });
 * cm.data = { color: 'green' };
 * await api.client.update(kinds.ConfigMap, cm); // 409 Conflict if someone changed it meanwhile
 * ```
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { Observable, type Subscription } from 'rxjs';
import { systemClock, formatTime, type Clock, type TimerHandle } from '../clock/clock.js';
import {
  AlreadyExistsError,
  BadRequestError,
  ConflictError,
  GoneError,
  InvalidError,
  MethodNotAllowedError,
  NotFoundError,
  type ErrorDetails,
} from '../errors.js';
import { builtinKinds } from '../kinds/builtin.js';
import { KindRegistry, type AnyKind, type InputOf, type KindStrategy, type TypeOf } from '../kinds/kind.js';
import type { Pod } from '../kinds/core/pod.js';
import { validateDns1123Subdomain } from '../meta/validation.js';
import type { KubeObject, ObjectKey } from '../meta/object-meta.js';
import { CompactedError, StoreError } from '../store/errors.js';
import type { Entry, JsonValue, Store, StoreEvent } from '../store/store.js';
import { cloneJson, isPlainObject, jsonEqual } from '../util/json.js';
import { loadManifests } from '../yaml/load-manifests.js';
import { AdmissionChain, type AdmissionPlugin, type AdmissionRequest } from './admission.js';
import type {
  ApplyOptions,
  ApplyResult,
  Client,
  DeleteOptions,
  ListOptions,
  Manifest,
  ObjectList,
  PatchOptions,
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from './client.js';
import { applyMergePatch, threeWayMergePatch } from './merge-patch.js';
import { namespaceLifecycle } from './namespace-lifecycle.js';
import { compileFieldSelector, type FieldMatcher } from './selectors/field-selector.js';
import { toSelector, type Selector } from './selectors/label-selector.js';
import { NO_STATUS_SCHEMA, normalizeNulls, parseObject, parseStatus, validateObject } from './validation.js';

/** The annotation in which `apply` keeps the last applied configuration, as kubectl does. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** Options of {@link createApiServer}. */
export interface ApiServerOptions {
  /** Where objects live. The API server does not close it. */
  readonly store: Store;
  /** The source of timestamps and timers. @default systemClock */
  readonly clock?: Clock;
  /** Kinds to serve besides the built-in ones (your own, from {@link defineKind}). */
  readonly kinds?: Iterable<AnyKind>;
  /** Admission plugins to add after the built-in `NamespaceLifecycle`. */
  readonly admission?: Iterable<AdmissionPlugin>;
  /** Namespaces created at start if missing. @default ['default', 'kube-system', 'kube-public', 'kube-node-lease'] */
  readonly initialNamespaces?: readonly string[];
  /** How often a watch with `allowWatchBookmarks` gets a BOOKMARK. @default 60000 */
  readonly bookmarkIntervalMs?: number;
}

/** An API server. Use {@link ApiServer.client} to read and write objects. */
export interface ApiServer {
  /** The typed client. */
  readonly client: Client;
  /** The kinds served; register your own kinds here. */
  readonly registry: KindRegistry;
  /** The admission chain; add your own plugins here. */
  readonly admission: AdmissionChain;
  /** The store objects live in, as given in {@link ApiServerOptions.store}. */
  readonly store: Store;
  /** The source of timestamps (`creationTimestamp`, `deletionTimestamp`) and timers. */
  readonly clock: Clock;
  /** Resolves once the initial namespaces exist (every call waits for it anyway). */
  ready(): Promise<void>;
  /** Complete every open watch. The store stays open. */
  close(): Promise<void>;
}

/**
 * Create an API server over a store.
 *
 * @example
 * ```ts
 * const api = createApiServer({ store: memoryStore(), clock: new FakeClock() });
 * await api.client.apply(readFileSync('storefront.yaml', 'utf8'));
 * ```
 */
export function createApiServer(options: ApiServerOptions): ApiServer {
  return new ApiServerImpl(options);
}

const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'] as const;
const GENERATE_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const MAX_GENERATE_ATTEMPTS = 8;

type Obj = KubeObject & Record<string, unknown>;

/** The details of an {@link InvalidError}: Kubernetes names the kind there (`Deployment`), not the resource. */
function invalidDetails(kind: AnyKind, name?: string, namespace?: string): ErrorDetails {
  return {
    group: kind.group,
    kind: kind.kind,
    ...(name === undefined ? {} : { name }),
    ...(namespace === undefined ? {} : { namespace }),
  };
}

function details(kind: AnyKind, name?: string, namespace?: string): ErrorDetails {
  return {
    group: kind.group,
    kind: kind.plural,
    ...(name === undefined ? {} : { name }),
    ...(namespace === undefined ? {} : { namespace }),
  };
}

/**
 * A stored object as a client sees it: a fresh copy with `metadata.resourceVersion` set, in the
 * version the client asked through (`kind`): an object stored by another version of the same
 * kind (a CustomResourceDefinition serving several versions, conversion None) gets that
 * version's `apiVersion`.
 */
function toObject(entry: Entry, kind: AnyKind): Obj {
  const obj = cloneJson(entry.value) as unknown as Obj;
  obj.metadata.resourceVersion = String(entry.modRevision);
  if (obj.apiVersion !== kind.apiVersion && obj.kind === kind.kind) obj.apiVersion = kind.apiVersion;
  return obj;
}

/** The fields that count as desired state: everything but metadata, status and the type. */
function specChanged(a: Obj, b: Obj): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    if (key === 'metadata' || key === 'status' || key === 'apiVersion' || key === 'kind') continue;
    if (!jsonEqual(a[key], b[key])) return true;
  }
  return false;
}

function parseResourceVersion(rv: string, what: string): number {
  if (!/^\d+$/.test(rv)) throw new BadRequestError(`invalid ${what} "${rv}": must be a non-negative integer`);
  return Number(rv);
}

class ApiServerImpl implements ApiServer {
  readonly client: Client;
  readonly registry: KindRegistry;
  readonly admission = new AdmissionChain();
  readonly store: Store;
  readonly clock: Clock;
  readonly #bookmarkIntervalMs: number;
  readonly #ready: Promise<void>;
  #isReady = false;
  readonly #watches = new Set<() => void>();

  constructor(options: ApiServerOptions) {
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.registry = new KindRegistry(builtinKinds);
    for (const k of options.kinds ?? []) this.registry.register(k);
    this.#bookmarkIntervalMs = options.bookmarkIntervalMs ?? 60_000;
    this.admission.add(namespaceLifecycle({ getNamespace: (name) => this.#getNamespace(name) }));
    for (const p of options.admission ?? []) this.admission.add(p);
    this.client = this.#makeClient();
    this.#ready = this.#bootstrap(options.initialNamespaces ?? DEFAULT_NAMESPACES).then(() => {
      this.#isReady = true;
    });
    // Callers see a bootstrap failure on their first call; do not let it go unhandled meanwhile.
    this.#ready.catch(() => undefined);
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  async close(): Promise<void> {
    for (const stop of [...this.#watches]) stop();
    this.#watches.clear();
    await Promise.resolve();
  }

  async #bootstrap(namespaces: readonly string[]): Promise<void> {
    const ns = this.#kind('v1', 'Namespace');
    for (const name of namespaces) {
      if ((await this.store.get(this.#key(ns, undefined, name))) !== undefined) continue;
      try {
        await this.#create(ns, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, {}, true);
      } catch (e) {
        if (!(e instanceof AlreadyExistsError)) throw e;
      }
    }
  }

  async #whenReady(): Promise<void> {
    if (!this.#isReady) await this.#ready;
  }

  #kind(apiVersion: string, kind: string): AnyKind {
    const k = this.registry.get(apiVersion, kind);
    if (k === undefined) throw new BadRequestError(`no matches for kind "${kind}" in version "${apiVersion}"`);
    return k;
  }

  /** The kind as registered: a definition passed by a caller must be the one this server serves. */
  #served(kind: AnyKind): AnyKind {
    const k = this.registry.get(kind.apiVersion, kind.kind);
    if (k === undefined) throw new BadRequestError(`the server does not serve kind "${kind.kind}" in version "${kind.apiVersion}"`);
    return k;
  }

  #prefix(kind: AnyKind, namespace?: string): string {
    const base = `/registry/${kind.group === '' ? 'core' : kind.group}/${kind.plural}/`;
    return kind.namespaced && namespace ? `${base}${namespace}/` : base;
  }

  #key(kind: AnyKind, namespace: string | undefined, name: string): string {
    if (kind.namespaced) {
      if (!namespace) throw new BadRequestError(`a namespace is required for ${kind.plural}`, details(kind, name));
      return `${this.#prefix(kind, namespace)}${name}`;
    }
    return `${this.#prefix(kind)}${name}`;
  }

  #keyOf(kind: AnyKind, key: ObjectKey): string {
    if (!key.name) throw new BadRequestError('a name is required', details(kind));
    return this.#key(kind, kind.namespaced ? key.namespace || 'default' : undefined, key.name);
  }

  async #getNamespace(name: string): Promise<KubeObject | undefined> {
    const entry = await this.store.get(`/registry/core/namespaces/${name}`);
    return entry === undefined ? undefined : (entry.value as unknown as KubeObject);
  }

  #mapStoreError(e: unknown, kind: AnyKind, name?: string, namespace?: string): unknown {
    if (!(e instanceof StoreError)) return e;
    switch (e.code) {
      case 'KeyExists':
        return new AlreadyExistsError(details(kind, name, namespace));
      case 'KeyNotFound':
        return new NotFoundError(details(kind, name, namespace));
      case 'RevisionConflict':
        return new ConflictError(details(kind, name, namespace));
      case 'Compacted': {
        const c = e as CompactedError;
        return new GoneError(`too old resource version: ${c.requestedRevision} (${c.compactedRevision})`, details(kind));
      }
      case 'StoreClosed':
        return e;
    }
  }

  // ---------------------------------------------------------------- reads

  async get(kind: AnyKind, key: ObjectKey): Promise<Obj> {
    kind = this.#served(kind);
    await this.#whenReady();
    const entry = await this.store.get(this.#keyOf(kind, key));
    if (entry === undefined) throw new NotFoundError(details(kind, key.name, kind.namespaced ? key.namespace || 'default' : undefined));
    return toObject(entry, kind);
  }

  async list(kind: AnyKind, options: ListOptions = {}): Promise<ObjectList<Obj>> {
    kind = this.#served(kind);
    await this.#whenReady();
    const prefix = this.#prefix(kind, kind.namespaced ? options.namespace : undefined);
    const selector = toSelector(options.labelSelector);
    const fieldMatcher = compileFieldSelector(kind, options.fieldSelector);
    const filtered = !selector.empty || fieldMatcher !== undefined;
    const limit = options.limit !== undefined && options.limit > 0 ? options.limit : undefined;
    let revision: number | undefined;
    if (options.resourceVersion !== undefined && options.resourceVersionMatch === 'Exact') {
      revision = parseResourceVersion(options.resourceVersion, 'resourceVersion');
    }
    const items: Obj[] = [];
    let token = options.continue;
    let snapshot = 0;
    let remaining: number | undefined;
    try {
      for (;;) {
        const want = limit === undefined ? undefined : limit - items.length;
        const page = await this.store.list(prefix, {
          ...(want === undefined ? {} : { limit: want }),
          ...(token === undefined ? {} : { continue: token }),
          ...(token === undefined && revision !== undefined ? { revision } : {}),
        });
        snapshot = page.revision;
        for (const entry of page.items) {
          const value = entry.value as unknown as Obj;
          if (filtered && !(selector.matches(value.metadata.labels) && (fieldMatcher === undefined || fieldMatcher(value)))) continue;
          items.push(toObject(entry, kind));
        }
        token = page.continue;
        remaining = page.remainingItemCount;
        if (token === undefined || limit === undefined || items.length >= limit) break;
      }
    } catch (e) {
      if (e instanceof CompactedError) {
        throw new GoneError(
          options.continue !== undefined
            ? 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.'
            : `too old resource version: ${e.requestedRevision} (${e.compactedRevision})`,
          details(kind),
        );
      }
      if (e instanceof RangeError) throw new BadRequestError(e.message, details(kind));
      // The Store contract: a token it did not issue for this prefix is a TypeError.
      if (e instanceof TypeError && options.continue !== undefined)
        throw new BadRequestError(`invalid continue token: ${e.message}`, details(kind));
      throw this.#mapStoreError(e, kind);
    }
    return {
      apiVersion: kind.apiVersion,
      kind: `${kind.kind}List`,
      metadata: {
        resourceVersion: String(snapshot),
        ...(token === undefined ? {} : { continue: token }),
        ...(token !== undefined && !filtered && remaining !== undefined ? { remainingItemCount: remaining } : {}),
      },
      items,
    };
  }

  // ---------------------------------------------------------------- create

  async create(kind: AnyKind, input: unknown, options: WriteOptions = {}): Promise<Obj> {
    kind = this.#served(kind);
    await this.#whenReady();
    return this.#create(kind, input, options, false);
  }

  /**
   * A create, in Kubernetes' order: decode (nulls dropped, schema and defaults), mutating
   * admission, decode again, then the kind's preparation (system fields, generated name, status
   * reset, `prepareForCreate`), validation, and validating admission.
   */
  async #create(kind: AnyKind, input: unknown, options: WriteOptions, bootstrap: boolean): Promise<Obj> {
    if (!isPlainObject(input)) throw new BadRequestError(`a ${kind.kind} must be an object`, details(kind));
    const obj = normalizeNulls(kind, cloneJson(input) as Obj);
    this.#checkType(kind, obj);
    if (!isPlainObject(obj.metadata)) obj.metadata = {};
    const namespace = kind.namespaced ? obj.metadata.namespace || 'default' : undefined;
    setNamespace(obj, namespace);
    const dryRun = options.dryRun === true;

    let parsed = parseObject(kind, obj) as Obj;
    if (!bootstrap && this.admission.hasMutating) {
      const request: AdmissionRequest = { operation: 'CREATE', kind, object: parsed, dryRun };
      await this.admission.mutate(request);
      const mutated = normalizeNulls(kind, cloneJson(request.object) as Obj);
      this.#checkType(kind, mutated);
      if (!isPlainObject(mutated.metadata)) mutated.metadata = {};
      setNamespace(mutated, namespace);
      parsed = parseObject(kind, mutated) as Obj;
    }

    const meta = parsed.metadata;
    const generate = !meta.name && typeof meta.generateName === 'string' && meta.generateName !== '';
    if (generate) meta.name = this.#generateName(meta.generateName as string);
    meta.uid = randomUUID();
    meta.creationTimestamp = formatTime(this.clock.now());
    meta.generation = 1;
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.selfLink;
    const strategy = kind.strategy as KindStrategy<KubeObject>;
    if (kind.subresources.status && !strategy.keepStatusOnCreate) delete parsed.status;
    strategy.prepareForCreate?.(parsed);
    validateObject(kind, parsed, undefined);
    if (!bootstrap) await this.admission.validate({ operation: 'CREATE', kind, object: parsed, dryRun });

    const name = parsed.metadata.name as string;
    if (dryRun) return cloneJson(parsed);
    for (let attempt = 1; ; attempt++) {
      try {
        const entry = await this.store.create(this.#key(kind, namespace, parsed.metadata.name as string), parsed as unknown as JsonValue);
        return toObject(entry, kind);
      } catch (e) {
        if (generate && e instanceof StoreError && e.code === 'KeyExists' && attempt < MAX_GENERATE_ATTEMPTS) {
          parsed.metadata.name = this.#generateName(parsed.metadata.generateName as string);
          continue;
        }
        throw this.#mapStoreError(e, kind, name, namespace);
      }
    }
  }

  #generateName(prefix: string): string {
    let suffix = '';
    for (let i = 0; i < 5; i++) suffix += GENERATE_NAME_ALPHABET.charAt(Math.floor(Math.random() * GENERATE_NAME_ALPHABET.length));
    // Kubernetes trims the prefix so the name stays within 63 characters.
    return `${prefix.slice(0, 58)}${suffix}`;
  }

  #checkType(kind: AnyKind, obj: Obj): void {
    if (obj.apiVersion === undefined) obj.apiVersion = kind.apiVersion;
    if (obj.kind === undefined) obj.kind = kind.kind;
    if (obj.apiVersion !== kind.apiVersion || obj.kind !== kind.kind) {
      throw new BadRequestError(
        `the object is a ${String(obj.kind)} in ${String(obj.apiVersion)}, but the request is for ${kind.kind} in ${kind.apiVersion}`,
        details(kind),
      );
    }
  }

  // ---------------------------------------------------------------- update

  async update(kind: AnyKind, input: unknown, options: WriteOptions = {}): Promise<Obj> {
    kind = this.#served(kind);
    await this.#whenReady();
    const obj = this.#inputForKey(kind, input);
    const rv = preconditionOf(obj.metadata.resourceVersion);
    return this.#write(kind, { name: obj.metadata.name as string, namespace: obj.metadata.namespace }, {
      subresource: undefined,
      dryRun: options.dryRun === true,
      retry: rv === undefined,
      build: (current) => {
        if (rv !== undefined && rv !== current.metadata.resourceVersion)
          throw new ConflictError(details(kind, current.metadata.name, current.metadata.namespace));
        return cloneJson(obj);
      },
    });
  }

  async updateStatus(kind: AnyKind, input: unknown, options: WriteOptions = {}): Promise<Obj> {
    kind = this.#served(kind);
    if (!kind.subresources.status) throw new MethodNotAllowedError(`${kind.plural} has no status subresource`, details(kind));
    await this.#whenReady();
    const obj = this.#inputForKey(kind, input);
    const rv = preconditionOf(obj.metadata.resourceVersion);
    return this.#write(kind, { name: obj.metadata.name as string, namespace: obj.metadata.namespace }, {
      subresource: 'status',
      dryRun: options.dryRun === true,
      retry: rv === undefined,
      build: (current) => {
        if (rv !== undefined && rv !== current.metadata.resourceVersion)
          throw new ConflictError(details(kind, current.metadata.name, current.metadata.namespace));
        return cloneJson(obj);
      },
    });
  }

  async patch(kind: AnyKind, key: ObjectKey, patch: unknown, options: PatchOptions = {}): Promise<Obj> {
    kind = this.#served(kind);
    if (options.subresource === 'status' && !kind.subresources.status)
      throw new MethodNotAllowedError(`${kind.plural} has no status subresource`, details(kind));
    if (!isPlainObject(patch)) throw new BadRequestError('a merge patch must be a JSON object', details(kind, key.name));
    await this.#whenReady();
    const patchMeta = patch.metadata;
    const rv = isPlainObject(patchMeta) ? preconditionOf(patchMeta.resourceVersion) : undefined;
    return this.#write(kind, key, {
      subresource: options.subresource,
      dryRun: options.dryRun === true,
      retry: rv === undefined,
      build: (current) => {
        if (rv !== undefined && rv !== current.metadata.resourceVersion)
          throw new ConflictError(details(kind, current.metadata.name, current.metadata.namespace));
        const result = applyMergePatch(current, patch);
        if (!isPlainObject(result)) throw new BadRequestError('the patch does not produce an object', details(kind, key.name));
        return result as Obj;
      },
    });
  }

  async bind(key: ObjectKey, target: { nodeName: string; uid?: string | undefined }, options: WriteOptions = {}): Promise<Obj> {
    const kind = this.#kind('v1', 'Pod');
    await this.#whenReady();
    const problems = validateDns1123Subdomain(target.nodeName);
    if (problems.length > 0)
      throw new InvalidError({ group: '', kind: 'Binding', name: key.name, causes: problems.map((m) => ({ field: 'target.name', message: `Invalid value: "${target.nodeName}": ${m}`, type: 'FieldValueInvalid' })) });
    return this.#write(kind, key, {
      subresource: 'binding',
      dryRun: options.dryRun === true,
      retry: true,
      build: (current) => ({ ...current, metadata: { ...current.metadata, ...(target.uid === undefined ? {} : { uid: target.uid }) }, spec: { ...(current.spec as object), nodeName: target.nodeName } }),
    });
  }

  /** A pod's binding: `spec.nodeName` set once, and `PodScheduled=True`, without parsing the pod again. */
  async #prepareBinding(kind: AnyKind, candidate: Obj, stored: Obj, dryRun: boolean): Promise<Obj> {
    const name = stored.metadata.name ?? '';
    const spec = stored.spec as { nodeName?: string };
    const nodeName = (candidate.spec as { nodeName: string }).nodeName;
    if (spec.nodeName) throw new ConflictError(details(kind, name, stored.metadata.namespace), `pod ${name} is already assigned to node "${spec.nodeName}"`);
    if (stored.metadata.deletionTimestamp)
      throw new ConflictError(details(kind, name, stored.metadata.namespace), `pod ${name} is being deleted, cannot be assigned to a host`);
    const status = (stored.status ?? {}) as { conditions?: { type: string; status: string; lastTransitionTime?: string }[] };
    const conditions = (status.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
    const now = formatTime(this.clock.now());
    const next = {
      ...stored,
      spec: { ...(stored.spec as object), nodeName },
      status: { ...status, conditions: [...conditions, { type: 'PodScheduled', status: 'True', lastTransitionTime: now }] },
    } as Obj;
    await this.admission.validate({ operation: 'UPDATE', kind, object: next, oldObject: stored, dryRun, subresource: 'binding' });
    return next;
  }

  #inputForKey(kind: AnyKind, input: unknown): Obj {
    if (!isPlainObject(input) || !isPlainObject(input.metadata)) throw new BadRequestError(`a ${kind.kind} with metadata is required`, details(kind));
    const obj = input as Obj;
    if (typeof obj.metadata.name !== 'string' || obj.metadata.name === '')
      throw new BadRequestError('metadata.name is required', details(kind));
    return obj;
  }

  /**
   * The update path shared by update, updateStatus, patch and apply: read, build the new object
   * from the current one, keep what the client may not change, validate, admit, write with
   * compare-and-swap, and retry from the read when the write lost a race and `retry` is set. An
   * update that leaves an object being deleted with no finalizers deletes it instead, in one step
   * (Kubernetes' `errEmptiedFinalizers`): watchers see one DELETED with the last stored state.
   */
  async #write(
    kind: AnyKind,
    key: ObjectKey,
    op: {
      subresource: 'status' | 'binding' | undefined;
      dryRun: boolean;
      retry: boolean;
      build: (current: Obj) => Obj;
    },
  ): Promise<Obj> {
    const namespace = kind.namespaced ? key.namespace || 'default' : undefined;
    const storeKey = this.#key(kind, namespace, key.name);
    for (;;) {
      const entry = await this.store.get(storeKey);
      if (entry === undefined) throw new NotFoundError(details(kind, key.name, namespace));
      const current = toObject(entry, kind);
      // `build` may return objects that share parts with `current`, and preparing the update
      // changes the candidate; so `current` is not handed out again after this point.
      const candidate = op.build(current);
      if (op.subresource !== 'binding') normalizeNulls(kind, candidate);
      this.#checkType(kind, candidate);
      const stored = entry.value as unknown as Obj;
      const next = await this.#prepareUpdate(kind, candidate, stored, op.subresource, op.dryRun);
      if (jsonEqual(next, stored)) return toObject(entry, kind);
      if (op.dryRun) return withResourceVersion(next, current.metadata.resourceVersion);
      const deleteNow = this.#shouldDeleteDuringUpdate(kind, next);
      try {
        if (deleteNow) {
          const { deleteRevision } = await this.store.delete(storeKey, entry.modRevision);
          return withResourceVersion(next, String(deleteRevision));
        }
        return toObject(await this.store.update(storeKey, next as unknown as JsonValue, entry.modRevision), kind);
      } catch (e) {
        // Like Kubernetes' GuaranteedUpdate: a write that does not name a resourceVersion is
        // re-applied to the newer object for as long as it keeps losing the race.
        if (op.retry && e instanceof StoreError && e.code === 'RevisionConflict') continue;
        // Deleted meanwhile by someone else: the object is gone either way, as this update wanted.
        if (deleteNow && e instanceof StoreError && e.code === 'KeyNotFound') return withResourceVersion(next, current.metadata.resourceVersion);
        throw this.#mapStoreError(e, kind, key.name, namespace);
      }
    }
  }

  /**
   * Build the object to store for an update of `stored` (the frozen stored value, without
   * resourceVersion) to `candidate`, in Kubernetes' order: decode, mutating admission, decode
   * again, then the preparation (what the client may not change comes from `stored`; status or
   * everything but status, by subresource; the kind's `prepareForUpdate`; generation), validation
   * and validating admission.
   */
  async #prepareUpdate(kind: AnyKind, candidate: Obj, stored: Obj, subresource: 'status' | 'binding' | undefined, dryRun: boolean): Promise<Obj> {
    const cm = stored.metadata;
    if (!isPlainObject(candidate.metadata)) candidate.metadata = {};
    const m = candidate.metadata;
    if (m.name !== undefined && m.name !== cm.name)
      throw new BadRequestError(`the name of the object (${String(m.name)}) does not match the name of the request (${String(cm.name)})`, details(kind, cm.name));
    if (kind.namespaced && m.namespace !== undefined && m.namespace !== cm.namespace)
      throw new BadRequestError(
        `the namespace of the object (${String(m.namespace)}) does not match the namespace of the request (${String(cm.namespace)})`,
        details(kind, cm.name),
      );
    if (m.uid !== undefined && m.uid !== cm.uid)
      throw new ConflictError(
        details(kind, cm.name, cm.namespace),
        `Precondition failed: UID in precondition: ${String(m.uid)}, UID in object meta: ${String(cm.uid)}`,
      );

    if (subresource === 'binding') return this.#prepareBinding(kind, candidate, stored, dryRun);
    if (subresource === 'status' && !this.admission.hasMutating) {
      // The status subresource changes status only: the rest is the stored, valid object, so
      // only the status needs parsing (a status write is the most frequent write there is).
      const status = parseStatus(kind, candidate.status, stored);
      if (status !== NO_STATUS_SCHEMA) {
        const next = { ...stored } as Obj;
        if (status === undefined) delete next.status;
        else next.status = status;
        await this.admission.validate({ operation: 'UPDATE', kind, object: next, oldObject: stored, dryRun, subresource });
        return next;
      }
    }

    // What the client asked for. Through the status subresource only the status counts, so the
    // rest comes from the stored object already (mutating plugins see what will be stored).
    let obj: Obj;
    if (subresource === 'status') {
      obj = cloneJson(stored);
      if (candidate.status === undefined) delete obj.status;
      else obj.status = cloneJson(candidate.status);
    } else {
      obj = candidate;
    }
    setNamespace(obj, cm.namespace);
    obj.metadata.name = cm.name;
    let parsed = parseObject(kind, obj) as Obj;
    if (this.admission.hasMutating) {
      const request: AdmissionRequest = {
        operation: 'UPDATE',
        kind,
        object: parsed,
        oldObject: stored,
        dryRun,
        ...(subresource === undefined ? {} : { subresource }),
      };
      await this.admission.mutate(request);
      const mutated = normalizeNulls(kind, cloneJson(request.object) as Obj);
      this.#checkType(kind, mutated);
      if (!isPlainObject(mutated.metadata)) mutated.metadata = {};
      parsed = parseObject(kind, mutated) as Obj;
    }

    // Preparation: the status subresource changes status only; the main resource everything but status.
    let next: Obj;
    if (subresource === 'status') {
      next = cloneJson(stored);
      if (parsed.status === undefined) delete next.status;
      else next.status = parsed.status;
    } else {
      next = parsed;
      if (kind.subresources.status) {
        if (stored.status === undefined) delete next.status;
        else next.status = cloneJson(stored.status);
      }
    }
    const meta = next.metadata;
    meta.name = cm.name;
    setNamespace(next, kind.namespaced ? cm.namespace : undefined);
    meta.uid = cm.uid;
    meta.creationTimestamp = cm.creationTimestamp;
    meta.generation = cm.generation;
    if (cm.deletionTimestamp) meta.deletionTimestamp = cm.deletionTimestamp;
    else delete meta.deletionTimestamp;
    if (cm.deletionGracePeriodSeconds !== undefined && cm.deletionGracePeriodSeconds !== null)
      meta.deletionGracePeriodSeconds = cm.deletionGracePeriodSeconds;
    else delete meta.deletionGracePeriodSeconds;
    delete meta.resourceVersion;
    delete meta.selfLink;
    if (subresource === undefined) (kind.strategy as KindStrategy<KubeObject>).prepareForUpdate?.(next, stored);
    if (cm.deletionTimestamp) {
      const before = new Set(cm.finalizers ?? []);
      const added = (meta.finalizers ?? []).filter((f) => !before.has(f));
      if (added.length > 0)
        throw new InvalidError({
          ...invalidDetails(kind, cm.name, cm.namespace),
          causes: [
            {
              field: 'metadata.finalizers',
              message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
              type: 'FieldValueForbidden',
            },
          ],
        });
    }
    meta.generation = (cm.generation ?? 1) + (specChanged(next, stored) ? 1 : 0);
    validateObject(kind, next, stored);
    await this.admission.validate({
      operation: 'UPDATE',
      kind,
      object: next,
      oldObject: stored,
      dryRun,
      ...(subresource === undefined ? {} : { subresource }),
    });
    return next;
  }

  /**
   * Whether an update leaves `obj` to be deleted at once: being deleted, no finalizers left, and
   * not waiting for anything else (Kubernetes' `ShouldDeleteDuringUpdate`).
   */
  #shouldDeleteDuringUpdate(kind: AnyKind, obj: Obj): boolean {
    if (!obj.metadata.deletionTimestamp) return false;
    if ((obj.metadata.finalizers ?? []).length > 0) return false;
    const strategy = kind.strategy as KindStrategy<KubeObject>;
    if (strategy.pendingDeletion?.(obj)) return false;
    // A graceful deletion (a Pod on a node) waits for its agent to delete with a zero grace period.
    return !(obj.metadata.deletionGracePeriodSeconds !== undefined && obj.metadata.deletionGracePeriodSeconds !== null && obj.metadata.deletionGracePeriodSeconds > 0);
  }

  // ---------------------------------------------------------------- delete

  async delete(kind: AnyKind, key: ObjectKey, options: DeleteOptions = {}): Promise<Obj> {
    kind = this.#served(kind);
    await this.#whenReady();
    const namespace = kind.namespaced ? key.namespace || 'default' : undefined;
    const storeKey = this.#keyOf(kind, key);
    const pre = options.preconditions;
    const strategy = kind.strategy as KindStrategy<KubeObject>;
    for (;;) {
      const entry = await this.store.get(storeKey);
      if (entry === undefined) throw new NotFoundError(details(kind, key.name, namespace));
      const current = toObject(entry, kind);
      if (pre?.uid !== undefined && pre.uid !== current.metadata.uid)
        throw new ConflictError(
          details(kind, key.name, namespace),
          `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${String(current.metadata.uid)}`,
        );
      if (pre?.resourceVersion !== undefined && pre.resourceVersion !== current.metadata.resourceVersion)
        throw new ConflictError(
          details(kind, key.name, namespace),
          `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${String(current.metadata.resourceVersion)}`,
        );
      const old = stripResourceVersion(current);
      await this.admission.validate({ operation: 'DELETE', kind, object: old, oldObject: old, dryRun: options.dryRun === true });

      const next = cloneJson(old);
      const finalizers = [...(next.metadata.finalizers ?? [])];
      if (options.propagationPolicy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
      if (options.propagationPolicy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');
      if (options.propagationPolicy === 'Orphan') removeFrom(finalizers, 'foregroundDeletion');
      if (options.propagationPolicy === 'Foreground' || options.propagationPolicy === 'Background') removeFrom(finalizers, 'orphan');
      const grace = Math.max(0, strategy.gracePeriodSeconds?.(old, options.gracePeriodSeconds) ?? 0);
      const hasFinalizers = finalizers.length > 0;
      const pending = strategy.pendingDeletion?.(old) ?? false;
      const now = this.clock.now();

      let immediate: boolean;
      if (old.metadata.deletionTimestamp) {
        // Already being deleted: a shorter grace period may bring the deadline forward.
        const remaining = old.metadata.deletionGracePeriodSeconds ?? 0;
        if (grace < remaining) {
          next.metadata.deletionTimestamp = formatTime(now + grace * 1000);
          next.metadata.deletionGracePeriodSeconds = grace;
        }
        immediate = grace === 0 && !hasFinalizers && !pending;
      } else {
        immediate = grace === 0 && !hasFinalizers && !pending;
        if (!immediate) {
          next.metadata.deletionTimestamp = formatTime(now + grace * 1000);
          next.metadata.deletionGracePeriodSeconds = grace;
          next.metadata.generation = (next.metadata.generation ?? 1) + 1;
          strategy.prepareForDeletion?.(next);
        }
      }
      if (finalizers.length > 0) next.metadata.finalizers = finalizers;
      else delete next.metadata.finalizers;

      if (options.dryRun === true) return immediate ? current : { ...next, metadata: { ...next.metadata, resourceVersion: current.metadata.resourceVersion } };
      try {
        if (immediate) {
          // The last state, at the revision of the delete (as Kubernetes' etcd3 store answers), so
          // that a caller can wait for a cache to have seen the deletion.
          const { deleteRevision } = await this.store.delete(storeKey, entry.modRevision);
          return withResourceVersion(current, String(deleteRevision));
        }
        if (jsonEqual(next, entry.value)) return current;
        const written = await this.store.update(storeKey, next as unknown as JsonValue, entry.modRevision);
        return toObject(written, kind);
      } catch (e) {
        if (e instanceof StoreError && e.code === 'RevisionConflict' && pre?.resourceVersion === undefined) continue;
        throw this.#mapStoreError(e, kind, key.name, namespace);
      }
    }
  }

  // ---------------------------------------------------------------- watch

  watch(kind: AnyKind, options: WatchOptions = {}): Observable<WatchEvent<Obj>> {
    return new Observable<WatchEvent<Obj>>((subscriber) => {
      let storeSub: Subscription | undefined;
      let bookmarkTimer: TimerHandle | undefined;
      let timeoutTimer: TimerHandle | undefined;
      let closed = false;
      let lastRevision = 0;
      const stop = (): void => {
        if (closed) return;
        closed = true;
        storeSub?.unsubscribe();
        if (bookmarkTimer !== undefined) this.clock.clearTimeout(bookmarkTimer);
        if (timeoutTimer !== undefined) this.clock.clearTimeout(timeoutTimer);
        options.signal?.removeEventListener('abort', onAbort);
        this.#watches.delete(complete);
      };
      const complete = (): void => {
        stop();
        subscriber.complete();
      };
      const fail = (e: unknown): void => {
        stop();
        subscriber.error(e);
      };
      const onAbort = (): void => complete();

      let served: AnyKind;
      let selector: Selector;
      let fieldMatcher: FieldMatcher | undefined;
      let fromRevision: number | undefined;
      try {
        served = this.#served(kind);
        selector = toSelector(options.labelSelector);
        fieldMatcher = compileFieldSelector(served, options.fieldSelector);
        const rv = options.resourceVersion;
        if (rv !== undefined && rv !== '' && rv !== '0') fromRevision = parseResourceVersion(rv, 'resourceVersion');
      } catch (e) {
        subscriber.error(e);
        return undefined;
      }
      const k = served;
      const namespace = k.namespaced ? options.namespace : undefined;
      const prefix = this.#prefix(k, namespace);
      const matches = (o: Obj): boolean => selector.matches(o.metadata.labels) && (fieldMatcher === undefined || fieldMatcher(o));
      const emitBookmark = (annotations?: Record<string, string>): void => {
        subscriber.next({
          type: 'BOOKMARK',
          object: {
            apiVersion: k.apiVersion,
            kind: k.kind,
            metadata: { resourceVersion: String(lastRevision), ...(annotations === undefined ? {} : { annotations }) },
          },
        });
      };
      const scheduleBookmark = (): void => {
        bookmarkTimer = this.clock.setTimeout(() => {
          if (closed) return;
          this.store.revision().then(
            (rev) => {
              if (closed) return;
              // Every event up to `rev` has been handed to this watch (the Store contract), and
              // events arrive in order, so the bookmark may claim the larger of the two.
              lastRevision = Math.max(lastRevision, rev);
              emitBookmark();
              scheduleBookmark();
            },
            (e: unknown) => fail(this.#mapStoreError(e, k)),
          );
        }, this.#bookmarkIntervalMs);
      };
      const onEvent = (ev: StoreEvent): void => {
        if (closed) return;
        lastRevision = ev.revision;
        const obj = ev.entry.value as unknown as Obj;
        const now = ev.type === 'deleted' ? false : matches(obj);
        const before = ev.type === 'created' ? false : matches(ev.prev.value as unknown as Obj);
        let type: 'ADDED' | 'MODIFIED' | 'DELETED';
        if (now && before) type = 'MODIFIED';
        else if (now) type = 'ADDED';
        else if (before) type = 'DELETED';
        else return;
        // A deleted object's last state, at the revision of the delete; an object that stopped
        // matching is DELETED in its last matching state, at the revision of the change (as
        // Kubernetes' watch cache sends it).
        const object = ev.type === 'updated' && type === 'DELETED' ? toObject({ ...ev.prev, modRevision: ev.revision }, k) : toObject(ev.entry, k);
        subscriber.next({ type, object });
      };

      this.#watches.add(complete);
      if (options.signal?.aborted) {
        complete();
        return undefined;
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeoutSeconds !== undefined && options.timeoutSeconds > 0) {
        timeoutTimer = this.clock.setTimeout(complete, options.timeoutSeconds * 1000);
      }

      const start = async (): Promise<void> => {
        await this.#whenReady();
        let from = fromRevision;
        const initial = from === undefined || options.sendInitialEvents === true;
        if (initial) {
          // The current state (a given resourceVersion is only a lower bound here, as with
          // Kubernetes' sendInitialEvents and resourceVersionMatch=NotOlderThan).
          const list = await this.list(k, { namespace, labelSelector: selector, fieldSelector: options.fieldSelector });
          if (closed) return;
          for (const item of list.items) subscriber.next({ type: 'ADDED', object: item });
          from = Number(list.metadata.resourceVersion);
          lastRevision = from;
          if (options.sendInitialEvents === true && options.allowWatchBookmarks === true) {
            emitBookmark({ 'k8s.io/initial-events-end': 'true' });
          }
        } else {
          lastRevision = from ?? 0;
        }
        if (closed) return;
        storeSub = this.store.watch(prefix, from ?? 0).subscribe({
          next: onEvent,
          error: (e: unknown) => fail(this.#mapStoreError(e, k)),
          complete,
        });
        if (options.allowWatchBookmarks === true && !closed) scheduleBookmark();
      };
      start().catch((e: unknown) => fail(this.#mapStoreError(e, k)));
      return stop;
    });
  }

  // ---------------------------------------------------------------- apply

  async apply(manifests: string | Manifest | KubeObject | readonly (Manifest | KubeObject)[], options: ApplyOptions = {}): Promise<ApplyResult[]> {
    await this.#whenReady();
    const objects: readonly KubeObject[] =
      typeof manifests === 'string'
        ? loadManifests(manifests, { registry: this.registry, ...(options.namespace === undefined ? {} : { namespace: options.namespace }) })
        : Array.isArray(manifests)
          ? (manifests as readonly KubeObject[])
          : [manifests as KubeObject];
    const results: ApplyResult[] = [];
    for (const object of objects) results.push(await this.#applyOne(object, options));
    return results;
  }

  async #applyOne(object: KubeObject, options: ApplyOptions): Promise<ApplyResult> {
    if (!isPlainObject(object)) throw new BadRequestError('apply needs objects with apiVersion and kind');
    const kind = this.#kind(String(object.apiVersion), String(object.kind));
    const modified = cloneJson(object);
    if (!isPlainObject(modified.metadata)) modified.metadata = {};
    if (kind.namespaced && !modified.metadata.namespace) modified.metadata.namespace = options.namespace ?? 'default';
    if (typeof modified.metadata.name !== 'string' || modified.metadata.name === '')
      throw new InvalidError({ ...invalidDetails(kind), causes: [{ field: 'metadata.name', message: 'Required value: apply needs a name', type: 'FieldValueRequired' }] });
    // The last applied configuration is the manifest itself, without its own annotation.
    const annotations = { ...(modified.metadata.annotations ?? {}) };
    delete annotations[LAST_APPLIED_ANNOTATION];
    if (Object.keys(annotations).length > 0) modified.metadata.annotations = annotations;
    else delete modified.metadata.annotations;
    const lastApplied = JSON.stringify(modified);
    modified.metadata.annotations = { ...annotations, [LAST_APPLIED_ANNOTATION]: lastApplied };

    const key = { name: modified.metadata.name, namespace: modified.metadata.namespace };
    const storeKey = this.#keyOf(kind, key);
    const existing = await this.store.get(storeKey);
    if (existing === undefined) {
      try {
        return { action: 'created', object: await this.#create(kind, modified, options, false) };
      } catch (e) {
        if (!(e instanceof AlreadyExistsError)) throw e;
        // Created concurrently: fall through to the update path.
      }
    }
    let changed = false;
    const object2 = await this.#write(kind, key, {
      subresource: undefined,
      dryRun: options.dryRun === true,
      retry: true,
      build: (current) => {
        const previous = current.metadata.annotations?.[LAST_APPLIED_ANNOTATION];
        let original: unknown;
        if (previous !== undefined) {
          try {
            original = JSON.parse(previous);
          } catch {
            original = undefined;
          }
        }
        const patch = threeWayMergePatch(original, modified, current);
        changed = patch !== undefined;
        return patch === undefined ? current : (applyMergePatch(current, patch) as Obj);
      },
    });
    const unchanged = !changed || (existing !== undefined && object2.metadata.resourceVersion === String(existing.modRevision));
    return { action: unchanged ? 'unchanged' : 'configured', object: object2 };
  }

  // ---------------------------------------------------------------- client

  #makeClient(): Client {
    // The typed facade: each method forwards to the untyped implementation above.
    const client: Client = {
      get: <K extends AnyKind>(kind: K, key: ObjectKey) => this.get(kind, key) as Promise<TypeOf<K>>,
      list: <K extends AnyKind>(kind: K, options?: ListOptions) => this.list(kind, options) as Promise<ObjectList<TypeOf<K>>>,
      create: <K extends AnyKind>(kind: K, object: InputOf<K>, options?: WriteOptions) =>
        this.create(kind, object, options) as Promise<TypeOf<K>>,
      update: <K extends AnyKind>(kind: K, object: TypeOf<K> | InputOf<K>, options?: WriteOptions) =>
        this.update(kind, object, options) as Promise<TypeOf<K>>,
      updateStatus: <K extends AnyKind>(kind: K, object: TypeOf<K>, options?: WriteOptions) =>
        this.updateStatus(kind, object, options) as Promise<TypeOf<K>>,
      patch: <K extends AnyKind>(kind: K, key: ObjectKey, patch: unknown, options?: PatchOptions) =>
        this.patch(kind, key, patch, options) as Promise<TypeOf<K>>,
      delete: <K extends AnyKind>(kind: K, key: ObjectKey, options?: DeleteOptions) =>
        this.delete(kind, key, options) as Promise<TypeOf<K>>,
      watch: <K extends AnyKind>(kind: K, options?: WatchOptions) =>
        this.watch(kind, options) as unknown as Observable<WatchEvent<TypeOf<K>>>,
      apply: (manifests, options) => this.apply(manifests, options),
      bind: (key, target, options) => this.bind(key, target, options) as Promise<TypeOf<typeof Pod>>,
    };
     
    return client;
  }
}

/**
 * The resourceVersion a write is conditional on: an empty or absent one makes it unconditional, as
 * in Kubernetes.
 */
function preconditionOf(rv: unknown): string | undefined {
  return typeof rv === 'string' && rv !== '' ? rv : undefined;
}

/** `obj` with `metadata.resourceVersion` set (or removed, for `undefined`), as a new object. */
function withResourceVersion(obj: Obj, resourceVersion: string | undefined): Obj {
  const out = cloneJson(obj);
  if (resourceVersion === undefined) delete out.metadata.resourceVersion;
  else out.metadata.resourceVersion = resourceVersion;
  return out;
}

/** The namespace of the request: set on a namespaced object, removed from a cluster-scoped one. */
function setNamespace(obj: Obj, namespace: string | undefined): void {
  if (namespace === undefined) delete obj.metadata.namespace;
  else obj.metadata.namespace = namespace;
}

function stripResourceVersion(obj: Obj): Obj {
  const out = cloneJson(obj);
  delete out.metadata.resourceVersion;
  return out;
}

function removeFrom(list: string[], value: string): void {
  const i = list.indexOf(value);
  if (i >= 0) list.splice(i, 1);
}

/**
 * Informers: a list, then a watch from the list's resourceVersion, kept in an indexed cache and
 * turned into add, update and delete events, the way client-go's Reflector and
 * SharedIndexInformer work.
 *
 * What an informer guarantees:
 * - **It never stops silently.** A watch that ends normally is reopened at once from the last
 *   resourceVersion. A watch that fails, or that closes within a second without delivering
 *   anything (client-go's "very short watch"), is reopened from the last resourceVersion after a
 *   back-off (800 ms doubling to 30 s). A 410 Gone (the revision was compacted) makes it relist
 *   after the back-off and deliver the differences as events, so no update is lost. A `transform`
 *   or index function that throws on an object is reported with the object's key and makes the
 *   informer relist, with back-off. The back-off starts over after a successful list, after the
 *   watch delivers an event, and after a watch stayed open for 2 minutes. Every failure is logged
 *   and published on {@link Informer.errors$}; only the `signal` passed to `start` ends it.
 * - **Synced means complete.** {@link Informer.hasSynced} turns true once the first list is in the
 *   cache and its events have been delivered.
 * - **Read your own writes.** Watch events are applied to the cache as they arrive, in the same
 *   turn as the store delivers them, so in-process a write is in the cache by the time the write's
 *   promise resolves. {@link Informer.waitForResourceVersion} waits explicitly when it must.
 * - **Periodic resync** (optional) re-delivers every cached object as an update with
 *   `old === new`, every `resyncPeriodMs` from `start`, on its own schedule (watch restarts do not
 *   move it).
 *
 * @example
 * ```ts
 * const pods = new Informer({ client: api.client, kind: kinds.Pod, clock });
 * pods.addEventHandler({ onAdd: (pod) => console.log('added', pod.metadata.name) });
 * void pods.start(signal);
 * await pods.waitForSync(signal);
 * pods.cache.list({ labelSelector: 'app=web' });
 * ```
 *
 * @module
 */
import { Subject, Subscription, type Observable } from 'rxjs';
import { systemClock, delay, type Clock, type TimerHandle } from '../clock/clock.js';
import { isGone } from '../errors.js';
import type { Client, WatchEvent } from '../api/client.js';
import type { LabelSelectorObject, Selector } from '../api/selectors/label-selector.js';
import type { AnyKind, TypeOf } from '../kinds/kind.js';
import type { KubeObject } from '../meta/object-meta.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import { deepFreeze } from '../util/json.js';
import { Cache, cacheKey, type CacheReader, type IndexFunc } from './cache.js';

/** Callbacks for cache changes. Exceptions they throw are logged and do not stop the informer. */
export interface EventHandler<T> {
  /** A new object; `isInInitialList` is true for objects of the first list. */
  onAdd?(obj: T, isInInitialList: boolean): void;
  /** A changed object (or, on resync, the same object twice). */
  onUpdate?(oldObj: T, newObj: T): void;
  /** A deleted object, in its last known state. */
  onDelete?(obj: T): void;
}

/** A cache change, as {@link Informer.events$} publishes it. */
export type InformerEvent<T> =
  | { readonly type: 'add'; readonly object: T; readonly isInInitialList: boolean }
  | { readonly type: 'update'; readonly object: T; readonly oldObject: T }
  | { readonly type: 'delete'; readonly object: T };

/** Options of {@link Informer}. */
export interface InformerOptions<K extends AnyKind> {
  /** The client to list and watch with. */
  readonly client: Client;
  /** The kind to list and watch. */
  readonly kind: K;
  /** Only this namespace. @default all namespaces */
  readonly namespace?: string | undefined;
  /** Only objects whose labels match, in either form. @default all objects */
  readonly labelSelector?: string | LabelSelectorObject | Selector | undefined;
  /** Only objects whose fields match, e.g. `spec.nodeName=node-1`. @default all objects */
  readonly fieldSelector?: string | undefined;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** Re-deliver every cached object as an update this often; 0 disables. @default 0 */
  readonly resyncPeriodMs?: number;
  /** Strip or reshape objects before they are cached (e.g. drop `managedFields`). */
  readonly transform?: (obj: TypeOf<K>) => TypeOf<K>;
  /** Custom indexes, besides namespace, label, owner and controller. */
  readonly indexers?: Readonly<Record<string, IndexFunc<TypeOf<K>>>>;
  /** First back-off after a failure. @default 800 */
  readonly initialBackoffMs?: number;
  /** Longest back-off. @default 30000 */
  readonly maxBackoffMs?: number;
  /** How often the API sends bookmarks on the informer's watch. Kubernetes' watch cache sends one about every minute. */
  readonly bookmarks?: boolean;
}

/** An error an informer met and recovered from. */
export interface InformerError {
  /** Where it failed: the list, the watch, or an event handler. */
  readonly phase: 'list' | 'watch' | 'handler';
  /** What was thrown. */
  readonly error: unknown;
  /** Consecutive failures so far (0 for handler errors). */
  readonly attempt: number;
  /** Milliseconds until the next attempt. */
  readonly retryInMs: number;
  /** The cache key (`namespace/name`) of the object a `transform` or index function threw on. */
  readonly key?: string;
}

/**
 * A watch that closed within a second (clock time) without delivering an event: reported as a
 * failure and retried with back-off, so a server that closes watches at once cannot make the
 * informer spin (client-go's "very short watch" rule).
 */
export class ShortWatchError extends Error {
  /** The class name, `ShortWatchError`. */
  override readonly name: string = 'ShortWatchError';
}

/** A watch shorter than this (clock time) that delivered nothing is a {@link ShortWatchError}. */
const SHORT_WATCH_MS = 1_000;
/** A watch open this long was healthy: its failure starts the back-off over (client-go resets after 2 minutes). */
const HEALTHY_WATCH_MS = 120_000;

/** A transform or index function threw on the object with this key (internal: unwrapped before it is reported). */
class ObjectError extends Error {
  override readonly name: string = 'ObjectError';
  constructor(
    readonly key: string,
    override readonly cause: unknown,
  ) {
    super(`could not cache ${key}`, { cause });
  }
}

/** The informer of one kind: list, watch, cache, events. */
export class Informer<K extends AnyKind, T extends KubeObject = TypeOf<K>> {
  /** The kind it lists and watches. */
  readonly kind: K;
  readonly #cache: Cache<T>;
  readonly #options: InformerOptions<K>;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #handlers = new Set<EventHandler<T>>();
  readonly #events = new Subject<InformerEvent<T>>();
  readonly #errors = new Subject<InformerError>();
  #synced = false;
  #syncWaiters: (() => void)[] = [];
  #resourceVersion = 0;
  #rvWaiters: { rv: number; resolve: () => void }[] = [];
  #started = false;
  #failures = 0;

  constructor(options: InformerOptions<K>) {
    this.kind = options.kind;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.logger ?? silentLogger).child({ informer: `${options.kind.plural}.${options.kind.group || 'core'}` });
    this.#cache = new Cache<T>((options.indexers ?? {}) as Record<string, IndexFunc<T>>);
  }

  /** The cache this informer fills. Objects in it are frozen. */
  get cache(): CacheReader<T> {
    return this.#cache;
  }

  /** Add a custom index (before or after start). */
  addIndex(name: string, fn: IndexFunc<T>): void {
    this.#cache.addIndex(name, fn);
  }

  /** Cache changes as an Observable; completes when the informer stops. */
  get events$(): Observable<InformerEvent<T>> {
    return this.#events.asObservable();
  }

  /** Failures the informer recovered from; completes when the informer stops. */
  get errors$(): Observable<InformerError> {
    return this.#errors.asObservable();
  }

  /** The resourceVersion the cache is at: every change of this kind up to it is in the cache. */
  get lastSyncResourceVersion(): string {
    return String(this.#resourceVersion);
  }

  /**
   * Register handlers. Objects already in the cache are delivered to `onAdd` first (as client-go
   * does for a handler added to a running informer). Returns a function that unregisters them.
   */
  addEventHandler(handler: EventHandler<T>): () => void {
    this.#handlers.add(handler);
    if (this.#synced && handler.onAdd) {
      for (const obj of this.#cache.list()) this.#call(() => handler.onAdd?.(obj, true));
    }
    return () => this.#handlers.delete(handler);
  }

  /** Whether the first list has been cached and delivered. */
  hasSynced(): boolean {
    return this.#synced;
  }

  /** Resolves true once synced, or false if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.#synced) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      });
    });
  }

  /**
   * Resolves once the cache has seen `resourceVersion` (the cache then holds every change of this
   * kind up to it, e.g. the reconciler's own last write). Rejects with the signal's reason if it
   * aborts first.
   */
  waitForResourceVersion(resourceVersion: string | number, signal?: AbortSignal): Promise<void> {
    const rv = Number(resourceVersion);
    if (this.#resourceVersion >= rv) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    return new Promise((resolve, reject) => {
      const waiter = {
        rv,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.#rvWaiters = this.#rvWaiters.filter((w) => w !== waiter);
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#rvWaiters.push(waiter);
    });
  }

  /**
   * Run until `signal` aborts: list, watch, relist on 410, resume with back-off on failures.
   * Resolves after the watch is closed and every timer is cleared.
   * @throws Error if started twice.
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.#started) throw new Error(`the ${this.kind.plural} informer is started already`);
    this.#started = true;
    const stopResync = this.#startResync();
    let needList = true;
    try {
      while (!signal.aborted) {
        let watchOpenedAt = this.#clock.now();
        try {
          if (needList) {
            await this.#list();
            needList = false;
            // The back-off is not reset here: a watch that fails (410 Gone, say) right after
            // every list must still slow down, as client-go's does.
          }
          watchOpenedAt = this.#clock.now();
          const events = await this.#watch(signal);
          if (signal.aborted) break;
          // The watch ended normally (timeout or server close): watch again from where we are,
          // unless it ended at once with nothing in it.
          if (events === 0 && this.#clock.now() - watchOpenedAt < SHORT_WATCH_MS) {
            throw new ShortWatchError(`very short watch of ${this.kind.plural}: it closed within ${SHORT_WATCH_MS} ms without delivering an event`);
          }
        } catch (e) {
          if (signal.aborted) break;
          const phase = needList ? 'list' : 'watch';
          if (phase === 'watch' && this.#clock.now() - watchOpenedAt >= HEALTHY_WATCH_MS) this.#failures = 0;
          const error = e instanceof ObjectError ? e.cause : e;
          const key = e instanceof ObjectError ? e.key : undefined;
          // A compacted resourceVersion, or a cache that missed an object: start over from a list.
          if (isGone(e) || key !== undefined) needList = true;
          this.#failures++;
          const wait = this.#backoff();
          const fields = { err: error, attempt: this.#failures, retryInMs: wait, ...(key === undefined ? {} : { key }) };
          if (isGone(e)) this.#log.info({ ...fields, resourceVersion: this.#resourceVersion }, 'watch resourceVersion is compacted (410 Gone); relisting');
          else if (key !== undefined) this.#log.error(fields, `transform or index function threw on ${key}; relisting`);
          else this.#log.warn(fields, `${phase} failed; retrying`);
          this.#errors.next({ phase, error, attempt: this.#failures, retryInMs: wait, ...(key === undefined ? {} : { key }) });
          await delay(this.#clock, wait, signal);
        }
      }
    } finally {
      stopResync();
      this.#events.complete();
      this.#errors.complete();
    }
  }

  /** Re-deliver the cache every resync period from now on; returns a function that stops it. */
  #startResync(): () => void {
    const period = this.#options.resyncPeriodMs ?? 0;
    if (period <= 0) return () => undefined;
    let timer: TimerHandle;
    const tick = (): void => {
      if (this.#synced) for (const obj of this.#cache.list()) this.#emit({ type: 'update', object: obj, oldObject: obj });
      timer = this.#clock.setTimeout(tick, period);
    };
    timer = this.#clock.setTimeout(tick, period);
    return () => this.#clock.clearTimeout(timer);
  }

  #backoff(): number {
    const initial = this.#options.initialBackoffMs ?? 800;
    const max = this.#options.maxBackoffMs ?? 30_000;
    return Math.min(max, initial * 2 ** Math.max(0, this.#failures - 1));
  }

  async #list(): Promise<void> {
    const { client, kind, namespace, labelSelector, fieldSelector } = this.#options;
    const list = await client.list(kind, { namespace, labelSelector, fieldSelector });
    const initial = !this.#synced;
    const seen = new Set<string>();
    for (const raw of list.items as T[]) {
      const key = cacheKey(raw);
      let obj: T;
      let old: T | undefined;
      try {
        obj = this.#prepare(raw);
        old = this.#cache.upsert(obj);
      } catch (e) {
        throw new ObjectError(key, e);
      }
      seen.add(key);
      if (old === undefined) this.#emit({ type: 'add', object: obj, isInInitialList: initial });
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.#emit({ type: 'update', object: obj, oldObject: old });
    }
    // Objects that went away while we were not watching (a relist after 410 Gone).
    for (const key of [...this.#cache.keys()]) {
      if (seen.has(key)) continue;
      const old = this.#cache.remove(key);
      if (old !== undefined) this.#emit({ type: 'delete', object: old });
    }
    this.#advance(Number(list.metadata.resourceVersion));
    if (!this.#synced) {
      this.#synced = true;
      const waiters = this.#syncWaiters;
      this.#syncWaiters = [];
      for (const w of waiters) w();
      this.#log.debug({ objects: this.#cache.size, resourceVersion: list.metadata.resourceVersion }, 'synced');
    }
  }

  /**
   * Watch from the cache's resourceVersion until the watch ends. Resolves with how many events it
   * delivered when it ends normally or `signal` aborts; rejects when it fails, or with an
   * {@link ObjectError} when an event could not be applied (the watch is closed then).
   */
  #watch(signal: AbortSignal): Promise<number> {
    const { client, kind, namespace, labelSelector, fieldSelector } = this.#options;
    return new Promise<number>((resolve, reject) => {
      let events = 0;
      let done = false;
      // Closed by finish(), even while the watch is still being subscribed (it then closes the watch at once).
      const subscription = new Subscription();
      const finish = (failure?: { error: unknown }): void => {
        if (done) return;
        done = true;
        signal.removeEventListener('abort', onAbort);
        subscription.unsubscribe();
        if (failure === undefined) resolve(events);
        else reject(failure.error);
      };
      const onAbort = (): void => finish();
      const watch$ = client.watch(kind, {
        namespace,
        labelSelector,
        fieldSelector,
        resourceVersion: String(this.#resourceVersion),
        allowWatchBookmarks: this.#options.bookmarks ?? true,
      });
      subscription.add(
        watch$.subscribe({
          next: (event) => {
            if (done) return;
            try {
              this.#onWatchEvent(event);
            } catch (e) {
              // Never let it escape into rxjs (which would rethrow it on a timer).
              finish({ error: e });
              return;
            }
            events++;
            // The watch works: the next failure starts the back-off over.
            this.#failures = 0;
          },
          error: (e: unknown) => finish({ error: e }),
          complete: () => finish(),
        }),
      );
      if (signal.aborted) onAbort();
      else if (!done) signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Apply one watch event to the cache and deliver it. @throws ObjectError if a transform or index function throws. */
  #onWatchEvent(event: WatchEvent<T>): void {
    if (event.type !== 'BOOKMARK') {
      const key = cacheKey(event.object);
      let obj: T;
      let old: T | undefined;
      try {
        obj = this.#prepare(event.object);
        old = event.type === 'DELETED' ? this.#cache.remove(key) : this.#cache.upsert(obj);
      } catch (e) {
        throw new ObjectError(key, e);
      }
      // A deleted object is delivered in its final state, as the server sent it.
      if (event.type === 'DELETED') this.#emit({ type: 'delete', object: obj });
      else if (old === undefined) this.#emit({ type: 'add', object: obj, isInInitialList: false });
      else this.#emit({ type: 'update', object: obj, oldObject: old });
    }
    this.#advance(Number(event.object.metadata.resourceVersion));
  }

  #prepare(obj: T): T {
    const transformed = this.#options.transform ? (this.#options.transform(obj as TypeOf<K>) as T) : obj;
    return deepFreeze(transformed);
  }

  #advance(rv: number): void {
    if (!(rv > this.#resourceVersion)) return;
    this.#resourceVersion = rv;
    if (this.#rvWaiters.length === 0) return;
    const ready = this.#rvWaiters.filter((w) => w.rv <= rv);
    this.#rvWaiters = this.#rvWaiters.filter((w) => w.rv > rv);
    for (const w of ready) w.resolve();
  }

  #emit(event: InformerEvent<T>): void {
    for (const h of this.#handlers) {
      switch (event.type) {
        case 'add':
          if (h.onAdd) this.#call(() => h.onAdd?.(event.object, event.isInInitialList));
          break;
        case 'update':
          if (h.onUpdate) this.#call(() => h.onUpdate?.(event.oldObject, event.object));
          break;
        case 'delete':
          if (h.onDelete) this.#call(() => h.onDelete?.(event.object));
          break;
      }
    }
    if (this.#events.observed) this.#events.next(event);
  }

  #call(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.#log.error({ err: e }, 'event handler threw');
      this.#errors.next({ phase: 'handler', error: e, attempt: 0, retryInMs: 0 });
    }
  }
}

/**
 * The controller builder: wiring that reads like a sentence, as controller-runtime's.
 *
 * @example
 * ```ts
 * controller(manager)
 *   .for(kinds.ReplicaSet, { predicates: [generationChanged] })
 *   .owns(kinds.Pod)
 *   .watches(kinds.Node, (node) => podsOn(node).map(requestFor))
 *   .withOptions({ maxConcurrentReconciles: 4 })
 *   .complete(new ReplicaSetReconciler());
 * ```
 *
 * - `for(kind)`: reconcile objects of this kind; their own events enqueue them.
 * - `owns(kind)`: events of objects of this kind enqueue their controller owner (through the
 *   `controller: true` owner reference) when the owner is of the `for` kind.
 * - `watches(kind, map)`: events of objects of this kind enqueue whatever `map` returns.
 *
 * All sources share the manager's informers, so two controllers watching Pods use one watch and
 * one cache.
 *
 * @module
 */
import type { AnyKind, TypeOf } from '../kinds/kind.js';
import type { Manager } from '../manager/manager.js';
import type { RateLimiter } from '../queue/rate-limiter.js';
import { Controller, informerSource, requestForObject, requestsForOwner, type Source } from './controller.js';
import type { Predicate } from './predicates.js';
import { reconcilerFunc, type ReconcileFunc, type Reconciler, type Request } from './reconciler.js';

/** Options of the controller being built. */
export interface BuilderOptions {
  /** How many different keys may reconcile at once. @default 1 */
  readonly maxConcurrentReconciles?: number;
  /** @default client-go's default controller rate limiter */
  readonly rateLimiter?: RateLimiter<string>;
  /** Run only on the elected leader. @default true */
  readonly needLeaderElection?: boolean;
}

type SourceFactory = (manager: Manager) => Source;

/** Builds a controller; see the module documentation. */
export class ControllerBuilder {
  readonly #manager: Manager;
  #forKind: AnyKind | undefined;
  #name: string | undefined;
  #options: BuilderOptions = {};
  readonly #sources: SourceFactory[] = [];

  constructor(manager: Manager) {
    this.#manager = manager;
  }

  /** Name the controller (used in logs, metrics and Events). @default the `for` kind, lowercase */
  named(name: string): this {
    this.#name = name;
    return this;
  }

  /**
   * Reconcile objects of `kind`.
   * @throws Error if called twice.
   */
  for<K extends AnyKind>(kind: K, options: { predicates?: readonly Predicate<TypeOf<K>>[] } = {}): this {
    if (this.#forKind !== undefined) throw new Error('for() may be called once per controller');
    this.#forKind = kind;
    this.#sources.push((m) =>
      informerSource(m.informers.informerFor(kind), { map: requestForObject, ...(options.predicates ? { predicates: options.predicates } : {}) }),
    );
    return this;
  }

  /**
   * Watch objects of `kind` that the `for` kind owns, and reconcile their owner.
   * @param options.onlyController Follow only the `controller: true` reference. @default true
   * @param options.updateBatchPeriodMs Collapse bursts of updates of owned objects into one reconcile per this many ms. @default 0
   */
  owns<K extends AnyKind>(
    kind: K,
    options: { predicates?: readonly Predicate<TypeOf<K>>[]; onlyController?: boolean; updateBatchPeriodMs?: number } = {},
  ): this {
    this.#sources.push((m) => {
      const owner = this.#forKind;
      if (owner === undefined) throw new Error('owns() needs for() to name the owner kind');
      return informerSource(m.informers.informerFor(kind), {
        map: requestsForOwner(owner, options.onlyController ?? true),
        ...(options.predicates ? { predicates: options.predicates } : {}),
        ...(options.updateBatchPeriodMs === undefined ? {} : { updateBatchPeriodMs: options.updateBatchPeriodMs }),
      });
    });
    return this;
  }

  /** Watch objects of `kind` and reconcile the requests `map` returns for each. */
  watches<K extends AnyKind>(
    kind: K,
    map: (obj: TypeOf<K>) => Request | readonly Request[] | undefined,
    options: { predicates?: readonly Predicate<TypeOf<K>>[] } = {},
  ): this {
    this.#sources.push((m) =>
      informerSource(m.informers.informerFor(kind), {
        map: (obj) => {
          const r = map(obj);
          return r === undefined ? [] : Array.isArray(r) ? (r as readonly Request[]) : [r as Request];
        },
        ...(options.predicates ? { predicates: options.predicates } : {}),
      }),
    );
    return this;
  }

  /** Set controller options. */
  withOptions(options: BuilderOptions): this {
    this.#options = { ...this.#options, ...options };
    return this;
  }

  /**
   * Build the controller and add it to the manager.
   * @throws Error without `for()`, or if a controller of that name exists.
   */
  complete(reconciler: Reconciler | ReconcileFunc): Controller {
    const kind = this.#forKind;
    if (kind === undefined) throw new Error('a controller needs for(kind)');
    const name = this.#name ?? kind.kind.toLowerCase();
    const m = this.#manager;
    const c = new Controller({
      name,
      reconciler: typeof reconciler === 'function' ? reconcilerFunc(reconciler) : reconciler,
      client: m.client,
      cache: m.cache,
      recorder: m.recorderFor(name),
      clock: m.clock,
      logger: m.logger,
      metrics: m.metrics,
      ...(this.#options.maxConcurrentReconciles === undefined ? {} : { maxConcurrentReconciles: this.#options.maxConcurrentReconciles }),
      ...(this.#options.rateLimiter === undefined ? {} : { rateLimiter: this.#options.rateLimiter }),
      ...(this.#options.needLeaderElection === undefined ? {} : { needLeaderElection: this.#options.needLeaderElection }),
    });
    for (const source of this.#sources) c.watch(source(m));
    m.add(c);
    return c;
  }
}

/** Start building a controller for `manager`. */
export function controller(manager: Manager): ControllerBuilder {
  return new ControllerBuilder(manager);
}

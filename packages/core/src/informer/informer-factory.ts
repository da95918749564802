/**
 * Shared informers: one informer (one list, one watch, one cache) per kind, however many
 * controllers watch that kind. Ask the factory for an informer; start the factory once.
 *
 * @example
 * ```ts
 * const informers = new InformerFactory({ client: api.client, clock });
 * const pods = informers.informerFor(kinds.Pod); // the same instance for every caller
 * const run = informers.start(signal);
 * await informers.waitForCacheSync(signal);
 * ```
 *
 * @module
 */
import { setMaxListeners } from 'node:events';
import { systemClock, type Clock } from '../clock/clock.js';
import type { Client } from '../api/client.js';
import type { AnyKind } from '../kinds/kind.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import { Informer, type InformerOptions } from './informer.js';

/** Options of {@link InformerFactory}. */
export interface InformerFactoryOptions {
  /** The client every informer lists and watches with. */
  readonly client: Client;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** Resync period of every informer the factory makes; 0 disables. @default 0 */
  readonly resyncPeriodMs?: number;
}

/** Per-informer options a caller may choose the first time it asks for a kind. */
export type SharedInformerOptions<K extends AnyKind> = Pick<InformerOptions<K>, 'transform' | 'indexers'>;

/** Makes and runs one shared informer per kind. */
export class InformerFactory {
  readonly #options: InformerFactoryOptions;
  readonly #informers = new Map<string, Informer<AnyKind>>();
  readonly #running = new Map<Informer<AnyKind>, Promise<void>>();
  #signal: AbortSignal | undefined;

  constructor(options: InformerFactoryOptions) {
    this.#options = options;
  }

  /**
   * The shared informer of `kind`, made on first use. If the factory is running, a new informer
   * starts at once. Options given by later callers for an existing informer are ignored, except
   * indexers, which are added.
   */
  informerFor<K extends AnyKind>(kind: K, options: SharedInformerOptions<K> = {}): Informer<K> {
    const id = `${kind.apiVersion}/${kind.kind}`;
    let informer = this.#informers.get(id) as Informer<K> | undefined;
    if (informer === undefined) {
      informer = new Informer<K>({
        client: this.#options.client,
        kind,
        clock: this.#options.clock ?? systemClock,
        logger: this.#options.logger ?? silentLogger,
        resyncPeriodMs: this.#options.resyncPeriodMs ?? 0,
        ...options,
      });
      this.#informers.set(id, informer);
      if (this.#signal !== undefined) this.#run(informer, this.#signal);
    } else if (options.indexers !== undefined) {
      for (const [name, fn] of Object.entries(options.indexers)) informer.addIndex(name, fn);
    }
    return informer;
  }

  /** The informer of `kind` if one has been made, without making one. */
  existing<K extends AnyKind>(kind: K): Informer<K> | undefined {
    return this.#informers.get(`${kind.apiVersion}/${kind.kind}`) as Informer<K> | undefined;
  }

  /** Every informer made so far. */
  informers(): Informer<AnyKind>[] {
    return [...this.#informers.values()];
  }

  /**
   * Start every informer, and any made later, until `signal` aborts. Resolves when all of them
   * have stopped.
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.#signal !== undefined) throw new Error('the informer factory is started already');
    // One signal shared by every informer (a garbage collector watches every kind): lift Node's
    // listener warning on it instead of on the caller's signal.
    const shared = new AbortController();
    setMaxListeners(0, shared.signal);
    const onAbort = (): void => shared.abort(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    this.#signal = shared.signal;
    for (const informer of this.#informers.values()) this.#run(informer, shared.signal);
    await new Promise<void>((resolve) => {
      if (shared.signal.aborted) resolve();
      else shared.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    // Informers made while stopping are awaited too.
    while (this.#running.size > 0) {
      const pending = [...this.#running.values()];
      await Promise.all(pending);
      for (const [informer, p] of this.#running) if (pending.includes(p)) this.#running.delete(informer);
    }
  }

  /** Resolves true once every informer made so far has synced, false if `signal` aborts first. */
  async waitForCacheSync(signal?: AbortSignal): Promise<boolean> {
    // One listener on the caller's signal, however many informers there are.
    const local = new AbortController();
    setMaxListeners(0, local.signal);
    const onAbort = (): void => local.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const results = await Promise.all([...this.#informers.values()].map((i) => i.waitForSync(local.signal)));
      return results.every(Boolean);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  #run(informer: Informer<AnyKind>, signal: AbortSignal): void {
    const run = informer.start(signal).catch((e: unknown) => {
      (this.#options.logger ?? silentLogger).error({ err: e, kind: informer.kind.kind }, 'informer stopped with an error');
    });
    this.#running.set(informer, run);
  }
}

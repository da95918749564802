/**
 * Reads served from shared informer caches. Asking for a kind for the first time starts its
 * informer (if the factory runs) and waits for it to sync; later reads are in memory.
 *
 * @module
 */
import type { ObjectKey } from '../meta/object-meta.js';
import type { AnyKind, TypeOf } from '../kinds/kind.js';
import type { CacheListOptions } from '../informer/cache.js';
import type { InformerFactory } from '../informer/informer-factory.js';

/** Cached reads, by kind. Objects are frozen and shared: copy one before changing it. */
export interface CachedReader {
  /** The cached object, or `undefined` if it does not exist. */
  get<K extends AnyKind>(kind: K, key: ObjectKey): Promise<TypeOf<K> | undefined>;
  /** Cached objects of a kind, filtered by namespace, labels and a predicate. */
  list<K extends AnyKind>(kind: K, options?: CacheListOptions<TypeOf<K>>): Promise<TypeOf<K>[]>;
  /**
   * Cached objects of a kind whose index `indexName` holds `value`: the built-in `namespace`,
   * `label` (`key=value`), `owner` and `controller` (owner uid) indexes, or one added with
   * `informers.informerFor(kind, { indexers })`.
   */
  byIndex<K extends AnyKind>(kind: K, indexName: string, value: string): Promise<TypeOf<K>[]>;
}

/** A {@link CachedReader} over an informer factory. Reads wait for the kind's informer to sync (or `signal` to abort). */
export function cachedReader(informers: InformerFactory, signal?: AbortSignal): CachedReader {
  const synced = async <K extends AnyKind>(kind: K) => {
    const informer = informers.informerFor(kind);
    if (!informer.hasSynced() && !(await informer.waitForSync(signal))) {
      throw new Error(`the ${kind.plural} cache did not sync before shutdown`);
    }
    return informer;
  };
  return {
    async get(kind, key) {
      const informer = await synced(kind);
      const k = kind.namespaced ? { namespace: key.namespace || 'default', name: key.name } : { name: key.name };
      return informer.cache.get(k);
    },
    async list(kind, options) {
      const informer = await synced(kind);
      return informer.cache.list(options);
    },
    async byIndex(kind, indexName, value) {
      const informer = await synced(kind);
      return informer.cache.byIndex(indexName, value);
    },
  };
}

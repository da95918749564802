/**
 * The indexed cache an informer fills: objects of one kind by `namespace/name`, with indexes by
 * namespace, by label (`key=value`), by owner UID, and any custom index.
 *
 * Readers get {@link CacheReader}; only the informer writes (the reader/writer split of kube-rs'
 * reflector store and controller-runtime's `Cache`). Objects in the cache are frozen and shared
 * by every reader: copy one (`structuredClone(obj)`) before changing it, or re-read it through the
 * client.
 *
 * @module
 */
import type { KubeObject, ObjectKey } from '../meta/object-meta.js';
import { toSelector, type LabelSelectorObject, type Selector } from '../api/selectors/label-selector.js';

/** Computes the index values of an object (an object may have several, or none). */
export type IndexFunc<T> = (obj: T) => readonly string[];

/** The index of objects by namespace. */
export const NAMESPACE_INDEX = 'namespace';
/** The index of objects by label, with values `key=value`. */
export const LABEL_INDEX = 'label';
/** The index of objects by the uid of each owner in `metadata.ownerReferences`. */
export const OWNER_INDEX = 'owner';
/** The index of objects by the uid of their controller owner only. */
export const CONTROLLER_INDEX = 'controller';

/** Options of {@link CacheReader.list}. */
export interface CacheListOptions<T> {
  /** Only objects in this namespace. */
  readonly namespace?: string | undefined;
  /** A label selector in any form (string, spec object, or parsed). */
  readonly labelSelector?: string | LabelSelectorObject | Selector | undefined;
  /** Any further filter. */
  readonly filter?: ((obj: T) => boolean) | undefined;
}

/** Read access to a cache. */
export interface CacheReader<T extends KubeObject> {
  /** The object with this key (`{ namespace, name }` or `"namespace/name"`), or `undefined`. */
  get(key: ObjectKey | string): T | undefined;
  /** The objects matching the options, in no particular order. */
  list(options?: CacheListOptions<T>): T[];
  /** The objects whose index `indexName` contains `value`. */
  byIndex(indexName: string, value: string): T[];
  /** The keys (`namespace/name`) of every cached object. */
  keys(): IterableIterator<string>;
  /** How many objects are cached. */
  readonly size: number;
}

function keyOf(key: ObjectKey | string): string {
  if (typeof key === 'string') return key;
  return key.namespace ? `${key.namespace}/${key.name}` : key.name;
}

/** The cache key of an object: `namespace/name`, or `name` when cluster-scoped. */
export function cacheKey(obj: KubeObject): string {
  const { namespace, name } = obj.metadata;
  return namespace ? `${namespace}/${name ?? ''}` : (name ?? '');
}

interface Index<T> {
  readonly fn: IndexFunc<T>;
  /** Index value → keys of the objects with that value. */
  readonly values: Map<string, Set<string>>;
}

const builtinIndexes: Record<string, IndexFunc<KubeObject>> = {
  [NAMESPACE_INDEX]: (o) => (o.metadata.namespace ? [o.metadata.namespace] : []),
  [LABEL_INDEX]: (o) => Object.entries(o.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`),
  [OWNER_INDEX]: (o) => (o.metadata.ownerReferences ?? []).map((r) => r.uid),
  [CONTROLLER_INDEX]: (o) => (o.metadata.ownerReferences ?? []).filter((r) => r.controller === true).map((r) => r.uid),
};

/** An indexed cache of objects of one kind. The informer is its only writer. */
export class Cache<T extends KubeObject> implements CacheReader<T> {
  readonly #items = new Map<string, T>();
  readonly #indexes = new Map<string, Index<T>>();

  constructor(indexers: Readonly<Record<string, IndexFunc<T>>> = {}) {
    for (const [name, fn] of Object.entries(builtinIndexes)) this.#indexes.set(name, { fn, values: new Map() });
    for (const [name, fn] of Object.entries(indexers)) this.addIndex(name, fn);
  }

  /**
   * Add a custom index; existing objects are indexed at once. Adding the same function under the
   * same name again does nothing.
   * @throws Error if a different index of that name exists.
   */
  addIndex(name: string, fn: IndexFunc<T>): void {
    const existing = this.#indexes.get(name);
    if (existing !== undefined) {
      if (existing.fn === fn) return;
      throw new Error(`the cache has a different index named ${name} already`);
    }
    const index: Index<T> = { fn, values: new Map() };
    // Compute every value first: a throwing function leaves the cache as it was.
    const computed = [...this.#items].map(([key, obj]) => [key, fn(obj)] as const);
    this.#indexes.set(name, index);
    for (const [key, values] of computed) this.#indexInto(index, key, values);
  }

  get size(): number {
    return this.#items.size;
  }

  get(key: ObjectKey | string): T | undefined {
    return this.#items.get(keyOf(key));
  }

  keys(): IterableIterator<string> {
    return this.#items.keys();
  }

  byIndex(indexName: string, value: string): T[] {
    const index = this.#indexes.get(indexName);
    if (index === undefined) throw new Error(`the cache has no index named ${indexName}`);
    const keys = index.values.get(value);
    if (keys === undefined) return [];
    const out: T[] = [];
    for (const k of keys) {
      const obj = this.#items.get(k);
      if (obj !== undefined) out.push(obj);
    }
    return out;
  }

  list(options: CacheListOptions<T> = {}): T[] {
    const selector = options.labelSelector === undefined ? undefined : toSelector(options.labelSelector);
    if (selector?.nothing) return [];
    // Narrow with the smallest index that applies: an equality label requirement or the namespace.
    let candidates: Iterable<string> | undefined;
    let smallest = Number.POSITIVE_INFINITY;
    const consider = (indexName: string, value: string): void => {
      const set = this.#indexes.get(indexName)?.values.get(value);
      const size = set?.size ?? 0;
      if (size < smallest) {
        smallest = size;
        candidates = set ?? [];
      }
    };
    if (options.namespace) consider(NAMESPACE_INDEX, options.namespace);
    for (const r of selector?.requirements ?? []) {
      if ((r.operator === 'Equals' || r.operator === 'DoubleEquals' || (r.operator === 'In' && r.values.length === 1)) && r.values[0] !== undefined) {
        consider(LABEL_INDEX, `${r.key}=${r.values[0]}`);
      }
    }
    const out: T[] = [];
    const check = (obj: T): void => {
      if (options.namespace && obj.metadata.namespace !== options.namespace) return;
      if (selector !== undefined && !selector.empty && !selector.matches(obj.metadata.labels)) return;
      if (options.filter !== undefined && !options.filter(obj)) return;
      out.push(obj);
    };
    if (candidates === undefined) {
      for (const obj of this.#items.values()) check(obj);
    } else {
      for (const k of candidates) {
        const obj = this.#items.get(k);
        if (obj !== undefined) check(obj);
      }
    }
    return out;
  }

  /**
   * Insert or replace an object. Returns the object it replaced, if any.
   * @throws whatever an index function throws; the cache is then unchanged.
   */
  upsert(obj: T): T | undefined {
    const key = cacheKey(obj);
    // Compute every index value (the new object's, and the replaced one's to unindex it, as
    // client-go's indexer does) before changing anything, so a throwing index function cannot
    // leave the object half indexed.
    const old = this.#items.get(key);
    const computed = [...this.#indexes.values()].map((index) => [index, index.fn(obj), old === undefined ? [] : index.fn(old)] as const);
    for (const [index, values, oldValues] of computed) {
      this.#unindexFrom(index, key, oldValues);
      this.#indexInto(index, key, values);
    }
    this.#items.set(key, obj);
    return old;
  }

  /** Remove an object by key. Returns the object removed, if any. */
  remove(key: ObjectKey | string): T | undefined {
    const k = keyOf(key);
    const old = this.#items.get(k);
    if (old === undefined) return undefined;
    const computed = [...this.#indexes.values()].map((index) => [index, index.fn(old)] as const);
    for (const [index, values] of computed) this.#unindexFrom(index, k, values);
    this.#items.delete(k);
    return old;
  }

  #indexInto(index: Index<T>, key: string, values: readonly string[]): void {
    for (const value of values) {
      let set = index.values.get(value);
      if (set === undefined) index.values.set(value, (set = new Set()));
      set.add(key);
    }
  }

  #unindexFrom(index: Index<T>, key: string, values: readonly string[]): void {
    for (const value of values) {
      const set = index.values.get(value);
      if (set === undefined) continue;
      set.delete(key);
      if (set.size === 0) index.values.delete(value);
    }
  }
}

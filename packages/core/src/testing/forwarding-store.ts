/**
 * A store that passes every call on to another: the base of test wrappers that change one thing
 * (break watches, delay events, count calls) and leave the rest as the real store does it.
 *
 * @module
 */
import type { Store } from '../store/store.js';

/**
 * A {@link Store} that passes every call to `inner`, except those `overrides` replace.
 *
 * @example
 * ```ts
 * let gets = 0;
 * const counting = forwardingStore(inner, {
 *   get: (key) => {
 *     gets++;
 *     return inner.get(key);
 *   },
 * });
 * ```
 */
export function forwardingStore(inner: Store, overrides: Partial<Store> = {}): Store {
  return {
    get: (key) => inner.get(key),
    list: (prefix, options) => inner.list(prefix, options),
    create: (key, value) => inner.create(key, value),
    update: (key, value, rev) => inner.update(key, value, rev),
    delete: (key, rev) => inner.delete(key, rev),
    watch: (prefix, afterRevision) => inner.watch(prefix, afterRevision),
    compact: (rev) => inner.compact(rev),
    revision: () => inner.revision(),
    compactedRevision: () => inner.compactedRevision(),
    close: () => inner.close(),
    ...overrides,
  };
}

/**
 * A store wrapper that breaks on command, for testing what sits above a store (informers,
 * controllers) against the failures a real backend has: watches that drop, and watches that
 * fail.
 *
 * @example
 * ```ts
 * const store = faultyStore(memoryStore());
 * // … an informer is watching …
 * store.dropWatches();                              // every open watch completes, as on a lost connection
 * store.failWatches(new Error('connection reset')); // every open watch errors
 * ```
 *
 * @module
 */
import { Observable, type Subscriber } from 'rxjs';
import type { Store, StoreEvent } from '../store/store.js';

/** A {@link Store} whose watches can be dropped or failed on demand. */
export interface FaultyStore extends Store {
  /** Complete every open watch (the watcher sees a normal end and must resume). */
  dropWatches(): void;
  /** Error every open watch with `error`. */
  failWatches(error: unknown): void;
  /** Make the next `count` calls to `watch` fail at once with `error`. */
  failNextWatches(count: number, error: unknown): void;
  /** How many watches are open. */
  readonly openWatches: number;
}

/** Wrap `inner` so its watches can be broken on demand. Everything else passes through. */
export function faultyStore(inner: Store): FaultyStore {
  const open = new Set<Subscriber<StoreEvent>>();
  let failNext = 0;
  let failError: unknown;
  return {
    get: (key) => inner.get(key),
    list: (prefix, options) => inner.list(prefix, options),
    create: (key, value) => inner.create(key, value),
    update: (key, value, rev) => inner.update(key, value, rev),
    delete: (key, rev) => inner.delete(key, rev),
    compact: (rev) => inner.compact(rev),
    revision: () => inner.revision(),
    compactedRevision: () => inner.compactedRevision(),
    close: () => inner.close(),
    watch(prefix, afterRevision) {
      return new Observable<StoreEvent>((subscriber) => {
        if (failNext > 0) {
          failNext--;
          subscriber.error(failError);
          return undefined;
        }
        open.add(subscriber);
        const sub = inner.watch(prefix, afterRevision).subscribe(subscriber);
        return () => {
          open.delete(subscriber);
          sub.unsubscribe();
        };
      });
    },
    dropWatches() {
      for (const s of [...open]) s.complete();
    },
    failWatches(error) {
      for (const s of [...open]) s.error(error);
    },
    failNextWatches(count, error) {
      failNext = count;
      failError = error;
    },
    get openWatches() {
      return open.size;
    },
  };
}

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
 * store.failNextWatches(1, new Error('refused'));   // the next watch fails as it opens
 * store.closeNextWatches(3);                        // the next 3 watches complete as they open
 * store.watchCalls;                                 // [{ prefix, afterRevision }, …]: every watch asked for
 * ```
 *
 * @module
 */
import { Observable, type Subscriber } from 'rxjs';
import type { Store, StoreEvent } from '../store/store.js';
import { forwardingStore } from './forwarding-store.js';

/** A {@link Store} whose watches can be dropped or failed on demand. */
export interface FaultyStore extends Store {
  /** Complete every open watch (the watcher sees a normal end and must resume). */
  dropWatches(): void;
  /** Error every open watch with `error`. */
  failWatches(error: unknown): void;
  /** Make the next `count` calls to `watch` fail at once with `error`. */
  failNextWatches(count: number, error: unknown): void;
  /** Make the next `count` calls to `watch` complete at once, with no event (a server closing watches as they open). */
  closeNextWatches(count: number): void;
  /** How many watches are open. */
  readonly openWatches: number;
  /** Every call to `watch` so far, in order, with the revision it asked to watch after. */
  readonly watchCalls: readonly { readonly prefix: string; readonly afterRevision: number }[];
  /** How many calls to `list` so far. */
  readonly listCalls: number;
}

/** Wrap `inner` so its watches can be broken on demand. Everything else passes through. */
export function faultyStore(inner: Store): FaultyStore {
  const open = new Set<Subscriber<StoreEvent>>();
  let failNext = 0;
  let failError: unknown;
  let closeNext = 0;
  let listCalls = 0;
  const watchCalls: { prefix: string; afterRevision: number }[] = [];
  const store = forwardingStore(inner, {
    list: (prefix, options) => {
      listCalls++;
      return inner.list(prefix, options);
    },
    watch(prefix, afterRevision) {
      return new Observable<StoreEvent>((subscriber) => {
        watchCalls.push({ prefix, afterRevision });
        if (failNext > 0) {
          failNext--;
          subscriber.error(failError);
          return undefined;
        }
        if (closeNext > 0) {
          closeNext--;
          subscriber.complete();
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
  });
  return {
    ...store,
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
    closeNextWatches(count) {
      closeNext = count;
    },
    get openWatches() {
      return open.size;
    },
    get watchCalls() {
      return watchCalls;
    },
    get listCalls() {
      return listCalls;
    },
  };
}

/**
 * The in-memory store: Harbormaster's default backend and the one tests use.
 *
 * It keeps the whole `Store` contract in one process, with nothing to set up:
 *
 * - One global revision; every create, update and delete takes the next one. Updates and deletes
 *   are compare-and-swap on the key's modRevision.
 * - MVCC: each key keeps its versions inside the retained history, so a list can read at a past
 *   revision and every page of a paged list comes from the snapshot of the first.
 * - Watches replay the retained history after a revision, then follow live writes. Watchers are
 *   notified synchronously, inside the write, in revision order: when a write resolves, every open
 *   watch has its event.
 * - History is bounded: only the `historyLimit` most recent revisions are retained; older ones are
 *   compacted as writes go on, and `compact(revision)` compacts explicitly. Lists and watches below
 *   the compacted revision fail with `CompactedError`.
 * - Values are owned by the store: a write copies the caller's value once into a deep-frozen copy,
 *   and every reader (get, list, watch) gets that same frozen object, never a copy. Copy it before
 *   changing it.
 *
 * Costs: `get` is one hash lookup; a write is a hash update, a sorted-key insert for a new key and
 * one pass over the watchers; a list at the current revision walks only the keys under the prefix
 * (a list at a past revision additionally binary-searches each key's few versions).
 *
 * @example
 * ```ts
 * import { memoryStore } from '@harbormaster/store-memory';
 *
 * const store = memoryStore({ historyLimit: 1000 });
 * const created = await store.create('/registry/configmaps/default/settings', { data: { mode: 'fast' } });
 * store.watch('/registry/configmaps/', created.modRevision).subscribe((event) => {
 *   console.log(event.type, event.entry.key, event.revision); // updated /registry/configmaps/default/settings 2
 * });
 * await store.update('/registry/configmaps/default/settings', { data: { mode: 'safe' } }, created.modRevision);
 * const page = await store.list('/registry/configmaps/', { limit: 100 }); // page.items, page.continue
 * await store.close();
 * ```
 *
 * @module
 */
import {
  CompactedError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionConflictError,
  StoreClosedError,
} from '@harbormaster/core';
import type { DeletedEntry, Entry, JsonValue, StoreListOptions as ListOptions, StoreListResult as ListResult, Store, StoreEvent } from '@harbormaster/core';
import { Observable, type Subscriber } from 'rxjs';
import { decodeContinueToken, encodeContinueToken, invalidToken } from './continue-token.js';
import { frozenJsonCopy } from './frozen-json.js';
import { SortedKeys } from './sorted-keys.js';

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /**
   * How many of the most recent revisions keep their history. Once the store is more than this
   * many revisions past its compacted revision, each write compacts the oldest one away, so that
   * `compactedRevision() === revision() - historyLimit`. Watches and lists can go back this far and
   * no further. `Infinity` keeps everything (until `compact` is called); `0` keeps only the present.
   * @default 10_000
   */
  readonly historyLimit?: number;
}

/**
 * Create an in-memory {@link Store}. See the module documentation for its guarantees and costs.
 *
 * Besides the contract's errors: a value that is not JSON (a function, `NaN`, a `Date`, a class
 * instance, a circular object, …) is refused with a `TypeError` before any revision is taken;
 * properties set to `undefined` are dropped, as `JSON.stringify` does. A list given both
 * `continue` and `revision` reads at the token's revision.
 *
 * @throws `RangeError` if `historyLimit` is not a non-negative integer or `Infinity`.
 *
 * @example
 * ```ts
 * const store = memoryStore();
 * await store.create('/registry/pods/default/web-0', { spec: { nodeName: 'n1' } });
 * (await store.get('/registry/pods/default/web-0'))?.value; // { spec: { nodeName: 'n1' } }, frozen
 * ```
 */
export function memoryStore(options: MemoryStoreOptions = {}): Store {
  const historyLimit = options.historyLimit ?? 10_000;
  if (!(historyLimit === Infinity || (Number.isSafeInteger(historyLimit) && historyLimit >= 0))) {
    throw new RangeError(`historyLimit must be a non-negative integer or Infinity, got ${historyLimit}`);
  }
  return new MemoryStore(historyLimit);
}

/**
 * The versions of one key that matter for reads at retained revisions, oldest first: the events
 * (created, updated, deleted) with a revision above the compacted revision, preceded by the one
 * that gave the key its state at the compacted revision. Never empty; the last event is the key's
 * current state (absent if it is a deletion).
 */
type KeyHistory = StoreEvent[];

/** One open watch that has caught up with the log and now receives live events. */
interface Watcher {
  readonly prefix: string;
  /** The newest revision this watcher has been given (or has skipped as before its start). */
  last: number;
  readonly subscriber: Subscriber<StoreEvent>;
}

class MemoryStore implements Store {
  readonly #historyLimit: number;
  #revision = 0;
  #compactedRevision = 0;
  #closed = false;
  /** Every key with a current value or with retained history. */
  #keys = new Map<string, KeyHistory>();
  /** The keys of `#keys`, sorted, for prefix scans. */
  #sorted = new SortedKeys();
  /** Events above the compacted revision: revision r is at `#log[#logStart + r - #compactedRevision - 1]`. */
  #log: StoreEvent[] = [];
  #logStart = 0;
  #watchers = new Set<Watcher>();
  /** Events written while watchers were being notified (by a watcher), delivered after, in order. */
  #pending: StoreEvent[] = [];
  #notifying = false;

  constructor(historyLimit: number) {
    this.#historyLimit = historyLimit;
  }

  async get(key: string): Promise<Entry | undefined> {
    this.#assertOpen();
    return currentEntry(this.#keys.get(key));
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.#assertOpen();
    const limit = options.limit ?? 0;
    if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
    let revision: number;
    let after: string | undefined;
    /** Items left after `after` in the snapshot, known from the token when continuing. */
    let known: number | undefined;
    if (options.continue !== undefined) {
      const token = decodeContinueToken(options.continue);
      if (!token.lastKey.startsWith(prefix)) {
        throw invalidToken(options.continue, undefined, `it continues a list of another prefix than ${JSON.stringify(prefix)}`);
      }
      if (token.revision > this.#revision) throw invalidToken(options.continue, undefined, 'its revision is in the future');
      revision = token.revision;
      after = token.lastKey;
      known = token.remaining;
    } else {
      revision = options.revision ?? this.#revision;
      checkRevision(revision, 'revision');
      if (revision > this.#revision) {
        throw new RangeError(`revision ${revision} is newer than the store's revision ${this.#revision}`);
      }
    }
    if (revision < this.#compactedRevision) throw new CompactedError(revision, this.#compactedRevision);

    const keys = this.#keys;
    const atCurrent = revision === this.#revision;
    const items: Entry[] = [];
    // Past a full page, only count, and only on a first page: a continued one knows the count.
    let counted = 0;
    this.#sorted.scan(after ?? prefix, after !== undefined, (key) => {
      if (!key.startsWith(prefix)) return false;
      const history = keys.get(key);
      const entry = atCurrent ? currentEntry(history) : entryAt(history, revision);
      if (entry === undefined) return true;
      if (limit === 0 || items.length < limit) {
        items.push(entry);
        return true;
      }
      counted++;
      return known === undefined;
    });
    const remaining = known === undefined ? counted : Math.max(0, known - items.length);
    const last = items[items.length - 1];
    if (remaining === 0 || last === undefined) return { items, revision };
    return {
      items,
      revision,
      continue: encodeContinueToken({ revision, lastKey: last.key, remaining }),
      remainingItemCount: remaining,
    };
  }

  async create(key: string, value: JsonValue): Promise<Entry> {
    this.#assertOpen();
    const history = this.#keys.get(key);
    if (currentEntry(history) !== undefined) throw new KeyExistsError(key);
    const frozen = frozenJsonCopy(value);
    const revision = ++this.#revision;
    const entry: Entry = Object.freeze({ key, value: frozen, createRevision: revision, modRevision: revision });
    const event: StoreEvent = Object.freeze({ type: 'created', revision, entry });
    if (history === undefined) {
      this.#keys.set(key, [event]);
      this.#sorted.add(key);
    } else {
      history.push(event);
    }
    this.#commit(event);
    return entry;
  }

  async update(key: string, value: JsonValue, expectedModRevision: number): Promise<Entry> {
    this.#assertOpen();
    const history = this.#keys.get(key);
    const prev = currentEntry(history);
    if (history === undefined || prev === undefined) throw new KeyNotFoundError(key);
    if (prev.modRevision !== expectedModRevision) throw new RevisionConflictError(key, expectedModRevision, prev.modRevision);
    const frozen = frozenJsonCopy(value);
    const revision = ++this.#revision;
    const entry: Entry = Object.freeze({ key, value: frozen, createRevision: prev.createRevision, modRevision: revision });
    const event: StoreEvent = Object.freeze({ type: 'updated', revision, entry, prev });
    history.push(event);
    this.#commit(event);
    return entry;
  }

  async delete(key: string, expectedModRevision?: number): Promise<DeletedEntry> {
    this.#assertOpen();
    const history = this.#keys.get(key);
    const prev = currentEntry(history);
    if (history === undefined || prev === undefined) throw new KeyNotFoundError(key);
    if (expectedModRevision !== undefined && prev.modRevision !== expectedModRevision) {
      throw new RevisionConflictError(key, expectedModRevision, prev.modRevision);
    }
    const revision = ++this.#revision;
    const entry: Entry = Object.freeze({ ...prev, modRevision: revision });
    const event: StoreEvent = Object.freeze({ type: 'deleted', revision, entry, prev });
    history.push(event);
    this.#commit(event);
    return Object.freeze({ ...prev, deleteRevision: revision });
  }

  watch(prefix: string, afterRevision: number): Observable<StoreEvent> {
    return new Observable<StoreEvent>((subscriber) => {
      if (this.#closed) {
        subscriber.error(new StoreClosedError());
        return undefined;
      }
      if (!Number.isSafeInteger(afterRevision) || afterRevision < 0) {
        subscriber.error(new RangeError(`afterRevision must be a non-negative integer, got ${afterRevision}`));
        return undefined;
      }
      // Replay the retained history. A subscriber may write (or compact, or close) from inside
      // `next`, so re-read the store's state on every step.
      for (let next = afterRevision + 1; next <= this.#revision; next++) {
        if (subscriber.closed) return undefined;
        if (this.#closed) {
          subscriber.complete();
          return undefined;
        }
        if (next <= this.#compactedRevision) {
          subscriber.error(new CompactedError(afterRevision, this.#compactedRevision));
          return undefined;
        }
        const event = this.#log[this.#logStart + next - this.#compactedRevision - 1]!;
        if (event.entry.key.startsWith(prefix)) subscriber.next(event);
      }
      if (subscriber.closed) return undefined;
      if (this.#closed) {
        subscriber.complete();
        return undefined;
      }
      // Caught up: from here on, #notify delivers. Events up to `last` were replayed (or precede
      // afterRevision), including any still queued in #pending.
      const watcher: Watcher = { prefix, last: Math.max(this.#revision, afterRevision), subscriber };
      this.#watchers.add(watcher);
      return () => {
        this.#watchers.delete(watcher);
      };
    });
  }

  async compact(revision: number): Promise<void> {
    this.#assertOpen();
    checkRevision(revision, 'revision');
    if (revision > this.#revision) {
      throw new RangeError(`cannot compact to revision ${revision}: the store is at revision ${this.#revision}`);
    }
    if (revision > this.#compactedRevision) this.#compactTo(revision);
  }

  async revision(): Promise<number> {
    this.#assertOpen();
    return this.#revision;
  }

  async compactedRevision(): Promise<number> {
    this.#assertOpen();
    return this.#compactedRevision;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const watchers = [...this.#watchers];
    this.#watchers.clear();
    this.#pending.length = 0;
    this.#keys = new Map();
    this.#sorted = new SortedKeys();
    this.#log = [];
    this.#logStart = 0;
    for (const watcher of watchers) watcher.subscriber.complete();
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreClosedError();
  }

  /** Append a written event to the log, compact past the history limit, notify watchers. */
  #commit(event: StoreEvent): void {
    this.#log.push(event);
    if (this.#revision - this.#compactedRevision > this.#historyLimit) this.#compactTo(this.#revision - this.#historyLimit);
    if (this.#watchers.size === 0) return;
    if (this.#notifying) {
      // A watcher wrote from inside its callback: finish the current event for every watcher first.
      this.#pending.push(event);
      return;
    }
    this.#notifying = true;
    try {
      this.#notify(event);
      for (let i = 0; i < this.#pending.length; i++) this.#notify(this.#pending[i]!);
    } finally {
      this.#pending.length = 0;
      this.#notifying = false;
    }
  }

  #notify(event: StoreEvent): void {
    const key = event.entry.key;
    const revision = event.revision;
    for (const watcher of this.#watchers) {
      if (watcher.last < revision && key.startsWith(watcher.prefix)) {
        watcher.last = revision;
        watcher.subscriber.next(event);
      }
    }
  }

  /** Drop the history up to and including `revision` (above the compacted revision, at most the current one). */
  #compactTo(revision: number): void {
    const from = this.#compactedRevision;
    const log = this.#log;
    for (let r = from + 1; r <= revision; r++) {
      this.#prune(log[this.#logStart + r - from - 1]!.entry.key, revision);
    }
    this.#logStart += revision - from;
    this.#compactedRevision = revision;
    // Drop the compacted head of the log now and then; amortized O(1) per event.
    if (this.#logStart >= 1024 && this.#logStart * 2 >= log.length) {
      this.#log = log.slice(this.#logStart);
      this.#logStart = 0;
    }
  }

  /** Drop the versions of `key` that no read at or above `revision` can see. */
  #prune(key: string, revision: number): void {
    const history = this.#keys.get(key);
    if (history === undefined) return;
    let drop = 0;
    // A version replaced at or before `revision` is invisible from `revision` on.
    while (drop + 1 < history.length && history[drop + 1]!.revision <= revision) drop++;
    // So is a deletion at or before it.
    const first = history[drop]!;
    if (first.type === 'deleted' && first.revision <= revision) drop++;
    if (drop === history.length) {
      this.#keys.delete(key);
      this.#sorted.delete(key);
    } else if (drop > 0) {
      history.splice(0, drop);
    }
  }
}

/** The current entry of a key, or undefined if it has none (never written, or deleted). */
function currentEntry(history: KeyHistory | undefined): Entry | undefined {
  if (history === undefined) return undefined;
  const last = history[history.length - 1]!;
  return last.type === 'deleted' ? undefined : last.entry;
}

/** The entry of a key at a retained `revision`, or undefined if it had none then. */
function entryAt(history: KeyHistory | undefined, revision: number): Entry | undefined {
  if (history === undefined) return undefined;
  // The last version at or before `revision`.
  let lo = 0;
  let hi = history.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (history[mid]!.revision <= revision) lo = mid + 1;
    else hi = mid;
  }
  const version = history[lo - 1];
  return version === undefined || version.type === 'deleted' ? undefined : version.entry;
}

function checkRevision(revision: number, name: string): void {
  if (!Number.isSafeInteger(revision) || revision < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${revision}`);
  }
}

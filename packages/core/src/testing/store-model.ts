/**
 * A reference model of the `Store` contract, used by the store conformance suite as the
 * oracle a backend is compared against.
 *
 * The model is written to be obviously correct, not fast: it keeps every event ever written, in
 * revision order, and answers a read at any revision by replaying that log from the start. It is
 * synchronous and throws the same errors a store rejects with. Compaction only moves the compacted
 * revision (so that reads below it fail as the contract says); the model never forgets history.
 *
 * List continuation is modelled by an explicit {@link ModelCursor} (snapshot revision and last key)
 * where a store hands out an opaque token.
 *
 * @example
 * ```ts
 * const model = new StoreModel();
 * model.create('/a/x', { n: 1 });                        // revision 1
 * model.update('/a/x', { n: 2 }, 1);                     // revision 2
 * model.delete('/a/x').deleteRevision;                   // 3
 * model.list('/a/', { revision: 1 }).items;              // [{ key: '/a/x', value: { n: 1 }, … }]
 * model.events('/a/', 0).map((e) => e.type);             // ['created', 'updated', 'deleted']
 * ```
 *
 * @module
 */
import { CompactedError, KeyExistsError, KeyNotFoundError, RevisionConflictError } from '../store/errors.js';
import type { DeletedEntry, Entry, JsonValue, StoreEvent } from '../store/store.js';

/** Where a paged list continues: the model's stand-in for a store's opaque continue token. */
export interface ModelCursor {
  /** The snapshot revision of the first page. */
  readonly revision: number;
  /** The key of the last item already returned. */
  readonly lastKey: string;
}

/** Options of {@link StoreModel.list}, mirroring the store's `ListOptions`. */
export interface ModelListOptions {
  /** At most this many items; `0` or absent: all. */
  readonly limit?: number;
  /** Read at this revision instead of the current one (ignored when `after` is given). */
  readonly revision?: number;
  /** Continue a previous list after this cursor, at the cursor's snapshot revision. */
  readonly after?: ModelCursor;
}

/** One page of {@link StoreModel.list}, mirroring the store's `ListResult`. */
export interface ModelListResult {
  /** The entries under the prefix, in key order. */
  readonly items: Entry[];
  /** The revision the page was read at. */
  readonly revision: number;
  /** Present when more items remain. */
  readonly next?: ModelCursor;
  /** Present with `next`: how many items remain after this page. */
  readonly remainingItemCount?: number;
}

/** An obviously-correct, synchronous, in-memory model of the `Store` contract. */
export class StoreModel {
  /** Every event, in revision order: `#history[i].revision === i + 1`. */
  readonly #history: StoreEvent[] = [];
  /** The current entry of every live key. */
  readonly #current = new Map<string, Entry>();
  #compactedRevision = 0;

  /** The current revision (the number of writes so far). */
  get revision(): number {
    return this.#history.length;
  }

  /** The newest compacted revision. */
  get compactedRevision(): number {
    return this.#compactedRevision;
  }

  /** Every event so far, in revision order. */
  get history(): readonly StoreEvent[] {
    return this.#history;
  }

  /** The current entry of `key`, or `undefined`. */
  get(key: string): Entry | undefined {
    return this.#current.get(key);
  }

  /**
   * Create `key` at the next revision.
   * @throws {@link @harbormaster/core!KeyExistsError | KeyExistsError} if the key exists.
   */
  create(key: string, value: JsonValue): Entry {
    if (this.#current.has(key)) throw new KeyExistsError(key);
    const revision = this.revision + 1;
    const entry: Entry = { key, value: structuredClone(value), createRevision: revision, modRevision: revision };
    this.#record({ type: 'created', revision, entry });
    return entry;
  }

  /**
   * Replace the value of `key` if its modRevision is `expectedModRevision`.
   * @throws {@link @harbormaster/core!KeyNotFoundError | KeyNotFoundError} if the key does not exist.
   * @throws {@link @harbormaster/core!RevisionConflictError | RevisionConflictError} if its modRevision differs.
   */
  update(key: string, value: JsonValue, expectedModRevision: number): Entry {
    const prev = this.#current.get(key);
    if (prev === undefined) throw new KeyNotFoundError(key);
    if (prev.modRevision !== expectedModRevision) {
      throw new RevisionConflictError(key, expectedModRevision, prev.modRevision);
    }
    const revision = this.revision + 1;
    const entry: Entry = { key, value: structuredClone(value), createRevision: prev.createRevision, modRevision: revision };
    this.#record({ type: 'updated', revision, entry, prev });
    return entry;
  }

  /**
   * Delete `key`, if given only when its modRevision is `expectedModRevision`; returns the entry as
   * it was before the delete, with the revision of the delete as `deleteRevision`.
   * @throws {@link @harbormaster/core!KeyNotFoundError | KeyNotFoundError} if the key does not exist.
   * @throws {@link @harbormaster/core!RevisionConflictError | RevisionConflictError} if its modRevision differs.
   */
  delete(key: string, expectedModRevision?: number): DeletedEntry {
    const prev = this.#current.get(key);
    if (prev === undefined) throw new KeyNotFoundError(key);
    if (expectedModRevision !== undefined && prev.modRevision !== expectedModRevision) {
      throw new RevisionConflictError(key, expectedModRevision, prev.modRevision);
    }
    const revision = this.revision + 1;
    this.#record({ type: 'deleted', revision, entry: { ...prev, modRevision: revision }, prev });
    return { ...prev, deleteRevision: revision };
  }

  /**
   * The live entries at `revision`, computed by replaying the whole history up to it.
   * @throws `RangeError` if `revision` is newer than the model.
   */
  stateAt(revision: number): Map<string, Entry> {
    if (revision > this.revision) throw new RangeError(`revision ${revision} is in the future (current ${this.revision})`);
    const state = new Map<string, Entry>();
    for (const event of this.#history) {
      if (event.revision > revision) break;
      if (event.type === 'deleted') state.delete(event.entry.key);
      else state.set(event.entry.key, event.entry);
    }
    return state;
  }

  /**
   * Entries under `prefix` in ascending key order (UTF-16 code unit order, as `<` compares), at the
   * current revision, at `options.revision`, or continuing `options.after`.
   * @throws {@link @harbormaster/core!CompactedError | CompactedError} if the read revision is below the compacted revision.
   * @throws `RangeError` if it is newer than the model.
   */
  list(prefix: string, options: ModelListOptions = {}): ModelListResult {
    const revision = options.after?.revision ?? options.revision ?? this.revision;
    if (revision > this.revision) throw new RangeError(`revision ${revision} is in the future (current ${this.revision})`);
    if (revision < this.#compactedRevision) throw new CompactedError(revision, this.#compactedRevision);
    const lastKey = options.after?.lastKey;
    const matching = [...this.stateAt(revision).values()]
      .filter((entry) => entry.key.startsWith(prefix) && (lastKey === undefined || entry.key > lastKey))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const limit = options.limit ?? 0;
    if (limit <= 0 || matching.length <= limit) return { items: matching, revision };
    const items = matching.slice(0, limit);
    const last = items[items.length - 1];
    if (last === undefined) throw new Error('unreachable: a page with a limit above 0 is never empty here');
    return { items, revision, next: { revision, lastKey: last.key }, remainingItemCount: matching.length - limit };
  }

  /**
   * The events a watch of `prefix` from `afterRevision` must deliver, as of now.
   * @throws {@link @harbormaster/core!CompactedError | CompactedError} if `afterRevision` is below the compacted revision.
   */
  events(prefix: string, afterRevision: number): StoreEvent[] {
    if (afterRevision < this.#compactedRevision) throw new CompactedError(afterRevision, this.#compactedRevision);
    return this.#history.filter((event) => event.revision > afterRevision && event.entry.key.startsWith(prefix));
  }

  /**
   * Move the compacted revision to `revision`; a no-op at or below the current one.
   * @throws `RangeError` if `revision` is newer than the model.
   */
  compact(revision: number): void {
    if (revision > this.revision) throw new RangeError(`revision ${revision} is in the future (current ${this.revision})`);
    if (revision > this.#compactedRevision) this.#compactedRevision = revision;
  }

  #record(event: StoreEvent): void {
    this.#history.push(event);
    if (event.type === 'deleted') this.#current.delete(event.entry.key);
    else this.#current.set(event.entry.key, event.entry);
  }
}

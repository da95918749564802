/**
 * `sqliteStore({ path })`: a durable {@link Store} in one SQLite file (better-sqlite3, WAL mode),
 * safe for several processes on one machine.
 *
 * **Layout.** One log-structured table in the manner of kine: every write (create, update,
 * delete) appends a row whose id is its revision; a row names the row it supersedes
 * (`prev_revision`), and a delete is a row too. The current value of a key is its newest row;
 * reading at an older revision takes the newest row at or below it. See `schema.ts`.
 *
 * **Guarantees.**
 * - *Durability*: a write resolves only after its transaction has committed. With
 *   `synchronous: 'full'` (the default) the WAL is fsynced at each commit, so an acknowledged write
 *   survives a crash of the process, the OS or the power. With `'normal'` it survives a crash of
 *   the process, but the last commits before a power loss may be lost (never corrupted).
 * - *Group commit*: writes that arrive together (before the event loop turns) commit in one
 *   `BEGIN IMMEDIATE … COMMIT`; each is still compare-and-swap checked on its own, a failed check
 *   fails only that write, and every write is acknowledged after the commit.
 * - *Across processes*: writers serialize on SQLite's write lock (`BEGIN IMMEDIATE`, waiting up to
 *   `busyTimeoutMs`), so revisions are assigned in commit order, without gaps, and
 *   compare-and-swap holds between processes. Before it takes the lock, a write hands what others
 *   committed to this store's watchers; under the lock it reads at most a page (512 rows) of what
 *   they committed meanwhile, and the rest after its commit, so a long gap never lengthens the lock.
 * - *Watch*: writes made through a store object reach that object's watchers as soon as they
 *   commit. Immediate notification is per store object, not per process: every other writer
 *   (another process, or another `sqliteStore` object on the same file in this process, which is
 *   a connection of its own) is found by polling the revision every `pollIntervalMs` (and at every
 *   `revision()` call and before each write), reading the rows after the last one delivered, in id
 *   order: no event is lost or reordered. Open one store per file in a process and share it to
 *   have every write of the process delivered at once. A watcher that falls behind the compacted
 *   revision errors with `CompactedError`. That happens only when a compaction passes rows this
 *   store object has not read yet: one by another store object before this one looked, or (rarely)
 *   this object's own, if more than a page of others' writes came in each of the three times it
 *   waited for the write lock.
 * - *Compaction*: `compact(rev)` deletes the rows superseded at or below `rev` and deletes at or
 *   below `rev`; the current value of every key stays. By default the store also compacts itself
 *   every 5 minutes, keeping at least the last 10,000 revisions of history (`compaction`).
 *
 * better-sqlite3 is synchronous: queries run on the calling thread. Reads are short; a write
 * batch waits on the disk's fsync, and on another process's write lock up to `busyTimeoutMs`.
 *
 * @example
 * ```ts
 * import { sqliteStore } from '@harbormaster/store-sqlite';
 *
 * const store = sqliteStore({ path: './state.db' });
 * const created = await store.create('/registry/configmaps/default/app', { data: { k: 'v' } });
 * await store.update('/registry/configmaps/default/app', { data: { k: 'w' } }, created.modRevision);
 * store.watch('/registry/configmaps/', created.modRevision).subscribe((event) => console.log(event.type));
 * await store.close();
 * ```
 *
 * @module
 */
import type Database from 'better-sqlite3';
import { Observable, type Subscriber } from 'rxjs';
import {
  CompactedError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionConflictError,
  StoreClosedError,
  StoreError,
  systemClock,
  type Clock,
  type DeletedEntry,
  type Entry,
  type JsonValue,
  type StoreListOptions as ListOptions,
  type StoreListResult as ListResult,
  type Store,
  type StoreEvent,
  type TimerHandle,
} from '@harbormaster/core';
import { Change, parseValue, type LogRow } from './change.js';
import { prefixRange, type PrefixRange } from './prefix-range.js';
import { MIGRATIONS, Op, openDatabase, type Migration } from './schema.js';

/** Options of {@link sqliteStore}. */
export interface SqliteStoreOptions {
  /** The database file. Created, with its directory's `-wal` and `-shm` companions, if absent. */
  readonly path: string;
  /**
   * SQLite's `synchronous` pragma. `'full'`: an acknowledged write survives power loss.
   * `'normal'`: faster on slow disks; survives a process crash, but the last writes before a power
   * loss or OS crash may be rolled back (the file stays consistent).
   * @default 'full'
   */
  readonly synchronous?: 'full' | 'normal';
  /**
   * How long a write waits for another process's write lock before failing with `SQLITE_BUSY`.
   * The wait blocks the event loop (better-sqlite3 is synchronous). A non-negative integer.
   * @default 5000
   */
  readonly busyTimeoutMs?: number;
  /**
   * While a watch is open, how often to look for writes of other store objects on the file: the
   * longest such a write waits before this store's watchers see it. Writes made through this store
   * object are delivered at once regardless. "Other" means another object, not only another
   * process: two `sqliteStore` objects on one file in one process also see each other's writes
   * only by polling. The poll timer keeps the process alive while a watch is open, as an open
   * socket would; unsubscribe or close the store to let it exit. A positive, finite number
   * (a `RangeError` otherwise).
   * @default 100
   */
  readonly pollIntervalMs?: number;
  /**
   * Automatic compaction: every `intervalMs`, compact to the current revision minus
   * `minRetainedRevisions`, so that watchers and list pages have that much history to catch up
   * from. `false` turns it off (call {@link Store.compact} yourself). `intervalMs` must be a
   * positive, finite number and `minRetainedRevisions` a non-negative integer (a `RangeError`
   * otherwise).
   * @default { intervalMs: 300_000, minRetainedRevisions: 10_000 }
   */
  readonly compaction?: false | { readonly intervalMs?: number; readonly minRetainedRevisions?: number };
  /**
   * The clock the poll and compaction timers use.
   * @default systemClock
   */
  readonly clock?: Clock;
}

/**
 * Open (or create) the store in `options.path`.
 *
 * Watchers of the returned store see the writes made through it at once, and every other write to
 * the file (another process's, or another store object's in this process) within
 * `pollIntervalMs`: immediate notification is per store object. Open one store per file in a
 * process and share it.
 *
 * @throws `NotAStoreDatabaseError` if the file is not a Harbormaster store (nothing is
 *   written to it).
 * @throws `SchemaTooNewError` if a newer version of this package wrote it (nothing is
 *   written to it).
 * @throws `RangeError` naming the option if `pollIntervalMs`, `busyTimeoutMs`,
 *   `compaction.intervalMs` or `compaction.minRetainedRevisions` is out of range (before the file
 *   is opened).
 *
 * @example
 * ```ts
 * const store = sqliteStore({ path: '/var/lib/app/state.db', pollIntervalMs: 50 });
 * ```
 */
export function sqliteStore(options: SqliteStoreOptions): Store {
  return new SqliteStore(options, {});
}

/** For tests: what they can change or observe inside a store. Not exported from the package. */
export interface SqliteStoreInternals {
  /** @default MIGRATIONS */
  readonly migrations?: readonly Migration[];
  /**
   * Called in a write transaction that reads rows of other store objects while it holds the write
   * lock, with how many it read.
   */
  readonly onCatchUpUnderLock?: (rows: number) => void;
}

/** For tests: a store opened with other migrations. */
export function sqliteStoreWithMigrations(options: SqliteStoreOptions, migrations: readonly Migration[]): Store {
  return new SqliteStore(options, { migrations });
}

/** For tests: a store with {@link SqliteStoreInternals}. */
export function sqliteStoreWithInternals(options: SqliteStoreOptions, internals: SqliteStoreInternals): Store {
  return new SqliteStore(options, internals);
}

/**
 * Rows read per query when replaying or polling, and the most rows of other processes a write
 * transaction reads while it holds the write lock.
 */
const PAGE_SIZE = 512;
/**
 * How often a compaction starts over when more than a page of other processes' writes arrived
 * while it waited for the write lock (it reads them outside the lock, then tries again).
 */
const COMPACTION_ATTEMPTS = 3;
/** Writes per transaction at most; more queued writes go in the next one. */
const MAX_BATCH = 4096;

type Pending<T> = { readonly resolve: (value: T) => void; readonly reject: (error: unknown) => void };
type WriteRequest =
  | ({ readonly kind: 'create'; readonly key: string; readonly json: string } & Pending<Entry>)
  | ({ readonly kind: 'update'; readonly key: string; readonly json: string; readonly expected: number } & Pending<Entry>)
  | ({ readonly kind: 'delete'; readonly key: string; readonly expected: number | undefined } & Pending<DeletedEntry>);
type CompactRequest = { readonly kind: 'compact'; readonly revision: number } & Pending<void>;
type Request = WriteRequest | CompactRequest;

interface Watcher {
  readonly prefix: string;
  /** Every change at or below this revision has been handled for this watcher. */
  position: number;
  readonly subscriber: Subscriber<StoreEvent>;
}

interface LatestRow {
  readonly id: number;
  readonly op: Op;
  readonly create_revision: number;
  readonly value: string | null;
}

/** What a write transaction found of other processes' writes before its own. */
interface CatchUp {
  /** The revision before this transaction's own writes. */
  readonly head: number;
  /** Other processes' changes after the last delivered one, in id order: one page at most. */
  readonly changes: Change[];
  /**
   * Every change at or below this revision is in `changes` (or was delivered before). Below
   * `head` when more than a page was waiting: the rest is read after the commit.
   */
  readonly through: number;
  /** Set when another process compacted past what this one had delivered. */
  readonly compactedPast?: number;
}

/** Where a list page ended: the next page starts after `key`, at `revision`, under `prefix`. */
interface ContinueToken {
  readonly revision: number;
  readonly prefix: string;
  readonly key: string;
}

const CHANGE_COLUMNS = 'l.id, l.key, l.op, l.create_revision, l.prev_revision, l.value, p.value AS prev_value';

class SqliteStore implements Store {
  readonly #db: Database.Database;
  readonly #clock: Clock;
  readonly #pollIntervalMs: number;
  readonly #statements = new Map<string, Database.Statement>();
  readonly #queue: Request[] = [];
  readonly #watchers = new Set<Watcher>();
  readonly #onCatchUpUnderLock: ((rows: number) => void) | undefined;

  /** Every change at or below this revision has been handed to every watcher. */
  #delivered: number;
  #delivering = false;
  #flushScheduled = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  #pollTimer: TimerHandle | undefined;
  #compactionTimer: TimerHandle | undefined;

  constructor(options: SqliteStoreOptions, internals: SqliteStoreInternals) {
    // Options first: a bad one fails before the file is opened or created.
    const busyTimeoutMs = checkTimeout(options.busyTimeoutMs ?? 5000, 'busyTimeoutMs');
    const pollIntervalMs = checkInterval(options.pollIntervalMs ?? 100, 'pollIntervalMs');
    const compaction =
      options.compaction === false
        ? undefined
        : {
            intervalMs: checkInterval(options.compaction?.intervalMs ?? 300_000, 'compaction.intervalMs'),
            retain: checkCount(options.compaction?.minRetainedRevisions ?? 10_000, 'compaction.minRetainedRevisions'),
          };
    this.#db = openDatabase(
      { path: options.path, synchronous: options.synchronous ?? 'full', busyTimeoutMs },
      internals.migrations ?? MIGRATIONS,
    );
    this.#onCatchUpUnderLock = internals.onCatchUpUnderLock;
    this.#clock = options.clock ?? systemClock;
    this.#pollIntervalMs = pollIntervalMs;
    this.#delivered = this.#head();
    if (compaction !== undefined) this.#scheduleCompaction(compaction.intervalMs, compaction.retain);
  }

  // ── reads ────────────────────────────────────────────────────────────────────────────────────

  async get(key: string): Promise<Entry | undefined> {
    this.#assertOpen();
    const row = this.#latest(key);
    if (row === undefined || row.op === Op.delete || row.value === null) return undefined;
    return Object.freeze({ key, value: parseValue(row.value), createRevision: row.create_revision, modRevision: row.id });
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.#assertOpen();
    const token = options.continue === undefined ? undefined : decodeContinue(options.continue, prefix);
    const limit = options.limit ?? 0;
    if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
    const range = prefixRange(prefix);

    return this.#db.transaction((): ListResult => {
      const head = this.#head();
      const compacted = this.#compactedRevision();
      const revision = token?.revision ?? options.revision ?? head;
      if (!Number.isInteger(revision) || revision < 0) throw new RangeError(`revision must be a non-negative integer, got ${revision}`);
      if (revision > head) throw new RangeError(`revision ${revision} is newer than the store's revision ${head}`);
      if (revision < compacted) throw new CompactedError(revision, compacted);

      const after = token?.key;
      const rows = this.#listRows(range, after, revision, limit > 0 ? limit + 1 : -1);
      const more = limit > 0 && rows.length > limit;
      const page = more ? rows.slice(0, limit) : rows;
      const items = page.map(
        (row): Entry =>
          Object.freeze({ key: row.key, value: parseValue(row.value), createRevision: row.create_revision, modRevision: row.id }),
      );
      const last = page[page.length - 1];
      if (!more || last === undefined) return { items, revision };
      return {
        items,
        revision,
        continue: encodeContinue({ revision, prefix, key: last.key }),
        remainingItemCount: this.#countRows(range, last.key, revision),
      };
    })();
  }

  async revision(): Promise<number> {
    this.#assertOpen();
    this.#poll();
    return this.#delivered;
  }

  async compactedRevision(): Promise<number> {
    this.#assertOpen();
    return this.#compactedRevision();
  }

  // ── writes ───────────────────────────────────────────────────────────────────────────────────

  create(key: string, value: JsonValue): Promise<Entry> {
    return this.#enqueue<Entry>((pending) => ({ kind: 'create', key: checkKey(key), json: toJson(value), ...pending }));
  }

  update(key: string, value: JsonValue, expectedModRevision: number): Promise<Entry> {
    return this.#enqueue<Entry>((pending) => ({
      kind: 'update',
      key: checkKey(key),
      json: toJson(value),
      expected: checkRevision(expectedModRevision, 'expectedModRevision'),
      ...pending,
    }));
  }

  delete(key: string, expectedModRevision?: number): Promise<DeletedEntry> {
    return this.#enqueue<DeletedEntry>((pending) => ({
      kind: 'delete',
      key: checkKey(key),
      expected: expectedModRevision === undefined ? undefined : checkRevision(expectedModRevision, 'expectedModRevision'),
      ...pending,
    }));
  }

  compact(revision: number): Promise<void> {
    return this.#enqueue<void>((pending) => ({ kind: 'compact', revision: checkRevision(revision, 'revision'), ...pending }));
  }

  #enqueue<T>(build: (pending: Pending<T>) => Request): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#closed) throw new StoreClosedError();
      this.#queue.push(build({ resolve, reject }));
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  /** Commit everything queued: consecutive writes in one transaction, a compaction in its own. */
  #flush(): void {
    this.#flushScheduled = false;
    while (this.#queue.length > 0) {
      const first = this.#queue[0]!;
      if (first.kind === 'compact') {
        this.#queue.shift();
        this.#runCompaction(first);
        continue;
      }
      let n = 1;
      while (n < this.#queue.length && n < MAX_BATCH && this.#queue[n]!.kind !== 'compact') n++;
      this.#runBatch(this.#queue.splice(0, n) as WriteRequest[]);
    }
  }

  #runBatch(batch: readonly WriteRequest[]): void {
    const done: Array<{ request: WriteRequest; change: Change }> = [];
    const failed: Array<{ request: WriteRequest; error: StoreError }> = [];
    let catchUp: CatchUp;
    this.#catchUpBeforeLock();
    try {
      this.#statement('BEGIN IMMEDIATE').run();
      try {
        catchUp = this.#catchUp();
        let id = catchUp.head;
        for (const request of batch) {
          try {
            // The row's id is the write's revision, for a delete too: its deleteRevision.
            const change = this.#apply(request, id + 1);
            id++;
            done.push({ request, change });
          } catch (e) {
            if (!(e instanceof StoreError)) throw e;
            failed.push({ request, error: e });
          }
        }
        this.#statement('COMMIT').run();
      } finally {
        if (this.#db.inTransaction) this.#statement('ROLLBACK').run();
      }
    } catch (e) {
      for (const request of batch) request.reject(e);
      return;
    }
    this.#afterCommit(catchUp, done.map((d) => d.change));
    for (const { request, change } of done) {
      try {
        if (request.kind === 'delete') request.resolve(change.deleted());
        else request.resolve(change.entry());
      } catch (e) {
        request.reject(e);
      }
    }
    for (const { request, error } of failed) request.reject(error);
  }

  /** Check one write against the key's newest row and append its row with revision `id`. */
  #apply(request: WriteRequest, id: number): Change {
    const { key } = request;
    const current = this.#latest(key);
    const live = current !== undefined && current.op !== Op.delete ? current : undefined;
    switch (request.kind) {
      case 'create': {
        if (live !== undefined) throw new KeyExistsError(key);
        const prevRevision = current?.id ?? 0;
        this.#insert(id, key, Op.create, id, prevRevision, request.json);
        return new Change(id, key, Op.create, id, prevRevision, request.json, null);
      }
      case 'update': {
        if (live === undefined) throw new KeyNotFoundError(key);
        if (live.id !== request.expected) throw new RevisionConflictError(key, request.expected, live.id);
        this.#insert(id, key, Op.update, live.create_revision, live.id, request.json);
        return new Change(id, key, Op.update, live.create_revision, live.id, request.json, live.value);
      }
      case 'delete': {
        if (live === undefined) throw new KeyNotFoundError(key);
        if (request.expected !== undefined && live.id !== request.expected) {
          throw new RevisionConflictError(key, request.expected, live.id);
        }
        this.#insert(id, key, Op.delete, live.create_revision, live.id, null);
        return new Change(id, key, Op.delete, live.create_revision, live.id, null, live.value);
      }
    }
  }

  #runCompaction(request: CompactRequest): void {
    for (let attempt = 1; ; attempt++) {
      let catchUp: CatchUp;
      let retry = false;
      this.#catchUpBeforeLock();
      try {
        this.#statement('BEGIN IMMEDIATE').run();
        try {
          catchUp = this.#catchUp();
          const from = this.#compactedRevision();
          const to = request.revision;
          if (to > catchUp.head) throw new RangeError(`cannot compact to ${to}: the store's revision is ${catchUp.head}`);
          if (catchUp.through < catchUp.head && to > catchUp.through && attempt < COMPACTION_ATTEMPTS) {
            // More than a page of other processes' writes came in while this waited for the lock,
            // and the compaction could delete some of them before this process's watchers have
            // them: release the lock, read them outside it, and start over.
            retry = true;
          } else {
            if (to > from) {
              this.#statement(
                `DELETE FROM log WHERE id IN (
                   SELECT prev_revision FROM log WHERE id > @from AND id <= @to AND prev_revision > 0
                   UNION ALL
                   SELECT id FROM log WHERE id > @from AND id <= @to AND op = ${Op.delete})`,
              ).run({ from, to });
              this.#statement(`UPDATE meta SET value = ? WHERE name = 'compact_revision'`).run(to);
            }
            this.#statement('COMMIT').run();
          }
        } finally {
          if (this.#db.inTransaction) this.#statement('ROLLBACK').run();
        }
      } catch (e) {
        request.reject(e);
        return;
      }
      if (retry) {
        // Committed rows of other processes: delivering them now keeps the order.
        this.#deliver(catchUp.changes);
        continue;
      }
      this.#afterCommit(catchUp, []);
      request.resolve();
      return;
    }
  }

  /**
   * Before taking the write lock: deliver what other processes committed since the last delivered
   * revision, page by page, so that the write transaction has little left to read while it holds
   * the lock (only what they commit while this one waits for it).
   */
  #catchUpBeforeLock(): void {
    if (this.#watchers.size === 0) return;
    try {
      this.#poll();
    } catch {
      // Nothing is lost: #delivered only moves past what was delivered, and the catch-up in the
      // write transaction (or the next poll) reads the rest again and reports what still fails.
    }
  }

  /**
   * Inside a write transaction: read the rows other processes committed since the last delivered
   * one, so that they are delivered before this transaction's own (their ids are lower). One page
   * at most, to keep the write lock short; `#afterCommit` reads the rest, if any.
   */
  #catchUp(): CatchUp {
    const head = this.#head();
    if (head <= this.#delivered || this.#watchers.size === 0) return { head, changes: [], through: head };
    const compacted = this.#compactedRevision();
    if (compacted > this.#delivered) return { head, changes: [], through: head, compactedPast: compacted };
    const rows = this.#otherRows(head);
    this.#onCatchUpUnderLock?.(rows.length);
    const last = rows[rows.length - 1];
    const through = rows.length === PAGE_SIZE && last !== undefined ? last.id : head;
    return { head, changes: rows.map((row) => Change.fromRow(row)), through };
  }

  /**
   * After a write transaction committed: deliver the other processes' changes it found, then its
   * own. What it left for after the commit (more than a page) is read now, outside the lock, page
   * by page; should another process compact past those rows first, the watchers fail with
   * `CompactedError`, as they would had a poll found it.
   */
  #afterCommit(catchUp: CatchUp, own: readonly Change[]): void {
    const { compactedPast } = catchUp;
    if (compactedPast !== undefined) this.#failWatchers((w) => new CompactedError(w.position, compactedPast));
    this.#deliver(catchUp.changes);
    if (catchUp.through < catchUp.head) {
      try {
        this.#deliverUpTo(catchUp.head);
      } catch (e) {
        // The file is unreadable: the watchers cannot go on without a gap. The write stands.
        this.#failWatchers(() => e);
      }
    }
    this.#delivered = Math.max(this.#delivered, catchUp.head);
    this.#deliver(own);
  }

  // ── watch ────────────────────────────────────────────────────────────────────────────────────

  watch(prefix: string, afterRevision: number): Observable<StoreEvent> {
    return new Observable<StoreEvent>((subscriber) => {
      if (this.#closed) {
        subscriber.error(new StoreClosedError());
        return;
      }
      if (!Number.isInteger(afterRevision) || afterRevision < 0) {
        subscriber.error(new RangeError(`afterRevision must be a non-negative integer, got ${afterRevision}`));
        return;
      }
      // Hand what other processes wrote to the watchers that are open, then replay from the file.
      this.#poll();
      const range = prefixRange(prefix);
      let scanned = afterRevision;
      let first = true;
      while (first || scanned < this.#delivered) {
        const end = this.#delivered;
        const { compacted, rows } = this.#db.transaction(() => ({
          compacted: this.#compactedRevision(),
          rows: scanned < end ? this.#replayRows(range, scanned, end) : [],
        }))();
        if (scanned < compacted) {
          subscriber.error(new CompactedError(first ? afterRevision : scanned, compacted));
          return;
        }
        first = false;
        for (const row of rows) {
          if (subscriber.closed) return;
          subscriber.next(Change.fromRow(row).event());
        }
        const last = rows[rows.length - 1];
        scanned = rows.length === PAGE_SIZE && last !== undefined ? last.id : Math.max(scanned, end);
      }
      if (subscriber.closed || this.#closed) return;
      const watcher: Watcher = { prefix, position: scanned, subscriber };
      this.#watchers.add(watcher);
      this.#schedulePoll();
      return () => {
        this.#watchers.delete(watcher);
      };
    });
  }

  /** Deliver changes, in order, to every watcher that has not seen them. */
  #deliver(changes: readonly Change[]): void {
    if (changes.length === 0) return;
    const nested = this.#delivering;
    this.#delivering = true;
    try {
      for (const change of changes) {
        this.#delivered = Math.max(this.#delivered, change.id);
        // Iterating the live set: a watcher subscribed from inside `next` is visited too, and
        // skips this change by its position (its replay already read it from the file).
        for (const watcher of this.#watchers) {
          if (watcher.position >= change.id) continue;
          watcher.position = change.id;
          if (!change.key.startsWith(watcher.prefix)) continue;
          let event: StoreEvent;
          try {
            event = change.event();
          } catch (e) {
            // A row that cannot be read (a broken file): no watcher can go on without a gap.
            this.#failWatchers(() => e);
            return;
          }
          watcher.subscriber.next(event);
        }
      }
    } finally {
      this.#delivering = nested;
    }
  }

  /** End every open watch with an error (by default: compacted past its position). */
  #failWatchers(error: (watcher: Watcher) => unknown): void {
    for (const watcher of [...this.#watchers]) {
      this.#watchers.delete(watcher);
      watcher.subscriber.error(error(watcher));
    }
  }

  /** Deliver the writes other processes committed since the last delivered revision. */
  #poll(): void {
    if (this.#delivering || this.#closing !== undefined) return;
    for (;;) {
      const head = this.#head();
      if (head <= this.#delivered) return;
      this.#deliverUpTo(head);
    }
  }

  /**
   * Deliver the committed rows with ids in (delivered, head], one page per read transaction. If
   * they have been compacted past meanwhile, fail the watchers instead.
   */
  #deliverUpTo(head: number): void {
    while (this.#delivered < head) {
      if (this.#watchers.size === 0) {
        this.#delivered = Math.max(this.#delivered, head);
        return;
      }
      const { compacted, rows } = this.#db.transaction(() => ({
        compacted: this.#compactedRevision(),
        rows: this.#otherRows(head),
      }))();
      if (compacted > this.#delivered) {
        this.#failWatchers((w) => new CompactedError(w.position, compacted));
        this.#delivered = Math.max(this.#delivered, head);
        return;
      }
      this.#deliver(rows.map((row) => Change.fromRow(row)));
      if (rows.length < PAGE_SIZE) this.#delivered = Math.max(this.#delivered, head);
    }
  }

  #schedulePoll(): void {
    if (this.#pollTimer !== undefined || this.#closed) return;
    this.#pollTimer = this.#clock.setTimeout(() => {
      this.#pollTimer = undefined;
      if (this.#closed || this.#watchers.size === 0) return;
      try {
        this.#poll();
      } catch (e) {
        // The file is unreadable (I/O error, busy beyond the timeout): the watchers cannot go on.
        this.#failWatchers(() => e);
      }
      if (this.#watchers.size > 0) this.#schedulePoll();
    }, this.#pollIntervalMs);
  }

  #scheduleCompaction(intervalMs: number, retain: number): void {
    this.#compactionTimer = this.#clock.setTimeout(() => {
      this.#compactionTimer = undefined;
      if (this.#closed) return;
      const target = this.#head() - retain;
      if (target > this.#compactedRevision()) {
        // A failed compaction (busy file, I/O error) is retried at the next interval.
        this.compact(target).catch(() => undefined);
      }
      this.#scheduleCompaction(intervalMs, retain);
    }, intervalMs);
    this.#compactionTimer.unref?.();
  }

  // ── lifecycle ────────────────────────────────────────────────────────────────────────────────

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#closed = true;
      if (this.#pollTimer !== undefined) this.#clock.clearTimeout(this.#pollTimer);
      if (this.#compactionTimer !== undefined) this.#clock.clearTimeout(this.#compactionTimer);
      // After the flush already scheduled: writes accepted before close() still commit.
      setImmediate(() => {
        try {
          this.#flush();
        } finally {
          for (const watcher of [...this.#watchers]) {
            this.#watchers.delete(watcher);
            watcher.subscriber.complete();
          }
          this.#db.close();
          resolve();
        }
      });
    });
    return this.#closing;
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreClosedError();
  }

  // ── SQL ──────────────────────────────────────────────────────────────────────────────────────

  #statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** The current revision: the highest id ever assigned (compaction never lowers it). */
  #head(): number {
    const row = this.#statement(`SELECT seq FROM sqlite_sequence WHERE name = 'log'`).get() as { seq: number } | undefined;
    return row?.seq ?? 0;
  }

  #compactedRevision(): number {
    return (this.#statement(`SELECT value FROM meta WHERE name = 'compact_revision'`).get() as { value: number }).value;
  }

  #latest(key: string): LatestRow | undefined {
    return this.#statement(`SELECT id, op, create_revision, value FROM log WHERE key = ? ORDER BY id DESC LIMIT 1`).get(key) as
      | LatestRow
      | undefined;
  }

  #insert(id: number, key: string, op: Op, createRevision: number, prevRevision: number, json: string | null): void {
    this.#statement(`INSERT INTO log (id, key, op, create_revision, prev_revision, value) VALUES (?, ?, ?, ?, ?, ?)`).run(
      id,
      key,
      op,
      createRevision,
      prevRevision,
      json,
    );
  }

  /** Rows with ids in (delivered, head], in id order, one page. */
  #otherRows(head: number): LogRow[] {
    return this.#statement(
      `SELECT ${CHANGE_COLUMNS} FROM log l LEFT JOIN log p ON p.id = l.prev_revision
       WHERE l.id > ? AND l.id <= ? ORDER BY l.id LIMIT ${PAGE_SIZE}`,
    ).all(this.#delivered, head) as LogRow[];
  }

  /** Rows of keys in `range` with ids in (after, end], in id order, one page. */
  #replayRows(range: PrefixRange, after: number, end: number): LogRow[] {
    const high = range.high === undefined ? '' : 'AND l.key < ?';
    const params: Array<string | number> = [after, end, range.low];
    if (range.high !== undefined) params.push(range.high);
    return this.#statement(
      `SELECT ${CHANGE_COLUMNS} FROM log l LEFT JOIN log p ON p.id = l.prev_revision
       WHERE l.id > ? AND l.id <= ? AND l.key >= ? ${high} ORDER BY l.id LIMIT ${PAGE_SIZE}`,
    ).all(...params) as LogRow[];
  }

  /** The newest version at or below `revision` of each key in `range` (after `after`), not deleted. */
  #versionsAt(range: PrefixRange, after: string | undefined): { sql: string; params: Array<string | number> } {
    const params: Array<string | number> = [];
    let where = 'id <= ?';
    if (after === undefined) {
      where += ' AND key >= ?';
      params.push(range.low);
    } else {
      where += ' AND key > ?';
      params.push(after);
    }
    if (range.high !== undefined) {
      where += ' AND key < ?';
      params.push(range.high);
    }
    return {
      sql: `FROM (SELECT MAX(id) AS id FROM log WHERE ${where} GROUP BY key) m JOIN log l ON l.id = m.id WHERE l.op != ${Op.delete}`,
      params,
    };
  }

  #listRows(range: PrefixRange, after: string | undefined, revision: number, limit: number) {
    const { sql, params } = this.#versionsAt(range, after);
    return this.#statement(`SELECT l.id, l.key, l.create_revision, l.value ${sql} ORDER BY l.key LIMIT ?`).all(
      revision,
      ...params,
      limit,
    ) as Array<{ id: number; key: string; create_revision: number; value: string }>;
  }

  #countRows(range: PrefixRange, after: string, revision: number): number {
    const { sql, params } = this.#versionsAt(range, after);
    return (this.#statement(`SELECT count(*) AS n ${sql}`).get(revision, ...params) as { n: number }).n;
  }
}

/** The longest delay a Node.js timer takes; a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2_147_483_647;

/** An interval option: a positive, finite number of milliseconds a timer can wait. */
function checkInterval(ms: number, name: string): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0 || ms > MAX_TIMER_MS) {
    throw new RangeError(`sqliteStore: ${name} must be a positive finite number of milliseconds (at most ${MAX_TIMER_MS}), got ${String(ms)}`);
  }
  return ms;
}

/** `busyTimeoutMs`: what SQLite's busy timeout takes, a non-negative integer of milliseconds. */
function checkTimeout(ms: number, name: string): number {
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_TIMER_MS) {
    throw new RangeError(`sqliteStore: ${name} must be a non-negative integer of milliseconds (at most ${MAX_TIMER_MS}), got ${String(ms)}`);
  }
  return ms;
}

/** A count option: a non-negative integer. */
function checkCount(n: number, name: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`sqliteStore: ${name} must be a non-negative integer, got ${String(n)}`);
  return n;
}

function checkKey(key: string): string {
  if (typeof key !== 'string' || key === '') throw new TypeError('a store key must be a non-empty string');
  return key;
}

function checkRevision(revision: number, name: string): number {
  if (!Number.isSafeInteger(revision) || revision < 0) throw new RangeError(`${name} must be a non-negative integer, got ${revision}`);
  return revision;
}

function toJson(value: JsonValue): string {
  const json = JSON.stringify(value) as string | undefined;
  if (json === undefined) throw new TypeError('a store value must be JSON');
  return json;
}

const TOKEN_TAG = 'hm-sqlite/1';

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify([TOKEN_TAG, token.revision, token.prefix, token.key])).toString('base64url');
}

/** @throws TypeError if `value` is not a token of this store for `prefix`. */
function decodeContinue(value: string, prefix: string): ContinueToken {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 4 ||
    parsed[0] !== TOKEN_TAG ||
    !Number.isSafeInteger(parsed[1]) ||
    typeof parsed[2] !== 'string' ||
    typeof parsed[3] !== 'string'
  ) {
    throw new TypeError('malformed continue token');
  }
  if (parsed[2] !== prefix) throw new TypeError(`the continue token is from a list of ${String(parsed[2])}, not ${prefix}`);
  return { revision: parsed[1] as number, prefix, key: parsed[3] };
}

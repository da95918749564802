/**
 * The on-disk schema of the store and the code that opens a file safely: check that it is ours,
 * switch it to WAL, and migrate it to the current schema version in one immediate transaction.
 *
 * A store file carries `PRAGMA application_id` = {@link APPLICATION_ID} and
 * `PRAGMA user_version` = its schema version. Nothing is written to a file (not even the switch
 * to WAL) until it has been recognised, by reads alone, as one of:
 *
 * - an empty database (no schema objects, `user_version` 0, `application_id` 0 or ours): a new
 *   store;
 * - a store: our `application_id`, a schema version this code knows, and the tables that version
 *   has (see {@link Migration.tables}).
 *
 * Anything else is refused with `NotAStoreDatabaseError` (or `SchemaTooNewError`), so a wrong path,
 * or a file that merely carries our id, is never damaged.
 *
 * Schema version 1, one log-structured table in the manner of kine:
 *
 * ```sql
 * log(id INTEGER PRIMARY KEY AUTOINCREMENT,  -- the revision of this write
 *     key TEXT, op INTEGER,                   -- 0 create, 1 update, 2 delete
 *     create_revision INTEGER,                -- revision that created the key
 *     prev_revision INTEGER,                  -- id of the row this one supersedes (0 if none)
 *     value TEXT)                             -- JSON; NULL for a delete
 * meta(name TEXT PRIMARY KEY, value INTEGER)  -- 'compact_revision'
 * ```
 *
 * `AUTOINCREMENT` makes revisions never reused, even when compaction deletes the newest row, and
 * `sqlite_sequence` then holds the current revision.
 *
 * @module
 */
import Database from 'better-sqlite3';
import { NotAStoreDatabaseError, SchemaTooNewError } from './errors.js';

/** `PRAGMA application_id` of a store file: the ASCII bytes `HRBM`. */
export const APPLICATION_ID = 0x4852424d;

/** One step of the schema: brings a database from `version - 1` to `version`. */
export interface Migration {
  readonly version: number;
  readonly up: (db: Database.Database) => void;
  /**
   * The tables this step creates, which a file at this version or later must have. Opening a file
   * whose `user_version` says it has had this step but which lacks one of them is refused.
   */
  readonly tables?: readonly string[];
}

/** Row `op` values. */
export const Op = { create: 0, update: 1, delete: 2 } as const;
export type Op = (typeof Op)[keyof typeof Op];

/** The migrations of the store, in order. The last one's version is the current schema version. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up: (db) => {
      db.exec(`
        CREATE TABLE log (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          key TEXT NOT NULL,
          op INTEGER NOT NULL CHECK (op IN (0, 1, 2)),
          create_revision INTEGER NOT NULL,
          prev_revision INTEGER NOT NULL,
          value TEXT
        );
        -- (key, id): the latest row of a key, and lists by key range.
        CREATE INDEX log_key ON log (key);
        -- A second writer that lost a race can never append a second successor to one row.
        CREATE UNIQUE INDEX log_key_prev_revision ON log (key, prev_revision);
        CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
        INSERT INTO meta (name, value) VALUES ('compact_revision', 0);
      `);
    },
    tables: ['log', 'meta'],
  },
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** How to open the file; see `SqliteStoreOptions`. */
export interface OpenOptions {
  readonly path: string;
  readonly synchronous: 'full' | 'normal';
  readonly busyTimeoutMs: number;
}

interface Header {
  readonly applicationId: number;
  readonly userVersion: number;
  /** Names of every schema object (tables, indexes, views, triggers), SQLite's own included. */
  readonly objects: readonly string[];
  /** Names of the tables. */
  readonly tables: ReadonlySet<string>;
}

function isNotADatabase(e: unknown): boolean {
  return e instanceof Error && 'code' in e && e.code === 'SQLITE_NOTADB';
}

/**
 * Read what decides whether the file is a store. Reads only: it never writes to the file. The
 * reads share one transaction (a savepoint under the caller's), so another process that creates
 * the store meanwhile is seen either not at all or whole, never as an application_id of 0 with a
 * schema version of 1.
 */
function readHeader(db: Database.Database, path: string): Header {
  try {
    return db.transaction((): Header => {
      const objects = db.prepare('SELECT type, name FROM sqlite_schema ORDER BY name').all() as Array<{ type: string; name: string }>;
      return {
        applicationId: db.pragma('application_id', { simple: true }) as number,
        userVersion: db.pragma('user_version', { simple: true }) as number,
        objects: objects.map((o) => o.name),
        tables: new Set(objects.filter((o) => o.type === 'table').map((o) => o.name)),
      };
    })();
  } catch (e) {
    if (isNotADatabase(e)) throw new NotAStoreDatabaseError(path, 'not a SQLite database', { cause: e });
    throw e;
  }
}

/** `a, b, c` or `a, b, c and 4 more`. */
function names(list: readonly string[]): string {
  const shown = list.slice(0, 5).join(', ');
  return list.length > 5 ? `${shown} and ${list.length - 5} more` : shown;
}

/**
 * Throw unless `header` is a store with a schema we know (and its tables), or an empty database.
 * Reads nothing itself: it judges what {@link readHeader} read.
 */
function checkHeader(header: Header, path: string, migrations: readonly Migration[]): void {
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  if (header.applicationId !== APPLICATION_ID && header.applicationId !== 0) {
    throw new NotAStoreDatabaseError(path, `application_id is ${header.applicationId}, not ${APPLICATION_ID}`);
  }
  if (header.applicationId === 0 && header.userVersion !== 0) {
    throw new NotAStoreDatabaseError(path, `a SQLite database of another application (user_version ${header.userVersion}, application_id 0)`);
  }
  if (header.userVersion === 0) {
    // A new store: nothing may be in it yet, whatever application_id says. (This code sets the id
    // and the version in the transaction that creates the tables, so a store never has tables at
    // version 0.)
    if (header.objects.length > 0) {
      throw new NotAStoreDatabaseError(
        path,
        header.applicationId === APPLICATION_ID
          ? `it carries Harbormaster's application_id but has schema version 0 and holds objects of another application (${names(header.objects)})`
          : `a SQLite database of another application (it holds ${names(header.objects)})`,
      );
    }
    return;
  }
  if (header.userVersion > latest) throw new SchemaTooNewError(path, header.userVersion, latest);
  const missing = migrations
    .filter((m) => m.version <= header.userVersion)
    .flatMap((m) => m.tables ?? [])
    .filter((table) => !header.tables.has(table));
  if (missing.length > 0) {
    throw new NotAStoreDatabaseError(
      path,
      `it says it is at store schema version ${header.userVersion} but lacks the table${missing.length > 1 ? 's' : ''} ${names(missing)}`,
    );
  }
}

/**
 * Open `options.path` as a store database: create it if absent, refuse a file that is not a store
 * or has a newer schema (without writing to it), set WAL and the pragmas, and run the migrations
 * the file lacks, all of them in one `BEGIN IMMEDIATE` transaction so that two processes opening
 * one new file never both migrate it.
 *
 * @param migrations the schema steps; tests pass their own.
 */
export function openDatabase(options: OpenOptions, migrations: readonly Migration[] = MIGRATIONS): Database.Database {
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  const db = new Database(options.path, { timeout: options.busyTimeoutMs });
  try {
    // Read-only checks first: nothing below writes (not even journal_mode) until the file is known
    // to be a store or an empty database.
    checkHeader(readHeader(db, options.path), options.path, migrations);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.exec('BEGIN IMMEDIATE');
    try {
      // Again under the write lock: another process may have created or upgraded it meanwhile.
      const header = readHeader(db, options.path);
      checkHeader(header, options.path, migrations);
      for (const migration of migrations) {
        if (migration.version > header.userVersion) migration.up(db);
      }
      if (header.applicationId !== APPLICATION_ID) db.pragma(`application_id = ${APPLICATION_ID}`);
      if (header.userVersion !== latest) db.pragma(`user_version = ${latest}`);
      db.exec('COMMIT');
    } finally {
      if (db.inTransaction) db.exec('ROLLBACK');
    }
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

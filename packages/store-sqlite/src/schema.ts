/**
 * The on-disk schema of the store and the code that opens a file safely: check that it is ours,
 * switch it to WAL, and migrate it to the current schema version in one immediate transaction.
 *
 * A store file carries `PRAGMA application_id` = {@link APPLICATION_ID} and
 * `PRAGMA user_version` = its schema version. Nothing is written to a file until it has been
 * recognised as a store (or as an empty database), so a wrong path never damages another file.
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
  readonly objects: number;
}

function isNotADatabase(e: unknown): boolean {
  return e instanceof Error && 'code' in e && e.code === 'SQLITE_NOTADB';
}

function readHeader(db: Database.Database, path: string): Header {
  try {
    return {
      applicationId: db.pragma('application_id', { simple: true }) as number,
      userVersion: db.pragma('user_version', { simple: true }) as number,
      objects: (db.prepare('SELECT count(*) AS n FROM sqlite_schema').get() as { n: number }).n,
    };
  } catch (e) {
    if (isNotADatabase(e)) throw new NotAStoreDatabaseError(path, 'not a SQLite database', { cause: e });
    throw e;
  }
}

/** Throw unless `header` is a store with a schema we know, or an empty database. */
function checkHeader(header: Header, path: string, latest: number): void {
  if (header.applicationId === APPLICATION_ID) {
    if (header.userVersion > latest) throw new SchemaTooNewError(path, header.userVersion, latest);
    return;
  }
  if (header.applicationId !== 0) {
    throw new NotAStoreDatabaseError(path, `application_id is ${header.applicationId}, not ${APPLICATION_ID}`);
  }
  if (header.objects > 0 || header.userVersion !== 0) {
    throw new NotAStoreDatabaseError(path, 'a SQLite database of another application');
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
    // Read-only checks first: nothing below writes until the file is known to be ours or empty.
    checkHeader(readHeader(db, options.path), options.path, latest);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.exec('BEGIN IMMEDIATE');
    try {
      // Again under the write lock: another process may have created or upgraded it meanwhile.
      const header = readHeader(db, options.path);
      checkHeader(header, options.path, latest);
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

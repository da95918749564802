/**
 * Errors raised when a SQLite file cannot be opened as a Harbormaster store. Both are raised by
 * `sqliteStore` before it has written anything: the file is left exactly as it was.
 *
 * Errors of store operations (`KeyExistsError`, `CompactedError`, ...) come from
 * `@harbormaster/core`; these two are about the file itself.
 *
 * @module
 */

/** Why a file could not be opened as a store. */
export type SqliteStoreErrorCode = 'NotAStoreDatabase' | 'SchemaTooNew';

/** Base class of the errors `sqliteStore` raises about the database file. */
export class SqliteStoreError extends Error {
  /** The class name, e.g. `SchemaTooNewError`. */
  override readonly name: string = 'SqliteStoreError';
  /** Why the file could not be opened. */
  readonly code: SqliteStoreErrorCode;
  /** The path that was opened. */
  readonly path: string;
  constructor(code: SqliteStoreErrorCode, path: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.path = path;
  }
}

/**
 * The file is not a Harbormaster store: not a SQLite database at all, a SQLite database that
 * belongs to another application (a different `application_id`, or tables of its own at schema
 * version 0, even if it carries the store's `application_id`), or one that claims a store schema
 * version but lacks that version's tables. The message names the path and the reason.
 */
export class NotAStoreDatabaseError extends SqliteStoreError {
  override readonly name = 'NotAStoreDatabaseError';
  constructor(path: string, reason: string, options?: ErrorOptions) {
    super('NotAStoreDatabase', path, `${path} is not a Harbormaster store database: ${reason}`, options);
  }
}

/**
 * The file was written by a newer Harbormaster with a schema this version does not know.
 * Upgrade `@harbormaster/store-sqlite` to open it.
 */
export class SchemaTooNewError extends SqliteStoreError {
  override readonly name = 'SchemaTooNewError';
  constructor(
    path: string,
    /** The store schema version the file has. */
    readonly schemaVersion: number,
    /** The newest store schema version this package can open. */
    readonly supportedVersion: number,
  ) {
    super(
      'SchemaTooNew',
      path,
      `${path} has store schema version ${schemaVersion}; this version of @harbormaster/store-sqlite supports up to ${supportedVersion}`,
    );
  }
}

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
  override readonly name: string = 'SqliteStoreError';
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
 * The file is not a Harbormaster store: not a SQLite database at all, or a SQLite database that
 * belongs to another application (a different `application_id`, or tables of its own).
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
    readonly schemaVersion: number,
    readonly supportedVersion: number,
  ) {
    super(
      'SchemaTooNew',
      path,
      `${path} has store schema version ${schemaVersion}; this version of @harbormaster/store-sqlite supports up to ${supportedVersion}`,
    );
  }
}

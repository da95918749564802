/**
 * `@harbormaster/store-sqlite`: a durable Harbormaster `Store` on SQLite (better-sqlite3,
 * WAL mode), safe for several processes on one machine. See {@link sqliteStore} for the
 * guarantees and options.
 *
 * @example
 * ```ts
 * import { sqliteStore } from '@harbormaster/store-sqlite';
 *
 * const store = sqliteStore({ path: './state.db' });
 * ```
 *
 * @packageDocumentation
 */
export { sqliteStore } from './sqlite-store.js';
export type { SqliteStoreOptions } from './sqlite-store.js';
export { SqliteStoreError, NotAStoreDatabaseError, SchemaTooNewError } from './errors.js';
export type { SqliteStoreErrorCode } from './errors.js';

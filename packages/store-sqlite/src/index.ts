/**
 * `@harbormaster/store-sqlite`: a durable Harbormaster `Store` on SQLite (better-sqlite3,
 * WAL mode), safe for several processes on one machine. See {@link sqliteStore} for the
 * guarantees and options, and {@link sqliteStoreModule} to bind it with dependency injection.
 *
 * @example A store
 * ```ts
 * import { sqliteStore } from '@harbormaster/store-sqlite';
 *
 * const store = sqliteStore({ path: './state.db' });
 * ```
 *
 * @example The store of a container, for coreModule()
 * ```ts
 * import { Container, coreModule } from '@harbormaster/core';
 * import { sqliteStoreModule } from '@harbormaster/store-sqlite';
 *
 * const container = new Container();
 * container.loadSync(sqliteStoreModule({ path: './state.db' }), coreModule());
 * ```
 *
 * @packageDocumentation
 */
export { sqliteStore } from './sqlite-store.js';
export type { SqliteStoreOptions } from './sqlite-store.js';
export { sqliteStoreModule } from './sqlite-store-module.js';
export { SqliteStoreError, NotAStoreDatabaseError, SchemaTooNewError } from './errors.js';
export type { SqliteStoreErrorCode } from './errors.js';

/**
 * The inversify ContainerModule of `@harbormaster/store-sqlite`, for programs that wire
 * Harbormaster with dependency injection. {@link sqliteStore} does the same without a container.
 *
 * @module
 */
import { ContainerModule, TOKENS } from '@harbormaster/core';
import { sqliteStore, type SqliteStoreOptions } from './sqlite-store.js';

/**
 * The ContainerModule of `@harbormaster/store-sqlite`: binds `TOKENS.Store` to one
 * {@link sqliteStore} on `options.path` for the container (a singleton).
 *
 * The file is opened when the store is first resolved (usually when `coreModule()`'s API server
 * or manager is), so the errors of {@link sqliteStore} (`NotAStoreDatabaseError`,
 * `SchemaTooNewError`, a `RangeError` for a bad option) are raised by that `container.get`.
 * Unbinding the store (`container.unbind(TOKENS.Store)`, `container.unbindAll()`, or
 * `container.unload(module)`) closes it; or call `close()` on it yourself. Load one module per
 * file per container: two stores on one file in one process see each other's writes only by
 * polling (see {@link SqliteStoreOptions.pollIntervalMs}).
 *
 * @example
 * ```ts
 * import { Container, TOKENS, coreModule, kinds } from '@harbormaster/core';
 * import { sqliteStoreModule } from '@harbormaster/store-sqlite';
 *
 * const container = new Container();
 * container.loadSync(sqliteStoreModule({ path: './state.db' }), coreModule());
 * const api = container.get(TOKENS.ApiServer);
 * await api.client.create(kinds.ConfigMap, { metadata: { name: 'settings', namespace: 'default' }, data: { mode: 'fast' } });
 * // …
 * await api.close();
 * await container.unbindAll(); // closes the store
 * ```
 */
export function sqliteStoreModule(options: SqliteStoreOptions): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.Store)
      .toDynamicValue(() => sqliteStore(options))
      .inSingletonScope()
      .onDeactivation((store) => store.close());
  });
}

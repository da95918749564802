import { ContainerModule, TOKENS } from '@harbormaster/core';
import { memoryStore, type MemoryStoreOptions } from './memory-store.js';

/**
 * The ContainerModule of `@harbormaster/store-memory`: binds `TOKENS.Store` to one
 * {@link memoryStore} for the container.
 *
 * @example
 * ```ts
 * container.loadSync(memoryStoreModule({ historyLimit: 50_000 }), coreModule());
 * ```
 */
export function memoryStoreModule(options: MemoryStoreOptions = {}): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.Store)
      .toDynamicValue(() => memoryStore(options))
      .inSingletonScope();
  });
}

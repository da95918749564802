/**
 * `@harbormaster/store-memory`: the in-memory revisioned store, Harbormaster's default backend and
 * the one tests use. See {@link memoryStore}.
 *
 * @example
 * ```ts
 * import { memoryStore } from '@harbormaster/store-memory';
 *
 * const store = memoryStore({ historyLimit: 1000 });
 * await store.create('/registry/configmaps/default/settings', { data: { mode: 'fast' } });
 * ```
 *
 * @packageDocumentation
 */
export { memoryStore } from './memory-store.js';
export type { MemoryStoreOptions } from './memory-store.js';
export { memoryStoreModule } from './memory-store-module.js';

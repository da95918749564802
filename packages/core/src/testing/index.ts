/**
 * `@harbormaster/core/testing`: the store conformance suite, a fake clock and test helpers.
 *
 * @packageDocumentation
 */
export { storeConformanceSuite } from './store-conformance.js';
export type { StoreConformanceOptions } from './store-conformance.js';
export { StoreModel } from './store-model.js';
export type { ModelCursor, ModelListOptions, ModelListResult } from './store-model.js';
export { WatchRecorder } from './watch-recorder.js';
export { FakeClock, flushMicrotasks } from './fake-clock.js';

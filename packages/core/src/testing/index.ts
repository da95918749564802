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
export { eventually } from './eventually.js';
export type { EventuallyOptions } from './eventually.js';
export { waitFor } from './wait-for.js';
export type { WaitForOptions } from './wait-for.js';
export { faultyStore } from './faulty-store.js';
export { forwardingStore } from './forwarding-store.js';
export type { FaultyStore } from './faulty-store.js';
export { createTestEnv } from './test-env.js';
export type { TestEnv, TestEnvOptions } from './test-env.js';
export { containerRuntimeConformanceSuite } from './container-runtime-conformance.js';
export type { ContainerRuntimeConformanceOptions } from './container-runtime-conformance.js';

import { forwardingStore, storeConformanceSuite } from '@harbormaster/core/testing';
import { memoryStore } from './memory-store.js';

// A wrapper that overrides nothing is the store it wraps: every call reaches it unchanged.
storeConformanceSuite('forwardingStore(memoryStore)', () => forwardingStore(memoryStore()));

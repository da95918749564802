import { storeConformanceSuite } from '@harbormaster/core/testing';
import { memoryStore } from './memory-store.js';

storeConformanceSuite('memoryStore', () => memoryStore());

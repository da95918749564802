/**
 * The garbage collector: ownerReferences-driven deletion with Background, Foreground and Orphan
 * propagation.
 *
 * @module
 */
export {
  GarbageCollector,
  setupGarbageCollectorController,
  UnknownOwnerKindError,
  ORPHAN_FINALIZER,
  FOREGROUND_DELETION_FINALIZER,
} from './garbage-collector.js';
export type { GarbageCollectorOptions, GroupKind } from './garbage-collector.js';

/**
 * Errors a {@link Store} raises. They describe the key-value operation only; the API layer turns
 * them into Kubernetes errors (a `RevisionConflictError` becomes a 409 Conflict, a
 * `CompactedError` a 410 Gone, and so on).
 *
 * @module
 */

/** What went wrong in a store operation. */
export type StoreErrorCode = 'KeyExists' | 'KeyNotFound' | 'RevisionConflict' | 'Compacted' | 'StoreClosed';

/** Base class of every error a store raises. */
export class StoreError extends Error {
  /** The class name, e.g. `KeyExistsError`. */
  override readonly name: string = 'StoreError';
  /** What went wrong. */
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** `create` on a key that exists. */
export class KeyExistsError extends StoreError {
  override readonly name: string = 'KeyExistsError';
  constructor(
    /** The key that exists. */
    readonly key: string,
  ) {
    super('KeyExists', `key ${key} already exists`);
  }
}

/** `update` or `delete` of a key that does not exist. */
export class KeyNotFoundError extends StoreError {
  override readonly name: string = 'KeyNotFoundError';
  constructor(
    /** The key that does not exist. */
    readonly key: string,
  ) {
    super('KeyNotFound', `key ${key} not found`);
  }
}

/** Compare-and-swap failed: the key's modRevision is not the expected one. */
export class RevisionConflictError extends StoreError {
  override readonly name: string = 'RevisionConflictError';
  constructor(
    /** The key that was written. */
    readonly key: string,
    /** The modRevision the write required. */
    readonly expectedModRevision: number,
    /** The key's modRevision in the store. */
    readonly actualModRevision: number,
  ) {
    super('RevisionConflict', `key ${key} is at revision ${actualModRevision}, expected ${expectedModRevision}`);
  }
}

/** A list or watch asked for a revision that is no longer retained. */
export class CompactedError extends StoreError {
  override readonly name: string = 'CompactedError';
  constructor(
    /** The revision the list or watch asked for. */
    readonly requestedRevision: number,
    /** The store's newest compacted revision; the history before it is gone. */
    readonly compactedRevision: number,
  ) {
    super('Compacted', `revision ${requestedRevision} has been compacted (compacted revision ${compactedRevision})`);
  }
}

/** The store was closed. */
export class StoreClosedError extends StoreError {
  override readonly name: string = 'StoreClosedError';
  constructor() {
    super('StoreClosed', 'the store is closed');
  }
}

/** Whether `e` is a {@link StoreError} with the given code. */
export function isStoreError(e: unknown, code?: StoreErrorCode): e is StoreError {
  return e instanceof StoreError && (code === undefined || e.code === code);
}

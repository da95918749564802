/**
 * Controller expectations, as Kubernetes' `ControllerExpectations` and
 * `UIDTrackingControllerExpectations` (pkg/controller/controller_utils.go): a controller that has
 * just created or deleted pods must not act again on a cache that has not seen those writes yet,
 * or it would create (or delete) the same pods twice.
 *
 * Before creating `n` pods a controller calls {@link ControllerExpectations.expectCreations};
 * before deleting pods, {@link ControllerExpectations.expectDeletions} with their keys. The pod
 * informer's handlers lower the expectations as the cache observes each new pod, and each pod
 * that disappears or gets a `deletionTimestamp`. Until every expectation is met (or 5 minutes
 * pass, in case an event was lost), {@link ControllerExpectations.satisfied} is false and the
 * controller only updates status.
 *
 * @example
 * ```ts
 * const expectations = new ControllerExpectations();
 * if (!expectations.satisfied('default/web', clock.now())) return; // wait for the cache
 * expectations.expectCreations('default/web', 2, clock.now());
 * // … create two pods; the pod informer's add handler calls creationObserved('default/web') …
 * ```
 *
 * @module
 */

/** Kubernetes' `ExpectationsTimeout`: expectations older than this are considered met. */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

/** What one controller key waits for. */
export interface Expectation {
  /** Creations not yet observed. */
  readonly add: number;
  /** Deletions not yet observed. */
  readonly del: number;
  /** Keys (`namespace/name`) of the pods whose deletion is awaited. */
  readonly deleteKeys: ReadonlySet<string>;
  /** When the expectations were set (clock milliseconds). */
  readonly timestamp: number;
}

interface MutableExpectation {
  add: number;
  del: number;
  deleteKeys: Set<string>;
  timestamp: number;
}

/** Options of {@link ControllerExpectations}. */
export interface ControllerExpectationsOptions {
  /** After this long, unmet expectations count as met. @default 300000 (5 minutes) */
  readonly timeoutMs?: number;
}

/** Creation and deletion expectations per controller key. See the module documentation. */
export class ControllerExpectations {
  readonly #records = new Map<string, MutableExpectation>();
  readonly #timeoutMs: number;

  constructor(options: ControllerExpectationsOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? EXPECTATIONS_TIMEOUT_MS;
  }

  /**
   * Whether the controller of `key` may act: true when it has no expectations, when all are met,
   * or when they have expired.
   */
  satisfied(key: string, now: number): boolean {
    const e = this.#records.get(key);
    if (e === undefined) return true;
    if (e.add <= 0 && e.del <= 0) return true;
    return now - e.timestamp > this.#timeoutMs;
  }

  /** Expect `count` pod creations for `key` (replacing earlier expectations). */
  expectCreations(key: string, count: number, now: number): void {
    this.#records.set(key, { add: count, del: 0, deleteKeys: new Set(), timestamp: now });
  }

  /** Expect the deletion of these pods (`namespace/name` keys) for `key` (replacing earlier expectations). */
  expectDeletions(key: string, podKeys: readonly string[], now: number): void {
    const keys = new Set(podKeys);
    this.#records.set(key, { add: 0, del: keys.size, deleteKeys: keys, timestamp: now });
  }

  /** The cache saw a pod of `key` created (or a creation will never happen): one fewer to wait for. */
  creationObserved(key: string): void {
    const e = this.#records.get(key);
    if (e !== undefined) e.add--;
  }

  /** The cache saw pod `podKey` of `key` deleted (or being deleted). Counted once per pod. */
  deletionObserved(key: string, podKey: string): void {
    const e = this.#records.get(key);
    if (e === undefined || !e.deleteKeys.delete(podKey)) return;
    e.del--;
  }

  /** Forget `key` (its controller object is gone). */
  delete(key: string): void {
    this.#records.delete(key);
  }

  /** The current expectations of `key`, if any. */
  get(key: string): Expectation | undefined {
    return this.#records.get(key);
  }
}

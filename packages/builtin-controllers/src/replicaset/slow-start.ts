/**
 * Kubernetes' slow-start batches (`slowStartBatch` in the ReplicaSet controller): run `count`
 * calls in batches of 1, 2, 4, 8, …, each batch in parallel, and stop after the first batch in
 * which a call fails. A workload that cannot create pods (quota, an invalid template, a
 * terminating namespace) then fails once instead of a thousand times, and emits one Event.
 *
 * @module
 */

/** Kubernetes' `SlowStartInitialBatchSize`. */
export const SLOW_START_INITIAL_BATCH_SIZE = 1;

/** What {@link slowStartBatch} did. */
export interface SlowStartResult {
  /** How many calls succeeded. */
  readonly successes: number;
  /** The first error of the failing batch, if a batch failed. */
  readonly error?: unknown;
}

/**
 * Call `fn` `count` times in doubling batches, stopping after a batch with a failure.
 *
 * @example
 * ```ts
 * const { successes, error } = await slowStartBatch(10, 1, () => client.create(kinds.Pod, pod));
 * ```
 */
export async function slowStartBatch(count: number, initialBatchSize: number, fn: () => Promise<unknown>): Promise<SlowStartResult> {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += batch - failures.length;
    const first = failures[0];
    if (first !== undefined) return { successes, error: first.reason };
    remaining -= batch;
  }
  return { successes };
}

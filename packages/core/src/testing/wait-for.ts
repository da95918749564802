/**
 * Waiting in real time, for tests against real things (containers, processes, servers) that no
 * fake clock drives. Tests of controllers on the fake clock use {@link eventually} instead.
 *
 * @module
 */

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this many milliseconds. @default 20000 */
  readonly timeoutMs?: number;
  /** Milliseconds between checks. @default 50 */
  readonly stepMs?: number;
}

/**
 * Poll `check` (real time) until it returns a value other than `undefined`, and return it; fail
 * with an error naming `what` (and the last error `check` threw, as its cause) after `timeoutMs`.
 *
 * @example
 * ```ts
 * const info = await waitFor('the container exited', async () => {
 *   const c = await runtime.inspectContainer(id);
 *   return c?.state === 'exited' ? c : undefined;
 * });
 * ```
 */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, options: WaitForOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`, { cause: lastError });
    await new Promise((resolve) => setTimeout(resolve, options.stepMs ?? 50));
  }
}

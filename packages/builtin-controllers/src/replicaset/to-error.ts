/**
 * `toError`: a caught value as an Error (API errors and other Errors unchanged), so it can be
 * rethrown and reported with a message.
 *
 * @module
 */

/** `e` if it is an Error, else an Error with its text. */
export function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

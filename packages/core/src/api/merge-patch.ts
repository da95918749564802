/**
 * JSON merge patch (RFC 7386), the `application/merge-patch+json` patch type of Kubernetes, and
 * the three-way merge that `apply` uses.
 *
 * @module
 */
import { cloneJson, isPlainObject, jsonEqual } from '../util/json.js';

/**
 * A JSON merge patch for objects of type `T`: every field optional, `null` deletes a field, arrays
 * replace arrays.
 */
export type MergePatch<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: MergePatch<T[K]> | null }
    : T;

/**
 * Apply a JSON merge patch to `target` and return the result; `target` is not changed.
 *
 * @example
 * ```ts
 * applyMergePatch({ a: 1, b: { c: 2 } }, { b: { c: null, d: 3 } }); // { a: 1, b: { d: 3 } }
 * ```
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return cloneJson(patch);
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete out[key];
    } else if (value !== undefined) {
      out[key] = applyMergePatch(out[key], value);
    }
  }
  return out;
}

/**
 * The three-way merge patch that turns `current` into what `modified` asks for, deleting the
 * fields that were in `original` (the last applied configuration) but are no longer in
 * `modified`. Fields of `current` that neither `original` nor `modified` mention (set by
 * controllers or defaults) are kept. Arrays are replaced as a whole. Returns `undefined` when
 * nothing needs to change.
 */
export function threeWayMergePatch(
  original: unknown,
  modified: Record<string, unknown>,
  current: Record<string, unknown>,
): Record<string, unknown> | undefined {
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(modified)) {
    if (value === undefined) continue;
    const cur = current[key];
    if (isPlainObject(value) && isPlainObject(cur)) {
      const orig = isPlainObject(original) ? original[key] : undefined;
      const sub = threeWayMergePatch(orig, value, cur);
      if (sub !== undefined) patch[key] = sub;
    } else if (value === null) {
      if (cur !== undefined) patch[key] = null;
    } else if (!jsonEqual(value, cur)) {
      patch[key] = cloneJson(value);
    }
  }
  if (isPlainObject(original)) {
    for (const key of Object.keys(original)) {
      if (original[key] !== undefined && !(key in modified) && current[key] !== undefined) patch[key] = null;
    }
  }
  return Object.keys(patch).length === 0 ? undefined : patch;
}

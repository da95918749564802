/**
 * Canonical JSON: object keys sorted, `undefined` members dropped, so that two equal values
 * always serialize to the same string. Used to compare statuses and templates and to hash pod
 * templates.
 *
 * @module
 */

/** The canonical JSON text of a JSON-like value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}


/**
 * Deep-frozen copies of JSON values: what the memory store keeps and hands to every reader.
 *
 * @module
 */
import type { JsonValue } from '@harbormaster/core';

/** Deeper values are refused: they are either absurd for a Kubernetes object or circular. */
const MAX_DEPTH = 1000;

/**
 * A deep-frozen copy of `value`, made in one pass.
 *
 * The copy has JSON's meaning: object properties whose value is `undefined` are left out, as
 * `JSON.stringify` does. Anything JSON cannot carry unchanged is refused with a `TypeError` that
 * names where it was found: functions, symbols, bigints, `NaN` and infinities, `undefined` at the
 * top or in an array, objects other than plain objects and arrays (a `Date`, a `Map`, a class
 * instance), and values nested deeper than 1000 levels (which includes circular ones).
 *
 * @throws `TypeError` for a value that is not JSON.
 */
export function frozenJsonCopy(value: JsonValue): JsonValue {
  try {
    return copy(value, 0);
  } catch (error) {
    if (!(error instanceof NotJson)) throw error;
    const path = error.path.length > 12 ? `${error.path.slice(0, 12).join('')}...` : error.path.join('');
    const at = path === '' ? '' : ` at ${path.startsWith('.') ? path.slice(1) : path}`;
    throw new TypeError(`store values must be JSON, got ${error.what}${at}`);
  }
}

/** Thrown inside {@link copy}; each level adds its step of the path on the way out. */
class NotJson extends Error {
  readonly path: string[] = [];
  constructor(readonly what: string) {
    super(what);
  }
}

function copy(value: unknown, depth: number): JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isFinite(value)) return value;
      throw new NotJson(`the number ${value}`);
    case 'object': {
      if (value === null) return null;
      if (depth >= MAX_DEPTH) throw new NotJson(`a value nested deeper than ${MAX_DEPTH} levels (is it circular?)`);
      if (Array.isArray(value)) return copyArray(value, depth);
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
        throw new NotJson(`an instance of ${typeof name === 'string' && name !== '' ? name : 'a class'}`);
      }
      return copyObject(value as Record<string, unknown>, depth);
    }
    default:
      throw new NotJson(`a ${typeof value}`);
  }
}

function copyArray(source: readonly unknown[], depth: number): JsonValue {
  const out: JsonValue[] = [];
  let i = 0;
  try {
    for (; i < source.length; i++) {
      const item = source[i];
      if (item === undefined) throw new NotJson('undefined in an array');
      out.push(copy(item, depth + 1));
    }
  } catch (error) {
    if (error instanceof NotJson) error.path.unshift(`[${i}]`);
    throw error;
  }
  return Object.freeze(out) as JsonValue[];
}

function copyObject(source: Record<string, unknown>, depth: number): JsonValue {
  const out: Record<string, JsonValue> = {};
  let key = '';
  try {
    for (key of Object.keys(source)) {
      const item = source[key];
      if (item === undefined) continue;
      const copied = copy(item, depth + 1);
      if (key === '__proto__') {
        // Assignment would set the prototype; JSON.parse makes an own property, and so do we.
        Object.defineProperty(out, key, { value: copied, enumerable: true, writable: true, configurable: true });
      } else {
        out[key] = copied;
      }
    }
  } catch (error) {
    if (error instanceof NotJson) error.path.unshift(/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`);
    throw error;
  }
  return Object.freeze(out);
}

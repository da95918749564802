/**
 * A key prefix as a half-open range of keys, so that SQLite can answer it from an index:
 * `key >= low AND key < high`. SQLite compares TEXT byte by byte in UTF-8, which is code point
 * order, so the smallest string above every string starting with `prefix` is `prefix` with its last
 * code point raised by one.
 *
 * @module
 */

export interface PrefixRange {
  readonly low: string;
  /** Absent when no upper bound exists (the empty prefix, or one of only U+10FFFF). */
  readonly high?: string;
}

export function prefixRange(prefix: string): PrefixRange {
  const codePoints = Array.from(prefix);
  while (codePoints.length > 0) {
    const last = codePoints.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      // Skip the surrogate block: it holds no characters.
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return { low: prefix, high: codePoints.join('') + String.fromCodePoint(next) };
    }
  }
  return { low: prefix };
}

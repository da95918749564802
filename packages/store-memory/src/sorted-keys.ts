/**
 * A sorted set of strings, for prefix scans over a store's keys.
 *
 * Keys live in a list of sorted chunks (the layout of Python's `sortedcontainers`): finding a key
 * is a binary search over the chunks' last keys and then inside one chunk, and an insert or delete
 * moves at most one chunk's worth of elements, so every operation is O(log n + chunk size) however
 * many keys there are. Keys are compared by UTF-16 code units, as `<` compares strings.
 *
 * @module
 */

/** Chunks split in two when they grow past twice this size. */
const DEFAULT_CHUNK_SIZE = 512;

/** A sorted set of strings with ordered scans from any position. */
export class SortedKeys {
  readonly #chunkSize: number;
  /** Non-empty sorted chunks; every key of chunk i is below every key of chunk i + 1. */
  #chunks: string[][] = [];
  /** The last (greatest) key of each chunk. */
  #maxes: string[] = [];
  #size = 0;

  /** @param chunkSize Target chunk size (tests use a small one to exercise splits). */
  constructor(chunkSize: number = DEFAULT_CHUNK_SIZE) {
    this.#chunkSize = chunkSize;
  }

  /** How many keys the set holds. */
  get size(): number {
    return this.#size;
  }

  /** Whether `key` is in the set. */
  has(key: string): boolean {
    const c = lowerBound(this.#maxes, key);
    const chunk = this.#chunks[c];
    return chunk !== undefined && chunk[lowerBound(chunk, key)] === key;
  }

  /** Add `key`; returns false if it was already there. */
  add(key: string): boolean {
    const chunks = this.#chunks;
    if (chunks.length === 0) {
      chunks.push([key]);
      this.#maxes.push(key);
      this.#size = 1;
      return true;
    }
    // The first chunk whose greatest key is >= key, or the last chunk for a new greatest key.
    let c = lowerBound(this.#maxes, key);
    if (c === chunks.length) c--;
    const chunk = chunks[c]!;
    const i = lowerBound(chunk, key);
    if (chunk[i] === key) return false;
    if (i === chunk.length) chunk.push(key);
    else chunk.splice(i, 0, key);
    this.#size++;
    if (chunk.length > 2 * this.#chunkSize) {
      const upper = chunk.splice(this.#chunkSize);
      chunks.splice(c + 1, 0, upper);
      this.#maxes.splice(c, 1, chunk[chunk.length - 1]!, upper[upper.length - 1]!);
    } else {
      this.#maxes[c] = chunk[chunk.length - 1]!;
    }
    return true;
  }

  /** Remove `key`; returns false if it was not there. */
  delete(key: string): boolean {
    const c = lowerBound(this.#maxes, key);
    const chunk = this.#chunks[c];
    if (chunk === undefined) return false;
    const i = lowerBound(chunk, key);
    if (chunk[i] !== key) return false;
    chunk.splice(i, 1);
    this.#size--;
    if (chunk.length === 0) {
      this.#chunks.splice(c, 1);
      this.#maxes.splice(c, 1);
    } else {
      this.#maxes[c] = chunk[chunk.length - 1]!;
    }
    return true;
  }

  /**
   * Visit keys in ascending order, starting at the first key >= `from` (or > `from` when
   * `exclusive`), until `visit` returns false. `visit` must not change the set.
   */
  scan(from: string, exclusive: boolean, visit: (key: string) => boolean): void {
    const bound = exclusive ? upperBound : lowerBound;
    const chunks = this.#chunks;
    let c = bound(this.#maxes, from);
    const first = chunks[c];
    if (first === undefined) return;
    let i = bound(first, from);
    for (; c < chunks.length; c++, i = 0) {
      const chunk = chunks[c]!;
      for (; i < chunk.length; i++) if (!visit(chunk[i]!)) return;
    }
  }

  /** Remove every key. */
  clear(): void {
    this.#chunks = [];
    this.#maxes = [];
    this.#size = 0;
  }
}

/** The first index whose element is >= `key` (`sorted.length` if none). */
function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first index whose element is > `key` (`sorted.length` if none). */
function upperBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A binary heap with keyed access: O(log n) add, update, delete by key and pop.
 *
 * @module
 */

/** A keyed binary heap; `less(a, b)` puts `a` first. */
export class Heap<T> {
  readonly #items: T[] = [];
  readonly #index = new Map<string, number>();
  readonly #keyOf: (item: T) => string;
  readonly #less: (a: T, b: T) => boolean;

  constructor(keyOf: (item: T) => string, less: (a: T, b: T) => boolean) {
    this.#keyOf = keyOf;
    this.#less = less;
  }

  get size(): number {
    return this.#items.length;
  }

  has(key: string): boolean {
    return this.#index.has(key);
  }

  get(key: string): T | undefined {
    const i = this.#index.get(key);
    return i === undefined ? undefined : this.#items[i];
  }

  /** The first item, without removing it. */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** Add an item, or replace the item with the same key and restore the order. */
  addOrUpdate(item: T): void {
    const key = this.#keyOf(item);
    const i = this.#index.get(key);
    if (i !== undefined) {
      this.#items[i] = item;
      this.#fix(i);
      return;
    }
    this.#items.push(item);
    this.#index.set(key, this.#items.length - 1);
    this.#up(this.#items.length - 1);
  }

  /** Remove and return the first item. */
  pop(): T | undefined {
    if (this.#items.length === 0) return undefined;
    return this.#removeAt(0);
  }

  /** Remove the item with this key. */
  delete(key: string): T | undefined {
    const i = this.#index.get(key);
    return i === undefined ? undefined : this.#removeAt(i);
  }

  /** The items, in no particular order. */
  list(): readonly T[] {
    return this.#items;
  }

  #removeAt(i: number): T {
    const items = this.#items;
    const item = items[i] as T;
    const last = items.pop() as T;
    this.#index.delete(this.#keyOf(item));
    if (i < items.length) {
      items[i] = last;
      this.#index.set(this.#keyOf(last), i);
      this.#fix(i);
    }
    return item;
  }

  #fix(i: number): void {
    if (!this.#up(i)) this.#down(i);
  }

  #swap(i: number, j: number): void {
    const items = this.#items;
    const a = items[i] as T;
    const b = items[j] as T;
    items[i] = b;
    items[j] = a;
    this.#index.set(this.#keyOf(b), i);
    this.#index.set(this.#keyOf(a), j);
  }

  #up(i: number): boolean {
    let moved = false;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(this.#items[i] as T, this.#items[parent] as T)) break;
      this.#swap(i, parent);
      i = parent;
      moved = true;
    }
    return moved;
  }

  #down(i: number): void {
    const n = this.#items.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      let best = l;
      const r = l + 1;
      if (r < n && this.#less(this.#items[r] as T, this.#items[l] as T)) best = r;
      if (!this.#less(this.#items[best] as T, this.#items[i] as T)) return;
      this.#swap(i, best);
      i = best;
    }
  }
}

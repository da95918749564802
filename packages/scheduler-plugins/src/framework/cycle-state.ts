/**
 * The state of one scheduling cycle of one pod, shared by the plugins of that cycle
 * (kube-scheduler's `CycleState`). A plugin writes what it computed at PreFilter or PreScore and
 * reads it back at Filter or Score, under a typed key made with {@link stateKey}.
 *
 * Preemption tries "what if" cycles on copies: {@link CycleState.clone} clones every value that has
 * a `clone()` method and shares the others, so values without one must never be changed after
 * they are written.
 *
 * @example
 * ```ts
 * const key = stateKey<{ requests: number }>('PreFilterMyPlugin');
 * preFilter(state, pod) { state.write(key, { requests: 3 }); return undefined; }
 * filter(state, pod, node) { const s = state.read(key); … }
 * ```
 *
 * @module
 */

/** A typed key of the cycle state. */
export type StateKey<T> = string & { readonly __stateType?: T };

/** Make a typed key. Names are global per cycle: prefix them with your plugin's name. */
export function stateKey<T>(name: string): StateKey<T> {
  return name;
}

/** A value that preemption's "what if" copies must clone rather than share. */
export interface Cloneable<T> {
  /** A copy that can change without changing this value. */
  clone(): T;
}

function isCloneable(v: unknown): v is Cloneable<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { clone?: unknown }).clone === 'function';
}

/** The state of one scheduling cycle. */
export class CycleState {
  readonly #data = new Map<string, unknown>();
  /** Plugins whose PreFilter returned Skip: their Filter (and PreFilter extensions) do not run. */
  readonly skipFilterPlugins = new Set<string>();
  /** Plugins whose PreScore returned Skip: their Score does not run. */
  readonly skipScorePlugins = new Set<string>();

  /** The value under `key`, or `undefined`. */
  read<T>(key: StateKey<T>): T | undefined {
    return this.#data.get(key) as T | undefined;
  }

  /** Store `value` under `key`. */
  write<T>(key: StateKey<T>, value: T): void {
    this.#data.set(key, value);
  }

  /** Remove the value under `key`. */
  delete(key: StateKey<unknown>): void {
    this.#data.delete(key);
  }

  /** A copy: cloneable values are cloned, the rest shared. */
  clone(): CycleState {
    const copy = new CycleState();
    for (const [k, v] of this.#data) copy.#data.set(k, isCloneable(v) ? v.clone() : v);
    for (const p of this.skipFilterPlugins) copy.skipFilterPlugins.add(p);
    for (const p of this.skipScorePlugins) copy.skipScorePlugins.add(p);
    return copy;
  }
}

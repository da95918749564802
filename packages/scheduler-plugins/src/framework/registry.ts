/**
 * The registry of plugin factories, by plugin name. Profiles name plugins; the framework builds
 * each named plugin with its factory. Registering a second factory under a name that is taken is
 * refused, so an out-of-tree plugin can never silently replace an in-tree one.
 *
 * @example
 * ```ts
 * const registry = defaultRegistry();
 * registry.register('PreferSSD', () => preferSSD);
 * registry.register('NodeResourcesFit', myFit); // throws: a plugin named NodeResourcesFit is registered already
 * ```
 *
 * @module
 */
import type { PluginFactory } from './interface.js';

/** A name and its factory, e.g. for a DI multi-binding. */
export interface PluginRegistration {
  /** The plugin's name, as profiles refer to it. */
  readonly name: string;
  /** Makes the plugin for a profile. */
  readonly factory: PluginFactory;
}

/**
 * Plugin factories by name.
 *
 * @example
 * ```ts
 * const registry = new Registry().register('PreferSSD', () => preferSSD);
 * registry.has('PreferSSD'); // true
 * ```
 */
export class Registry {
  readonly #factories = new Map<string, PluginFactory>();

  constructor(entries: Iterable<PluginRegistration> = []) {
    for (const e of entries) this.register(e.name, e.factory);
  }

  /**
   * Add a factory.
   * @throws Error if a factory of that name is registered already.
   */
  register<A>(name: string, factory: PluginFactory<A>): this {
    if (name === '') throw new Error('a plugin needs a name');
    if (this.#factories.has(name)) throw new Error(`a plugin named ${name} is registered already`);
    this.#factories.set(name, factory as PluginFactory);
    return this;
  }

  /** Remove a factory. Returns whether it was registered. */
  unregister(name: string): boolean {
    return this.#factories.delete(name);
  }

  /** Add every factory of `other`. @throws Error on a name taken in this registry. */
  merge(other: Registry): this {
    for (const [name, factory] of other.#factories) this.register(name, factory);
    return this;
  }

  /** The factory registered under `name`, if any. */
  get(name: string): PluginFactory | undefined {
    return this.#factories.get(name);
  }

  /** Whether a factory is registered under `name`. */
  has(name: string): boolean {
    return this.#factories.has(name);
  }

  /** The registered names, in registration order. */
  names(): string[] {
    return [...this.#factories.keys()];
  }

  /** A copy. */
  clone(): Registry {
    const r = new Registry();
    for (const [n, f] of this.#factories) r.#factories.set(n, f);
    return r;
  }
}

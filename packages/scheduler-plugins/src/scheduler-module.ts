/**
 * Dependency injection for the scheduler: `schedulerModule(options)` is a ContainerModule that
 * adds the scheduler to the manager (through `TOKENS.ControllerSetup`), with the in-tree plugins
 * plus every plugin bound to {@link SCHEDULER_TOKENS.Plugin} and, if bound, the configuration of
 * {@link SCHEDULER_TOKENS.Configuration}. Plugins themselves never see the container.
 *
 * @example
 * ```ts
 * const container = new Container();
 * container.loadSync(
 *   memoryStoreModule(),
 *   coreModule(),
 *   schedulerModule(),
 *   new ContainerModule(({ bind }) => {
 *     bind(SCHEDULER_TOKENS.Plugin).toConstantValue({ name: 'PreferSSD', factory: preferSSD });
 *     bind(SCHEDULER_TOKENS.Configuration).toConstantValue({
 *       profiles: [{ plugins: { multiPoint: { enabled: [{ name: 'PreferSSD', weight: 5 }] } } }],
 *     });
 *   }),
 * );
 * await container.get(TOKENS.Manager).start(signal);
 * ```
 *
 * @module
 */
import { ContainerModule, TOKENS, type ServiceIdentifier } from '@harbormaster/core';
import type { KubeSchedulerConfiguration } from './config/types.js';
import type { PluginRegistration } from './framework/registry.js';
import { defaultRegistry } from './plugins/registry.js';
import { createScheduler, type SchedulerOptions } from './scheduler.js';

/** The scheduler's service identifiers. */
export const SCHEDULER_TOKENS = {
  /** Out-of-tree plugins (multi): `{ name, factory }`, added to the registry. */
  Plugin: Symbol.for('harbormaster.scheduler.Plugin') as ServiceIdentifier<PluginRegistration>,
  /** The `KubeSchedulerConfiguration` (an object or YAML text), when the module's options give none. */
  Configuration: Symbol.for('harbormaster.scheduler.Configuration') as ServiceIdentifier<KubeSchedulerConfiguration | string>,
} as const;

/** Options of {@link schedulerModule}: those of createScheduler, without the manager. */
export type SchedulerModuleOptions = Omit<SchedulerOptions, 'manager'>;

/**
 * The ContainerModule of `@harbormaster/scheduler-plugins`: binds a `TOKENS.ControllerSetup` that
 * adds a scheduler to the manager.
 *
 * @example
 * ```ts
 * container.loadSync(memoryStoreModule(), coreModule(), schedulerModule({ percentageOfNodesToScore: 50 }));
 * await container.get(TOKENS.Manager).start(signal);
 * ```
 * @throws (when the manager is built) an Error for an invalid profile, or a plugin name bound
 * twice or clashing with an in-tree plugin.
 */
export function schedulerModule(options: SchedulerModuleOptions = {}): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.ControllerSetup).toDynamicValue((ctx) => {
      const registry = (options.registry ?? defaultRegistry()).clone();
      for (const p of ctx.getAll(SCHEDULER_TOKENS.Plugin, { optional: true })) registry.register(p.name, p.factory);
      const configuration = options.configuration ?? ctx.get(SCHEDULER_TOKENS.Configuration, { optional: true });
      return (manager) => {
        manager.add(createScheduler({ ...options, manager, registry, ...(configuration === undefined ? {} : { configuration }) }));
      };
    });
  });
}

/**
 * Dependency injection at the composition root (inversify). `coreModule()` binds the API server,
 * the manager and the manager's client, built from whatever the container provides: a Store
 * (required, from a store package's module), and optionally a Clock, Logger, Metrics, leader
 * election options, extra kinds, admission plugins, controller setups and runnables. Business
 * code (reconcilers, plugins) never sees the container; the plain factories
 * (`createApiServer`, `createManager`) do the same work without it.
 *
 * @example
 * ```ts
 * import { Container, ContainerModule } from 'inversify';
 * import { TOKENS, coreModule, controller } from '@harbormaster/core';
 * import { memoryStoreModule } from '@harbormaster/store-memory';
 *
 * const container = new Container();
 * container.loadSync(
 *   memoryStoreModule(),
 *   coreModule(),
 *   new ContainerModule(({ bind }) => {
 *     bind(TOKENS.Kind).toConstantValue(Website);
 *     bind(TOKENS.ControllerSetup).toConstantValue((m) => controller(m).for(Website).complete(reconcileWebsite));
 *   }),
 * );
 * await container.get(TOKENS.Manager).start(signal);
 * ```
 *
 * @module
 */
import { ContainerModule } from 'inversify';
import { createApiServer } from '../api/api-server.js';
import { systemClock } from '../clock/clock.js';
import { createManager } from '../manager/manager.js';
import { noopMetrics } from '../observability/metrics.js';
import { TOKENS } from './tokens.js';

/** The ContainerModule of `@harbormaster/core`: ApiServer, Client and Manager as singletons. */
export function coreModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.ApiServer)
      .toDynamicValue((ctx) =>
        createApiServer({
          store: ctx.get(TOKENS.Store),
          clock: ctx.get(TOKENS.Clock, { optional: true }) ?? systemClock,
          kinds: ctx.getAll(TOKENS.Kind, { optional: true }),
          admission: ctx.getAll(TOKENS.AdmissionPlugin, { optional: true }),
        }),
      )
      .inSingletonScope();
    bind(TOKENS.Manager)
      .toDynamicValue((ctx) => {
        const leaderElection = ctx.get(TOKENS.LeaderElection, { optional: true });
        const logger = ctx.get(TOKENS.Logger, { optional: true });
        const manager = createManager({
          api: ctx.get(TOKENS.ApiServer),
          // Without a Logger binding the manager's default applies: warnings and errors on stderr.
          ...(logger === undefined ? {} : { logger }),
          metrics: ctx.get(TOKENS.Metrics, { optional: true }) ?? noopMetrics,
          ...(leaderElection === undefined ? {} : { leaderElection }),
        });
        for (const runnable of ctx.getAll(TOKENS.Runnable, { optional: true })) manager.add(runnable);
        for (const setup of ctx.getAll(TOKENS.ControllerSetup, { optional: true })) setup(manager);
        return manager;
      })
      .inSingletonScope();
    bind(TOKENS.Client)
      .toDynamicValue((ctx) => ctx.get(TOKENS.Manager).client)
      .inSingletonScope();
  });
}

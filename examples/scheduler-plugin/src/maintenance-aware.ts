/**
 * MaintenanceAware: a scheduler plugin of our own, next to Kubernetes' default plugins.
 *
 * - Filter: a node annotated `example.com/maintenance: "true"` takes no new pods ("node(s) are
 *   under maintenance"); preemption cannot help, so it is UnschedulableAndUnresolvable.
 * - Score: nodes annotated `example.com/maintenance-soon: "true"` score 0, others 100, so new
 *   pods avoid nodes that will be drained soon when there is a choice.
 * - Events: pods it rejected are retried when a node is added or a node's annotations change
 *   (the maintenance ends), not on every cluster event.
 *
 * The annotation key is configurable through the plugin's args (`pluginConfig`).
 *
 * @module
 */
import { ActionType, Status, type ClusterEventWithHint, type EnqueueExtensions, type FilterPlugin, type PluginFactory, type ScorePlugin } from '@harbormaster/scheduler-plugins';

/** The plugin's name, as profiles refer to it. */
export const MAINTENANCE_AWARE = 'MaintenanceAware';

/** The plugin's arguments (`pluginConfig[].args`). */
export interface MaintenanceAwareArgs {
  /** The annotation that marks a node under maintenance. @default "example.com/maintenance" */
  readonly annotation?: string;
  /** The annotation that marks a node due for maintenance soon. @default "example.com/maintenance-soon" */
  readonly soonAnnotation?: string;
}

/** The reason of a node under maintenance. */
export const ERR_REASON_MAINTENANCE = 'node(s) are under maintenance';

/**
 * The factory: register it under {@link MAINTENANCE_AWARE} in a registry, or bind it to
 * `SCHEDULER_TOKENS.Plugin`.
 */
export const maintenanceAware: PluginFactory = ({ args }) => {
  const a = (args ?? {}) as MaintenanceAwareArgs;
  const annotation = a.annotation ?? 'example.com/maintenance';
  const soon = a.soonAnnotation ?? 'example.com/maintenance-soon';
  const plugin: FilterPlugin & ScorePlugin & EnqueueExtensions = {
    name: MAINTENANCE_AWARE,
    filter(_state, _pod, nodeInfo) {
      if (nodeInfo.node?.metadata.annotations?.[annotation] === 'true') return Status.unresolvable(ERR_REASON_MAINTENANCE);
      return undefined;
    },
    score(_state, _pod, nodeInfo) {
      return nodeInfo.node?.metadata.annotations?.[soon] === 'true' ? 0 : 100;
    },
    eventsToRegister(): ClusterEventWithHint[] {
      return [{ event: { resource: 'Node', actions: ActionType.Add | ActionType.UpdateNodeAnnotation } }];
    },
  };
  return plugin;
};

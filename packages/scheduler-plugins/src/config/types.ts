/**
 * The scheduler's configuration, in the shape of Kubernetes' `KubeSchedulerConfiguration`
 * (`kubescheduler.config.k8s.io/v1`), so an existing `--config` file loads unchanged (fields
 * that only make sense for a separate binary, such as `clientConnection` and `leaderElection`, are
 * accepted and ignored).
 *
 * @example
 * ```yaml
 * apiVersion: kubescheduler.config.k8s.io/v1
 * kind: KubeSchedulerConfiguration
 * profiles:
 *   - schedulerName: default-scheduler
 *   - schedulerName: bin-packing
 *     plugins:
 *       score:
 *         disabled: [{ name: NodeResourcesBalancedAllocation }]
 *     pluginConfig:
 *       - name: NodeResourcesFit
 *         args:
 *           scoringStrategy:
 *             type: MostAllocated
 * ```
 *
 * @module
 */

/** A plugin enabled or disabled at an extension point; `*` in `disabled` means every default plugin. */
export interface PluginRef {
  /** The plugin's name, e.g. `NodeResourcesFit`, or `*` in `disabled`. */
  readonly name: string;
  /** For Score (and MultiPoint, where it applies to Score). 0 or unset means 1. */
  readonly weight?: number | undefined;
}

/** The plugins of one extension point: `enabled` run after the defaults that are not `disabled`. */
export interface PluginSet {
  /** Plugins to run, after the default plugins that remain. */
  readonly enabled?: readonly PluginRef[] | undefined;
  /** Default plugins not to run; `*` disables them all. */
  readonly disabled?: readonly PluginRef[] | undefined;
}

/** The extension points a profile configures, besides `multiPoint`. */
export const EXTENSION_POINTS = [
  'preEnqueue',
  'queueSort',
  'preFilter',
  'filter',
  'postFilter',
  'preScore',
  'score',
  'reserve',
  'permit',
  'preBind',
  'bind',
  'postBind',
] as const;

/** An extension point. */
export type ExtensionPoint = (typeof EXTENSION_POINTS)[number];

/** The plugins of a profile, per extension point. `multiPoint` enables a plugin at every point it implements. */
export type Plugins = { readonly multiPoint?: PluginSet | undefined } & { readonly [P in ExtensionPoint]?: PluginSet | undefined };

/** Arguments for one plugin (`args` is the plugin's own `…Args` object). */
export interface PluginConfig {
  /** The plugin's name, e.g. `NodeResourcesFit`. */
  readonly name: string;
  /** The plugin's arguments, merged over its defaults (e.g. `NodeResourcesFitArgs`). */
  readonly args?: Readonly<Record<string, unknown>> | undefined;
}

/** A scheduling profile: pods whose `spec.schedulerName` is `schedulerName` are scheduled with it. */
export interface KubeSchedulerProfile {
  /** @default "default-scheduler" */
  readonly schedulerName?: string | undefined;
  /** Overrides the configuration's percentageOfNodesToScore for this profile. */
  readonly percentageOfNodesToScore?: number | undefined;
  /** Merged into the default plugins. */
  readonly plugins?: Plugins | undefined;
  /** Arguments of the profile's plugins, at most one entry per plugin. */
  readonly pluginConfig?: readonly PluginConfig[] | undefined;
}

/** `KubeSchedulerConfiguration` (kubescheduler.config.k8s.io/v1). */
export interface KubeSchedulerConfiguration {
  /** The configuration's API version; only `kubescheduler.config.k8s.io/v1` is accepted. */
  readonly apiVersion?: 'kubescheduler.config.k8s.io/v1' | undefined;
  /** Always `KubeSchedulerConfiguration`. */
  readonly kind?: 'KubeSchedulerConfiguration' | undefined;
  /**
   * The percentage of nodes to find feasible before scoring; 0 means adaptive:
   * `max(5, 50 − nodes/125)` %, and never fewer than 100 nodes.
   * @default 0
   */
  readonly percentageOfNodesToScore?: number | undefined;
  /** The first back-off of an unschedulable pod. @default 1 */
  readonly podInitialBackoffSeconds?: number | undefined;
  /** The longest back-off. @default 10 */
  readonly podMaxBackoffSeconds?: number | undefined;
  /** @default one profile, `default-scheduler`, with the default plugins */
  readonly profiles?: readonly KubeSchedulerProfile[] | undefined;
}

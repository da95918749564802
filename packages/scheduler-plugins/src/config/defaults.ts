/**
 * The default profile, as Kubernetes' `pkg/scheduler/apis/config/v1/default_plugins.go`: every
 * default plugin enabled through `multiPoint`, with the Score weights of the default profile
 * (TaintToleration 3, NodeAffinity 2, PodTopologySpread 2, InterPodAffinity 2, NodeResourcesFit 1,
 * NodeResourcesBalancedAllocation 1, ImageLocality 1). The volume plugins of Kubernetes are left
 * out: Harbormaster has no PersistentVolumes to bind.
 *
 * A profile's `plugins` are merged into the defaults extension point by extension point, as
 * Kubernetes' `mergePlugins` does: defaults that are `disabled` (or all, with `*`) go; a default
 * that is also `enabled` keeps its place with the new weight; the other enabled plugins follow.
 *
 * @module
 */
import { EXTENSION_POINTS, type KubeSchedulerProfile, type PluginRef, type PluginSet, type Plugins } from './types.js';

/** The scheduler name of the default profile. */
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

/** The plugins of the default profile, in Kubernetes' order. */
export const DEFAULT_MULTI_POINT: readonly PluginRef[] = [
  { name: 'SchedulingGates' },
  { name: 'PrioritySort' },
  { name: 'NodeUnschedulable' },
  { name: 'NodeName' },
  { name: 'TaintToleration', weight: 3 },
  { name: 'NodeAffinity', weight: 2 },
  { name: 'NodePorts' },
  { name: 'NodeResourcesFit', weight: 1 },
  { name: 'PodTopologySpread', weight: 2 },
  { name: 'InterPodAffinity', weight: 2 },
  { name: 'DefaultPreemption' },
  { name: 'NodeResourcesBalancedAllocation', weight: 1 },
  { name: 'ImageLocality', weight: 1 },
  { name: 'DefaultBinder' },
];

/** The default plugins: everything through `multiPoint`, nothing at the other points. */
export function defaultPlugins(): Plugins {
  return { multiPoint: { enabled: DEFAULT_MULTI_POINT } };
}

/** Merge a custom plugin set into a default one (Kubernetes' `mergePluginSet`). */
export function mergePluginSet(defaults: PluginSet | undefined, custom: PluginSet | undefined): PluginSet {
  const disabledNames = new Set<string>();
  const disabled: PluginRef[] = [];
  for (const p of [...(custom?.disabled ?? []), ...(defaults?.disabled ?? [])]) {
    disabled.push({ name: p.name });
    disabledNames.add(p.name);
  }
  const customEnabled = custom?.enabled ?? [];
  const customByName = new Map<string, { index: number; plugin: PluginRef }>();
  customEnabled.forEach((plugin, index) => customByName.set(plugin.name, { index, plugin }));
  const replaced = new Set<number>();
  const enabled: PluginRef[] = [];
  if (!disabledNames.has('*')) {
    for (const d of defaults?.enabled ?? []) {
      if (disabledNames.has(d.name)) continue;
      const c = customByName.get(d.name);
      if (c !== undefined) {
        enabled.push(c.plugin);
        replaced.add(c.index);
      } else {
        enabled.push(d);
      }
    }
  }
  customEnabled.forEach((p, i) => {
    if (!replaced.has(i)) enabled.push(p);
  });
  return { enabled, disabled };
}

/** Merge a profile's plugins into the defaults (Kubernetes' `mergePlugins`). */
export function mergePlugins(defaults: Plugins, custom: Plugins | undefined): Plugins {
  const out: Record<string, PluginSet> = { multiPoint: mergePluginSet(defaults.multiPoint, custom?.multiPoint) };
  for (const point of EXTENSION_POINTS) out[point] = mergePluginSet(defaults[point], custom?.[point]);
  return out;
}

/** A profile with its name and plugins defaulted. */
export interface ResolvedProfile {
  /** The profile's scheduler name; `default-scheduler` when the profile names none. */
  readonly schedulerName: string;
  /** The profile's own percentageOfNodesToScore, if set. */
  readonly percentageOfNodesToScore: number | undefined;
  /** The default plugins with the profile's `plugins` merged in. */
  readonly plugins: Plugins;
  /** The arguments of each plugin the profile configures, by plugin name. */
  readonly pluginConfig: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
}

/** Default a profile: its scheduler name, and its plugins merged into the default plugins. */
export function resolveProfile(profile: KubeSchedulerProfile): ResolvedProfile {
  const pluginConfig = new Map<string, Readonly<Record<string, unknown>>>();
  for (const c of profile.pluginConfig ?? []) {
    if (pluginConfig.has(c.name)) throw new Error(`profile ${profile.schedulerName ?? DEFAULT_SCHEDULER_NAME}: pluginConfig for ${c.name} is given twice`);
    pluginConfig.set(c.name, c.args ?? {});
  }
  return {
    schedulerName: profile.schedulerName === undefined || profile.schedulerName === '' ? DEFAULT_SCHEDULER_NAME : profile.schedulerName,
    percentageOfNodesToScore: profile.percentageOfNodesToScore,
    plugins: mergePlugins(defaultPlugins(), profile.plugins),
    pluginConfig,
  };
}

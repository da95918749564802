/**
 * Load a `KubeSchedulerConfiguration` from YAML (or check one given as an object), the way
 * `kube-scheduler --config` reads it: `apiVersion: kubescheduler.config.k8s.io/v1`, profiles
 * with unique scheduler names, plugin sets per extension point, `pluginConfig` args, and
 * `percentageOfNodesToScore` in 0–100.
 *
 * @example
 * ```ts
 * const configuration = loadSchedulerConfiguration(readFileSync('scheduler.yaml', 'utf8'));
 * manager.add(createScheduler({ manager, configuration }));
 * ```
 *
 * @module
 */
import { parse } from 'yaml';
import { DEFAULT_SCHEDULER_NAME } from './defaults.js';
import { EXTENSION_POINTS, type KubeSchedulerConfiguration, type KubeSchedulerProfile, type PluginConfig, type PluginRef, type PluginSet } from './types.js';

/** The only API version accepted. */
export const SCHEDULER_CONFIG_API_VERSION = 'kubescheduler.config.k8s.io/v1';

/** An invalid scheduler configuration; `causes` name the fields, as `field: message`. */
export class SchedulerConfigurationError extends Error {
  /** Always `SchedulerConfigurationError`. */
  override readonly name = 'SchedulerConfigurationError';
  constructor(
    /** Each problem, with its field path, e.g. `profiles[0].percentageOfNodesToScore: must be …`. */
    readonly causes: readonly string[],
  ) {
    super(`invalid KubeSchedulerConfiguration: ${causes.join('; ')}`);
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkPercentage(v: unknown, path: string, causes: string[]): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 100) {
    causes.push(`${path}: must be an integer in the range 0 to 100, got ${JSON.stringify(v)}`);
    return undefined;
  }
  return v;
}

function checkPluginSet(v: unknown, path: string, causes: string[]): PluginSet | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) {
    causes.push(`${path}: must be an object with enabled and disabled lists`);
    return undefined;
  }
  const list = (key: 'enabled' | 'disabled'): PluginRef[] | undefined => {
    const l = v[key];
    if (l === undefined || l === null) return undefined;
    if (!Array.isArray(l)) {
      causes.push(`${path}.${key}: must be a list`);
      return undefined;
    }
    const out: PluginRef[] = [];
    l.forEach((p: unknown, i) => {
      if (!isObj(p) || typeof p.name !== 'string' || p.name === '') {
        causes.push(`${path}.${key}[${i}].name: required`);
        return;
      }
      if (p.weight !== undefined && p.weight !== null && (typeof p.weight !== 'number' || !Number.isInteger(p.weight) || p.weight < 0)) {
        causes.push(`${path}.${key}[${i}].weight: must be a non-negative integer`);
        return;
      }
      if (key === 'enabled' && p.name === '*') {
        causes.push(`${path}.enabled[${i}].name: "*" is only allowed in disabled`);
        return;
      }
      out.push(typeof p.weight === 'number' ? { name: p.name, weight: p.weight } : { name: p.name });
    });
    return out;
  };
  const enabled = list('enabled');
  const disabled = list('disabled');
  return { ...(enabled === undefined ? {} : { enabled }), ...(disabled === undefined ? {} : { disabled }) };
}

function checkProfile(v: unknown, path: string, causes: string[]): KubeSchedulerProfile | undefined {
  if (!isObj(v)) {
    causes.push(`${path}: must be an object`);
    return undefined;
  }
  const out: { -readonly [K in keyof KubeSchedulerProfile]: KubeSchedulerProfile[K] } = {};
  if (v.schedulerName !== undefined && v.schedulerName !== null) {
    if (typeof v.schedulerName !== 'string') causes.push(`${path}.schedulerName: must be a string`);
    else out.schedulerName = v.schedulerName;
  }
  const pct = checkPercentage(v.percentageOfNodesToScore, `${path}.percentageOfNodesToScore`, causes);
  if (pct !== undefined) out.percentageOfNodesToScore = pct;
  if (v.plugins !== undefined && v.plugins !== null) {
    if (!isObj(v.plugins)) causes.push(`${path}.plugins: must be an object`);
    else {
      const plugins: Record<string, PluginSet> = {};
      for (const [point, set] of Object.entries(v.plugins)) {
        if (point !== 'multiPoint' && !(EXTENSION_POINTS as readonly string[]).includes(point)) {
          causes.push(`${path}.plugins.${point}: unknown extension point`);
          continue;
        }
        const s = checkPluginSet(set, `${path}.plugins.${point}`, causes);
        if (s !== undefined) plugins[point] = s;
      }
      out.plugins = plugins;
    }
  }
  if (v.pluginConfig !== undefined && v.pluginConfig !== null) {
    if (!Array.isArray(v.pluginConfig)) causes.push(`${path}.pluginConfig: must be a list`);
    else {
      const configs: PluginConfig[] = [];
      const seen = new Set<string>();
      v.pluginConfig.forEach((c: unknown, i) => {
        if (!isObj(c) || typeof c.name !== 'string' || c.name === '') {
          causes.push(`${path}.pluginConfig[${i}].name: required`);
          return;
        }
        if (seen.has(c.name)) causes.push(`${path}.pluginConfig[${i}]: duplicate config for plugin ${c.name}`);
        seen.add(c.name);
        if (c.args !== undefined && c.args !== null && !isObj(c.args)) {
          causes.push(`${path}.pluginConfig[${i}].args: must be an object`);
          return;
        }
        const args: Obj = isObj(c.args) ? { ...c.args } : {};
        // Typed args carry their own apiVersion and kind (e.g. NodeResourcesFitArgs): not plugin arguments.
        delete args.apiVersion;
        delete args.kind;
        configs.push({ name: c.name, args });
      });
      out.pluginConfig = configs;
    }
  }
  return out;
}

/**
 * Check a configuration object and return it normalized (typed args' `apiVersion`/`kind` removed).
 *
 * @example
 * ```ts
 * validateSchedulerConfiguration({ profiles: [{ schedulerName: 'a' }, { schedulerName: 'a' }] });
 * // throws SchedulerConfigurationError: profiles[1].schedulerName: Duplicate value: "a"
 * ```
 * @throws {@link SchedulerConfigurationError} naming every invalid field.
 */
export function validateSchedulerConfiguration(input: unknown): KubeSchedulerConfiguration {
  const causes: string[] = [];
  if (!isObj(input)) throw new SchedulerConfigurationError(['the configuration must be an object']);
  if (input.apiVersion !== undefined && input.apiVersion !== SCHEDULER_CONFIG_API_VERSION) {
    causes.push(`apiVersion: must be ${SCHEDULER_CONFIG_API_VERSION}, got ${JSON.stringify(input.apiVersion)}`);
  }
  if (input.kind !== undefined && input.kind !== 'KubeSchedulerConfiguration') {
    causes.push(`kind: must be KubeSchedulerConfiguration, got ${JSON.stringify(input.kind)}`);
  }
  const out: { -readonly [K in keyof KubeSchedulerConfiguration]: KubeSchedulerConfiguration[K] } = {
    apiVersion: SCHEDULER_CONFIG_API_VERSION,
    kind: 'KubeSchedulerConfiguration',
  };
  const pct = checkPercentage(input.percentageOfNodesToScore, 'percentageOfNodesToScore', causes);
  if (pct !== undefined) out.percentageOfNodesToScore = pct;
  for (const key of ['podInitialBackoffSeconds', 'podMaxBackoffSeconds'] as const) {
    const v = input[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !(v > 0)) causes.push(`${key}: must be greater than 0`);
    else out[key] = v;
  }
  if (out.podInitialBackoffSeconds !== undefined && out.podMaxBackoffSeconds !== undefined && out.podMaxBackoffSeconds < out.podInitialBackoffSeconds) {
    causes.push('podMaxBackoffSeconds: must be greater than or equal to podInitialBackoffSeconds');
  }
  if (input.profiles !== undefined && input.profiles !== null) {
    if (!Array.isArray(input.profiles)) causes.push('profiles: must be a list');
    else {
      const profiles: KubeSchedulerProfile[] = [];
      const names = new Set<string>();
      input.profiles.forEach((p: unknown, i) => {
        const profile = checkProfile(p, `profiles[${i}]`, causes);
        if (profile === undefined) return;
        const name = profile.schedulerName === undefined || profile.schedulerName === '' ? DEFAULT_SCHEDULER_NAME : profile.schedulerName;
        if (names.has(name)) causes.push(`profiles[${i}].schedulerName: Duplicate value: "${name}"`);
        names.add(name);
        profiles.push(profile);
      });
      out.profiles = profiles;
    }
  }
  if (causes.length > 0) throw new SchedulerConfigurationError(causes);
  return out;
}

/**
 * Parse a `KubeSchedulerConfiguration` from YAML (or JSON) text.
 *
 * @example
 * ```ts
 * const configuration = loadSchedulerConfiguration(`
 * apiVersion: kubescheduler.config.k8s.io/v1
 * kind: KubeSchedulerConfiguration
 * profiles:
 *   - schedulerName: default-scheduler
 *     plugins:
 *       score:
 *         disabled: [{ name: ImageLocality }]
 * `);
 * ```
 * @throws {@link SchedulerConfigurationError} for YAML errors and invalid fields.
 */
export function loadSchedulerConfiguration(text: string): KubeSchedulerConfiguration {
  let doc: unknown;
  try {
    doc = parse(text, { version: '1.1', uniqueKeys: true, maxAliasCount: 100 });
  } catch (e) {
    throw new SchedulerConfigurationError([`YAML: ${e instanceof Error ? e.message : String(e)}`]);
  }
  return validateSchedulerConfiguration(doc ?? {});
}

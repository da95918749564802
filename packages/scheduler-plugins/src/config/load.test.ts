import { describe, expect, it } from 'vitest';
import { harness, node } from '../../test/fixtures.js';
import { loadSchedulerConfiguration, SchedulerConfigurationError } from './load.js';
import { mergePluginSet, resolveProfile } from './defaults.js';
import type { Framework } from '../framework/framework.js';

const yaml = `
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
percentageOfNodesToScore: 30
podInitialBackoffSeconds: 2
podMaxBackoffSeconds: 20
clientConnection:
  kubeconfig: /etc/kubernetes/scheduler.conf
profiles:
  - schedulerName: default-scheduler
  - schedulerName: bin-packing
    percentageOfNodesToScore: 100
    plugins:
      score:
        disabled:
          - name: NodeResourcesBalancedAllocation
        enabled:
          - name: NodeResourcesFit
            weight: 5
    pluginConfig:
      - name: NodeResourcesFit
        args:
          apiVersion: kubescheduler.config.k8s.io/v1
          kind: NodeResourcesFitArgs
          scoringStrategy:
            type: MostAllocated
            resources:
              - name: cpu
                weight: 1
`;

describe('loadSchedulerConfiguration', () => {
  it('reads a KubeSchedulerConfiguration with profiles, plugin sets and args', () => {
    const c = loadSchedulerConfiguration(yaml);
    expect(c.percentageOfNodesToScore).toBe(30);
    expect(c.podInitialBackoffSeconds).toBe(2);
    expect(c.profiles?.map((p) => p.schedulerName)).toEqual(['default-scheduler', 'bin-packing']);
    expect(c.profiles?.[1]?.pluginConfig?.[0]?.args).toEqual({ scoringStrategy: { type: 'MostAllocated', resources: [{ name: 'cpu', weight: 1 }] } });
  });

  it('names every invalid field', () => {
    const bad = `
apiVersion: kubescheduler.config.k8s.io/v1beta3
percentageOfNodesToScore: 150
profiles:
  - schedulerName: a
    plugins:
      scoring: {}
      filter:
        enabled:
          - name: "*"
  - schedulerName: a
`;
    try {
      loadSchedulerConfiguration(bad);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SchedulerConfigurationError);
      expect((e as SchedulerConfigurationError).causes).toEqual([
        'apiVersion: must be kubescheduler.config.k8s.io/v1, got "kubescheduler.config.k8s.io/v1beta3"',
        'percentageOfNodesToScore: must be an integer in the range 0 to 100, got 150',
        'profiles[0].plugins.scoring: unknown extension point',
        'profiles[0].plugins.filter.enabled[0].name: "*" is only allowed in disabled',
        'profiles[1].schedulerName: Duplicate value: "a"',
      ]);
    }
    expect(() => loadSchedulerConfiguration('profiles: [\n')).toThrow(SchedulerConfigurationError);
  });

  it('builds the profiles: weights and disabled plugins per extension point', () => {
    const c = loadSchedulerConfiguration(yaml);
    const h = harness({ plugin: 'PrioritySort', nodes: [node('n')], profile: c.profiles?.[1] ?? {} });
    const scores = Object.fromEntries(h.framework.scorePlugins.map((s) => [s.plugin.name, s.weight]));
    expect(scores).toEqual({ NodeResourcesFit: 5, TaintToleration: 3, NodeAffinity: 2, PodTopologySpread: 2, InterPodAffinity: 2, ImageLocality: 1 });
    expect(h.framework.percentageOfNodesToScore).toBe(100);
  });
});

describe('profiles', () => {
  it('enables the default plugins at their extension points, in order, with the default weights', () => {
    const f = harness({ plugin: 'PrioritySort', nodes: [node('n')], profile: {} }).framework;
    const names = (l: readonly { name: string }[]): string[] => l.map((p) => p.name);
    expect(names(f.preEnqueuePlugins)).toEqual(['SchedulingGates']);
    expect(names(f.queueSortPlugins)).toEqual(['PrioritySort']);
    expect(names(f.preFilterPlugins)).toEqual(['NodeAffinity', 'NodePorts', 'NodeResourcesFit', 'PodTopologySpread', 'InterPodAffinity']);
    expect(names(f.filterPlugins)).toEqual(['NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeAffinity', 'NodePorts', 'NodeResourcesFit', 'PodTopologySpread', 'InterPodAffinity']);
    expect(names(f.postFilterPlugins)).toEqual(['DefaultPreemption']);
    // Kubernetes' PreScore plugins, plus ImageLocality (which skips scoring when no node reports images).
    expect(names(f.preScorePlugins)).toEqual(['TaintToleration', 'NodeAffinity', 'NodeResourcesFit', 'PodTopologySpread', 'InterPodAffinity', 'NodeResourcesBalancedAllocation', 'ImageLocality']);
    expect(f.scorePlugins.map((s) => `${s.plugin.name}:${s.weight}`)).toEqual([
      'TaintToleration:3',
      'NodeAffinity:2',
      'NodeResourcesFit:1',
      'PodTopologySpread:2',
      'InterPodAffinity:2',
      'NodeResourcesBalancedAllocation:1',
      'ImageLocality:1',
    ]);
    expect(names(f.bindPlugins)).toEqual(['DefaultBinder']);
  });

  it("disables every default plugin of an extension point with '*'", () => {
    const f = harness({
      plugin: 'PrioritySort',
      nodes: [node('n')],
      profile: { plugins: { score: { disabled: [{ name: '*' }], enabled: [{ name: 'ImageLocality', weight: 7 }] }, filter: { disabled: [{ name: 'NodePorts' }] } } },
    }).framework;
    expect(f.scorePlugins.map((s) => `${s.plugin.name}:${s.weight}`)).toEqual(['ImageLocality:7']);
    expect(f.filterPlugins.map((p) => p.name)).not.toContain('NodePorts');
    expect(f.preFilterPlugins.map((p) => p.name)).toContain('NodePorts');
  });

  it('merges plugin sets like Kubernetes: a re-enabled default keeps its place with the new weight', () => {
    expect(
      mergePluginSet(
        { enabled: [{ name: 'A', weight: 1 }, { name: 'B', weight: 1 }, { name: 'C' }] },
        { enabled: [{ name: 'X' }, { name: 'B', weight: 9 }], disabled: [{ name: 'C' }] },
      ).enabled,
    ).toEqual([{ name: 'A', weight: 1 }, { name: 'B', weight: 9 }, { name: 'X' }]);
  });

  it('refuses unknown plugins, plugins at points they do not implement, duplicates, and profiles without QueueSort or Bind', () => {
    const build = (profile: object): Framework => harness({ plugin: 'PrioritySort', nodes: [node('n')], profile }).framework;
    expect(() => build({ plugins: { multiPoint: { enabled: [{ name: 'Nope' }] } } })).toThrow('profile default-scheduler: plugin "Nope" does not exist');
    expect(() => build({ plugins: { filter: { enabled: [{ name: 'ImageLocality' }] } } })).toThrow('plugin "ImageLocality" does not extend the filter extension point');
    expect(() => build({ plugins: { filter: { enabled: [{ name: 'NodeName' }, { name: 'NodeName' }] } } })).toThrow('already registered');
    expect(() => build({ plugins: { queueSort: { disabled: [{ name: '*' }] } } })).toThrow('exactly one queueSort plugin is required');
    expect(() => build({ plugins: { bind: { disabled: [{ name: 'DefaultBinder' }] } } })).toThrow('at least one bind plugin is required');
  });

  it('defaults the scheduler name', () => {
    expect(resolveProfile({}).schedulerName).toBe('default-scheduler');
  });
});

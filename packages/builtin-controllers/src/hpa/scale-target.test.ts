import { builtinKinds, everything, KindRegistry, kinds, parseLabelSelector, type KubeObject } from '@harbormaster/core';
import { FakeClock } from '@harbormaster/core/testing';
import { describe, expect, it } from 'vitest';
import { staticMetricsSource } from './metrics-source.js';
import { patchAtPath, readScale, resolveScaleTargetKind, valueAtPath } from './scale-target.js';

describe('scale target', () => {
  const registry = new KindRegistry(builtinKinds);

  it('resolves scaleTargetRef by group and kind', () => {
    expect(resolveScaleTargetKind(registry, { apiVersion: 'apps/v1', kind: 'Deployment' })).toBe(kinds.Deployment);
    expect(resolveScaleTargetKind(registry, { apiVersion: 'apps/v1beta2', kind: 'ReplicaSet' })).toBe(kinds.ReplicaSet);
    expect(resolveScaleTargetKind(registry, { apiVersion: 'v1', kind: 'Deployment' })).toBeUndefined();
  });

  it('reads and writes through the scale paths', () => {
    const obj = { spec: { replicas: 4, selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a'] }] } }, status: { replicas: 3 } };
    const scale = readScale(
      { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' },
      obj as unknown as KubeObject,
    );
    expect(scale).toEqual({ specReplicas: 4, statusReplicas: 3, selector: 'app=web,tier in (a)' });
    const custom = { spec: {}, status: { labelSelector: 'app=job' } } as unknown as KubeObject;
    expect(readScale({ specReplicasPath: '.spec.size', statusReplicasPath: '.status.size', labelSelectorPath: '.status.labelSelector' }, custom)).toEqual({
      specReplicas: 0,
      statusReplicas: 0,
      selector: 'app=job',
    });
    expect(patchAtPath('.spec.replicas', 7)).toEqual({ spec: { replicas: 7 } });
    expect(valueAtPath({ a: { b: [1] } }, '.a.b.c')).toBeUndefined();
  });
});

describe('staticMetricsSource', () => {
  it('answers pod, object and external metrics it was given', async () => {
    const clock = new FakeClock();
    const source = staticMetricsSource({ clock, windowMs: 15_000 });
    source.setPodMetric({ pod: 'a', metric: 'cpu', value: '250m' });
    source.setPodMetric({ pod: 'b', metric: 'cpu', container: 'app', value: '100m' });
    source.setPodMetric({ pod: 'b', metric: 'cpu', container: 'sidecar', value: '50m', timestamp: 5 });
    source.setPodMetric({ namespace: 'other', pod: 'c', metric: 'cpu', value: '1' });
    const query = { namespace: 'default', selector: everything, metric: 'cpu', type: 'Resource' as const };
    expect(await source.podMetrics(query)).toEqual([
      { pod: 'a', value: 0.25, timestamp: clock.now(), windowMs: 15_000 },
      { pod: 'b', value: 0.15000000000000002, timestamp: 5, windowMs: 15_000 },
    ]);
    expect((await source.podMetrics({ ...query, container: 'sidecar' })).map((m) => [m.pod, m.value])).toEqual([['b', 0.05]]);
    source.deletePodMetric({ pod: 'a' });
    expect((await source.podMetrics(query)).map((m) => m.pod)).toEqual(['b']);

    source.setObjectMetric({ object: { kind: 'Ingress', name: 'main' }, metric: 'rps', value: '2k' });
    expect(await source.objectMetric({ namespace: 'default', object: { kind: 'Ingress', name: 'main' }, metric: 'rps' })).toEqual({ value: 2000, timestamp: clock.now() });
    await expect(source.objectMetric({ namespace: 'default', object: { kind: 'Ingress', name: 'x' }, metric: 'rps' })).rejects.toThrow('no metric rps');

    source.setExternalMetric({ metric: 'queue', labels: { q: 'a' }, value: 10 });
    source.setExternalMetric({ metric: 'queue', labels: { q: 'b' }, value: 20 });
    const external = (selector: string) => source.externalMetrics({ namespace: 'default', metric: 'queue', metricSelector: parseLabelSelector(selector) });
    expect((await external('q=a')).map((s) => s.value)).toEqual([10]);
    expect((await external('')).map((s) => s.value)).toEqual([10, 20]);
    source.clear();
    await expect(external('')).rejects.toThrow('no external metric queue');
  });
});

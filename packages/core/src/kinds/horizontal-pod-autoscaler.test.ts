import { describe, expect, it } from 'vitest';
import type { FieldCause } from '../errors.js';
import { HorizontalPodAutoscaler, defaultHPAScaleDownRules, defaultHPAScaleUpRules, effectiveHPABehavior } from './index.js';

function hpa(spec: Record<string, unknown> = {}): HorizontalPodAutoscaler {
  const obj = HorizontalPodAutoscaler.schema.parse({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'default' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 10, ...spec },
  });
  HorizontalPodAutoscaler.strategy.applyDefaults?.(obj);
  return obj;
}

const fields = (causes: readonly FieldCause[]): string[] => causes.map((c) => c.field);
const validate = (obj: HorizontalPodAutoscaler): FieldCause[] => HorizontalPodAutoscaler.strategy.validate?.(obj, undefined) ?? [];
const cpu = (target: Record<string, unknown>): Record<string, unknown> => ({ type: 'Resource', resource: { name: 'cpu', target } });

describe('HorizontalPodAutoscaler defaults', () => {
  it('is served as horizontalpodautoscalers.autoscaling/v2 (hpa) with a status subresource', () => {
    expect(HorizontalPodAutoscaler).toMatchObject({ apiVersion: 'autoscaling/v2', plural: 'horizontalpodautoscalers', shortNames: ['hpa'] });
    expect(HorizontalPodAutoscaler.subresources).toEqual({ status: true });
  });

  it('defaults minReplicas to 1 and the metrics to 80% CPU', () => {
    const obj = hpa();
    expect(obj.spec.minReplicas).toBe(1);
    expect(obj.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
    expect(hpa({ metrics: [] }).spec.metrics).toHaveLength(1);
    expect(obj.spec.behavior).toBeUndefined();
  });

  it('fills a given behavior from Kubernetes’ defaults, keeping what is set', () => {
    const obj = hpa({ behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } });
    expect(obj.spec.behavior).toEqual({
      scaleUp: {
        stabilizationWindowSeconds: 0,
        selectPolicy: 'Max',
        policies: [
          { type: 'Pods', value: 4, periodSeconds: 15 },
          { type: 'Percent', value: 100, periodSeconds: 15 },
        ],
      },
      scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
    });
    // As in Kubernetes, the scale-down window stays unset on the object: the controller supplies 300 s.
    expect(hpa({ behavior: {} }).spec.behavior?.scaleDown?.stabilizationWindowSeconds).toBeUndefined();
    const custom = hpa({ behavior: { scaleUp: { selectPolicy: 'Disabled', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } } });
    expect(custom.spec.behavior?.scaleUp).toEqual({ stabilizationWindowSeconds: 0, selectPolicy: 'Disabled', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] });
  });

  it('gives controllers the full effective behavior', () => {
    expect(effectiveHPABehavior(undefined)).toEqual({ scaleUp: defaultHPAScaleUpRules, scaleDown: defaultHPAScaleDownRules });
    expect(effectiveHPABehavior(undefined).scaleDown.stabilizationWindowSeconds).toBe(300);
    expect(effectiveHPABehavior({ scaleDown: { stabilizationWindowSeconds: 30 } }).scaleDown).toMatchObject({ stabilizationWindowSeconds: 30, selectPolicy: 'Max' });
  });

  it('does not share the default metric between objects', () => {
    const a = hpa();
    const b = hpa();
    expect(a.spec.metrics[0]).not.toBe(b.spec.metrics[0]);
  });
});

describe('HorizontalPodAutoscaler validation', () => {
  it('accepts a good one', () => {
    expect(validate(hpa({ minReplicas: 2, metrics: [cpu({ type: 'Utilization', averageUtilization: 70 })] }))).toEqual([]);
  });

  it('needs minReplicas ≥ 1 and ≤ maxReplicas', () => {
    expect(validate(hpa({ minReplicas: 5, maxReplicas: 3 }))).toEqual([
      { field: 'spec.maxReplicas', type: 'FieldValueInvalid', message: 'Invalid value: 3: must be greater than or equal to `minReplicas`' },
    ]);
    expect(fields(validate(hpa({ minReplicas: 0 })))).toEqual(['spec.minReplicas']);
  });

  it('needs the metric source that the type names, and a complete target', () => {
    expect(fields(validate(hpa({ metrics: [{ type: 'Pods', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }] })))).toEqual([
      'spec.metrics[0].resource',
      'spec.metrics[0].pods',
    ]);
    expect(fields(validate(hpa({ metrics: [cpu({ type: 'Utilization' })] })))).toEqual(['spec.metrics[0].resource.target.averageUtilization']);
    expect(fields(validate(hpa({ metrics: [cpu({ type: 'AverageValue', averageValue: '-1' })] })))).toEqual(['spec.metrics[0].resource.target.averageValue']);
    const pods = { type: 'Pods', pods: { metric: { name: 'rps' }, target: { type: 'AverageValue', averageValue: '100' } } };
    expect(validate(hpa({ metrics: [pods] }))).toEqual([]);
  });

  it('checks scaling policies', () => {
    const causes = validate(
      hpa({ behavior: { scaleUp: { stabilizationWindowSeconds: 4000, policies: [{ type: 'Pods', value: 0, periodSeconds: 0 }] }, scaleDown: { policies: [] } } }),
    );
    expect(fields(causes)).toEqual([
      'spec.behavior.scaleUp.stabilizationWindowSeconds',
      'spec.behavior.scaleUp.policies[0].value',
      'spec.behavior.scaleUp.policies[0].periodSeconds',
      'spec.behavior.scaleDown.policies',
    ]);
  });

  it('needs a scale target', () => {
    expect(fields(validate(hpa({ scaleTargetRef: { kind: '', name: '' } })))).toEqual(['spec.scaleTargetRef.kind', 'spec.scaleTargetRef.name']);
  });
});

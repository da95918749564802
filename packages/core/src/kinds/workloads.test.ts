import { describe, expect, it } from 'vitest';
import type { FieldCause } from '../errors.js';
import { Deployment, ReplicaSet } from './index.js';

const template = {
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
};

function deployment(spec: Record<string, unknown> = {}): Deployment {
  const d = Deployment.schema.parse({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'web' } }, template, ...spec },
  });
  Deployment.strategy.applyDefaults?.(d);
  return d;
}

function replicaSet(spec: Record<string, unknown> = {}): ReplicaSet {
  const rs = ReplicaSet.schema.parse({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web', namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'web' } }, template, ...spec },
  });
  ReplicaSet.strategy.applyDefaults?.(rs);
  return rs;
}

const fields = (causes: readonly FieldCause[]): string[] => causes.map((c) => c.field);

describe('Deployment', () => {
  it('is served as deployments.apps with the status and scale subresources', () => {
    expect(Deployment).toMatchObject({ apiVersion: 'apps/v1', plural: 'deployments', shortNames: ['deploy'], namespaced: true });
    expect(Deployment.subresources).toEqual({
      status: true,
      scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' },
    });
  });

  it('defaults replicas, strategy, history and progress deadline', () => {
    const d = deployment();
    expect(d.spec).toMatchObject({
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    });
  });

  it('parses the strategy type alone and leaves the rolling update to the strategy hook', () => {
    const parsed = Deployment.schema.parse({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { selector: { matchLabels: { app: 'web' } }, template },
    });
    expect(parsed.spec.strategy).toEqual({ type: 'RollingUpdate' });
  });

  it('fills a partial rolling update and leaves Recreate alone', () => {
    expect(deployment({ strategy: { rollingUpdate: { maxSurge: 1 } } }).spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' },
    });
    expect(deployment({ strategy: { type: 'Recreate' } }).spec.strategy).toEqual({ type: 'Recreate' });
  });

  it('defaults the Pod template, deep inside', () => {
    const d = deployment({
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }], startupProbe: { tcpSocket: { port: 80 } } }] },
      },
    });
    const spec = d.spec.template.spec;
    expect(spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', securityContext: {}, terminationGracePeriodSeconds: 30 });
    expect(spec.containers[0]).toMatchObject({
      imagePullPolicy: 'Always',
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      startupProbe: { tcpSocket: { port: 80 }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
    });
  });

  it('accepts a good Deployment', () => {
    expect(Deployment.strategy.validate?.(deployment({ replicas: 3 }), undefined)).toEqual([]);
  });

  it('needs a selector that matches the template labels', () => {
    const none = deployment({ selector: undefined });
    expect(Deployment.strategy.validate?.(none, undefined)).toEqual([{ field: 'spec.selector', type: 'FieldValueRequired', message: 'Required value' }]);
    expect(fields(Deployment.strategy.validate?.(deployment({ selector: {} }), undefined) ?? [])).toEqual(['spec.selector']);
    const mismatch = Deployment.strategy.validate?.(deployment({ selector: { matchLabels: { app: 'api' } } }), undefined) ?? [];
    expect(mismatch).toEqual([
      {
        field: 'spec.template.metadata.labels',
        type: 'FieldValueInvalid',
        message: 'Invalid value: {"app":"web"}: `selector` does not match template `labels`',
      },
    ]);
    const expressions = deployment({ selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] } });
    expect(Deployment.strategy.validate?.(expressions, undefined)).toEqual([]);
    const noValues = deployment({ selector: { matchExpressions: [{ key: 'app', operator: 'In' }] } });
    expect(fields(Deployment.strategy.validate?.(noValues, undefined) ?? [])).toContain('spec.selector.matchExpressions[0].values');
  });

  it('checks replicas, the template restart policy and container names', () => {
    const d = deployment({
      replicas: -1,
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'web', image: 'a:1' }, { name: 'web', image: 'b:1' }] },
      },
    });
    const causes = Deployment.strategy.validate?.(d, undefined) ?? [];
    expect(causes).toContainEqual({ field: 'spec.replicas', type: 'FieldValueInvalid', message: 'Invalid value: -1: must be greater than or equal to 0' });
    expect(causes).toContainEqual({
      field: 'spec.template.spec.restartPolicy',
      type: 'FieldValueNotSupported',
      message: 'Unsupported value: "Never": supported values: "Always"',
    });
    expect(causes).toContainEqual({ field: 'spec.template.spec.containers[1].name', type: 'FieldValueDuplicate', message: 'Duplicate value: "web"' });
  });

  it('checks the rolling update parameters', () => {
    const v = (strategy: Record<string, unknown>, extra: Record<string, unknown> = {}): string[] =>
      fields(Deployment.strategy.validate?.(deployment({ strategy, ...extra }), undefined) ?? []);
    expect(v({ type: 'Recreate', rollingUpdate: { maxSurge: 1 } })).toEqual(['spec.strategy.rollingUpdate']);
    expect(v({ rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } })).toEqual(['spec.strategy.rollingUpdate.maxUnavailable']);
    expect(v({ rollingUpdate: { maxSurge: 'lots', maxUnavailable: '150%' } })).toEqual([
      'spec.strategy.rollingUpdate.maxSurge',
      'spec.strategy.rollingUpdate.maxUnavailable',
    ]);
    expect(v({}, { minReadySeconds: 700 })).toEqual(['spec.progressDeadlineSeconds']);
  });
});

describe('ReplicaSet', () => {
  it('is served as replicasets.apps with status and scale', () => {
    expect(ReplicaSet).toMatchObject({ apiVersion: 'apps/v1', plural: 'replicasets', shortNames: ['rs'] });
    expect(ReplicaSet.subresources.scale?.specReplicasPath).toBe('.spec.replicas');
  });

  it('defaults replicas to 1 and status replicas to 0', () => {
    const rs = replicaSet();
    expect(rs.spec.replicas).toBe(1);
    expect(rs.spec.template.spec.containers[0]?.imagePullPolicy).toBe('IfNotPresent');
    const withStatus = ReplicaSet.schema.parse({ ...rs, status: { readyReplicas: 0 } });
    expect(withStatus.status).toEqual({ replicas: 0, readyReplicas: 0 });
  });

  it('selects on status.replicas', () => {
    const rs = replicaSet();
    const get = ReplicaSet.strategy.selectableFields?.['status.replicas'];
    expect(get?.(rs)).toBe('0');
    expect(get?.({ ...rs, status: { replicas: 3 } })).toBe('3');
  });

  it('needs a matching selector and non-negative replicas', () => {
    expect(ReplicaSet.strategy.validate?.(replicaSet(), undefined)).toEqual([]);
    const causes = ReplicaSet.strategy.validate?.(replicaSet({ replicas: -2, selector: { matchLabels: { app: 'other' } } }), undefined) ?? [];
    expect(fields(causes)).toEqual(['spec.replicas', 'spec.template.metadata.labels']);
  });
});

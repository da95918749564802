/**
 * Bad input is rejected by the schemas with issues that name the field; the kinds' metadata is
 * what kubectl users expect.
 */
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import * as kinds from './index.js';
import type { AnyKind } from './kind.js';

const deployment = (): Record<string, unknown> => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
  },
});

/** Where each issue points, with an unknown field's own name appended to its object's path. */
function issuePaths(error: z.ZodError | undefined): (string | number)[][] {
  return (error?.issues ?? []).flatMap((i) =>
    i.code === 'unrecognized_keys' ? i.keys.map((k) => [...i.path, k] as (string | number)[]) : [i.path as (string | number)[]],
  );
}

describe('schema errors', () => {
  it('rejects an unknown field and names it', () => {
    const input = deployment();
    (input['spec'] as Record<string, unknown>)['replicaz'] = 3;
    const r = kinds.Deployment.schema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error?.issues).toEqual([expect.objectContaining({ code: 'unrecognized_keys', path: ['spec'], keys: ['replicaz'] })]);
    expect(issuePaths(r.error)).toEqual([['spec', 'replicaz']]);
  });

  it('rejects a misspelled field deep in the Pod template', () => {
    const input = deployment();
    const container = ((input['spec'] as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec.containers[0] ?? {});
    container['imagee'] = 'x';
    container['livenessProbe'] = { httpGet: { port: 80, pth: '/' } };
    const r = kinds.Deployment.schema.safeParse(input);
    expect(issuePaths(r.error)).toEqual([
      ['spec', 'template', 'spec', 'containers', 0, 'livenessProbe', 'httpGet', 'pth'],
      ['spec', 'template', 'spec', 'containers', 0, 'imagee'],
    ]);
  });

  it('rejects a wrong type at its path', () => {
    const input = deployment();
    (input['spec'] as Record<string, unknown>)['replicas'] = 'three';
    const r = kinds.Deployment.schema.safeParse(input);
    expect(r.error?.issues).toEqual([expect.objectContaining({ code: 'invalid_type', path: ['spec', 'replicas'], expected: 'number' })]);
  });

  it('rejects a missing required field, a bad enum and a bad quantity at their paths', () => {
    const r = kinds.Pod.schema.safeParse({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        restartPolicy: 'Sometimes',
        containers: [{ image: 'nginx', ports: [{ containerPort: '80' }], resources: { limits: { cpu: 'lots' } } }],
      },
    });
    expect(issuePaths(r.error)).toEqual([
      ['spec', 'containers', 0, 'name'],
      ['spec', 'containers', 0, 'ports', 0, 'containerPort'],
      ['spec', 'containers', 0, 'resources', 'limits', 'cpu'],
      ['spec', 'restartPolicy'],
    ]);
    expect(r.error?.issues.find((i) => i.path.includes('cpu'))?.message).toMatch(/quantities must match the regular expression/);
  });

  it('rejects an object of another kind', () => {
    expect(kinds.Service.schema.safeParse({ apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: {} }).error?.issues[0]?.path).toEqual(['kind']);
    expect(kinds.Deployment.schema.safeParse({ ...deployment(), apiVersion: 'extensions/v1beta1' }).error?.issues[0]?.path).toEqual(['apiVersion']);
  });

  it('rejects a fractional number where Kubernetes has an integer', () => {
    const input = deployment();
    (input['spec'] as Record<string, unknown>)['replicas'] = 1.5;
    expect(kinds.Deployment.schema.safeParse(input).error?.issues[0]?.path).toEqual(['spec', 'replicas']);
  });
});

describe('kind metadata', () => {
  const all = Object.values(kinds).filter(
    (v): v is AnyKind => typeof v === 'object' && v !== null && 'schema' in v && 'strategy' in v && 'plural' in v,
  );

  it('serves every built-in kind with kubectl’s names', () => {
    const table = Object.fromEntries(all.map((k) => [`${k.apiVersion}/${k.kind}`, [k.plural, k.shortNames.join(','), k.namespaced]]));
    expect(table).toEqual({
      'v1/ConfigMap': ['configmaps', 'cm', true],
      'v1/Pod': ['pods', 'po', true],
      'v1/Node': ['nodes', 'no', false],
      'v1/Service': ['services', 'svc', true],
      'v1/Endpoints': ['endpoints', 'ep', true],
      'v1/Namespace': ['namespaces', 'ns', false],
      'v1/Event': ['events', 'ev', true],
      'apps/v1/Deployment': ['deployments', 'deploy', true],
      'apps/v1/ReplicaSet': ['replicasets', 'rs', true],
      'autoscaling/v2/HorizontalPodAutoscaler': ['horizontalpodautoscalers', 'hpa', true],
      'apiextensions.k8s.io/v1/CustomResourceDefinition': ['customresourcedefinitions', 'crd,crds', false],
      'coordination.k8s.io/v1/Lease': ['leases', '', true],
      'discovery.k8s.io/v1/EndpointSlice': ['endpointslices', '', true],
    });
  });

  it('gives status subresources where Kubernetes has them', () => {
    const withStatus = all.filter((k) => k.subresources.status).map((k) => k.kind).sort();
    expect(withStatus).toEqual([
      'CustomResourceDefinition',
      'Deployment',
      'HorizontalPodAutoscaler',
      'Namespace',
      'Node',
      'Pod',
      'ReplicaSet',
      'Service',
    ]);
    expect(all.filter((k) => k.subresources.scale).map((k) => k.kind).sort()).toEqual(['Deployment', 'ReplicaSet']);
  });
});

import { kinds, type KubeObject } from '@harbormaster/core';
import { describe, expect, it } from 'vitest';
import { customResourceKind, customResourceKinds, DEFAULT_PRINTER_COLUMNS, isCustomResourceKind } from './custom-resource-kind.js';

function crd(versions: kinds.CustomResourceDefinitionVersion[], scope: 'Namespaced' | 'Cluster' = 'Namespaced'): kinds.CustomResourceDefinition {
  return kinds.CustomResourceDefinition.schema.parse({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: { group: 'example.com', scope, names: { plural: 'widgets', kind: 'Widget' }, versions },
  });
}

const schema: kinds.JSONSchemaProps = {
  type: 'object',
  properties: {
    spec: { type: 'object', properties: { size: { type: 'integer', default: 3 }, color: { type: 'string', enum: ['red', 'blue'] } } },
    status: { type: 'object', properties: { replicas: { type: 'integer' } } },
  },
};

describe('customResourceKind', () => {
  it('defines a kind per served version, stored in the storage version', () => {
    const def = crd([
      { name: 'v1alpha1', served: false, storage: false, schema: { openAPIV3Schema: schema } },
      { name: 'v1beta1', served: true, storage: false, schema: { openAPIV3Schema: schema } },
      { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema }, subresources: { status: {}, scale: { specReplicasPath: '.spec.size', statusReplicasPath: '.status.replicas' } } },
    ]);
    const [beta, v1] = customResourceKinds(def);
    expect([beta?.apiVersion, v1?.apiVersion]).toEqual(['example.com/v1beta1', 'example.com/v1']);
    expect(v1).toMatchObject({
      kind: 'Widget',
      plural: 'widgets',
      singular: 'widget',
      namespaced: true,
      crdName: 'widgets.example.com',
      listKind: 'WidgetList',
      storageVersion: 'v1',
      additionalPrinterColumns: DEFAULT_PRINTER_COLUMNS,
      subresources: { status: true, scale: { specReplicasPath: '.spec.size', statusReplicasPath: '.status.replicas' } },
    });
    expect(beta?.subresources).toEqual({});
    expect(isCustomResourceKind(v1 ?? kinds.Pod)).toBe(true);
    expect(isCustomResourceKind(kinds.Pod)).toBe(false);

    const parsed = beta?.schema.parse({ apiVersion: 'example.com/v1beta1', kind: 'Widget', metadata: { name: 'w', bogus: 1 }, spec: { extra: 1 } }) as KubeObject & { spec: unknown };
    expect(parsed).toEqual({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 3 } });
  });

  it('turns schema failures into zod issues with field paths', () => {
    const kind = customResourceKind(crd([{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema } }]), 'v1');
    const result = kind.schema.safeParse({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 'big', color: 'green' } });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => [i.code, i.path.join('.')])).toEqual([
      ['custom', 'spec.size'],
      ['invalid_value', 'spec.color'],
    ]);
  });

  it('checks the scale subresource paths and serves selectable fields', () => {
    const kind = customResourceKind(
      crd([
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: schema },
          subresources: { scale: { specReplicasPath: '.spec.size', statusReplicasPath: '.status.replicas' } },
          selectableFields: [{ jsonPath: '.spec.color' }],
        },
      ]),
      'v1',
    );
    const obj = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: -1, color: 'red' } };
    expect(kind.strategy.validate?.(obj, undefined)).toEqual([
      { field: 'spec.size', message: 'Invalid value: -1: should be greater than or equal to 0', type: 'FieldValueInvalid' },
    ]);
    expect(kind.strategy.selectableFields?.['spec.color']?.(obj)).toBe('red');
  });

  it('makes cluster-scoped kinds for Cluster scope', () => {
    const kind = customResourceKind(crd([{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema } }], 'Cluster'), 'v1');
    expect(kind.namespaced).toBe(false);
  });
});

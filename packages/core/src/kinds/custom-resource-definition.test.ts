import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { FieldCause } from '../errors.js';
import { CustomResourceDefinition } from './index.js';

/** A CRD using most of what a schema may say, after Kubernetes' own CronTab and defaulting examples. */
const crontabs = parse(`
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  scope: Namespaced
  names:
    plural: crontabs
    kind: CronTab
    shortNames: [ct]
    categories: [all]
  versions:
  - name: v1beta1
    served: true
    storage: false
    deprecated: true
    deprecationWarning: "stable.example.com/v1beta1 CronTab is deprecated; use v1"
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        description: A CronTab runs a command on a schedule.
        required: [spec]
        properties:
          spec:
            type: object
            default: {}
            x-kubernetes-validations:
            - rule: "self.minReplicas <= self.replicas"
              message: "replicas should be greater than or equal to minReplicas."
              reason: FieldValueInvalid
              fieldPath: .replicas
            properties:
              cronSpec:
                type: string
                pattern: '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$'
                default: "5 0 * * *"
              image:
                type: string
                maxLength: 253
              replicas:
                type: integer
                format: int32
                minimum: 1
                maximum: 10
                default: 1
              minReplicas:
                type: integer
                default: 1
              policy:
                type: string
                enum: [Allow, Forbid, Replace]
              port:
                x-kubernetes-int-or-string: true
                anyOf:
                - type: integer
                - type: string
              env:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items:
                  type: object
                  required: [name]
                  properties:
                    name: { type: string }
                    value: { type: string, nullable: true }
              labels:
                type: object
                x-kubernetes-map-type: granular
                additionalProperties:
                  type: string
              template:
                type: object
                x-kubernetes-embedded-resource: true
                x-kubernetes-preserve-unknown-fields: true
              tags:
                type: array
                x-kubernetes-list-type: set
                items: { type: string }
                example: [a, b]
          status:
            type: object
            properties:
              replicas: { type: integer }
              labelSelector: { type: string }
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.replicas
        statusReplicasPath: .status.replicas
        labelSelectorPath: .status.labelSelector
    additionalPrinterColumns:
    - name: Spec
      type: string
      description: The cron spec defining the interval a CronJob is run
      jsonPath: .spec.cronSpec
    - name: Replicas
      type: integer
      priority: 1
      jsonPath: .spec.replicas
`) as Record<string, unknown>;

function crd(input: unknown = crontabs): CustomResourceDefinition {
  const obj = CustomResourceDefinition.schema.parse(structuredClone(input));
  CustomResourceDefinition.strategy.applyDefaults?.(obj);
  CustomResourceDefinition.strategy.prepareForCreate?.(obj);
  return obj;
}

const fields = (causes: readonly FieldCause[]): string[] => causes.map((c) => c.field);
const validate = (obj: CustomResourceDefinition): FieldCause[] => CustomResourceDefinition.strategy.validate?.(obj, undefined) ?? [];

function withSpec(change: (spec: Record<string, unknown>) => void): Record<string, unknown> {
  const copy = structuredClone(crontabs);
  change(copy['spec'] as Record<string, unknown>);
  return copy;
}

describe('CustomResourceDefinition', () => {
  it('is served as customresourcedefinitions (crd, crds), cluster-scoped, with status', () => {
    expect(CustomResourceDefinition).toMatchObject({
      apiVersion: 'apiextensions.k8s.io/v1',
      plural: 'customresourcedefinitions',
      shortNames: ['crd', 'crds'],
      namespaced: false,
      subresources: { status: true },
    });
  });

  it('parses a rich structural schema unchanged and validates it', () => {
    const obj = crd();
    const v1 = obj.spec.versions[1];
    const input = crontabs as { spec: { versions: { schema: { openAPIV3Schema: unknown } }[] } };
    expect(v1?.schema?.openAPIV3Schema).toEqual(input.spec.versions[1]?.schema.openAPIV3Schema);
    expect(v1?.schema?.openAPIV3Schema?.properties?.['spec']?.properties?.['replicas']?.default).toBe(1);
    expect(validate(obj)).toEqual([]);
  });

  it('defaults names and conversion, and records the storage version', () => {
    const obj = crd();
    expect(obj.spec.names).toMatchObject({ plural: 'crontabs', singular: 'crontab', kind: 'CronTab', listKind: 'CronTabList' });
    expect(obj.spec.conversion).toEqual({ strategy: 'None' });
    expect(obj.status).toEqual({ storedVersions: ['v1'] });
  });

  it('defaults a conversion webhook’s service port to 443', () => {
    const obj = crd(
      withSpec((spec) => {
        spec['conversion'] = {
          strategy: 'Webhook',
          webhook: { clientConfig: { service: { namespace: 'ops', name: 'convert' } }, conversionReviewVersions: ['v1'] },
        };
      }),
    );
    expect(obj.spec.conversion.webhook?.clientConfig?.service?.port).toBe(443);
    expect(validate(obj)).toEqual([]);
  });

  it('rejects an unknown or misspelled schema keyword deep in the schema, naming it', () => {
    const bad = withSpec((spec) => {
      const versions = spec['versions'] as { schema: { openAPIV3Schema: { properties: { spec: { properties: { image: Record<string, unknown> } } } } } }[];
      const image = versions[1]?.schema.openAPIV3Schema.properties.spec.properties.image;
      if (image) image['maxLenght'] = 3;
    });
    const r = CustomResourceDefinition.schema.safeParse(bad);
    expect(r.success).toBe(false);
    const issue = r.error?.issues.find((i) => i.code === 'unrecognized_keys');
    expect(issue?.path).toEqual(['spec', 'versions', 1, 'schema', 'openAPIV3Schema', 'properties', 'spec', 'properties', 'image']);
    expect(issue && 'keys' in issue ? issue.keys : []).toEqual(['maxLenght']);
  });

  it('needs its name to be <plural>.<group>, a dotted group and exactly one storage version', () => {
    const wrong = crd({ ...withSpec((spec) => (spec['group'] = 'example')), metadata: { name: 'crontabs.stable.example.com' } });
    expect(fields(validate(wrong))).toEqual(['metadata.name', 'spec.group']);
    const twoStorage = crd(
      withSpec((spec) => {
        for (const v of spec['versions'] as { storage: boolean }[]) v.storage = true;
      }),
    );
    expect(validate(twoStorage)).toEqual([
      { field: 'spec.versions', type: 'FieldValueInvalid', message: 'Invalid value: ["v1beta1","v1"]: must have exactly one version marked as storage version' },
    ]);
  });

  it('needs a schema for every version, an object at the root', () => {
    const noSchema = crd(
      withSpec((spec) => {
        const versions = spec['versions'] as Record<string, unknown>[];
        delete versions[0]?.['schema'];
        (versions[1] as { schema: { openAPIV3Schema: { type: string } } }).schema.openAPIV3Schema.type = 'string';
      }),
    );
    expect(validate(noSchema)).toEqual([
      { field: 'spec.versions[0].schema.openAPIV3Schema', type: 'FieldValueRequired', message: 'Required value: schemas are required' },
      {
        field: 'spec.versions[1].schema.openAPIV3Schema.type',
        type: 'FieldValueNotSupported',
        message: 'Unsupported value: "string": supported values: "object"',
      },
    ]);
  });

  it('checks scale paths and the conversion settings', () => {
    const obj = crd(
      withSpec((spec) => {
        const v1 = (spec['versions'] as { subresources: { scale: Record<string, string> } }[])[1];
        if (v1) v1.subresources.scale['specReplicasPath'] = '.status.replicas';
        spec['conversion'] = { strategy: 'Webhook', webhook: { conversionReviewVersions: ['v2'] } };
        spec['preserveUnknownFields'] = true;
      }),
    );
    expect(fields(validate(obj))).toEqual([
      'spec.versions[1].subresources.scale.specReplicasPath',
      'spec.conversion.webhook.clientConfig',
      'spec.conversion.webhook.conversionReviewVersions',
      'spec.preserveUnknownFields',
    ]);
  });
});

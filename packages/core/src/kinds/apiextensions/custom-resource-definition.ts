import { z } from 'zod';
import type { FieldCause } from '../../errors.js';
import { objectMetaSchema } from '../../meta/object-meta.js';
import { validateDns1035Label, validateDns1123Label, validateDns1123Subdomain } from '../../meta/validation.js';
import { conditionStatusSchema, timeSchema } from '../common.js';
import {
  forbidden,
  invalid,
  invalidEach,
  notSupported,
  required,
  validateUnique,
} from '../field-validation.js';
import { defineKind, type TypeOf } from '../kind.js';
import { jsonSchemaPropsSchema } from './json-schema-props.js';

/** The names a custom resource is served under (`apiextensions/v1.CustomResourceDefinitionNames`). */
export const customResourceDefinitionNamesSchema = z.strictObject({
  /** Lowercase plural; the CRD's name is `<plural>.<group>`. */
  plural: z.string(),
  /** Lowercase singular; defaults to the lowercased kind. */
  singular: z.string().optional(),
  shortNames: z.array(z.string()).optional(),
  /** The CamelCase kind, e.g. `CronTab`. */
  kind: z.string(),
  /** Defaults to `<kind>List`. */
  listKind: z.string().optional(),
  categories: z.array(z.string()).optional(),
});
/** The names a custom resource is served under. */
export type CustomResourceDefinitionNames = z.infer<typeof customResourceDefinitionNamesSchema>;

/** The scale subresource of a custom resource (`apiextensions/v1.CustomResourceSubresourceScale`). */
export const customResourceSubresourceScaleSchema = z.strictObject({
  /** A JSON path under `.spec`, e.g. `.spec.replicas`. */
  specReplicasPath: z.string(),
  /** A JSON path under `.status`, e.g. `.status.replicas`. */
  statusReplicasPath: z.string(),
  /** A JSON path to a string-form label selector, under `.spec` or `.status`. */
  labelSelectorPath: z.string().optional(),
});

/** The subresources of a custom resource (`apiextensions/v1.CustomResourceSubresources`). */
export const customResourceSubresourcesSchema = z.strictObject({
  /** Present (as `{}`) to serve a `status` subresource. */
  status: z.strictObject({}).optional(),
  scale: customResourceSubresourceScaleSchema.optional(),
});

/** A column `kubectl get` prints for the resource (`apiextensions/v1.CustomResourceColumnDefinition`). */
export const customResourceColumnDefinitionSchema = z.strictObject({
  name: z.string(),
  /** An OpenAPI type: `integer`, `number`, `string`, `boolean` or `date`. */
  type: z.string(),
  format: z.string().optional(),
  description: z.string().optional(),
  priority: z.int32().optional(),
  jsonPath: z.string(),
});
/** A column `kubectl get` prints for the resource. */
export type CustomResourceColumnDefinition = z.infer<typeof customResourceColumnDefinitionSchema>;

/** One served version of a custom resource (`apiextensions/v1.CustomResourceDefinitionVersion`). */
export const customResourceDefinitionVersionSchema = z.strictObject({
  name: z.string(),
  served: z.boolean(),
  /** Exactly one version is the storage version. */
  storage: z.boolean(),
  deprecated: z.boolean().optional(),
  deprecationWarning: z.string().optional(),
  /** Required in v1: the structural schema used to validate, prune and default. */
  schema: z.strictObject({ openAPIV3Schema: jsonSchemaPropsSchema.optional() }).optional(),
  subresources: customResourceSubresourcesSchema.optional(),
  additionalPrinterColumns: z.array(customResourceColumnDefinitionSchema).optional(),
  selectableFields: z.array(z.strictObject({ jsonPath: z.string() })).optional(),
});
/** One served version of a custom resource. */
export type CustomResourceDefinitionVersion = z.infer<typeof customResourceDefinitionVersionSchema>;

/** How to reach a conversion webhook (`apiextensions/v1.WebhookClientConfig`); service port defaults to 443. */
export const webhookClientConfigSchema = z.strictObject({
  url: z.string().optional(),
  service: z
    .strictObject({
      namespace: z.string(),
      name: z.string(),
      path: z.string().optional(),
      port: z.int32().default(443),
    })
    .optional(),
  /** A base64 PEM CA bundle. */
  caBundle: z.string().optional(),
});

/** How custom resources convert between versions (`apiextensions/v1.CustomResourceConversion`). */
export const customResourceConversionSchema = z.strictObject({
  strategy: z.enum(['None', 'Webhook']),
  webhook: z
    .strictObject({
      clientConfig: webhookClientConfigSchema.optional(),
      conversionReviewVersions: z.array(z.string()),
    })
    .optional(),
});

/**
 * The desired state of a CRD (`apiextensions/v1.CustomResourceDefinitionSpec`); `conversion`
 * defaults to `{ strategy: None }`.
 */
export const customResourceDefinitionSpecSchema = z.strictObject({
  group: z.string(),
  names: customResourceDefinitionNamesSchema,
  scope: z.enum(['Cluster', 'Namespaced']),
  versions: z.array(customResourceDefinitionVersionSchema),
  conversion: customResourceConversionSchema.default(() => ({ strategy: 'None' as const })),
  /** Must be false in v1; use `x-kubernetes-preserve-unknown-fields` in the schema instead. */
  preserveUnknownFields: z.boolean().optional(),
});
/** The desired state of a CRD. */
export type CustomResourceDefinitionSpec = z.infer<typeof customResourceDefinitionSpecSchema>;

/** A condition of a CRD (`apiextensions/v1.CustomResourceDefinitionCondition`): `Established`, `NamesAccepted`, … */
export const customResourceDefinitionConditionSchema = z.strictObject({
  type: z.string(),
  status: conditionStatusSchema,
  lastTransitionTime: timeSchema.optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
  observedGeneration: z.int().optional(),
});
/** A condition of a CRD. */
export type CustomResourceDefinitionCondition = z.infer<typeof customResourceDefinitionConditionSchema>;

/** The observed state of a CRD (`apiextensions/v1.CustomResourceDefinitionStatus`). */
export const customResourceDefinitionStatusSchema = z.strictObject({
  conditions: z.array(customResourceDefinitionConditionSchema).nullable().optional(),
  /** The names actually served, which may differ from the spec's until accepted. */
  acceptedNames: customResourceDefinitionNamesSchema
    .extend({ plural: z.string().default(''), kind: z.string().default('') })
    .optional(),
  /** Every version ever persisted. */
  storedVersions: z.array(z.string()).nullable().optional(),
  observedGeneration: z.int().optional(),
});
/** The observed state of a CRD. */
export type CustomResourceDefinitionStatus = z.infer<typeof customResourceDefinitionStatusSchema>;

const kindPattern = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

function validateNames(names: CustomResourceDefinitionNames, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  if (names.plural === '') causes.push(required(`${field}.plural`));
  else causes.push(...invalidEach(`${field}.plural`, names.plural, validateDns1123Label(names.plural)));
  if (names.singular) causes.push(...invalidEach(`${field}.singular`, names.singular, validateDns1123Label(names.singular)));
  for (const [key, value] of [
    ['kind', names.kind],
    ['listKind', names.listKind],
  ] as const) {
    if (value === undefined) continue;
    if (value === '') causes.push(required(`${field}.${key}`));
    else if (!kindPattern.test(value.toLowerCase())) {
      causes.push(invalid(`${field}.${key}`, value, 'may have mixed case, but should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?'));
    }
  }
  if (names.kind !== '' && names.kind === names.listKind) causes.push(invalid(`${field}.listKind`, names.listKind, 'kind and listKind cannot be the same'));
  (names.shortNames ?? []).forEach((s, i) => causes.push(...invalidEach(`${field}.shortNames[${i}]`, s, validateDns1123Label(s))));
  return causes;
}

function validateVersions(spec: CustomResourceDefinitionSpec): FieldCause[] {
  const causes: FieldCause[] = [];
  const versions = spec.versions;
  if (versions.length === 0) return [required('spec.versions', 'must have exactly one version marked as storage version')];
  const storage = versions.filter((v) => v.storage).length;
  if (storage !== 1) {
    causes.push(invalid('spec.versions', versions.map((v) => v.name), 'must have exactly one version marked as storage version'));
  }
  causes.push(...validateUnique(versions, (v) => v.name, (i) => `spec.versions[${i}].name`));
  versions.forEach((v, i) => {
    const vf = `spec.versions[${i}]`;
    causes.push(...invalidEach(`${vf}.name`, v.name, validateDns1035Label(v.name)));
    const root = v.schema?.openAPIV3Schema;
    if (!root) causes.push(required(`${vf}.schema.openAPIV3Schema`, 'schemas are required'));
    else if (root.type === undefined || root.type === '') {
      causes.push(required(`${vf}.schema.openAPIV3Schema.type`, 'must not be empty at the root'));
    } else if (root.type !== 'object') {
      causes.push(notSupported(`${vf}.schema.openAPIV3Schema.type`, root.type, ['object']));
    }
    const scale = v.subresources?.scale;
    if (scale) {
      if (!scale.specReplicasPath.startsWith('.spec.')) {
        causes.push(invalid(`${vf}.subresources.scale.specReplicasPath`, scale.specReplicasPath, 'should be a json path under .spec'));
      }
      if (!scale.statusReplicasPath.startsWith('.status.')) {
        causes.push(invalid(`${vf}.subresources.scale.statusReplicasPath`, scale.statusReplicasPath, 'should be a json path under .status'));
      }
    }
  });
  return causes;
}

function validateCRD(crd: { metadata: { name?: string | undefined }; spec: CustomResourceDefinitionSpec }): FieldCause[] {
  const spec = crd.spec;
  const causes: FieldCause[] = [];
  const expectedName = `${spec.names.plural}.${spec.group}`;
  if (crd.metadata.name !== undefined && crd.metadata.name !== expectedName) {
    causes.push(invalid('metadata.name', crd.metadata.name, 'must be spec.names.plural+"."+spec.group'));
  }
  if (spec.group === '') causes.push(required('spec.group'));
  else {
    causes.push(...invalidEach('spec.group', spec.group, validateDns1123Subdomain(spec.group)));
    if (!spec.group.includes('.')) causes.push(invalid('spec.group', spec.group, 'should be a domain with at least one dot'));
  }
  causes.push(...validateNames(spec.names, 'spec.names'));
  causes.push(...validateVersions(spec));
  const conversion = spec.conversion;
  if (conversion.strategy === 'Webhook') {
    if (!conversion.webhook?.clientConfig) causes.push(required('spec.conversion.webhook.clientConfig', 'required when strategy is set to Webhook'));
    const reviews = conversion.webhook?.conversionReviewVersions ?? [];
    if (!reviews.some((r) => r === 'v1' || r === 'v1beta1')) {
      causes.push(invalid('spec.conversion.webhook.conversionReviewVersions', reviews, 'must include at least one of v1, v1beta1'));
    }
  } else if (conversion.webhook) {
    causes.push(forbidden('spec.conversion.webhook', 'should not be set when strategy is not set to Webhook'));
  }
  if (spec.preserveUnknownFields) {
    causes.push(
      invalid('spec.preserveUnknownFields', true, 'cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead'),
    );
  }
  return causes;
}

/**
 * apiextensions.k8s.io/v1 CustomResourceDefinition: defines a new kind, served under
 * `/apis/<group>/<version>/<plural>`. Cluster-scoped; its name is `<plural>.<group>`; every
 * version needs a structural `openAPIV3Schema` and exactly one is the storage version. Defaults as
 * Kubernetes: `names.singular` is the lowercased kind, `names.listKind` is `<kind>List`,
 * `conversion.strategy: None`; a new CRD's `status.storedVersions` holds its storage version.
 */
export const CustomResourceDefinition = defineKind({
  group: 'apiextensions.k8s.io',
  version: 'v1',
  kind: 'CustomResourceDefinition',
  plural: 'customresourcedefinitions',
  shortNames: ['crd', 'crds'],
  namespaced: false,
  subresources: { status: true },
  schema: z.strictObject({
    apiVersion: z.literal('apiextensions.k8s.io/v1'),
    kind: z.literal('CustomResourceDefinition'),
    metadata: objectMetaSchema,
    spec: customResourceDefinitionSpecSchema,
    status: customResourceDefinitionStatusSchema.optional(),
  }),
  strategy: {
    applyDefaults(crd) {
      const names = crd.spec.names;
      if (!names.singular) names.singular = names.kind.toLowerCase();
      if (!names.listKind && names.kind) names.listKind = `${names.kind}List`;
      const conversion = crd.spec.conversion;
      if (conversion.strategy === 'Webhook' && conversion.webhook && conversion.webhook.conversionReviewVersions.length === 0) {
        conversion.webhook.conversionReviewVersions = ['v1'];
      }
    },
    prepareForCreate(crd) {
      const storage = crd.spec.versions.find((v) => v.storage);
      crd.status = { storedVersions: storage ? [storage.name] : [] };
    },
    validate(crd) {
      return validateCRD(crd);
    },
  },
});
/** apiextensions.k8s.io/v1 CustomResourceDefinition. */
export type CustomResourceDefinition = TypeOf<typeof CustomResourceDefinition>;

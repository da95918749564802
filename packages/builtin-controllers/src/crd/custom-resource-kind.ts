/**
 * Kind definitions for custom resources: one {@link KindDefinition} per served version of a
 * CustomResourceDefinition, which the API server then serves like any built-in kind.
 *
 * The kind's zod schema wraps the version's structural schema. On every write it:
 * 1. keeps `metadata` to ObjectMeta's fields and checks them with core's ObjectMeta schema;
 * 2. applies the schema's `default`s (inside defaulted values too);
 * 3. prunes fields the schema does not specify, unless `x-kubernetes-preserve-unknown-fields`;
 * 4. drops `null`s of non-nullable fields without a default;
 * 5. validates with ajv ({@link compileSchemaValidator}); each failure becomes a zod issue with
 *    the field's path, so the API raises an `InvalidError` naming the field
 *    (`spec.replicas: Invalid value: 15: spec.replicas in body should be less than or equal to 10`);
 * 6. sets `apiVersion` to the storage version: objects of every served version are stored once,
 *    under `/registry/<group>/<plural>/`, in the storage version (conversion `None` only rewrites
 *    `apiVersion`).
 *
 * The definition also carries what the API does not use yet: `additionalPrinterColumns` (with
 * Kubernetes' default `Age` column), `categories`, `listKind`, the storage version and the CRD's name.
 *
 * @module
 */
import { z } from 'zod';
import {
  defineKind,
  objectMetaSchema,
  type AnyKind,
  type FieldCause,
  type KindDefinition,
  type KindStrategy,
  type KubeObject,
  type ObjectMeta,
  type kinds,
} from '@harbormaster/core';
import { invalid } from './field-causes.js';
import { compileSchemaValidator, type SchemaValidator } from './schema-validator.js';
import { applyDefaults, OBJECT_META_FIELDS, prune, pruneNonNullableNulls } from './structural-schema.js';

/** An object of a custom kind: TypeMeta, ObjectMeta and whatever its schema allows. */
export interface CustomResource extends KubeObject {
  /** The desired state, shaped by the CRD's schema. */
  spec?: unknown;
  /** The observed state, shaped by the CRD's schema; written through `updateStatus` when the version has a status subresource. */
  status?: unknown;
  [field: string]: unknown;
}

/** What a client may send for a custom resource: any object with optional TypeMeta and ObjectMeta. */
export interface CustomResourceInput {
  /** `<group>/<version>` of a served version; the kind's own when absent. */
  apiVersion?: string;
  /** The CRD's kind (`spec.names.kind`); the kind's own when absent. */
  kind?: string;
  /** The object's metadata, cut to ObjectMeta's fields. */
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

/** The kind definition of one served version of a CRD. */
export interface CustomResourceKindDefinition extends KindDefinition<CustomResource, CustomResourceInput> {
  /** The name of the CustomResourceDefinition (`<plural>.<group>`). */
  readonly crdName: string;
  /** The kind of a list, from the CRD's `spec.names.listKind`; `<kind>List` by default. */
  readonly listKind: string;
  /** Groups the resource belongs to for `kubectl get <category>`, from `spec.names.categories`. */
  readonly categories: readonly string[];
  /** The version objects are stored in, e.g. `v1`. */
  readonly storageVersion: string;
  /** Columns for `kubectl get`; Kubernetes' default is one `Age` column. */
  readonly additionalPrinterColumns: readonly kinds.CustomResourceColumnDefinition[];
  /** The version's structural schema. */
  readonly openAPIV3Schema: kinds.JSONSchemaProps;
  /** Whether the version is marked deprecated (the version's `deprecated`). */
  readonly deprecated: boolean;
  /** The warning Kubernetes returns to clients of a deprecated version, if the CRD overrides the default one. */
  readonly deprecationWarning?: string;
}

/** Kubernetes' printer columns when a version names none. */
export const DEFAULT_PRINTER_COLUMNS: readonly kinds.CustomResourceColumnDefinition[] = Object.freeze([
  {
    name: 'Age',
    type: 'date',
    jsonPath: '.metadata.creationTimestamp',
    description:
      'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
  },
]);

/** Whether `kind` was made from a CustomResourceDefinition. */
export function isCustomResourceKind(kind: AnyKind): kind is CustomResourceKindDefinition {
  return typeof (kind as Partial<CustomResourceKindDefinition>).crdName === 'string';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function segments(path: string): string[] {
  return path.replace(/^\./, '').split('.').filter((s) => s !== '');
}

function valueAt(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const s of segments(path)) {
    if (!isObject(cur)) return undefined;
    cur = cur[s];
  }
  return cur;
}

/** The zod schema of a custom resource version; see the module documentation. */
function customResourceSchema(options: {
  readonly schema: kinds.JSONSchemaProps;
  readonly validator: SchemaValidator;
  readonly storageApiVersion: string;
}): z.ZodType<CustomResource, CustomResourceInput> {
  const { schema, validator, storageApiVersion } = options;
  const parse = z.unknown().transform((input, ctx): CustomResource => {
    if (!isObject(input)) {
      ctx.addIssue({ code: 'custom', message: 'a custom resource must be an object', path: [] });
      return z.NEVER;
    }
    const obj = structuredClone(input);
    const meta = isObject(obj['metadata']) ? obj['metadata'] : {};
    for (const key of Object.keys(meta)) if (!OBJECT_META_FIELDS.has(key)) delete meta[key];
    const parsedMeta = objectMetaSchema.safeParse(meta);
    if (!parsedMeta.success) {
      for (const issue of parsedMeta.error.issues) ctx.addIssue({ ...issue, path: ['metadata', ...issue.path] });
      return z.NEVER;
    }
    obj['metadata'] = parsedMeta.data;
    applyDefaults(obj, schema);
    prune(obj, schema);
    pruneNonNullableNulls(obj, schema);
    for (const issue of validator(obj)) {
      const path = [...issue.path];
      switch (issue.kind) {
        case 'required':
          ctx.addIssue({ code: 'invalid_type', expected: 'nonoptional', path, message: 'Required value', input: undefined });
          break;
        case 'enum':
          ctx.addIssue({ code: 'invalid_value', values: issue.values as z.core.util.Primitive[], path, message: 'Unsupported value', input: issue.value });
          break;
        case 'invalid':
          ctx.addIssue({ code: 'custom', path, message: issue.message });
          break;
      }
    }
    if (ctx.issues.length > 0) return z.NEVER;
    obj['apiVersion'] = storageApiVersion;
    return obj as CustomResource;
  });
  // The input type is what clients may send; the transform checks it at run time.
  return parse as unknown as z.ZodType<CustomResource, CustomResourceInput>;
}

function scaleCauses(obj: CustomResource, scale: NonNullable<KindDefinition['subresources']['scale']>): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const path of [scale.specReplicasPath, scale.statusReplicasPath]) {
    const v = valueAt(obj, path);
    if (v === undefined) continue;
    const field = segments(path).join('.');
    if (typeof v !== 'number' || !Number.isInteger(v)) causes.push(invalid(field, v, 'must be an integer'));
    else if (v < 0) causes.push(invalid(field, v, 'should be greater than or equal to 0'));
  }
  if (scale.labelSelectorPath !== undefined) {
    const v = valueAt(obj, scale.labelSelectorPath);
    if (v !== undefined && typeof v !== 'string') causes.push(invalid(segments(scale.labelSelectorPath).join('.'), v, 'must be a string'));
  }
  return causes;
}

/**
 * The kind definition serving `version` of `crd`. The CRD controller registers these; build one
 * yourself to serve a CRD's kind on an API server without the controller.
 *
 * @example
 * ```ts
 * const crd = loadManifests(crontabYaml)[0] as kinds.CustomResourceDefinition;
 * const CronTab = customResourceKind(crd, 'v1');
 * const api = createApiServer({ store: memoryStore(), kinds: [CronTab] });
 * ```
 * @throws Error if the version does not exist, has no schema, or its schema cannot be compiled.
 */
export function customResourceKind(crd: kinds.CustomResourceDefinition, version: string): CustomResourceKindDefinition {
  const spec = crd.spec;
  const v = spec.versions.find((x) => x.name === version);
  if (v === undefined) throw new Error(`${crd.metadata.name ?? ''} has no version ${version}`);
  const schema = v.schema?.openAPIV3Schema;
  if (schema === undefined) throw new Error(`version ${version} of ${crd.metadata.name ?? ''} has no openAPIV3Schema`);
  const storage = spec.versions.find((x) => x.storage)?.name ?? version;
  const validator = compileSchemaValidator(schema);
  const names = spec.names;
  const scale = v.subresources?.scale;
  const subresources = {
    ...(v.subresources?.status !== undefined ? { status: true } : {}),
    ...(scale === undefined
      ? {}
      : {
          scale: {
            specReplicasPath: scale.specReplicasPath,
            statusReplicasPath: scale.statusReplicasPath,
            ...(scale.labelSelectorPath === undefined ? {} : { labelSelectorPath: scale.labelSelectorPath }),
          },
        }),
  };
  const selectable: Record<string, (obj: CustomResource) => string | undefined> = {};
  for (const { jsonPath } of v.selectableFields ?? []) {
    selectable[segments(jsonPath).join('.')] = (obj) => {
      const value = valueAt(obj, jsonPath);
      return value === undefined || value === null ? undefined : typeof value === 'string' ? value : JSON.stringify(value);
    };
  }
  const scaleSubresource = subresources.scale;
  const strategy: KindStrategy<CustomResource> = {
    // The schema decides about nulls (step 4 above): kept where `nullable: true`, defaulted or
    // dropped elsewhere, as the apiextensions API server does.
    keepNulls: true,
    ...(scaleSubresource === undefined ? {} : { validate: (obj: CustomResource) => scaleCauses(obj, scaleSubresource) }),
    ...(Object.keys(selectable).length === 0 ? {} : { selectableFields: selectable }),
  };
  const kind = defineKind({
    group: spec.group,
    version,
    kind: names.kind,
    plural: names.plural,
    singular: names.singular ?? names.kind.toLowerCase(),
    shortNames: names.shortNames ?? [],
    namespaced: spec.scope === 'Namespaced',
    subresources,
    schema: customResourceSchema({ schema, validator, storageApiVersion: `${spec.group}/${storage}` }),
    strategy,
  });
  return Object.freeze({
    ...kind,
    crdName: crd.metadata.name ?? `${names.plural}.${spec.group}`,
    listKind: names.listKind ?? `${names.kind}List`,
    categories: names.categories ?? [],
    storageVersion: storage,
    additionalPrinterColumns: v.additionalPrinterColumns ?? DEFAULT_PRINTER_COLUMNS,
    openAPIV3Schema: schema,
    deprecated: v.deprecated === true,
    ...(v.deprecationWarning === undefined ? {} : { deprecationWarning: v.deprecationWarning }),
  });
}

/** The kind definitions of every served version of `crd`. */
export function customResourceKinds(crd: kinds.CustomResourceDefinition): CustomResourceKindDefinition[] {
  return crd.spec.versions.filter((v) => v.served).map((v) => customResourceKind(crd, v.name));
}

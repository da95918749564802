/**
 * The OpenAPI v3 schema of a CustomResourceDefinition version (`apiextensions/v1.JSONSchemaProps`):
 * JSON Schema draft 4 as Kubernetes restricts and extends it, with the `x-kubernetes-*` extensions
 * for unknown-field preservation, embedded resources, int-or-string, list and map topology, and CEL
 * validation rules. The schema is recursive; `default`, `example` and `enum` hold arbitrary JSON.
 *
 * @module
 */
import { z } from 'zod';

/** Any JSON value. */
export type JSONValue = string | number | boolean | null | JSONValue[] | { [key: string]: JSONValue };

/** A CEL validation rule of a schema (`apiextensions/v1.ValidationRule`), under `x-kubernetes-validations`. */
export interface ValidationRule {
  /** The CEL expression, e.g. `self.minReplicas <= self.maxReplicas`. */
  rule: string;
  /** The message reported when the rule fails. */
  message?: string | undefined;
  /** A CEL expression that builds the message; it takes precedence over `message`. */
  messageExpression?: string | undefined;
  /** The cause type reported when the rule fails. @default 'FieldValueInvalid' */
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate' | undefined;
  /** Where a failure is reported, relative to the node the rule is on, e.g. `.spec.replicas`. */
  fieldPath?: string | undefined;
  /** Whether a transition rule (one using `oldSelf`) also runs when there is no old value, with `oldSelf` an empty optional. */
  optionalOldSelf?: boolean | undefined;
}

/** External documentation of a schema. */
export interface ExternalDocumentation {
  description?: string | undefined;
  url?: string | undefined;
}

/** A JSON schema as a CRD writes it (`apiextensions/v1.JSONSchemaProps`). */
export interface JSONSchemaProps {
  /** The schema's identifier (draft 4 `id`). */
  id?: string | undefined;
  /** The URI of the JSON Schema dialect. */
  $schema?: string | undefined;
  /** A reference to another schema; a CRD may not use it, as in Kubernetes. */
  $ref?: string | undefined;
  /** What the field means, as `kubectl explain` shows it. */
  description?: string | undefined;
  /** The JSON type: `object`, `array`, `string`, `integer`, `number` or `boolean`. */
  type?: string | undefined;
  /** A format that refines the type, e.g. `int32`, `date-time` or `uri`; formats Kubernetes does not know are ignored. */
  format?: string | undefined;
  /** A short title of the field. */
  title?: string | undefined;
  /** The value filled in when the field is missing (or null and not nullable). */
  default?: JSONValue | undefined;
  /** The largest allowed number. */
  maximum?: number | undefined;
  /** Whether `maximum` itself is excluded. */
  exclusiveMaximum?: boolean | undefined;
  /** The smallest allowed number. */
  minimum?: number | undefined;
  /** Whether `minimum` itself is excluded. */
  exclusiveMinimum?: boolean | undefined;
  /** The longest allowed string, in characters. */
  maxLength?: number | undefined;
  /** The shortest allowed string, in characters. */
  minLength?: number | undefined;
  /** A regular expression (ECMA 262) that a string must match. */
  pattern?: string | undefined;
  /** The most items an array may have. */
  maxItems?: number | undefined;
  /** The fewest items an array may have. */
  minItems?: number | undefined;
  /** Whether an array's items must all differ; a CRD may not set it to `true`, as in Kubernetes. */
  uniqueItems?: boolean | undefined;
  /** A number the value must be a multiple of. */
  multipleOf?: number | undefined;
  /** The allowed values. */
  enum?: JSONValue[] | undefined;
  /** The most properties an object may have. */
  maxProperties?: number | undefined;
  /** The fewest properties an object may have. */
  minProperties?: number | undefined;
  /** The properties an object must have. */
  required?: string[] | undefined;
  /** The schema of an array's items; a CRD must give one schema, not a list. */
  items?: JSONSchemaProps | JSONSchemaProps[] | undefined;
  /** Schemas the value must satisfy all of. */
  allOf?: JSONSchemaProps[] | undefined;
  /** Schemas the value must satisfy exactly one of. */
  oneOf?: JSONSchemaProps[] | undefined;
  /** Schemas the value must satisfy at least one of. */
  anyOf?: JSONSchemaProps[] | undefined;
  /** A schema the value must not satisfy. */
  not?: JSONSchemaProps | undefined;
  /** The schemas of an object's named properties. */
  properties?: Record<string, JSONSchemaProps> | undefined;
  /** The schema of a map's values, or `true` for any value; not together with `properties`. */
  additionalProperties?: JSONSchemaProps | boolean | undefined;
  /** The schemas of the properties whose names match each regular expression. */
  patternProperties?: Record<string, JSONSchemaProps> | undefined;
  /** Per property: a schema the object must also satisfy, or the properties it must also have, when that property is present. */
  dependencies?: Record<string, JSONSchemaProps | string[]> | undefined;
  /** Whether, or with what schema, an array may have items beyond a list of `items` schemas. */
  additionalItems?: JSONSchemaProps | boolean | undefined;
  /** Named schemas for `$ref` to point to. */
  definitions?: Record<string, JSONSchemaProps> | undefined;
  /** A link to more documentation of the field. */
  externalDocs?: ExternalDocumentation | undefined;
  /** An example value. */
  example?: JSONValue | undefined;
  /** Whether `null` is allowed besides the type; otherwise a null without a default is pruned. */
  nullable?: boolean | undefined;
  /** Keeps fields the schema does not name from being pruned. Only `true` is allowed. */
  'x-kubernetes-preserve-unknown-fields'?: boolean | undefined;
  /** The value is an embedded object with `apiVersion`, `kind` and `metadata`. */
  'x-kubernetes-embedded-resource'?: boolean | undefined;
  /** The value is an integer or a string, like Kubernetes' `IntOrString`; the node then needs no `type`. */
  'x-kubernetes-int-or-string'?: boolean | undefined;
  /** With list type `map`, the item fields whose values identify an item. */
  'x-kubernetes-list-map-keys'?: string[] | undefined;
  /** An array's topology: `atomic` (one value), `set` (unique scalars) or `map` (items keyed by `x-kubernetes-list-map-keys`). */
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map' | undefined;
  /** An object's topology: `granular` (separate fields) or `atomic` (one value). */
  'x-kubernetes-map-type'?: 'granular' | 'atomic' | undefined;
  /** CEL rules the value must satisfy in Kubernetes; Harbormaster keeps them but does not evaluate them. */
  'x-kubernetes-validations'?: ValidationRule[] | undefined;
}

/** Any JSON value (for `default`, `example` and `enum`). */
export const jsonValueSchema: z.ZodType<JSONValue, JSONValue> = z.json();

/** A CEL validation rule (`apiextensions/v1.ValidationRule`). */
export const validationRuleSchema = z.strictObject({
  rule: z.string(),
  message: z.string().optional(),
  messageExpression: z.string().optional(),
  reason: z.enum(['FieldValueInvalid', 'FieldValueForbidden', 'FieldValueRequired', 'FieldValueDuplicate']).optional(),
  fieldPath: z.string().optional(),
  optionalOldSelf: z.boolean().optional(),
});

/** A CRD's JSON schema, recursively (`apiextensions/v1.JSONSchemaProps`). */
export const jsonSchemaPropsSchema: z.ZodType<JSONSchemaProps, JSONSchemaProps> = z.lazy(() =>
  z.strictObject({
    id: z.string().optional(),
    $schema: z.string().optional(),
    $ref: z.string().optional(),
    description: z.string().optional(),
    type: z.string().optional(),
    format: z.string().optional(),
    title: z.string().optional(),
    default: jsonValueSchema.optional(),
    maximum: z.number().optional(),
    exclusiveMaximum: z.boolean().optional(),
    minimum: z.number().optional(),
    exclusiveMinimum: z.boolean().optional(),
    maxLength: z.int().optional(),
    minLength: z.int().optional(),
    pattern: z.string().optional(),
    maxItems: z.int().optional(),
    minItems: z.int().optional(),
    uniqueItems: z.boolean().optional(),
    multipleOf: z.number().optional(),
    enum: z.array(jsonValueSchema).optional(),
    maxProperties: z.int().optional(),
    minProperties: z.int().optional(),
    required: z.array(z.string()).optional(),
    items: z.union([jsonSchemaPropsSchema, z.array(jsonSchemaPropsSchema)]).optional(),
    allOf: z.array(jsonSchemaPropsSchema).optional(),
    oneOf: z.array(jsonSchemaPropsSchema).optional(),
    anyOf: z.array(jsonSchemaPropsSchema).optional(),
    not: jsonSchemaPropsSchema.optional(),
    properties: z.record(z.string(), jsonSchemaPropsSchema).optional(),
    additionalProperties: z.union([z.boolean(), jsonSchemaPropsSchema]).optional(),
    patternProperties: z.record(z.string(), jsonSchemaPropsSchema).optional(),
    dependencies: z.record(z.string(), z.union([z.array(z.string()), jsonSchemaPropsSchema])).optional(),
    additionalItems: z.union([z.boolean(), jsonSchemaPropsSchema]).optional(),
    definitions: z.record(z.string(), jsonSchemaPropsSchema).optional(),
    externalDocs: z.strictObject({ description: z.string().optional(), url: z.string().optional() }).optional(),
    example: jsonValueSchema.optional(),
    nullable: z.boolean().optional(),
    'x-kubernetes-preserve-unknown-fields': z.boolean().optional(),
    'x-kubernetes-embedded-resource': z.boolean().optional(),
    'x-kubernetes-int-or-string': z.boolean().optional(),
    'x-kubernetes-list-map-keys': z.array(z.string()).optional(),
    'x-kubernetes-list-type': z.enum(['atomic', 'set', 'map']).optional(),
    'x-kubernetes-map-type': z.enum(['granular', 'atomic']).optional(),
    'x-kubernetes-validations': z.array(validationRuleSchema).optional(),
  }),
);

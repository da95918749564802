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
  message?: string | undefined;
  messageExpression?: string | undefined;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate' | undefined;
  fieldPath?: string | undefined;
  optionalOldSelf?: boolean | undefined;
}

/** External documentation of a schema. */
export interface ExternalDocumentation {
  description?: string | undefined;
  url?: string | undefined;
}

/** A JSON schema as a CRD writes it (`apiextensions/v1.JSONSchemaProps`). */
export interface JSONSchemaProps {
  id?: string | undefined;
  $schema?: string | undefined;
  $ref?: string | undefined;
  description?: string | undefined;
  type?: string | undefined;
  format?: string | undefined;
  title?: string | undefined;
  default?: JSONValue | undefined;
  maximum?: number | undefined;
  exclusiveMaximum?: boolean | undefined;
  minimum?: number | undefined;
  exclusiveMinimum?: boolean | undefined;
  maxLength?: number | undefined;
  minLength?: number | undefined;
  pattern?: string | undefined;
  maxItems?: number | undefined;
  minItems?: number | undefined;
  uniqueItems?: boolean | undefined;
  multipleOf?: number | undefined;
  enum?: JSONValue[] | undefined;
  maxProperties?: number | undefined;
  minProperties?: number | undefined;
  required?: string[] | undefined;
  items?: JSONSchemaProps | JSONSchemaProps[] | undefined;
  allOf?: JSONSchemaProps[] | undefined;
  oneOf?: JSONSchemaProps[] | undefined;
  anyOf?: JSONSchemaProps[] | undefined;
  not?: JSONSchemaProps | undefined;
  properties?: Record<string, JSONSchemaProps> | undefined;
  additionalProperties?: JSONSchemaProps | boolean | undefined;
  patternProperties?: Record<string, JSONSchemaProps> | undefined;
  dependencies?: Record<string, JSONSchemaProps | string[]> | undefined;
  additionalItems?: JSONSchemaProps | boolean | undefined;
  definitions?: Record<string, JSONSchemaProps> | undefined;
  externalDocs?: ExternalDocumentation | undefined;
  example?: JSONValue | undefined;
  nullable?: boolean | undefined;
  /** Keeps fields the schema does not name from being pruned. Only `true` is allowed. */
  'x-kubernetes-preserve-unknown-fields'?: boolean | undefined;
  /** The value is an embedded object with `apiVersion`, `kind` and `metadata`. */
  'x-kubernetes-embedded-resource'?: boolean | undefined;
  'x-kubernetes-int-or-string'?: boolean | undefined;
  'x-kubernetes-list-map-keys'?: string[] | undefined;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map' | undefined;
  'x-kubernetes-map-type'?: 'granular' | 'atomic' | undefined;
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

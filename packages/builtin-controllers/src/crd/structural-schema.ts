/**
 * Structural OpenAPI v3 schemas, as apiextensions-apiserver defines and uses them:
 *
 * - {@link validateStructural}: the schema of every CRD version must be structural: a non-empty
 *   `type` on every node (except under `x-kubernetes-int-or-string` or
 *   `x-kubernetes-preserve-unknown-fields`), `items` on arrays, no `type`, `default`,
 *   `description`, `nullable`, `additionalProperties` or extensions inside `allOf`, `anyOf`,
 *   `oneOf` or `not`, every field of a junctor also specified outside it, `metadata` at the root
 *   restricting only `name` and `generateName`, no `additionalProperties` at the root, and
 *   `properties` and `additionalProperties` never together. Plus the v1 rules: no `$ref`, no
 *   `uniqueItems: true`, `x-kubernetes-preserve-unknown-fields` only `true`, and defaults that are
 *   pruned and valid.
 * - {@link applyDefaults}: fill in `default`s of missing (and non-nullable null) fields, inside
 *   defaulted values too.
 * - {@link prune}: drop fields the schema does not specify, unless
 *   `x-kubernetes-preserve-unknown-fields` keeps them; `apiVersion`, `kind` and `metadata` stay at
 *   the root and in embedded resources, where `metadata` is cut to ObjectMeta's fields.
 * - {@link pruneNonNullableNulls}: drop `null` values of non-nullable fields without a default.
 *
 * Objects are changed in place; the caller works on its own copy.
 *
 * @module
 */
import { objectMetaSchema, type FieldCause, type kinds } from '@harbormaster/core';
import { forbidden, invalid, required } from './field-causes.js';

type Schema = kinds.JSONSchemaProps;
type Json = Record<string, unknown>;

/** The fields of ObjectMeta: everything else in an embedded or root `metadata` is pruned. */
export const OBJECT_META_FIELDS: ReadonlySet<string> = new Set(Object.keys(objectMetaSchema.shape));

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The schema of a map's values (`additionalProperties` as a schema), or `true` for any value. */
function additional(s: Schema): Schema | true | undefined {
  const a = s.additionalProperties;
  if (a === undefined || a === false) return undefined;
  return a === true ? true : a;
}

function itemsOf(s: Schema | undefined): Schema | undefined {
  const items = s?.items;
  return items === undefined || Array.isArray(items) ? undefined : items;
}

// ------------------------------------------------------------------ validation of the schema

type Level = 'root' | 'item' | 'field';

function isIntOrStringAnyOf(list: readonly Schema[] | undefined): boolean {
  if (list?.length !== 2) return false;
  const [a, b] = list;
  const only = (s: Schema | undefined, type: string): boolean => s !== undefined && Object.keys(s).length === 1 && s.type === type;
  return only(a, 'integer') && only(b, 'string');
}

/** Keys allowed in a value validation under a logic junctor. */
const NESTED_FORBIDDEN: readonly [keyof Schema, string][] = [
  ['type', 'must be empty to be structural'],
  ['additionalProperties', 'must be undefined to be structural'],
  ['default', 'must be undefined to be structural'],
  ['title', 'must be empty to be structural'],
  ['description', 'must be empty to be structural'],
  ['nullable', 'must be false to be structural'],
  ['x-kubernetes-preserve-unknown-fields', 'must be false to be structural'],
  ['x-kubernetes-embedded-resource', 'must be false to be structural'],
  ['x-kubernetes-int-or-string', 'must be false to be structural'],
  ['x-kubernetes-list-map-keys', 'must be empty to be structural'],
  ['x-kubernetes-list-type', 'must be undefined to be structural'],
];

function validateNested(s: Schema | undefined, path: string, skipAnyOf: boolean): FieldCause[] {
  if (s === undefined) return [];
  const causes: FieldCause[] = [];
  causes.push(...validateJunctors(s, path, skipAnyOf, false));
  const items = s.items;
  if (items !== undefined && !Array.isArray(items)) causes.push(...validateNested(items, `${path}.items`, false));
  for (const [k, p] of Object.entries(s.properties ?? {})) causes.push(...validateNested(p, `${path}.properties[${k}]`, false));
  for (const [key, detail] of NESTED_FORBIDDEN) {
    const v = s[key];
    if (v === undefined || v === false || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    causes.push(forbidden(`${path}.${key}`, detail));
  }
  if (s.properties?.['metadata'] !== undefined) causes.push(forbidden(`${path}.properties[metadata]`, 'must not be specified in a nested context'));
  return causes;
}

function validateJunctors(s: Schema, path: string, skipAnyOf: boolean, skipFirstAllOfAnyOf: boolean): FieldCause[] {
  const causes: FieldCause[] = [];
  if (!skipAnyOf) (s.anyOf ?? []).forEach((n, i) => causes.push(...validateNested(n, `${path}.anyOf[${i}]`, false)));
  (s.allOf ?? []).forEach((n, i) => causes.push(...validateNested(n, `${path}.allOf[${i}]`, skipFirstAllOfAnyOf && i === 0)));
  (s.oneOf ?? []).forEach((n, i) => causes.push(...validateNested(n, `${path}.oneOf[${i}]`, false)));
  if (s.not !== undefined) causes.push(...validateNested(s.not, `${path}.not`, false));
  if (s.pattern !== undefined) {
    try {
      new RegExp(s.pattern);
    } catch (e) {
      causes.push(invalid(`${path}.pattern`, s.pattern, `must be a valid regular expression, but isn't: ${(e as Error).message}`));
    }
  }
  return causes;
}

/** Fields specified in value validations (junctors) must also be specified in the structural part. */
function validateCompleteness(s: Schema, nested: readonly Schema[], path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const n of nested) {
    for (const k of Object.keys(n.properties ?? {})) {
      if (s.properties?.[k] === undefined) {
        causes.push(required(`${path}.properties[${k}]`, 'because it is specified in a logic junctor (allOf, anyOf, oneOf or not)'));
      }
    }
    if (n.items !== undefined && s.items === undefined) {
      causes.push(required(`${path}.items`, 'because it is specified in a logic junctor (allOf, anyOf, oneOf or not)'));
    }
    const children = [...(n.allOf ?? []), ...(n.anyOf ?? []), ...(n.oneOf ?? []), ...(n.not === undefined ? [] : [n.not])];
    causes.push(...validateCompleteness(s, children, path));
  }
  return causes;
}

function validateNode(s: Schema, level: Level, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const type = s.type ?? '';
  const xInt = s['x-kubernetes-int-or-string'] === true;
  const xPreserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const xEmbedded = s['x-kubernetes-embedded-resource'] === true;

  if (s.$ref !== undefined) causes.push(forbidden(`${path}.$ref`, '$ref is not supported'));
  if (s.uniqueItems === true) causes.push(forbidden(`${path}.uniqueItems`, 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic'));
  if (s['x-kubernetes-preserve-unknown-fields'] === false) {
    causes.push(invalid(`${path}.x-kubernetes-preserve-unknown-fields`, false, 'must be true or undefined'));
  }
  if (Array.isArray(s.items)) causes.push(forbidden(`${path}.items`, 'items must be a schema object and not an array'));
  if (type !== '' && !['object', 'array', 'string', 'integer', 'number', 'boolean'].includes(type)) {
    causes.push(invalid(`${path}.type`, type, 'must be one of object, array, string, integer, number, boolean'));
  }
  if (type === 'array' && s.items === undefined) causes.push(required(`${path}.items`, 'must be specified'));
  const items = itemsOf(s);
  if (items !== undefined) causes.push(...validateNode(items, 'item', `${path}.items`));
  for (const [k, p] of Object.entries(s.properties ?? {})) causes.push(...validateNode(p, 'field', `${path}.properties[${k}]`));
  const add = s.additionalProperties;
  if (add !== undefined) {
    if (level === 'root') causes.push(forbidden(`${path}.additionalProperties`, 'must not be used at the root'));
    if (Object.keys(s.properties ?? {}).length > 0 && (add === false || typeof add === 'object')) {
      causes.push(forbidden(`${path}.additionalProperties`, 'additionalProperties and properties are mutual exclusive'));
    }
    if (typeof add === 'object') causes.push(...validateNode(add, 'field', `${path}.additionalProperties`));
  }
  if (xInt && xPreserve) causes.push(invalid(`${path}.x-kubernetes-preserve-unknown-fields`, true, 'must be false if x-kubernetes-int-or-string is true'));
  if (xInt && xEmbedded) causes.push(invalid(`${path}.x-kubernetes-embedded-resource`, true, 'must be false if x-kubernetes-int-or-string is true'));

  const skipAnyOf = isIntOrStringAnyOf(s.anyOf);
  const skipFirstAllOfAnyOf = (s.allOf?.length ?? 0) >= 1 && isIntOrStringAnyOf(s.allOf?.[0]?.anyOf);
  causes.push(...validateJunctors(s, path, skipAnyOf, skipFirstAllOfAnyOf));
  const nested = [...(s.allOf ?? []), ...(skipAnyOf ? [] : (s.anyOf ?? [])), ...(s.oneOf ?? []), ...(s.not === undefined ? [] : [s.not])];
  causes.push(...validateCompleteness(s, nested, path));

  if (xEmbedded && type !== 'object') {
    causes.push(
      type === ''
        ? required(`${path}.type`, 'must be object if x-kubernetes-embedded-resource is true')
        : invalid(`${path}.type`, type, 'must be object if x-kubernetes-embedded-resource is true'),
    );
  } else if (type === '' && !xInt && !xPreserve) {
    const detail =
      level === 'root'
        ? 'must not be empty at the root'
        : level === 'item'
          ? 'must not be empty for specified array items'
          : 'must not be empty for specified object fields';
    causes.push(required(`${path}.type`, detail));
  }
  if (xEmbedded && s.additionalProperties !== undefined) {
    causes.push(forbidden(`${path}.additionalProperties`, 'must not be used if x-kubernetes-embedded-resource is set'));
  }
  if (level === 'root' && type !== '' && type !== 'object') causes.push(invalid(`${path}.type`, type, 'must be object at the root'));

  const checkMetadata = level === 'root' || xEmbedded;
  const props = s.properties ?? {};
  if (checkMetadata && props['kind'] !== undefined && props['kind'].type !== 'string') {
    causes.push(invalid(`${path}.properties[kind].type`, props['kind'].type ?? '', 'must be string'));
  }
  if (checkMetadata && props['apiVersion'] !== undefined && props['apiVersion'].type !== 'string') {
    causes.push(invalid(`${path}.properties[apiVersion].type`, props['apiVersion'].type ?? '', 'must be string'));
  }
  const metadata = props['metadata'];
  if (checkMetadata && metadata !== undefined && metadata.type !== 'object') {
    causes.push(invalid(`${path}.properties[metadata].type`, metadata.type ?? '', 'must be object'));
  }
  if (level === 'root' && metadata !== undefined) {
    const { type: _type, properties, ...rest } = metadata;
    const restricted = Object.keys(properties ?? {}).filter((k) => k !== 'name' && k !== 'generateName');
    const other = Object.keys(rest).filter((k) => k !== 'description');
    if (restricted.length > 0 || other.length > 0) {
      causes.push(forbidden(`${path}.properties[metadata]`, 'must not specify anything other than name and generateName, but metadata is implicitly specified'));
    }
  }
  if (xEmbedded && !xPreserve && Object.keys(props).length === 0) {
    causes.push(required(`${path}.properties`, 'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields'));
  }
  return causes;
}

/**
 * The problems that make `schema` not structural (or not allowed in apiextensions.k8s.io/v1), as
 * field causes under `path` (e.g. `spec.versions[0].schema.openAPIV3Schema`). Empty if it is fine.
 */
export function validateStructural(schema: Schema, path: string): FieldCause[] {
  const causes = validateNode(schema, 'root', path);
  return causes.sort((a, b) => (a.field === b.field ? a.message.localeCompare(b.message) : a.field.localeCompare(b.field)));
}

/** Every `default` in `schema` with the path of its schema node, for checking them. */
export function defaultsOf(schema: Schema, path: string): { path: string; schema: Schema; value: unknown }[] {
  const out: { path: string; schema: Schema; value: unknown }[] = [];
  const walk = (s: Schema, p: string): void => {
    if (s.default !== undefined) out.push({ path: `${p}.default`, schema: s, value: s.default });
    for (const [k, c] of Object.entries(s.properties ?? {})) walk(c, `${p}.properties[${k}]`);
    const items = itemsOf(s);
    if (items !== undefined) walk(items, `${p}.items`);
    const add = additional(s);
    if (add !== undefined && add !== true) walk(add, `${p}.additionalProperties`);
  };
  walk(schema, path);
  return out;
}

// ------------------------------------------------------------------ defaulting

function isNonNullableNull(v: unknown, s: Schema | undefined): boolean {
  return v === null && s !== undefined && s.nullable !== true;
}

/** Apply the schema's `default`s to `value` in place (`structuraldefaulting.Default`). */
export function applyDefaults(value: unknown, s: Schema | undefined): void {
  if (s === undefined) return;
  if (isObject(value)) {
    for (const [k, prop] of Object.entries(s.properties ?? {})) {
      if (prop.default === undefined) continue;
      if (!(k in value) || isNonNullableNull(value[k], prop)) value[k] = structuredClone(prop.default);
    }
    const add = additional(s);
    for (const [k, v] of Object.entries(value)) {
      const prop = s.properties?.[k];
      if (prop !== undefined) applyDefaults(v, prop);
      else if (add !== undefined && add !== true) {
        if (isNonNullableNull(v, add) && add.default !== undefined) value[k] = structuredClone(add.default);
        applyDefaults(value[k], add);
      }
    }
  } else if (Array.isArray(value)) {
    const items = itemsOf(s);
    value.forEach((v, i) => {
      if (isNonNullableNull(v, items) && items?.default !== undefined) value[i] = structuredClone(items.default);
      applyDefaults(value[i], items);
    });
  }
}

// ------------------------------------------------------------------ pruning

function pruneMetadata(value: unknown): void {
  if (!isObject(value)) return;
  for (const k of Object.keys(value)) if (!OBJECT_META_FIELDS.has(k)) delete value[k];
}

function pruneNode(value: unknown, s: Schema | undefined, isRoot: boolean): void {
  if (s !== undefined && s['x-kubernetes-preserve-unknown-fields'] === true) {
    skipPrune(value, s, isRoot);
    return;
  }
  if (isObject(value)) {
    if (s === undefined) {
      for (const k of Object.keys(value)) delete value[k];
      return;
    }
    const embedded = isRoot || s['x-kubernetes-embedded-resource'] === true;
    const add = additional(s);
    for (const [k, v] of Object.entries(value)) {
      if (embedded && (k === 'apiVersion' || k === 'kind') && typeof v === 'string') continue;
      if (embedded && k === 'metadata') {
        pruneMetadata(v);
        continue;
      }
      const prop = s.properties?.[k];
      if (prop !== undefined) pruneNode(v, prop, false);
      else if (add === true) continue;
      else if (add !== undefined) pruneNode(v, add, false);
      else delete value[k];
    }
  } else if (Array.isArray(value)) {
    for (const v of value) pruneNode(v, itemsOf(s), false);
  }
}

/** Under `x-kubernetes-preserve-unknown-fields`: keep unknown fields, prune inside the specified ones. */
function skipPrune(value: unknown, s: Schema, isRoot: boolean): void {
  if (isObject(value)) {
    const embedded = isRoot || s['x-kubernetes-embedded-resource'] === true;
    const add = additional(s);
    for (const [k, v] of Object.entries(value)) {
      if (embedded && k === 'metadata') {
        pruneMetadata(v);
        continue;
      }
      if (embedded && (k === 'apiVersion' || k === 'kind')) continue;
      const prop = s.properties?.[k];
      if (prop !== undefined) pruneNode(v, prop, false);
      else if (add !== undefined && add !== true) pruneNode(v, add, false);
    }
  } else if (Array.isArray(value)) {
    const items = itemsOf(s);
    if (items !== undefined) for (const v of value) skipPrune(v, items, false);
  }
}

/**
 * Drop the fields of `obj` (a custom resource) that `schema` does not specify, in place. The
 * root's `apiVersion`, `kind` and `metadata` stay; `metadata` keeps ObjectMeta's fields only.
 */
export function prune(obj: Json, schema: Schema): void {
  pruneNode(obj, schema, true);
}

/** Prune a value found somewhere inside a resource (a `default`) with its schema node, in place. */
export function pruneValue(value: unknown, schema: Schema): void {
  pruneNode(value, schema, false);
}

/** Drop `null` values of fields that are not nullable and have no default, in place. */
export function pruneNonNullableNulls(value: unknown, s: Schema | undefined): void {
  if (s === undefined) return;
  if (isObject(value)) {
    const add = additional(s);
    for (const [k, v] of Object.entries(value)) {
      const prop = s.properties?.[k] ?? (add === true ? undefined : add);
      if (prop === undefined) continue;
      if (v === null && prop.nullable !== true && prop.default === undefined) delete value[k];
      else pruneNonNullableNulls(v, prop);
    }
  } else if (Array.isArray(value)) {
    const items = itemsOf(s);
    for (const v of value) pruneNonNullableNulls(v, items);
  }
}

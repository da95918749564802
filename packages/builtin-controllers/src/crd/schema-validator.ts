/**
 * Validation of custom resources against a CRD version's structural schema, with ajv.
 *
 * The Kubernetes schema (OpenAPI v3 as apiextensions restricts it) is translated to the JSON
 * Schema ajv runs: `nullable` becomes a `null` type, boolean `exclusiveMinimum`/`exclusiveMaximum`
 * become numeric, `x-kubernetes-int-or-string` a keyword of its own, formats Kubernetes knows are
 * checked and others ignored (as Kubernetes ignores them), and `default`, descriptions and the
 * other extensions are left out. At the root only `metadata.name` and `metadata.generateName`
 * restrictions remain; the API layer validates the rest of `metadata`.
 *
 * What ajv cannot say is checked by hand: embedded resources (`x-kubernetes-embedded-resource`)
 * need `apiVersion` and `kind`, and lists of type `set` or `map` may not repeat an item or a key.
 * CEL rules (`x-kubernetes-validations`) are not evaluated.
 *
 * Failures come back as {@link SchemaIssue}s with field paths and Kubernetes' messages
 * (`spec.replicas in body should be less than or equal to 10`).
 *
 * @module
 */
import { isIP } from 'node:net';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { kinds } from '@harbormaster/core';
import { describeValue, formatPath } from './field-causes.js';

type Schema = kinds.JSONSchemaProps;
type AjvSchema = Record<string, unknown>;

/** One problem with a custom resource. */
export type SchemaIssue =
  /** A required field is missing. */
  | { readonly kind: 'required'; readonly path: readonly (string | number)[] }
  /** A value outside an enum. */
  | { readonly kind: 'enum'; readonly path: readonly (string | number)[]; readonly value: unknown; readonly values: readonly unknown[] }
  /** Anything else; `message` follows Kubernetes' `Invalid value: …` cause, without that prefix. */
  | { readonly kind: 'invalid'; readonly path: readonly (string | number)[]; readonly message: string };

const INT_OR_STRING = 'x-int-or-string';

/** Formats Kubernetes validates (apiextensions-apiserver's list); every other format is ignored. */
const formats: Record<string, RegExp | ((s: string) => boolean)> = {
  'date-time': /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/,
  datetime: /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
  duration: /^[-+]?(\d+(\.\d*)?(ns|us|µs|ms|s|m|h))+$|^0$/,
  uuid: /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i,
  uuid3: /^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i,
  uuid4: /^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i,
  uuid5: /^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i,
  byte: /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/,
  password: () => true,
  email: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
  hostname: /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i,
  ipv4: (s) => isIP(s) === 4,
  ipv6: (s) => isIP(s) === 6,
  cidr: (s) => {
    const [ip = '', bits, ...rest] = s.split('/');
    const version = isIP(ip);
    return rest.length === 0 && version !== 0 && bits !== undefined && /^\d+$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128);
  },
  mac: /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i,
  uri: (s) => {
    try {
      new URL(s);
      return true;
    } catch {
      return false;
    }
  },
  hexcolor: /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i,
  rgbcolor: /^rgb\(\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*\)$/,
  isbn: /^(?:\d{9}[\dX]|\d{13})$/,
  isbn10: /^\d{9}[\dX]$/,
  isbn13: /^\d{13}$/,
  bsonobjectid: /^[0-9a-f]{24}$/i,
};

/** How many compiled schemas to keep before starting afresh (a new ajv instance forgets the old ones). */
const MAX_COMPILED = 256;
let shared: { readonly ajv: Ajv; readonly compiled: Map<string, ValidateFunction> } | undefined;

/** The compiled ajv validator of a JSON Schema, shared by equal schemas (ajv instances are slow to make). */
function compiled(schema: AjvSchema): ValidateFunction {
  const key = JSON.stringify(schema);
  if (shared === undefined || shared.compiled.size >= MAX_COMPILED) shared = { ajv: newAjv(), compiled: new Map() };
  let validate = shared.compiled.get(key);
  if (validate === undefined) {
    validate = shared.ajv.compile(schema);
    shared.compiled.set(key, validate);
  }
  return validate;
}

function newAjv(): Ajv {
  // Patterns are Go RE2 in Kubernetes; JavaScript's non-unicode mode accepts escapes such as `\-` as RE2 does.
  const instance = new Ajv({ allErrors: true, strict: false, verbose: true, validateFormats: true, unicodeRegExp: false });
  for (const [name, format] of Object.entries(formats)) instance.addFormat(name, format);
  instance.addKeyword({
    keyword: INT_OR_STRING,
    schemaType: 'object',
    validate: (schema: { nullable?: boolean }, data: unknown) =>
      typeof data === 'string' || Number.isInteger(data) || (data === null && schema.nullable === true),
    errors: false,
  });
  return instance;
}

/** The JSON Schema ajv validates with, for one Kubernetes schema node. */
function toAjv(s: Schema, root: boolean): AjvSchema {
  const out: AjvSchema = {};
  const nullable = s.nullable === true;
  if (s['x-kubernetes-int-or-string'] === true) out[INT_OR_STRING] = { nullable };
  else if (s.type !== undefined && s.type !== '') out['type'] = nullable ? [s.type, 'null'] : s.type;
  if (s.format !== undefined && s.format in formats) out['format'] = s.format;
  for (const key of ['maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'multipleOf', 'maxProperties', 'minProperties', 'required'] as const) {
    if (s[key] !== undefined) out[key] = s[key];
  }
  if (s.enum !== undefined) out['enum'] = nullable && !s.enum.includes(null) ? [...s.enum, null] : s.enum;
  if (s.minimum !== undefined) out[s.exclusiveMinimum === true ? 'exclusiveMinimum' : 'minimum'] = s.minimum;
  if (s.maximum !== undefined) out[s.exclusiveMaximum === true ? 'exclusiveMaximum' : 'maximum'] = s.maximum;
  if (s.properties !== undefined) {
    const props: Record<string, AjvSchema> = {};
    for (const [k, p] of Object.entries(s.properties)) {
      if (root && k === 'metadata') {
        // Only name and generateName may be restricted; the API validates the rest of ObjectMeta.
        const meta: Record<string, AjvSchema> = {};
        for (const m of ['name', 'generateName']) {
          const ms = p.properties?.[m];
          if (ms !== undefined) meta[m] = toAjv(ms, false);
        }
        props[k] = { properties: meta };
        continue;
      }
      props[k] = toAjv(p, false);
    }
    out['properties'] = props;
  }
  if (s.additionalProperties !== undefined && typeof s.additionalProperties === 'object') {
    out['additionalProperties'] = toAjv(s.additionalProperties, false);
  }
  if (s.items !== undefined && !Array.isArray(s.items)) out['items'] = toAjv(s.items, false);
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = s[key];
    if (list !== undefined) out[key] = list.map((n) => toAjv(n, false));
  }
  if (s.not !== undefined) out['not'] = toAjv(s.not, false);
  return out;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** The path of an ajv instance pointer, with array indices as numbers. */
function pathOf(root: unknown, pointer: string): (string | number)[] {
  const out: (string | number)[] = [];
  let cur: unknown = root;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      const i = Number(seg);
      out.push(i);
      cur = cur[i];
    } else {
      out.push(seg);
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

function issueOf(e: ErrorObject, root: unknown, rootName: string): SchemaIssue | undefined {
  const path = pathOf(root, e.instancePath);
  const relative = formatPath(path);
  const field = rootName === '' ? relative : relative === '' ? rootName : relative.startsWith('[') ? `${rootName}${relative}` : `${rootName}.${relative}`;
  const value = e.data;
  const p = e.params as Record<string, unknown>;
  const invalid = (message: string): SchemaIssue => ({ kind: 'invalid', path, message });
  switch (e.keyword) {
    case 'required':
      return { kind: 'required', path: [...path, String(p['missingProperty'])] };
    case 'type': {
      const expected = Array.isArray(p['type']) ? (p['type'] as string[]).filter((t) => t !== 'null').join(',') : String(p['type']);
      return invalid(`"${jsonType(value)}": ${field} in body must be of type ${expected}: "${jsonType(value)}"`);
    }
    case INT_OR_STRING:
      return invalid(`"${jsonType(value)}": ${field} in body must be of type integer,string: "${jsonType(value)}"`);
    case 'enum':
      return { kind: 'enum', path, value, values: (e.schema as unknown[]).filter((v) => v !== null || value === null) };
    case 'minimum':
      return invalid(`${describeValue(value)}: ${field} in body should be greater than or equal to ${String(p['limit'])}`);
    case 'exclusiveMinimum':
      return invalid(`${describeValue(value)}: ${field} in body should be greater than ${String(p['limit'])}`);
    case 'maximum':
      return invalid(`${describeValue(value)}: ${field} in body should be less than or equal to ${String(p['limit'])}`);
    case 'exclusiveMaximum':
      return invalid(`${describeValue(value)}: ${field} in body should be less than ${String(p['limit'])}`);
    case 'minLength':
      return invalid(`${describeValue(value)}: ${field} in body should be at least ${String(p['limit'])} chars long`);
    case 'maxLength':
      return invalid(`${describeValue(value)}: ${field} in body should be at most ${String(p['limit'])} chars long`);
    case 'pattern':
      return invalid(`${describeValue(value)}: ${field} in body should match '${String(p['pattern'])}'`);
    case 'minItems':
      return invalid(`${field} in body should have at least ${String(p['limit'])} items`);
    case 'maxItems':
      return invalid(`${field} in body should have at most ${String(p['limit'])} items`);
    case 'minProperties':
      return invalid(`${field} in body should have at least ${String(p['limit'])} properties`);
    case 'maxProperties':
      return invalid(`${field} in body should have at most ${String(p['limit'])} properties`);
    case 'multipleOf':
      return invalid(`${describeValue(value)}: ${field} in body should be a multiple of ${String(p['multipleOf'])}`);
    case 'format':
      return invalid(`${describeValue(value)}: ${field} in body must be of type ${String(p['format'])}`);
    case 'anyOf':
      return invalid(`${describeValue(value)}: ${field} in body must validate at least one schema (anyOf)`);
    case 'oneOf':
      return invalid(`${describeValue(value)}: ${field} in body must validate one and only one schema (oneOf)`);
    case 'not':
      return invalid(`${describeValue(value)}: ${field} in body must not validate the schema (not)`);
    default:
      return invalid(`${describeValue(value)}: ${field} in body ${e.message ?? 'is invalid'}`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Embedded resources and list types: what the JSON Schema cannot express. */
function extensionIssues(value: unknown, s: Schema | undefined, path: (string | number)[], out: SchemaIssue[]): void {
  if (s === undefined || value === null || value === undefined) return;
  if (isObject(value)) {
    if (s['x-kubernetes-embedded-resource'] === true) {
      for (const key of ['apiVersion', 'kind']) {
        const v = value[key];
        if (v === undefined || v === '') out.push({ kind: 'required', path: [...path, key] });
        else if (typeof v !== 'string') out.push({ kind: 'invalid', path: [...path, key], message: `${describeValue(v)}: must be a string` });
      }
      if (value['metadata'] !== undefined && !isObject(value['metadata'])) {
        out.push({ kind: 'invalid', path: [...path, 'metadata'], message: `${describeValue(value['metadata'])}: must be an object` });
      }
    }
    const add = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
    for (const [k, v] of Object.entries(value)) {
      const child = s.properties?.[k] ?? add;
      if (child !== undefined) extensionIssues(v, child, [...path, k], out);
    }
  } else if (Array.isArray(value)) {
    const items = s.items !== undefined && !Array.isArray(s.items) ? s.items : undefined;
    const listType = s['x-kubernetes-list-type'];
    const keys = s['x-kubernetes-list-map-keys'] ?? [];
    const seen = new Set<string>();
    value.forEach((v: unknown, i) => {
      let id: string | undefined;
      if (listType === 'set') id = JSON.stringify(v);
      else if (listType === 'map' && isObject(v)) id = JSON.stringify(keys.map((k) => v[k] ?? null));
      if (id !== undefined) {
        if (seen.has(id)) {
          const shown: unknown = listType === 'map' && isObject(v) ? Object.fromEntries(keys.map((k) => [k, v[k]])) : v;
          out.push({ kind: 'invalid', path: [...path, i], message: `${describeValue(shown)}: duplicate entries for x-kubernetes-list-type ${listType}` });
        }
        seen.add(id);
      }
      extensionIssues(v, items, [...path, i], out);
    });
  }
}

/** Validates values against one schema. */
export type SchemaValidator = (value: unknown) => SchemaIssue[];

/**
 * Compile a validator for a CRD version's `openAPIV3Schema` (assumed structural), or with
 * `root: false` for a value somewhere inside a resource (a `default`).
 * @throws Error if ajv cannot compile the schema (e.g. a pattern that is not a valid regular expression).
 */
export function compileSchemaValidator(
  schema: Schema,
  options: {
    readonly root?: boolean;
    /** How messages name the validated value itself (e.g. the path of a `default`). @default '' */
    readonly name?: string;
  } = {},
): SchemaValidator {
  const name = options.name ?? '';
  const validate = compiled(toAjv(schema, options.root ?? true));
  return (value) => {
    const issues: SchemaIssue[] = [];
    if (!validate(value)) {
      const errors = validate.errors ?? [];
      // An anyOf/oneOf/not failure is reported once, not with every branch's own errors.
      const junctions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf' || e.keyword === 'not').map((e) => `${e.schemaPath}/`);
      for (const e of errors) {
        if (junctions.some((j) => e.schemaPath.startsWith(j))) continue;
        const issue = issueOf(e, value, name);
        if (issue !== undefined) issues.push(issue);
      }
    }
    extensionIssues(value, schema, [], issues);
    return issues;
  };
}

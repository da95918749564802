/**
 * Parsing and validation of objects against their kind: the schema (with defaults), the
 * metadata rules every kind shares, and the kind's own strategy checks. Used by the API server
 * on every write and by `loadManifests`.
 *
 * @module
 * @internal
 */
import type { z } from 'zod';
import { InvalidError, type FieldCause } from '../errors.js';
import { validateName, type AnyKind, type KindStrategy } from '../kinds/kind.js';
import type { KubeObject } from '../meta/object-meta.js';
import {
  validateDns1123Label,
  validateLabelValue,
  validateQualifiedName,
} from '../meta/validation.js';

const identRe = /^[A-Za-z_$][\w$]*$/;

/** Format a path as Kubernetes does: `spec.template.spec.containers[0].name`, `metadata.labels[app.kubernetes.io/name]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else {
      const s = String(p);
      out += identRe.test(s) ? (out === '' ? s : `.${s}`) : `[${s}]`;
    }
  }
  return out;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

/** Turn zod issues into Kubernetes-style field causes. */
export function issuesToCauses(issues: readonly z.core.$ZodIssue[], input: unknown): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const issue of issues) {
    const field = formatPath(issue.path);
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          causes.push({
            field: formatPath([...issue.path, key]),
            message: `unknown field "${formatPath([...issue.path, key])}"`,
            type: 'FieldValueUnknown',
          });
        }
        break;
      case 'invalid_type': {
        const got = valueAt(input, issue.path);
        if (got === undefined) causes.push({ field, message: 'Required value', type: 'FieldValueRequired' });
        else
          causes.push({
            field,
            message: `Invalid value: ${describe(got)}: expected ${issue.expected}`,
            type: 'FieldValueTypeInvalid',
          });
        break;
      }
      case 'invalid_value':
        causes.push({
          field,
          message: `Unsupported value: ${JSON.stringify(valueAt(input, issue.path))}: supported values: ${issue.values
            .map((v) => JSON.stringify(v))
            .join(', ')}`,
          type: 'FieldValueNotSupported',
        });
        break;
      case 'invalid_union': {
        // Report the alternative that got furthest, or a generic message.
        const got = valueAt(input, issue.path);
        causes.push({ field, message: `Invalid value: ${JSON.stringify(got) ?? 'undefined'}: ${issue.message}`, type: 'FieldValueInvalid' });
        break;
      }
      default:
        causes.push({ field, message: `Invalid value: ${issue.message}`, type: 'FieldValueInvalid' });
    }
  }
  return causes;
}

/** Describe an object for messages: `Deployment "web"`. */
function invalid(kind: AnyKind, obj: unknown, causes: readonly FieldCause[]): InvalidError {
  const meta = (obj as { metadata?: { name?: unknown; namespace?: unknown } } | undefined)?.metadata;
  const name = typeof meta?.name === 'string' ? meta.name : undefined;
  const namespace = typeof meta?.namespace === 'string' ? meta.namespace : undefined;
  return new InvalidError({
    group: kind.group,
    kind: kind.kind,
    ...(name === undefined ? {} : { name }),
    ...(namespace === undefined ? {} : { namespace }),
    causes,
  });
}

/**
 * Drop null-valued object fields, all the way down (inside arrays too; array elements stay), as
 * Go's JSON decoding into typed structs does. Changes `value` in place and returns it.
 */
export function dropNullFields<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (const item of value) dropNullFields(item as unknown);
    return value;
  }
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (v === null) delete obj[key];
    else dropNullFields(v);
  }
  return value;
}

/**
 * An object as the API reads it before parsing: without null-valued fields, unless the kind keeps
 * them ({@link KindStrategy.keepNulls}); `metadata` is ObjectMeta for every kind, so its nulls go
 * always. Changes `obj` in place and returns it.
 */
export function normalizeNulls<T>(kind: AnyKind, obj: T): T {
  if ((kind.strategy as KindStrategy<KubeObject>).keepNulls !== true) return dropNullFields(obj);
  if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) {
    const meta = (obj as Record<string, unknown>)['metadata'];
    if (meta === null) delete (obj as Record<string, unknown>)['metadata'];
    else dropNullFields(meta);
  }
  return obj;
}

/**
 * Parse an object with its kind's schema (applying defaults) and the kind's cross-field defaults.
 * Returns a new object; `input` is not changed.
 * @throws {@link InvalidError} with one cause per problem.
 */
export function parseObject(kind: AnyKind, input: unknown): KubeObject {
  const result = kind.schema.safeParse(input);
  if (!result.success) throw invalid(kind, input, issuesToCauses(result.error.issues, input));
  const obj = result.data as KubeObject;
  (kind.strategy as KindStrategy<KubeObject>).applyDefaults?.(obj);
  return obj;
}

/** Problems with the metadata every kind shares. */
export function validateObjectMeta(kind: AnyKind, obj: KubeObject): FieldCause[] {
  const causes: FieldCause[] = [];
  const m = obj.metadata;
  if (m.name === undefined || m.name === '') {
    if (m.generateName === undefined || m.generateName === '')
      causes.push({ field: 'metadata.name', message: 'Required value: name or generateName is required', type: 'FieldValueRequired' });
  } else {
    for (const msg of validateName(kind, m.name))
      causes.push({ field: 'metadata.name', message: `Invalid value: "${m.name}": ${msg}`, type: 'FieldValueInvalid' });
  }
  if (m.generateName !== undefined && m.generateName !== '' && (m.name === undefined || m.name === '')) {
    // Kubernetes validates the prefix as if it were a name, ignoring a trailing '-'.
    const prefix = m.generateName.replace(/-$/, '');
    if (prefix !== '')
      for (const msg of validateName(kind, prefix))
        causes.push({ field: 'metadata.generateName', message: `Invalid value: "${m.generateName}": ${msg}`, type: 'FieldValueInvalid' });
  }
  if (kind.namespaced) {
    if (m.namespace === undefined || m.namespace === '')
      causes.push({ field: 'metadata.namespace', message: 'Required value', type: 'FieldValueRequired' });
    else
      for (const msg of validateDns1123Label(m.namespace))
        causes.push({ field: 'metadata.namespace', message: `Invalid value: "${m.namespace}": ${msg}`, type: 'FieldValueInvalid' });
  } else if (m.namespace !== undefined && m.namespace !== '') {
    causes.push({ field: 'metadata.namespace', message: 'Forbidden: not allowed on this type', type: 'FieldValueForbidden' });
  }
  for (const [k, v] of Object.entries(m.labels ?? {})) {
    for (const msg of validateQualifiedName(k))
      causes.push({ field: 'metadata.labels', message: `Invalid value: "${k}": ${msg}`, type: 'FieldValueInvalid' });
    for (const msg of validateLabelValue(v))
      causes.push({ field: `metadata.labels[${k}]`, message: `Invalid value: "${v}": ${msg}`, type: 'FieldValueInvalid' });
  }
  let annotationBytes = 0;
  for (const [k, v] of Object.entries(m.annotations ?? {})) {
    annotationBytes += k.length + v.length;
    for (const msg of validateQualifiedName(k.toLowerCase()))
      causes.push({ field: 'metadata.annotations', message: `Invalid value: "${k}": ${msg}`, type: 'FieldValueInvalid' });
  }
  if (annotationBytes > 256 * 1024)
    causes.push({ field: 'metadata.annotations', message: 'Too long: must have at most 262144 bytes', type: 'FieldValueTooLong' });
  let controllers = 0;
  (m.ownerReferences ?? []).forEach((ref, i) => {
    if (ref.controller === true) controllers++;
    if (ref.uid === '') causes.push({ field: `metadata.ownerReferences[${i}].uid`, message: 'Invalid value: "": uid must not be empty', type: 'FieldValueInvalid' });
  });
  if (controllers > 1)
    causes.push({
      field: 'metadata.ownerReferences',
      message: 'Invalid value: only one reference can have Controller set to true',
      type: 'FieldValueInvalid',
    });
  const seen = new Set<string>();
  (m.finalizers ?? []).forEach((f, i) => {
    for (const msg of validateQualifiedName(f))
      causes.push({ field: `metadata.finalizers[${i}]`, message: `Invalid value: "${f}": ${msg}`, type: 'FieldValueInvalid' });
    if (seen.has(f)) causes.push({ field: `metadata.finalizers[${i}]`, message: `Duplicate value: "${f}"`, type: 'FieldValueDuplicate' });
    seen.add(f);
  });
  return causes;
}

/**
 * Validate a parsed object: shared metadata rules and the kind's own `validate` hook.
 * @throws {@link InvalidError} listing every problem.
 */
export function validateObject(kind: AnyKind, obj: KubeObject, old: KubeObject | undefined): void {
  const causes = validateObjectMeta(kind, obj);
  const strategy = kind.strategy as KindStrategy<KubeObject>;
  if (strategy.validate) causes.push(...strategy.validate(obj, old));
  if (causes.length > 0) throw invalid(kind, obj, causes);
}

/** What {@link parseStatus} returns when the kind's schema has no separate status schema. */
export const NO_STATUS_SCHEMA = Symbol('no status schema');

/**
 * Parse only the `status` of an object with the status field of its kind's schema (the status
 * subresource changes nothing else, so nothing else needs parsing again). Returns
 * {@link NO_STATUS_SCHEMA} when the kind's schema is not an object schema with a `status` field.
 * @throws {@link InvalidError} naming `status.…` fields.
 */
export function parseStatus(kind: AnyKind, status: unknown, obj: KubeObject): unknown {
  const shape = (kind.schema as { shape?: Record<string, z.ZodType | undefined> }).shape;
  const schema = shape?.['status'];
  if (schema === undefined) return NO_STATUS_SCHEMA;
  const result = schema.safeParse(status);
  if (!result.success) {
    throw invalid(
      kind,
      obj,
      issuesToCauses(
        result.error.issues.map((i) => ({ ...i, path: ['status', ...i.path] })),
        { status },
      ),
    );
  }
  return result.data;
}

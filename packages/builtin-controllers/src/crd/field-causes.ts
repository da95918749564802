/**
 * Field causes in Kubernetes' words (`field.Required`, `field.Forbidden`, `field.Invalid`, …) and
 * field paths in Kubernetes' notation (`spec.versions[0].schema.openAPIV3Schema.properties[spec]`).
 *
 * @module
 * @internal
 */
import type { FieldCause } from '@harbormaster/core';

const identifier = /^[A-Za-z_$][\w$]*$/;

/** A field path as Kubernetes prints it: `spec.items[0].name`, `metadata.labels[app.kubernetes.io/name]`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += identifier.test(p) ? (out === '' ? p : `.${p}`) : `[${p}]`;
  }
  return out;
}

/** Go's `%v`-like rendering of a value in messages: strings quoted, the rest as JSON. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'null';
  return JSON.stringify(value) ?? 'null';
}

export function required(field: string, detail?: string): FieldCause {
  return { field, message: detail === undefined ? 'Required value' : `Required value: ${detail}`, type: 'FieldValueRequired' };
}

export function forbidden(field: string, detail: string): FieldCause {
  return { field, message: `Forbidden: ${detail}`, type: 'FieldValueForbidden' };
}

export function invalid(field: string, value: unknown, detail: string): FieldCause {
  return { field, message: `Invalid value: ${describeValue(value)}: ${detail}`, type: 'FieldValueInvalid' };
}

export function notSupported(field: string, value: unknown, values: readonly unknown[]): FieldCause {
  return {
    field,
    message: `Unsupported value: ${describeValue(value)}: supported values: ${values.map((v) => describeValue(v)).join(', ')}`,
    type: 'FieldValueNotSupported',
  };
}

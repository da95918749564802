/**
 * Building blocks of the kinds' semantic validation: {@link FieldCause} constructors with
 * Kubernetes' cause types and messages (`k8s.io/apimachinery/pkg/util/validation/field`), label,
 * selector and port checks. Field paths are written as Kubernetes writes them:
 * `spec.template.spec.containers[0].name`. (The schema's own issues become causes in the API layer.)
 *
 * @module
 */
import type { FieldCause } from '../errors.js';
import {
  validateDns1123Label,
  validateLabelValue,
  validateQualifiedName,
} from '../meta/validation.js';
import type { LabelSelector } from './common.js';
import { labelSelectorFromObject } from '../api/selectors/label-selector.js';

/** A value as Kubernetes prints it in a message: strings quoted, numbers and booleans plain. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  return JSON.stringify(value);
}

/** `FieldValueRequired`: the field must be set. */
export function required(field: string, detail?: string): FieldCause {
  return { field, type: 'FieldValueRequired', message: detail ? `Required value: ${detail}` : 'Required value' };
}

/** `FieldValueInvalid`: the value is not allowed, for the reason given. */
export function invalid(field: string, value: unknown, detail: string): FieldCause {
  return { field, type: 'FieldValueInvalid', message: `Invalid value: ${show(value)}: ${detail}` };
}

/** `FieldValueDuplicate`: the value appears twice where it must be unique. */
export function duplicate(field: string, value: unknown): FieldCause {
  return { field, type: 'FieldValueDuplicate', message: `Duplicate value: ${show(value)}` };
}

/** `FieldValueNotSupported`: the value is not one of the supported values. */
export function notSupported(field: string, value: unknown, supported: readonly string[]): FieldCause {
  return {
    field,
    type: 'FieldValueNotSupported',
    message: `Unsupported value: ${show(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
  };
}

/** `FieldValueNotFound`: the value refers to something that does not exist. */
export function notFound(field: string, value: unknown): FieldCause {
  return { field, type: 'FieldValueNotFound', message: `Not found: ${show(value)}` };
}

/** `FieldValueForbidden`: the field may not be set here. */
export function forbidden(field: string, detail: string): FieldCause {
  return { field, type: 'FieldValueForbidden', message: `Forbidden: ${detail}` };
}

/** Each problem of a name check (`validateDns1123Label`, …) as a `FieldValueInvalid` cause. */
export function invalidEach(field: string, value: unknown, problems: readonly string[]): FieldCause[] {
  return problems.map((p) => invalid(field, value, p));
}

/** Label keys must be qualified names and values label values. */
export function validateLabels(labels: Readonly<Record<string, string>> | undefined, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const [key, value] of Object.entries(labels ?? {})) {
    causes.push(...invalidEach(field, key, validateQualifiedName(key)));
    causes.push(...invalidEach(field, value, validateLabelValue(value)));
  }
  return causes;
}

/** Annotation keys must be qualified names (compared lowercased, as Kubernetes does). */
export function validateAnnotations(
  annotations: Readonly<Record<string, string>> | undefined,
  field: string,
): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const key of Object.keys(annotations ?? {})) {
    causes.push(...invalidEach(field, key, validateQualifiedName(key.toLowerCase())));
  }
  return causes;
}

/** The labels and annotations of an ObjectMeta (names are checked separately, by `validateName`). */
export function validateObjectMeta(
  meta: { labels?: Record<string, string> | undefined; annotations?: Record<string, string> | undefined } | undefined,
  field: string,
): FieldCause[] {
  return [...validateLabels(meta?.labels, `${field}.labels`), ...validateAnnotations(meta?.annotations, `${field}.annotations`)];
}

/**
 * A label selector's keys, values and operators: `In` and `NotIn` need values, `Exists` and
 * `DoesNotExist` must have none.
 */
export function validateLabelSelector(selector: LabelSelector | undefined, field: string): FieldCause[] {
  if (!selector) return [];
  const causes = validateLabels(selector.matchLabels, `${field}.matchLabels`);
  (selector.matchExpressions ?? []).forEach((req, i) => {
    const path = `${field}.matchExpressions[${i}]`;
    causes.push(...invalidEach(`${path}.key`, req.key, validateQualifiedName(req.key)));
    const values = req.values ?? [];
    if ((req.operator === 'In' || req.operator === 'NotIn') && values.length === 0) {
      causes.push(required(`${path}.values`, 'must be specified when `operator` is \'In\' or \'NotIn\''));
    }
    if ((req.operator === 'Exists' || req.operator === 'DoesNotExist') && values.length > 0) {
      causes.push(forbidden(`${path}.values`, 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\''));
    }
    values.forEach((v, j) => causes.push(...invalidEach(`${path}.values[${j}]`, v, validateLabelValue(v))));
  });
  return causes;
}

/** Whether a selector has no requirements (and so matches every object). */
export function isEmptySelector(selector: LabelSelector): boolean {
  return Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
}

/** Whether a label selector matches a set of labels; an empty selector matches everything, an invalid one nothing. */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  try {
    return labelSelectorFromObject(selector).matches(labels);
  } catch {
    return false;
  }
}

/** A port number: 1–65535. */
export function validatePortNumber(port: number, field: string): FieldCause[] {
  return port >= 1 && port <= 65535 ? [] : [invalid(field, port, 'must be between 1 and 65535, inclusive')];
}

/** Problems with an IANA service name (a named port): at most 15 lowercase alphanumerics or '-', with a letter. */
export function portNameProblems(name: string): string[] {
  const problems: string[] = [];
  if (name.length > 15) problems.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) problems.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) problems.push('must contain at least one letter (a-z)');
  if (name.includes('--')) problems.push('must not contain consecutive hyphens');
  if (name.startsWith('-') || name.endsWith('-')) problems.push('must not begin or end with a hyphen');
  return problems;
}

/** A named port must be an IANA service name. */
export function validatePortName(name: string, field: string): FieldCause[] {
  return invalidEach(field, name, portNameProblems(name));
}

/** A number that may not be negative. */
export function validateNonnegative(value: number | undefined, field: string): FieldCause[] {
  return value !== undefined && value < 0 ? [invalid(field, value, 'must be greater than or equal to 0')] : [];
}

/** A DNS-1123 label, e.g. a container or volume name. */
export function validateDnsLabel(value: string, field: string): FieldCause[] {
  return invalidEach(field, value, validateDns1123Label(value));
}

/** Items of a list that must be unique by a key: a `FieldValueDuplicate` for every repeat. */
export function validateUnique<T>(items: readonly T[], key: (item: T) => string | undefined, field: (i: number) => string): FieldCause[] {
  const seen = new Set<string>();
  const causes: FieldCause[] = [];
  items.forEach((item, i) => {
    const k = key(item);
    if (k === undefined) return;
    if (seen.has(k)) causes.push(duplicate(field(i), k));
    seen.add(k);
  });
  return causes;
}

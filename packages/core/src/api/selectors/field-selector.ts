/**
 * Field selectors (`metadata.name=web-0,status.phase!=Running`), as Kubernetes supports them:
 * `=`, `==` and `!=` on the fields a kind makes selectable. Every kind has `metadata.name` and
 * `metadata.namespace`; kinds add their own (Pods: `spec.nodeName`, `status.phase`, …).
 *
 * @module
 */
import { BadRequestError } from '../../errors.js';
import type { AnyKind } from '../../kinds/kind.js';
import type { KubeObject } from '../../meta/object-meta.js';

/** One clause of a field selector. */
export interface FieldRequirement {
  /** The field path, e.g. `status.phase`. */
  readonly field: string;
  /** `=` (also written `==`) or `!=`. */
  readonly operator: '=' | '!=';
  /** The value the field is compared with. */
  readonly value: string;
}

/** A parsed field selector. */
export interface FieldSelector {
  /** The clauses; an object matches when it meets all of them. */
  readonly requirements: readonly FieldRequirement[];
  /** Whether there are no clauses (the selector matches everything). */
  readonly empty: boolean;
  /** The selector in Kubernetes' syntax, e.g. `metadata.name=web-0,status.phase!=Running`. */
  toString(): string;
}

/**
 * Parse a field selector string.
 * @throws {@link BadRequestError} if a clause has no operator.
 */
export function parseFieldSelector(input: string): FieldSelector {
  const requirements: FieldRequirement[] = [];
  for (const raw of splitUnescaped(input.trim())) {
    const part = raw.trim();
    if (part === '') continue;
    const m = /^(.+?)(==|!=|=)(.*)$/.exec(part);
    if (m === null) throw new BadRequestError(`invalid field selector "${input}": "${part}" has no operator (=, == or !=)`);
    const field = (m[1] ?? '').trim();
    const op = m[2] === '!=' ? '!=' : '=';
    requirements.push({ field, operator: op, value: unescapeValue((m[3] ?? '').trim()) });
  }
  return {
    requirements,
    empty: requirements.length === 0,
    toString: () => requirements.map((r) => `${r.field}${r.operator}${r.value}`).join(','),
  };
}

function splitUnescaped(s: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s.charAt(i + 1);
      i++;
    } else if (c === ',') {
      parts.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  return parts;
}

function unescapeValue(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}

/** A compiled field selector for one kind: a predicate over its objects. */
export type FieldMatcher = (obj: KubeObject) => boolean;

/**
 * Compile a field selector against a kind's selectable fields.
 * @throws {@link BadRequestError} `field label not supported: x` for a field the kind does not make selectable.
 */
export function compileFieldSelector(kind: AnyKind, selector: FieldSelector | string | undefined): FieldMatcher | undefined {
  const parsed = typeof selector === 'string' ? parseFieldSelector(selector) : selector;
  if (parsed === undefined || parsed.empty) return undefined;
  const extra = (kind.strategy.selectableFields ?? {}) as Record<string, (obj: KubeObject) => string | undefined>;
  const getters = parsed.requirements.map((r) => {
    let get: ((obj: KubeObject) => string | undefined) | undefined;
    if (r.field === 'metadata.name') get = (o) => o.metadata.name;
    else if (r.field === 'metadata.namespace') get = (o) => o.metadata.namespace;
    else get = extra[r.field];
    if (get === undefined) throw new BadRequestError(`field label not supported: ${r.field}`, { kind: kind.plural });
    const getter = get;
    return r.operator === '='
      ? (o: KubeObject) => (getter(o) ?? '') === r.value
      : (o: KubeObject) => (getter(o) ?? '') !== r.value;
  });
  return (obj) => getters.every((g) => g(obj));
}

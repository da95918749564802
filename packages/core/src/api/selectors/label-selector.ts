/**
 * Label selectors, as Kubernetes parses and evaluates them (`k8s.io/apimachinery/pkg/labels`).
 *
 * Two forms: the string form of list and watch options (`app=web,tier!=db,env in (prod,stage),!canary`)
 * and the object form of specs (`{ matchLabels, matchExpressions }`). Both turn into a
 * {@link Selector}. An empty selector matches everything; a missing object selector (`undefined`)
 * matches nothing, as in `metav1.LabelSelectorAsSelector`.
 *
 * @example
 * ```ts
 * const s = parseLabelSelector('app=web,env in (prod,stage),!canary');
 * s.matches({ app: 'web', env: 'prod' }); // true
 * labelSelectorFromObject({ matchLabels: { app: 'web' } }).toString(); // "app=web"
 * ```
 *
 * @module
 */
import { BadRequestError } from '../../errors.js';
import { validateLabelValue, validateQualifiedName } from '../../meta/validation.js';

/** An operator of a label requirement. */
export type SelectorOperator = 'Equals' | 'DoubleEquals' | 'NotEquals' | 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

/** One clause of a selector: all clauses must hold. */
export interface Requirement {
  /** The label key, e.g. `app.kubernetes.io/name`. */
  readonly key: string;
  /** How the label's value is tested. */
  readonly operator: SelectorOperator;
  /** The values to compare with: one for the equality operators, `Gt` and `Lt`, none for `Exists` and `DoesNotExist`. */
  readonly values: readonly string[];
}

/** Label map. */
export type Labels = Readonly<Record<string, string>> | undefined;

/** A parsed label selector. */
export interface Selector {
  /** Whether the labels satisfy every requirement. */
  matches(labels: Labels): boolean;
  /** True if the selector has no requirements (matches everything). */
  readonly empty: boolean;
  /** True if the selector matches nothing (from an absent object selector). */
  readonly nothing: boolean;
  /** The clauses, sorted by key as Kubernetes sorts them. */
  readonly requirements: readonly Requirement[];
  /** The canonical string form, parseable by {@link parseLabelSelector}. */
  toString(): string;
}

/** The object form used in specs (`spec.selector` of a Deployment). */
export interface LabelSelectorObject {
  /** Labels the object must carry with exactly these values, as in Kubernetes' `LabelSelector.matchLabels`. */
  readonly matchLabels?: Readonly<Record<string, string>> | undefined;
  /** Requirements with `In`, `NotIn`, `Exists` or `DoesNotExist`, as in Kubernetes' `LabelSelector.matchExpressions`. */
  readonly matchExpressions?:
    | readonly {
        readonly key: string;
        readonly operator: string;
        readonly values?: readonly string[] | undefined;
      }[]
    | undefined;
}

function matchesRequirement(r: Requirement, labels: Labels): boolean {
  const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case 'Equals':
    case 'DoubleEquals':
    case 'In':
      return has && r.values.includes(value as string);
    case 'NotEquals':
    case 'NotIn':
      return !has || !r.values.includes(value as string);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has) return false;
      const lv = Number.parseInt(value as string, 10);
      const rv = Number.parseInt(r.values[0] ?? '', 10);
      if (Number.isNaN(lv) || Number.isNaN(rv)) return false;
      return r.operator === 'Gt' ? lv > rv : lv < rv;
    }
  }
}

function requirementToString(r: Requirement): string {
  switch (r.operator) {
    case 'Equals':
      return `${r.key}=${r.values[0] ?? ''}`;
    case 'DoubleEquals':
      return `${r.key}==${r.values[0] ?? ''}`;
    case 'NotEquals':
      return `${r.key}!=${r.values[0] ?? ''}`;
    case 'In':
      return `${r.key} in (${r.values.join(',')})`;
    case 'NotIn':
      return `${r.key} notin (${r.values.join(',')})`;
    case 'Exists':
      return r.key;
    case 'DoesNotExist':
      return `!${r.key}`;
    case 'Gt':
      return `${r.key}>${r.values[0] ?? ''}`;
    case 'Lt':
      return `${r.key}<${r.values[0] ?? ''}`;
  }
}

class RequirementsSelector implements Selector {
  readonly requirements: readonly Requirement[];
  readonly nothing: boolean;
  constructor(requirements: Requirement[], nothing = false) {
    // Kubernetes sorts requirements by key for a canonical string form.
    this.requirements = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.nothing = nothing;
  }
  get empty(): boolean {
    return !this.nothing && this.requirements.length === 0;
  }
  matches(labels: Labels): boolean {
    if (this.nothing) return false;
    for (const r of this.requirements) if (!matchesRequirement(r, labels)) return false;
    return true;
  }
  toString(): string {
    return this.requirements.map(requirementToString).join(',');
  }
}

/** A selector that matches every object. */
export const everything: Selector = new RequirementsSelector([]);
/** A selector that matches no object. */
export const nothing: Selector = new RequirementsSelector([], true);

function badSelector(input: string, message: string): BadRequestError {
  return new BadRequestError(`unable to parse requirement: invalid label selector "${input}": ${message}`);
}

function checkKey(input: string, key: string): void {
  const errs = validateQualifiedName(key);
  if (errs.length > 0) throw badSelector(input, `key "${key}": ${errs.join('; ')}`);
}

function checkValue(input: string, key: string, value: string): void {
  const errs = validateLabelValue(value);
  if (errs.length > 0) throw badSelector(input, `values[0][${key}]: Invalid value: "${value}": ${errs.join('; ')}`);
}

/** Make a requirement, validating the key and values as Kubernetes does. */
export function requirement(key: string, operator: SelectorOperator, values: readonly string[] = []): Requirement {
  const input = `${key} ${operator} ${values.join(',')}`;
  checkKey(input, key);
  switch (operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) throw badSelector(input, `for '${operator}' operator, values set can't be empty`);
      break;
    case 'Equals':
    case 'DoubleEquals':
    case 'NotEquals':
      if (values.length !== 1) throw badSelector(input, 'exact-match compatibility requires one single value');
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length !== 0) throw badSelector(input, 'values set must be empty for exists and does not exist');
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1 || !/^-?\d+$/.test(values[0] ?? ''))
        throw badSelector(input, `for '${operator}' operator, exactly one integer value is required`);
      break;
  }
  if (operator !== 'Gt' && operator !== 'Lt') for (const v of values) checkValue(input, key, v);
  return { key, operator, values: [...values].sort() };
}

/**
 * Parse the string form of a label selector.
 * @throws {@link BadRequestError} naming the selector and the problem.
 */
export function parseLabelSelector(input: string): Selector {
  const s = input.trim();
  if (s === '') return everything;
  const reqs: Requirement[] = [];
  let i = 0;
  const skipWs = (): void => {
    while (i < s.length && /\s/.test(s.charAt(i))) i++;
  };
  const readIdent = (): string => {
    const start = i;
    while (i < s.length && !/[\s,=!()<>]/.test(s.charAt(i))) i++;
    return s.slice(start, i);
  };
  for (;;) {
    skipWs();
    let negate = false;
    if (s.charAt(i) === '!') {
      negate = true;
      i++;
      skipWs();
    }
    const key = readIdent();
    if (key === '') throw badSelector(input, `expected a key at position ${i}`);
    skipWs();
    if (negate) {
      reqs.push(requirement(key, 'DoesNotExist'));
    } else if (i >= s.length || s.charAt(i) === ',') {
      reqs.push(requirement(key, 'Exists'));
    } else if (s.startsWith('==', i)) {
      i += 2;
      skipWs();
      reqs.push(requirement(key, 'DoubleEquals', [readIdent()]));
    } else if (s.startsWith('!=', i)) {
      i += 2;
      skipWs();
      reqs.push(requirement(key, 'NotEquals', [readIdent()]));
    } else if (s.charAt(i) === '=') {
      i += 1;
      skipWs();
      reqs.push(requirement(key, 'Equals', [readIdent()]));
    } else if (s.charAt(i) === '>' || s.charAt(i) === '<') {
      const op = s.charAt(i) === '>' ? 'Gt' : 'Lt';
      i += 1;
      skipWs();
      reqs.push(requirement(key, op, [readIdent()]));
    } else {
      const word = readIdent();
      if (word !== 'in' && word !== 'notin') throw badSelector(input, `unexpected "${word}" after key "${key}"`);
      skipWs();
      if (s.charAt(i) !== '(') throw badSelector(input, `expected '(' after "${word}"`);
      i++;
      const values: string[] = [];
      for (;;) {
        skipWs();
        const v = readIdent();
        values.push(v);
        skipWs();
        if (s.charAt(i) === ',') {
          i++;
          continue;
        }
        if (s.charAt(i) === ')') {
          i++;
          break;
        }
        throw badSelector(input, `expected ',' or ')' in the values of "${key}"`);
      }
      reqs.push(requirement(key, word === 'in' ? 'In' : 'NotIn', values));
    }
    skipWs();
    if (i >= s.length) break;
    if (s.charAt(i) !== ',') throw badSelector(input, `expected ',' at position ${i}`);
    i++;
  }
  return new RequirementsSelector(reqs);
}

/**
 * Turn the object form into a selector. `undefined` matches nothing; `{}` matches everything.
 * @throws {@link BadRequestError} for an unknown operator or bad values.
 */
export function labelSelectorFromObject(selector: LabelSelectorObject | undefined | null): Selector {
  if (selector === undefined || selector === null) return nothing;
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) reqs.push(requirement(k, 'Equals', [v]));
  for (const e of selector.matchExpressions ?? []) {
    switch (e.operator) {
      case 'In':
      case 'NotIn':
      case 'Exists':
      case 'DoesNotExist':
        reqs.push(requirement(e.key, e.operator, e.values ?? []));
        break;
      default:
        throw new BadRequestError(`"${e.operator}" is not a valid label selector operator`);
    }
  }
  return new RequirementsSelector(reqs);
}

/**
 * A selector requiring every one of `requirements` (build them with {@link requirement}): the way
 * to combine selectors (`[...a.requirements, ...b.requirements]`) with a canonical `toString()`.
 */
export function selectorFromRequirements(requirements: readonly Requirement[]): Selector {
  return new RequirementsSelector([...requirements]);
}

/** A selector requiring every label of `set` (`app=web,tier=front`). */
export function selectorFromSet(set: Readonly<Record<string, string>>): Selector {
  return new RequirementsSelector(Object.entries(set).map(([k, v]) => requirement(k, 'Equals', [v])));
}

/** Accept a selector in any form: a string, an object selector, or a parsed {@link Selector}. */
export function toSelector(selector: string | LabelSelectorObject | Selector | undefined): Selector {
  if (selector === undefined) return everything;
  if (typeof selector === 'string') return parseLabelSelector(selector);
  if ('matches' in selector && typeof selector.matches === 'function') return selector;
  return labelSelectorFromObject(selector as LabelSelectorObject);
}

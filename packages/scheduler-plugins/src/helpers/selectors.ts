/**
 * Label selectors for scheduling: the object form compiled once with core's selector, plus
 * selectors that add requirements (matchLabelKeys) or combine several (default spreading).
 *
 * @module
 */
import { everything, labelSelectorFromObject, nothing, requirement, type kinds, type Labels, type Requirement, type Selector } from '@harbormaster/core';

/** A selector from the object form; an invalid one matches nothing. `undefined` matches nothing. */
export function compileSelector(selector: kinds.LabelSelector | undefined | null): Selector {
  try {
    return labelSelectorFromObject(selector);
  } catch {
    return nothing;
  }
}

class AllOf implements Selector {
  readonly requirements: readonly Requirement[];
  readonly nothing: boolean;
  readonly #parts: readonly Selector[];
  constructor(parts: readonly Selector[]) {
    this.#parts = parts;
    this.nothing = parts.some((p) => p.nothing);
    this.requirements = parts.flatMap((p) => p.requirements);
  }
  get empty(): boolean {
    return !this.nothing && this.requirements.length === 0;
  }
  matches(labels: Labels): boolean {
    for (const p of this.#parts) if (!p.matches(labels)) return false;
    return true;
  }
}

/** A selector matching what every one of `parts` matches. */
export function allOf(parts: readonly Selector[]): Selector {
  const useful = parts.filter((p) => !p.empty || p.nothing);
  if (useful.length === 0) return everything;
  if (useful.length === 1) return useful[0] as Selector;
  return new AllOf(useful);
}

/** `selector` plus `key In (value)` for each key (a term's or constraint's `matchLabelKeys`). */
export function withRequirements(selector: Selector, extra: readonly Requirement[]): Selector {
  if (extra.length === 0) return selector;
  return allOf([selector, { matches: (l) => extra.every((r) => matchRequirement(r, l)), empty: false, nothing: false, requirements: extra }]);
}

function matchRequirement(r: Requirement, labels: Labels): boolean {
  const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case 'In':
    case 'Equals':
    case 'DoubleEquals':
      return v !== undefined && r.values.includes(v);
    case 'NotIn':
    case 'NotEquals':
      return v === undefined || !r.values.includes(v);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (v === undefined || !/^-?\d+$/.test(v)) return false;
      const n = Number(v);
      const bound = Number(r.values[0]);
      return r.operator === 'Gt' ? n > bound : n < bound;
    }
  }
}

/**
 * Requirements for `matchLabelKeys` (`In` the pod's value) or `mismatchLabelKeys` (`NotIn`), for
 * keys the pod has as labels. Invalid keys or values are skipped.
 */
export function labelKeyRequirements(keys: readonly string[] | undefined, labels: Labels, operator: 'In' | 'NotIn'): Requirement[] {
  const out: Requirement[] = [];
  for (const key of keys ?? []) {
    const value = labels?.[key];
    if (value === undefined) continue;
    try {
      out.push(requirement(key, operator, [value]));
    } catch {
      // An invalid key or value cannot match anything useful; Kubernetes' validation refuses it.
    }
  }
  return out;
}

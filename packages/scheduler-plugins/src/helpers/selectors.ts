/**
 * Label selectors for scheduling: the object form compiled once with core's selector, plus
 * selectors that add requirements (matchLabelKeys) or combine several (default spreading).
 *
 * @module
 */
import { everything, labelSelectorFromObject, nothing, requirement, selectorFromRequirements, type kinds, type Labels, type Requirement, type Selector } from '@harbormaster/core';

/** A selector from the object form; an invalid one matches nothing. `undefined` matches nothing. */
export function compileSelector(selector: kinds.LabelSelector | undefined | null): Selector {
  try {
    return labelSelectorFromObject(selector);
  } catch {
    return nothing;
  }
}

/**
 * A selector matching what every one of `parts` matches: the conjunction of their requirements
 * (every core selector is one), so it prints canonically and can be remembered by its string.
 */
export function allOf(parts: readonly Selector[]): Selector {
  if (parts.some((p) => p.nothing)) return nothing;
  const requirements = parts.flatMap((p) => p.requirements);
  return requirements.length === 0 ? everything : selectorFromRequirements(requirements);
}

/** `selector` plus `key In (value)` for each key (a term's or constraint's `matchLabelKeys`). */
export function withRequirements(selector: Selector, extra: readonly Requirement[]): Selector {
  if (extra.length === 0 || selector.nothing) return selector;
  return selectorFromRequirements([...selector.requirements, ...extra]);
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

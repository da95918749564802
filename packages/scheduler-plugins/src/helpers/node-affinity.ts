/**
 * Node selection rules (`component-helpers/scheduling/corev1/nodeaffinity`): a pod's
 * `nodeSelector` (every label must equal) AND its required node affinity (node selector terms,
 * ORed; a term's requirements ANDed; an empty term matches nothing); and weighted preferred terms.
 *
 * Requirement operators on labels: `In`, `NotIn` (also true when the label is absent), `Exists`,
 * `DoesNotExist`, `Gt` and `Lt` (integer comparison of the label's value). `matchFields` supports
 * `metadata.name` with `In` / `NotIn` and one value. A malformed requirement makes its term match
 * nothing, as Kubernetes ignores terms that do not parse.
 *
 * @module
 */
import type { kinds } from '@harbormaster/core';

type NodeLike = { readonly metadata: { readonly name?: string | undefined; readonly labels?: Readonly<Record<string, string>> | undefined } };
type Labels = Readonly<Record<string, string>> | undefined;

const INTEGER = /^-?\d+$/;

type Matcher = (labels: Labels, name: string) => boolean;

function requirementMatcher(r: kinds.NodeSelectorRequirement, field: boolean): Matcher | undefined {
  const values = r.values ?? [];
  if (field) {
    if (r.key !== 'metadata.name' || (r.operator !== 'In' && r.operator !== 'NotIn') || values.length !== 1) return undefined;
    const v = values[0];
    return r.operator === 'In' ? (_l, name) => name === v : (_l, name) => name !== v;
  }
  const key = r.key;
  switch (r.operator) {
    case 'In': {
      if (values.length === 0) return undefined;
      if (values.length === 1) {
        const v = values[0];
        return (l) => l !== undefined && l[key] === v;
      }
      const set = new Set(values);
      return (l) => {
        const v = l?.[key];
        return v !== undefined && set.has(v);
      };
    }
    case 'NotIn': {
      if (values.length === 0) return undefined;
      const set = new Set(values);
      return (l) => {
        const v = l?.[key];
        return v === undefined || !set.has(v);
      };
    }
    case 'Exists':
      if (values.length !== 0) return undefined;
      return (l) => l !== undefined && Object.prototype.hasOwnProperty.call(l, key);
    case 'DoesNotExist':
      if (values.length !== 0) return undefined;
      return (l) => l === undefined || !Object.prototype.hasOwnProperty.call(l, key);
    case 'Gt':
    case 'Lt': {
      const bound = values[0];
      if (values.length !== 1 || bound === undefined || !INTEGER.test(bound)) return undefined;
      const b = Number(bound);
      const gt = r.operator === 'Gt';
      return (l) => {
        const v = l?.[key];
        if (v === undefined || !INTEGER.test(v)) return false;
        return gt ? Number(v) > b : Number(v) < b;
      };
    }
  }
}

/** A compiled node selector term; `undefined` for an empty or malformed term (matches nothing). */
export function compileNodeSelectorTerm(term: kinds.NodeSelectorTerm): Matcher | undefined {
  const parts: Matcher[] = [];
  for (const r of term.matchExpressions ?? []) {
    const m = requirementMatcher(r, false);
    if (m === undefined) return undefined;
    parts.push(m);
  }
  for (const r of term.matchFields ?? []) {
    const m = requirementMatcher(r, true);
    if (m === undefined) return undefined;
    parts.push(m);
  }
  if (parts.length === 0) return undefined;
  if (parts.length === 1) return parts[0];
  return (l, n) => {
    for (const p of parts) if (!p(l, n)) return false;
    return true;
  };
}

/** A compiled `NodeSelector` (terms ORed). */
export class NodeSelectorMatcher {
  readonly #terms: Matcher[];
  constructor(selector: kinds.NodeSelector) {
    this.#terms = [];
    for (const t of selector.nodeSelectorTerms) {
      const m = compileNodeSelectorTerm(t);
      if (m !== undefined) this.#terms.push(m);
    }
  }
  /** Whether `node` matches any term. */
  match(node: NodeLike): boolean {
    const labels = node.metadata.labels;
    const name = node.metadata.name ?? '';
    for (const t of this.#terms) if (t(labels, name)) return true;
    return false;
  }
}

/** A pod's required node selection: `nodeSelector` AND required node affinity. */
export class RequiredNodeAffinity {
  readonly #labelSelector: readonly (readonly [string, string])[];
  readonly #nodeSelector: NodeSelectorMatcher | undefined;

  constructor(pod: { readonly spec: Pick<kinds.PodSpec, 'nodeSelector' | 'affinity'> }) {
    this.#labelSelector = Object.entries(pod.spec.nodeSelector ?? {});
    const required = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    this.#nodeSelector = required === undefined ? undefined : new NodeSelectorMatcher(required);
  }

  /** Whether the pod has no requirement on nodes at all. */
  get empty(): boolean {
    return this.#labelSelector.length === 0 && this.#nodeSelector === undefined;
  }

  /** Whether `node` satisfies the pod's nodeSelector and required node affinity. */
  match(node: NodeLike): boolean {
    if (this.#labelSelector.length > 0) {
      const labels = node.metadata.labels;
      if (labels === undefined) return false;
      for (const [k, v] of this.#labelSelector) if (labels[k] !== v) return false;
    }
    return this.#nodeSelector === undefined || this.#nodeSelector.match(node);
  }
}

/** Weighted preferred node selector terms, compiled; terms with weight 0 or no requirements are dropped. */
export class PreferredSchedulingTerms {
  readonly #terms: { readonly weight: number; readonly match: Matcher }[] = [];
  constructor(terms: readonly kinds.PreferredSchedulingTerm[] | undefined) {
    for (const t of terms ?? []) {
      if (t.weight === 0) continue;
      const m = compileNodeSelectorTerm(t.preference);
      if (m !== undefined) this.#terms.push({ weight: t.weight, match: m });
    }
  }
  /** Whether there are no terms. */
  get empty(): boolean {
    return this.#terms.length === 0;
  }
  /** The sum of the weights of the terms `node` matches. */
  score(node: NodeLike): number {
    let s = 0;
    const labels = node.metadata.labels;
    const name = node.metadata.name ?? '';
    for (const t of this.#terms) if (t.match(labels, name)) s += t.weight;
    return s;
  }
}

/**
 * Multi-document YAML manifests into validated Kubernetes objects, the way `kubectl apply -f`
 * reads them: YAML 1.1 as Kubernetes parses it (so `0644` is octal and `yes` is a boolean), empty
 * documents skipped, duplicate keys refused, and every object checked against its kind.
 *
 * The loader is safe on untrusted input: it refuses input larger than `maxBytes`, nesting deeper
 * than `maxDepth`, alias expansion beyond `maxAliasCount` (a "billion laughs" bomb), documents that
 * aliases expand beyond `maxExpandedBytes` in all (go-yaml's "excessive aliasing": a hundred
 * aliases of one large anchor), and any `__proto__` key.
 *
 * Null-valued fields (`creationTimestamp: null`, `labels: null`, as `kubectl create --dry-run -o
 * yaml` writes them) read as absent, as Kubernetes' decoding into Go structs reads them.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { loadManifests } from '@harbormaster/core';
 *
 * const objects = loadManifests(readFileSync('storefront.yaml', 'utf8'));
 * // [{ apiVersion: 'apps/v1', kind: 'Deployment', … }, { apiVersion: 'v1', kind: 'Service', … }]
 * ```
 *
 * @module
 */
import { parseAllDocuments } from 'yaml';
import { InvalidError, RequestEntityTooLargeError, isInvalid, type FieldCause } from '../errors.js';
import { KindRegistry } from '../kinds/kind.js';
import { builtinKinds } from '../kinds/builtin.js';
import type { KubeObject } from '../meta/object-meta.js';
import { normalizeNulls, parseObject, validateObject } from '../api/validation.js';
import { cloneJson } from '../util/json.js';

/** Options of {@link loadManifests}. */
export interface LoadManifestsOptions {
  /** The kinds to accept. @default the built-in kinds */
  readonly registry?: KindRegistry;
  /** Refuse input larger than this many bytes (UTF-8). @default 3145728 (3 MiB, Kubernetes' request limit) */
  readonly maxBytes?: number;
  /** Refuse nesting deeper than this. @default 100 */
  readonly maxDepth?: number;
  /** Refuse more alias expansions than this per document. @default 100 */
  readonly maxAliasCount?: number;
  /**
   * Refuse documents whose data, with every alias expanded, is larger than this many bytes in all
   * (measured as compact JSON, roughly). Without aliases data is about as large as its YAML.
   * @default 4 × maxBytes
   */
  readonly maxExpandedBytes?: number;
  /** Refuse more documents than this. @default 10000 */
  readonly maxDocuments?: number;
  /** The namespace given to namespaced objects that name none; absent leaves them without one (validation then accepts that). */
  readonly namespace?: string;
}

/**
 * A manifest that cannot be loaded: a YAML error, an unknown kind, or an invalid object.
 * `documentIndex` is the 0-based index of the YAML document; the causes name the field paths.
 */
export class ManifestError extends InvalidError {
  /** Always `ManifestError`. */
  override readonly name = 'ManifestError';
  constructor(
    /** The 0-based index of the YAML document that failed. */
    readonly documentIndex: number,
    causes: readonly FieldCause[],
    what = 'manifest',
  ) {
    super(
      { causes },
      `document ${documentIndex} (${what}) is invalid: ${causes.map((c) => (c.field === '' ? c.message : `${c.field}: ${c.message}`)).join(', ')}`,
    );
  }
}

let defaultRegistry: KindRegistry | undefined;

/**
 * Parse multi-document YAML into objects and validate each against its kind. The objects are
 * returned exactly as written (defaults are not filled in), ready for `client.apply`.
 *
 * @throws {@link ManifestError} naming the document index and the field path.
 * @throws {@link RequestEntityTooLargeError} for input over `maxBytes`.
 */
export function loadManifests(text: string, options: LoadManifestsOptions = {}): KubeObject[] {
  const maxBytes = options.maxBytes ?? 3 * 1024 * 1024;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) throw new RequestEntityTooLargeError(`manifests are ${bytes} bytes, more than the limit of ${maxBytes}`);
  checkNesting(text, options.maxDepth ?? 100);

  const registry = options.registry ?? (defaultRegistry ??= new KindRegistry(builtinKinds));
  const docs = parseAllDocuments(text, { version: '1.1', uniqueKeys: true, prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const maxDocuments = options.maxDocuments ?? 10_000;
  if (list.length > maxDocuments) throw new RequestEntityTooLargeError(`${list.length} documents, more than the limit of ${maxDocuments}`);
  const out: KubeObject[] = [];
  const maxExpanded = options.maxExpandedBytes ?? 4 * maxBytes;
  let expanded = 0;
  list.forEach((doc, index) => {
    const firstError = doc.errors[0];
    if (firstError !== undefined) throw new ManifestError(index, [{ field: '', message: `YAML: ${firstError.message.trim()}`, type: 'FieldValueInvalid' }]);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: options.maxAliasCount ?? 100 });
    } catch (e) {
      throw new ManifestError(index, [{ field: '', message: `YAML: ${(e as Error).message}`, type: 'FieldValueInvalid' }]);
    }
    if (value === null || value === undefined) return; // an empty document
    // Aliases come out of toJS as shared references; what is built from the data later (copies,
    // JSON, validation) pays for every expansion. Measure it before anything else walks it.
    const size = expandedSize(value, maxExpanded - expanded);
    if (size === undefined)
      throw new ManifestError(index, [
        { field: '', message: `YAML: excessive aliasing: the manifests expand to more than ${maxExpanded} bytes`, type: 'FieldValueInvalid' },
      ]);
    expanded += size;
    if (typeof value !== 'object' || Array.isArray(value))
      throw new ManifestError(index, [{ field: '', message: 'a manifest must be a mapping with apiVersion and kind', type: 'FieldValueInvalid' }]);
    const proto = findProtoKey(value, []);
    if (proto !== undefined) throw new ManifestError(index, [{ field: proto, message: 'Forbidden: "__proto__" is not allowed as a key', type: 'FieldValueForbidden' }]);
    const obj = cloneJson(value) as Record<string, unknown>; // what callers get has no shared parts
    const { apiVersion, kind } = obj;
    if (typeof apiVersion !== 'string' || apiVersion === '')
      throw new ManifestError(index, [{ field: 'apiVersion', message: 'Required value', type: 'FieldValueRequired' }]);
    if (typeof kind !== 'string' || kind === '')
      throw new ManifestError(index, [{ field: 'kind', message: 'Required value', type: 'FieldValueRequired' }]);
    const meta = obj['metadata'];
    const what = describeDoc(kind, meta);
    const def = registry.get(apiVersion, kind);
    if (def === undefined)
      throw new ManifestError(index, [{ field: 'kind', message: `no matches for kind "${kind}" in version "${apiVersion}"`, type: 'FieldValueNotSupported' }], what);
    if (options.namespace !== undefined && def.namespaced && meta !== null && typeof meta === 'object' && (meta as Record<string, unknown>)['namespace'] == null) {
      (meta as Record<string, unknown>)['namespace'] = options.namespace;
    }
    try {
      const parsed = parseObject(def, normalizeNulls(def, cloneJson(obj)));
      if (!def.namespaced || parsed.metadata.namespace !== undefined) validateObject(def, parsed, undefined);
      else validateObject(def, { ...parsed, metadata: { ...parsed.metadata, namespace: 'default' } }, undefined);
    } catch (e) {
      if (isInvalid(e)) throw new ManifestError(index, e.causes, what);
      throw e;
    }
    out.push(obj as unknown as KubeObject);
  });
  return out;
}

/**
 * The size of `value` as compact JSON would roughly have it, counting shared parts (expanded
 * aliases) every time they occur; `undefined` as soon as it exceeds `budget`, so that a document
 * that expands a hundredfold is refused after a walk of `budget` bytes, not of its expansion.
 */
function expandedSize(value: unknown, budget: number): number | undefined {
  let size = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      // Every element costs at least its comma, paid before it is visited.
      size += 2 + v.length;
      if (size > budget) return undefined;
      for (const item of v) stack.push(item);
    } else if (v !== null && typeof v === 'object') {
      size += 2;
      for (const key of Object.keys(v)) {
        size += key.length + 4;
        if (size > budget) return undefined;
        stack.push((v as Record<string, unknown>)[key]);
      }
    } else {
      size += typeof v === 'string' ? v.length + 2 : 4;
      if (size > budget) return undefined;
    }
  }
  return size;
}

function describeDoc(kind: string, meta: unknown): string {
  const name = meta !== null && typeof meta === 'object' ? (meta as Record<string, unknown>)['name'] : undefined;
  return typeof name === 'string' ? `${kind} "${name}"` : kind;
}

function findProtoKey(value: unknown, path: string[]): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findProtoKey(value[i], [...path, `[${i}]`]);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (key === '__proto__') return [...path, key].join('.').replace(/\.\[/g, '[');
    const found = findProtoKey((value as Record<string, unknown>)[key], [...path, key]);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Refuse deeply nested input before the YAML parser sees it: flow collections (`[[[…`, `{a: {a: …`)
 * and compact block indicators on one line (`- - - …`). The YAML parser recurses and can exhaust
 * the process's memory on such input, so this check must come first.
 */
function checkNesting(text: string, maxDepth: number): void {
  let depth = 0;
  let lineIndicators = 0;
  let atLineStart = true;
  let prev = '\n'; // the last non-space character, for deciding whether a quote opens a scalar
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === '\n') {
      atLineStart = true;
      lineIndicators = 0;
      prev = '\n';
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') continue;
    if (atLineStart && (c === '-' || c === '?' || c === ':') && /[ \t\n]/.test(text.charAt(i + 1) || '\n')) {
      if (++lineIndicators > maxDepth) throw tooDeep(maxDepth);
      continue;
    }
    atLineStart = false;
    if (c === '#' && /[ \t\n]/.test(text.charAt(i - 1) || '\n')) {
      while (i < text.length && text.charAt(i) !== '\n') i++;
      i--;
      continue;
    }
    if ((c === '"' || c === "'") && '[{,:\n-?'.includes(prev)) {
      // A quoted scalar: skip to its end, but never past the end of the line, so that a quote
      // inside a block scalar cannot hide the brackets of the lines after it.
      for (i++; i < text.length; i++) {
        const q = text.charAt(i);
        if (q === '\n') {
          i--;
          break;
        }
        if (c === '"' && q === '\\') i++;
        else if (q === c) {
          if (c === "'" && text.charAt(i + 1) === "'") i++;
          else break;
        }
      }
      prev = c;
      continue;
    }
    if (c === '[' || c === '{') {
      if (++depth > maxDepth) throw tooDeep(maxDepth);
    } else if ((c === ']' || c === '}') && depth > 0) {
      depth--;
    }
    prev = c;
  }
}

function tooDeep(maxDepth: number): RequestEntityTooLargeError {
  return new RequestEntityTooLargeError(`manifests nest deeper than the limit of ${maxDepth} levels`);
}

/**
 * Kind definitions and the kind registry.
 *
 * A {@link KindDefinition} says everything the API layer needs to serve one kind: its group,
 * version, kind and plural, whether it is namespaced, a zod schema that validates objects and
 * fills in Kubernetes' defaults, which subresources it has, and optional strategy hooks for the
 * kind's own rules (cross-field defaults, semantic validation, status on create, graceful
 * deletion, field selectors). The built-in kinds are in {@link kinds}; users define their own
 * with {@link defineKind} and register them on the API server.
 *
 * @module
 */
import type { z } from 'zod';
import { BadRequestError, type FieldCause } from '../errors.js';
import type { KubeObject } from '../meta/object-meta.js';
import { validateDns1123Subdomain } from '../meta/validation.js';

/** The scale subresource: where the replica count and selector live in objects of the kind. */
export interface ScaleSubresource {
  /** JSON path of the desired replicas, e.g. `.spec.replicas`. */
  readonly specReplicasPath: string;
  /** JSON path of the observed replicas, e.g. `.status.replicas`. */
  readonly statusReplicasPath: string;
  /** JSON path of the label selector in string form, e.g. `.status.selector`. */
  readonly labelSelectorPath?: string;
}

/** Subresources a kind serves. */
export interface Subresources {
  /**
   * With a status subresource, `update` ignores `status` and `updateStatus` changes only `status`,
   * as in Kubernetes. Without one, `status` (if the kind has it) is written like any other field.
   */
  readonly status?: boolean;
  /** The scale subresource (`/scale`), as a HorizontalPodAutoscaler uses it; absent if the kind has none. */
  readonly scale?: ScaleSubresource;
}

/**
 * Hooks for a kind's own rules, the counterpart of a Kubernetes registry strategy. All are
 * optional; they run inside the API layer, after the schema has parsed and defaulted the object.
 */
export interface KindStrategy<T extends KubeObject> {
  /** Cross-field defaults the schema cannot express (e.g. a Service port's `targetPort` = `port`). Runs on every write. */
  applyDefaults?(obj: T): void;
  /** On create, before validation: reset or initialise fields (e.g. a new Pod's `status.phase: Pending`). */
  prepareForCreate?(obj: T): void;
  /** On update of the main resource, before validation: carry over what the client may not change. */
  prepareForUpdate?(obj: T, old: T): void;
  /** Semantic validation beyond the schema, on create (`old` undefined) and update. */
  validate?(obj: T, old: T | undefined): FieldCause[];
  /** Validate the object's name; defaults to an RFC 1123 subdomain. */
  validateName?(name: string): string[];
  /**
   * Whether a create keeps the `status` the client sent. Kubernetes keeps it for Nodes (a kubelet
   * registers with its status) and resets it for most other kinds.
   * @default false
   */
  readonly keepStatusOnCreate?: boolean;
  /**
   * Keep `null` field values for the schema to judge. Without it the API drops every null-valued
   * object field before parsing, as Kubernetes' JSON decoding into Go structs does, so
   * `creationTimestamp: null`, `labels: null` or `status: null` in a manifest read as absent. A
   * kind whose schema decides about nulls itself (a custom resource keeps the nulls of `nullable`
   * fields) sets this.
   * @default false
   */
  readonly keepNulls?: boolean;
  /**
   * How long a delete is graceful: a positive number of seconds makes the delete only set
   * `deletionTimestamp` and `deletionGracePeriodSeconds`, and something else (the node agent for
   * Pods) finishes it. Return 0 for an immediate delete. Without this hook every delete is immediate.
   */
  gracePeriodSeconds?(obj: T, requested: number | undefined): number;
  /**
   * Whether a deleted object must stay (with `deletionTimestamp` set) for a reason other than
   * `metadata.finalizers`, e.g. a Namespace whose `spec.finalizers` is not yet empty.
   */
  pendingDeletion?(obj: T): boolean;
  /** When a delete first sets `deletionTimestamp`: e.g. a Namespace's `status.phase` becomes `Terminating`. */
  prepareForDeletion?(obj: T): void;
  /**
   * Fields beyond `metadata.name` and `metadata.namespace` that field selectors may use, each with
   * a getter returning the field's string value (e.g. `spec.nodeName` on Pods).
   */
  readonly selectableFields?: Readonly<Record<string, (obj: T) => string | undefined>>;
}

/** Everything the API needs to serve a kind. Create one with {@link defineKind}. */
export interface KindDefinition<T extends KubeObject = KubeObject, TInput = unknown> {
  /** API group; `''` for the core group. */
  readonly group: string;
  /** API version within the group, e.g. `v1`. */
  readonly version: string;
  /** The kind's name in CamelCase, e.g. `Deployment`. */
  readonly kind: string;
  /** Lowercase plural resource name, e.g. `deployments`. */
  readonly plural: string;
  /** Lowercase singular name, e.g. `deployment`. */
  readonly singular: string;
  /** Abbreviations kubectl accepts for the resource, e.g. `deploy`. */
  readonly shortNames: readonly string[];
  /** Whether objects live in a namespace (Pods) or are cluster-scoped (Nodes). */
  readonly namespaced: boolean;
  /** `group/version`, or `version` for the core group. */
  readonly apiVersion: string;
  /** Validates an object of the kind and fills in defaults. Its output type is the kind's type. */
  readonly schema: z.ZodType<T, TInput>;
  /** The subresources the kind serves. */
  readonly subresources: Subresources;
  /** The kind's own defaulting and validation hooks. */
  readonly strategy: KindStrategy<T>;
}

/** The object type of a kind: `TypeOf<typeof kinds.Pod>` is `kinds.Pod`. */
export type TypeOf<K> = K extends { readonly schema: z.ZodType } ? z.output<K['schema']> : never;

/**
 * What a client may send to create an object of a kind: the schema's input type (defaulted
 * fields optional), with `apiVersion` and `kind` optional too since the kind says them.
 */
export type InputOf<K> = K extends { readonly schema: z.ZodType }
  ? Omit<z.input<K['schema']>, 'apiVersion' | 'kind'> & { apiVersion?: string; kind?: string }
  : never;

/** Any kind definition. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the registry holds kinds of every type
export type AnyKind = KindDefinition<any, any>;

/** The options of {@link defineKind}. */
export interface DefineKindOptions<S extends z.ZodType<KubeObject>> {
  /** API group; `''` for the core group. */
  readonly group: string;
  /** API version within the group, e.g. `v1`. */
  readonly version: string;
  /** The kind's name in CamelCase, e.g. `Website`. */
  readonly kind: string;
  /** Lowercase plural; defaults to the lowercased kind plus `s`. */
  readonly plural?: string;
  /** Lowercase singular; defaults to the lowercased kind. */
  readonly singular?: string;
  /** Abbreviations kubectl accepts for the resource. @default [] */
  readonly shortNames?: readonly string[];
  /** Whether objects live in a namespace or are cluster-scoped. */
  readonly namespaced: boolean;
  /** The zod schema of an object of the kind; its output type becomes the kind's type. */
  readonly schema: S;
  /** The subresources the kind serves. @default {} */
  readonly subresources?: Subresources;
  /** The kind's own defaulting and validation hooks. @default {} */
  readonly strategy?: KindStrategy<z.output<S>>;
}

/**
 * Define a kind from a zod schema. The schema's output type becomes the kind's type.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * import { defineKind, objectMetaSchema } from '@harbormaster/core';
 *
 * export const Website = defineKind({
 *   group: 'example.com',
 *   version: 'v1',
 *   kind: 'Website',
 *   namespaced: true,
 *   subresources: { status: true },
 *   schema: z.object({
 *     apiVersion: z.literal('example.com/v1'),
 *     kind: z.literal('Website'),
 *     metadata: objectMetaSchema,
 *     spec: z.object({ html: z.string(), replicas: z.number().int().min(0).default(1) }),
 *     status: z.object({ url: z.string().optional() }).optional(),
 *   }),
 * });
 * export type Website = TypeOf<typeof Website>;
 * ```
 */
export function defineKind<S extends z.ZodType<KubeObject>>(
  options: DefineKindOptions<S>,
): KindDefinition<z.output<S>, z.input<S>> {
  const lower = options.kind.toLowerCase();
  return Object.freeze({
    group: options.group,
    version: options.version,
    kind: options.kind,
    plural: options.plural ?? `${lower}s`,
    singular: options.singular ?? lower,
    shortNames: options.shortNames ?? [],
    namespaced: options.namespaced,
    apiVersion: options.group === '' ? options.version : `${options.group}/${options.version}`,
    schema: options.schema as unknown as z.ZodType<z.output<S>, z.input<S>>,
    subresources: options.subresources ?? {},
    strategy: options.strategy ?? {},
  });
}

/** Validate an object name for a kind, with its own rule or the default RFC 1123 subdomain. */
export function validateName(kind: AnyKind, name: string): string[] {
  const strategy = kind.strategy as KindStrategy<KubeObject>;
  return strategy.validateName ? strategy.validateName(name) : validateDns1123Subdomain(name);
}

/**
 * The kinds an API server serves, looked up by `apiVersion` and `kind` or by group and plural.
 * Registering a second kind with the same group, version and kind, or the same group, version and
 * plural, is refused.
 */
export class KindRegistry {
  readonly #byGvk = new Map<string, AnyKind>();
  readonly #byResource = new Map<string, AnyKind>();

  constructor(initial: Iterable<AnyKind> = []) {
    for (const k of initial) this.register(k);
  }

  /**
   * Serve a kind.
   * @throws {@link BadRequestError} if the kind or its plural is registered already.
   */
  register(kind: AnyKind): void {
    const gvk = `${kind.apiVersion}/${kind.kind}`;
    const gvr = `${kind.group}/${kind.version}/${kind.plural}`;
    if (this.#byGvk.has(gvk)) throw new BadRequestError(`kind ${kind.kind} in ${kind.apiVersion} is registered already`);
    if (this.#byResource.has(gvr))
      throw new BadRequestError(`resource ${kind.plural} in ${kind.apiVersion} is registered already`);
    this.#byGvk.set(gvk, kind);
    this.#byResource.set(gvr, kind);
  }

  /** Stop serving a kind (a deleted CustomResourceDefinition). Returns whether it was registered. */
  unregister(kind: AnyKind): boolean {
    const had = this.#byGvk.delete(`${kind.apiVersion}/${kind.kind}`);
    this.#byResource.delete(`${kind.group}/${kind.version}/${kind.plural}`);
    return had;
  }

  /** The kind with this `apiVersion` and `kind`, or `undefined`. */
  get(apiVersion: string, kind: string): AnyKind | undefined {
    return this.#byGvk.get(`${apiVersion}/${kind}`);
  }

  /** The kind serving `plural` in `group` at `version`, or `undefined`. */
  getByResource(group: string, version: string, plural: string): AnyKind | undefined {
    return this.#byResource.get(`${group}/${version}/${plural}`);
  }

  /** Every registered kind. */
  list(): AnyKind[] {
    return [...this.#byGvk.values()];
  }
}

/**
 * The admission chain: plugins that see every write before it is stored, mutating ones first,
 * then validating ones, as in Kubernetes. Packages and users extend the API with their own.
 *
 * A mutating plugin changes `request.object` in place (add a label, inject a default). A
 * validating plugin inspects the final object and throws an {@link ApiError} (usually
 * {@link ForbiddenError} or {@link InvalidError}) to refuse the write; nothing is stored then.
 *
 * The order of a create or update is Kubernetes': the object is decoded (schema and defaults),
 * mutating plugins run, the result is decoded again, then the kind prepares it (system fields
 * such as `uid` and `generation`, a generated name, status reset on create or carried over on
 * update, kind rules such as a Pod's `qosClass`), it is validated, and validating plugins run last.
 * So a mutating plugin sees what the client sent, and what it sets is subject to the same rules:
 * a `status` it sets on a create is reset, as the client's would be.
 *
 * @example
 * ```ts
 * api.admission.add({
 *   name: 'RequireTeamLabel',
 *   validate(req) {
 *     if (req.operation === 'CREATE' && req.kind.kind === 'Deployment' && !req.object.metadata.labels?.team) {
 *       throw new ForbiddenError('deployments must carry a "team" label');
 *     }
 *   },
 * });
 * ```
 *
 * @module
 */
import type { AnyKind } from '../kinds/kind.js';
import type { KubeObject } from '../meta/object-meta.js';

/** The write being admitted. */
export interface AdmissionRequest {
  /** The operation, as in Kubernetes' `AdmissionRequest.operation`. */
  readonly operation: 'CREATE' | 'UPDATE' | 'DELETE';
  /** The kind of the object being written. */
  readonly kind: AnyKind;
  /** `'status'` for a status update, `'binding'` for a pod's binding; absent for the main resource. */
  readonly subresource?: 'status' | 'binding';
  /**
   * The object being written. Mutating plugins see it as the client sent it (decoded, defaulted)
   * and may change it; validating plugins see it as it will be stored. For DELETE, the object
   * being deleted.
   */
  readonly object: KubeObject;
  /** The stored object, for UPDATE and DELETE. */
  readonly oldObject?: KubeObject;
  /** Whether this is a dry run (nothing will be stored). */
  readonly dryRun: boolean;
}

/** A plugin in the admission chain. Give it a `mutate` step, a `validate` step, or both. */
export interface AdmissionPlugin {
  /** A unique name, e.g. `NamespaceLifecycle`. */
  readonly name: string;
  /** Change `request.object` in place. Runs before every validating step. */
  mutate?(request: AdmissionRequest): void | Promise<void>;
  /** Throw an ApiError to refuse the write. Must not change the object. */
  validate?(request: AdmissionRequest): void | Promise<void>;
}

/** The ordered list of admission plugins of one API server. */
export class AdmissionChain {
  readonly #plugins: AdmissionPlugin[] = [];

  /**
   * Append a plugin. Plugins run in the order they were added (all mutating steps, then all
   * validating steps).
   * @throws Error if a plugin with the same name is present.
   */
  add(plugin: AdmissionPlugin): void {
    if (this.#plugins.some((p) => p.name === plugin.name)) {
      throw new Error(`admission plugin ${plugin.name} is registered already`);
    }
    this.#plugins.push(plugin);
  }

  /** Remove a plugin by name. Returns whether it was present. */
  remove(name: string): boolean {
    const i = this.#plugins.findIndex((p) => p.name === name);
    if (i < 0) return false;
    this.#plugins.splice(i, 1);
    return true;
  }

  /** The names of the plugins, in order. */
  names(): string[] {
    return this.#plugins.map((p) => p.name);
  }

  /** Whether any plugin mutates (the API then validates the object again after mutation). */
  get hasMutating(): boolean {
    return this.#plugins.some((p) => p.mutate !== undefined);
  }

  /** Run every mutating step in order. */
  async mutate(request: AdmissionRequest): Promise<void> {
    for (const p of this.#plugins) if (p.mutate) await p.mutate(request);
  }

  /** Run every validating step in order; the first to throw refuses the write. */
  async validate(request: AdmissionRequest): Promise<void> {
    for (const p of this.#plugins) if (p.validate) await p.validate(request);
  }
}

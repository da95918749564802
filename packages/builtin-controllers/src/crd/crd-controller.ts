/**
 * The CustomResourceDefinition controller: what apiextensions-apiserver's naming, establishing
 * and finalizer controllers do, for an embedded API server.
 *
 * - **Admission**: a CRD whose schemas are not structural (see {@link validateStructural}), or
 *   whose defaults are not pruned and valid, is refused with an `InvalidError` naming the field
 *   (`spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: …`).
 *   Creating custom resources of a CRD being deleted is refused (405).
 * - **Names**: the plural, singular, short names, kind and list kind must not be taken by another
 *   CRD of the group, nor by a kind the API serves already. Then `NamesAccepted=True`
 *   (`NoConflicts`) and `status.acceptedNames`; otherwise `NamesAccepted=False` with
 *   `PluralConflict`, `SingularConflict`, `ShortNamesConflict`, `KindConflict` or `ListKindConflict`.
 * - **Serving**: every served version is registered on the API's kind registry as a
 *   {@link CustomResourceKindDefinition} (validation, defaulting and pruning with the version's
 *   schema; status and scale subresources; printer columns kept on the definition), and
 *   `Established=True` (`InitialNamesAccepted`). A spec change re-registers the versions;
 *   `status.storedVersions` gains the storage version.
 * - **Deletion**: the controller puts the `customresourcecleanup.apiextensions.k8s.io` finalizer on
 *   each CRD. When the CRD is deleted it sets `Terminating=True` (`InstanceDeletionInProgress`),
 *   deletes every custom resource (checking again every 5 s while some remain, e.g. held by their
 *   own finalizers), then `Terminating=False` (`InstanceDeletionCompleted`), removes the finalizer
 *   and stops serving the kind.
 *
 * Wait for the `Established` condition before using a new kind, as with `kubectl wait
 * --for condition=established`. The controller runs on every manager, leader or not: each serves
 * the kinds on its own API server, as each kube-apiserver does.
 *
 * @module
 */
import {
  controller,
  formatTime,
  generationChanged,
  ignoreNotFound,
  InvalidError,
  kinds,
  MethodNotAllowedError,
  type AdmissionPlugin,
  type AdmissionRequest,
  type AnyKind,
  type ApiServer,
  type FieldCause,
  type KindRegistry,
  type Manager,
  type ReconcileContext,
  type Reconciler,
  type Request,
  type Result,
  jsonEqual,
} from '@harbormaster/core';
import { customResourceKind, customResourceKinds, isCustomResourceKind, type CustomResourceKindDefinition } from './custom-resource-kind.js';
import { invalid, notSupported } from './field-causes.js';
import { compileSchemaValidator } from './schema-validator.js';
import { defaultsOf, pruneValue, validateStructural } from './structural-schema.js';

type CRD = kinds.CustomResourceDefinition;
type CRDStatus = NonNullable<CRD['status']>;

/** The finalizer that makes deleting a CRD delete its custom resources first. */
export const CUSTOM_RESOURCE_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

/** Options of {@link setupCrdController} and {@link CustomResourceDefinitionReconciler}. */
export interface CrdControllerOptions {
  /** The API server: custom kinds are served on its `registry`; its `admission` chain checks CRDs. */
  readonly api: Pick<ApiServer, 'registry' | 'admission'>;
  /** How often to check again while custom resources of a deleted CRD remain. @default 5000 */
  readonly instanceDeletionCheckMs?: number;
}

function conditionTrue(crd: CRD, type: string): boolean {
  return crd.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;
}

/**
 * Reconciles CustomResourceDefinitions; see the module documentation.
 *
 * @example
 * ```ts
 * const reconciler = new CustomResourceDefinitionReconciler({ api });
 * for (const plugin of reconciler.admissionPlugins()) api.admission.add(plugin);
 * controller(manager).named('customresourcedefinition').for(kinds.CustomResourceDefinition).complete(reconciler);
 * ```
 */
export class CustomResourceDefinitionReconciler implements Reconciler {
  readonly #registry: KindRegistry;
  readonly #checkMs: number;
  /** What each CRD (by name) serves now, and from which object state. */
  readonly #served = new Map<string, { readonly uid: string; readonly generation: number; readonly kinds: CustomResourceKindDefinition[] }>();
  /** CRDs being deleted: creating their custom resources is refused. */
  readonly #terminating = new Set<string>();

  constructor(options: CrdControllerOptions) {
    this.#registry = options.api.registry;
    this.#checkMs = options.instanceDeletionCheckMs ?? 5_000;
  }

  /** The kinds served for the CRD named `crdName` (`<plural>.<group>`), one per served version. */
  kindsOf(crdName: string): readonly CustomResourceKindDefinition[] {
    return this.#served.get(crdName)?.kinds ?? [];
  }

  /**
   * The admission plugins this controller relies on: `CustomResourceDefinitionValidation`
   * (structural schemas, pruned and valid defaults) and `CustomResourceLifecycle` (no new custom
   * resources of a CRD being deleted). {@link setupCrdController} adds them to the API.
   */
  admissionPlugins(): AdmissionPlugin[] {
    return [
      { name: 'CustomResourceDefinitionValidation', validate: (req) => validateCrdRequest(req) },
      {
        name: 'CustomResourceLifecycle',
        validate: (req) => {
          if (req.operation === 'CREATE' && isCustomResourceKind(req.kind) && this.#terminating.has(req.kind.crdName)) {
            throw new MethodNotAllowedError(`create not allowed while custom resource definition is terminating`, {
              group: req.kind.group,
              kind: req.kind.plural,
            });
          }
        },
      },
    ];
  }

  async reconcile(request: Request, ctx: ReconcileContext): Promise<Result> {
    const cached = await ctx.cache.get(kinds.CustomResourceDefinition, request);
    if (cached === undefined) {
      this.#unserve(request.name);
      this.#terminating.delete(request.name);
      return undefined;
    }
    let crd = structuredClone<CRD>(cached);
    if (crd.metadata.deletionTimestamp) return this.#finalize(crd, ctx);
    this.#terminating.delete(request.name);

    const finalizers = crd.metadata.finalizers ?? [];
    if (!finalizers.includes(CUSTOM_RESOURCE_CLEANUP_FINALIZER)) {
      crd = await ctx.client.patch(kinds.CustomResourceDefinition, { name: request.name }, {
        metadata: { finalizers: [...finalizers, CUSTOM_RESOURCE_CLEANUP_FINALIZER], resourceVersion: crd.metadata.resourceVersion },
      });
    }
    const original = structuredClone(crd.status);
    const now = ctx.clock.now();
    const conflict = this.#nameConflict(crd, await ctx.cache.list(kinds.CustomResourceDefinition)) ?? this.#serve(crd);
    if (conflict !== undefined) {
      setCondition(crd, { type: 'NamesAccepted', status: 'False', ...conflict }, now);
      if (!this.#served.has(request.name)) {
        setCondition(crd, { type: 'Established', status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' }, now);
      }
    } else {
      const names = crd.spec.names;
      const status: CRDStatus = (crd.status ??= {});
      status.acceptedNames = {
        plural: names.plural,
        singular: names.singular ?? names.kind.toLowerCase(),
        ...(names.shortNames === undefined ? {} : { shortNames: names.shortNames }),
        kind: names.kind,
        listKind: names.listKind ?? `${names.kind}List`,
        ...(names.categories === undefined ? {} : { categories: names.categories }),
      };
      setCondition(crd, { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' }, now);
      setCondition(crd, { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' }, now);
    }
    const storage = crd.spec.versions.find((v) => v.storage)?.name;
    const stored = crd.status?.storedVersions ?? [];
    if (storage !== undefined && !stored.includes(storage)) (crd.status ??= {}).storedVersions = [...stored, storage];
    if (!jsonEqual(original, crd.status)) await ctx.client.updateStatus(kinds.CustomResourceDefinition, crd);
    return undefined;
  }

  /** A names conflict with another CRD of the group (by its accepted names) or a kind served already. */
  #nameConflict(crd: CRD, all: readonly CRD[]): { reason: string; message: string } | undefined {
    const name = crd.metadata.name ?? '';
    const { group, names } = { group: crd.spec.group, names: crd.spec.names };
    const resources = new Set<string>();
    const kindNames = new Set<string>();
    for (const other of all) {
      if (other.metadata.name === name || other.spec.group !== group) continue;
      const accepted = other.status?.acceptedNames;
      if (accepted === undefined) continue;
      for (const r of [accepted.plural, accepted.singular, ...(accepted.shortNames ?? [])]) if (r) resources.add(r);
      for (const k of [accepted.kind, accepted.listKind]) if (k) kindNames.add(k);
    }
    for (const k of this.#registry.list()) {
      if (k.group !== group || (isCustomResourceKind(k) && k.crdName === name)) continue;
      if (isCustomResourceKind(k) && all.some((c) => c.metadata.name === k.crdName)) continue; // counted by its accepted names
      resources.add(k.plural);
      resources.add(k.singular);
      for (const s of k.shortNames) resources.add(s);
      kindNames.add(k.kind);
      kindNames.add(`${k.kind}List`);
    }
    const taken = (value: string): string => `"${value}" is already in use`;
    if (resources.has(names.plural)) return { reason: 'PluralConflict', message: taken(names.plural) };
    const singular = names.singular ?? names.kind.toLowerCase();
    if (resources.has(singular)) return { reason: 'SingularConflict', message: taken(singular) };
    const short = (names.shortNames ?? []).find((s) => resources.has(s));
    if (short !== undefined) return { reason: 'ShortNamesConflict', message: taken(short) };
    if (kindNames.has(names.kind)) return { reason: 'KindConflict', message: taken(names.kind) };
    const listKind = names.listKind ?? `${names.kind}List`;
    if (kindNames.has(listKind)) return { reason: 'ListKindConflict', message: taken(listKind) };
    return undefined;
  }

  /**
   * Register the served versions of `crd` (again, if its spec changed). Returns a conflict if the
   * registry refuses them; what was served before stays served then.
   */
  #serve(crd: CRD): { reason: string; message: string } | undefined {
    const name = crd.metadata.name ?? '';
    const uid = crd.metadata.uid ?? '';
    const generation = crd.metadata.generation ?? 0;
    const current = this.#served.get(name);
    if (current !== undefined && current.uid === uid && current.generation === generation) return undefined;
    const next = customResourceKinds(crd);
    for (const k of current?.kinds ?? []) this.#registry.unregister(k);
    const registered: AnyKind[] = [];
    try {
      for (const k of next) {
        this.#registry.register(k);
        registered.push(k);
      }
    } catch (e) {
      for (const k of registered) this.#registry.unregister(k);
      for (const k of current?.kinds ?? []) this.#registry.register(k);
      return { reason: 'KindConflict', message: e instanceof Error ? e.message : String(e) };
    }
    this.#served.set(name, { uid, generation, kinds: next });
    return undefined;
  }

  #unserve(name: string): void {
    const current = this.#served.get(name);
    if (current === undefined) return;
    for (const k of current.kinds) this.#registry.unregister(k);
    this.#served.delete(name);
  }

  /** A CRD being deleted: delete its custom resources, then let it go (the finalizer controller). */
  async #finalize(crd: CRD, ctx: ReconcileContext): Promise<Result> {
    const name = crd.metadata.name ?? '';
    this.#terminating.add(name);
    const finalizers = crd.metadata.finalizers ?? [];
    if (!finalizers.includes(CUSTOM_RESOURCE_CLEANUP_FINALIZER)) return undefined;
    const now = ctx.clock.now();
    if (conditionTrue(crd, 'Established')) {
      const kind = this.#storageKind(crd);
      const before = structuredClone(crd.status);
      setCondition(crd, { type: 'Terminating', status: 'True', reason: 'InstanceDeletionInProgress', message: 'CustomResource deletion is in progress' }, now);
      if (!jsonEqual(before, crd.status)) crd = await ctx.client.updateStatus(kinds.CustomResourceDefinition, crd);
      if (kind !== undefined) {
        const remaining = await deleteInstances(kind, ctx);
        if (remaining > 0) {
          const check = structuredClone(crd.status);
          setCondition(
            crd,
            { type: 'Terminating', status: 'True', reason: 'InstanceDeletionCheck', message: `could not confirm zero CustomResources remaining: ${remaining} remaining` },
            now,
          );
          if (!jsonEqual(check, crd.status)) await ctx.client.updateStatus(kinds.CustomResourceDefinition, crd);
          return { requeueAfter: this.#checkMs };
        }
      }
      setCondition(crd, { type: 'Terminating', status: 'False', reason: 'InstanceDeletionCompleted', message: 'removed all instances' }, now);
    } else {
      setCondition(crd, { type: 'Terminating', status: 'False', reason: 'NeverEstablished', message: 'resource was never established' }, now);
    }
    crd = await ctx.client.updateStatus(kinds.CustomResourceDefinition, crd);
    const rest = (crd.metadata.finalizers ?? []).filter((f) => f !== CUSTOM_RESOURCE_CLEANUP_FINALIZER);
    await ctx.client
      .patch(kinds.CustomResourceDefinition, { name }, { metadata: { finalizers: rest.length > 0 ? rest : null, resourceVersion: crd.metadata.resourceVersion } })
      .catch(ignoreNotFound);
    this.#unserve(name);
    return undefined;
  }

  /** The kind to list and delete custom resources with: a served one, registered for the purpose if need be. */
  #storageKind(crd: CRD): CustomResourceKindDefinition | undefined {
    const name = crd.metadata.name ?? '';
    let served = this.#served.get(name)?.kinds ?? [];
    if (served.length === 0) {
      // Established before this process started serving it: serve it again to clean up.
      if (this.#serve(crd) !== undefined) return undefined;
      served = this.#served.get(name)?.kinds ?? [];
    }
    if (served.length === 0) {
      // No version is served any more, but objects may remain in the storage version.
      const storage = crd.spec.versions.find((v) => v.storage)?.name;
      if (storage === undefined) return undefined;
      const kind = customResourceKind(crd, storage);
      try {
        this.#registry.register(kind);
      } catch {
        return undefined;
      }
      this.#served.set(name, { uid: crd.metadata.uid ?? '', generation: crd.metadata.generation ?? 0, kinds: [kind] });
      return kind;
    }
    return served.find((k) => k.version === k.storageVersion) ?? served[0];
  }
}

/** Delete every custom resource of `kind`; returns how many are still there (held by their own finalizers). */
async function deleteInstances(kind: CustomResourceKindDefinition, ctx: ReconcileContext): Promise<number> {
  const list = await ctx.client.list(kind);
  for (const item of list.items) {
    if (item.metadata.deletionTimestamp) continue;
    const key = { name: item.metadata.name ?? '', ...(item.metadata.namespace === undefined ? {} : { namespace: item.metadata.namespace }) };
    await ctx.client.delete(kind, key).catch(ignoreNotFound);
  }
  return (await ctx.client.list(kind)).items.length;
}

function setCondition(crd: CRD, condition: { type: string; status: 'True' | 'False'; reason: string; message: string }, now: number): void {
  const status: CRDStatus = (crd.status ??= {});
  const conditions = (status.conditions ??= []);
  const existing = conditions.find((c) => c.type === condition.type);
  if (existing === undefined) {
    conditions.push({ ...condition, lastTransitionTime: formatTime(now) });
    return;
  }
  if (existing.status !== condition.status) existing.lastTransitionTime = formatTime(now);
  existing.status = condition.status;
  existing.reason = condition.reason;
  existing.message = condition.message;
}

/** The `CustomResourceDefinitionValidation` admission step: structural schemas and their defaults. */
function validateCrdRequest(req: AdmissionRequest): void {
  if (req.kind.group !== 'apiextensions.k8s.io' || req.kind.kind !== 'CustomResourceDefinition') return;
  if (req.operation === 'DELETE' || req.subresource === 'status') return;
  const crd = req.object as CRD;
  const causes: FieldCause[] = [];
  crd.spec.versions.forEach((v, i) => {
    const root = v.schema?.openAPIV3Schema;
    if (root === undefined) return; // the kind's own validation requires it
    const path = `spec.versions[${i}].schema.openAPIV3Schema`;
    const structural = validateStructural(root, path);
    causes.push(...structural);
    if (structural.length > 0) return;
    try {
      compileSchemaValidator(root);
    } catch (e) {
      causes.push(invalid(path, '…', e instanceof Error ? e.message : String(e)));
      return;
    }
    for (const d of defaultsOf(root, path)) {
      if (d.path === `${path}.default` || d.path.startsWith(`${path}.properties[metadata]`)) {
        causes.push({ field: d.path, message: 'Forbidden: must not be set at the root or in metadata', type: 'FieldValueForbidden' });
        continue;
      }
      const pruned = structuredClone(d.value);
      pruneValue(pruned, d.schema);
      if (!jsonEqual(pruned, d.value)) {
        causes.push(invalid(d.path, d.value, 'must not have unknown fields'));
        continue;
      }
      for (const issue of compileSchemaValidator(d.schema, { root: false, name: d.path })(d.value)) {
        switch (issue.kind) {
          case 'invalid':
            causes.push({ field: d.path, message: `Invalid value: ${issue.message}`, type: 'FieldValueInvalid' });
            break;
          case 'required':
            causes.push(invalid(d.path, d.value, `${issue.path.join('.')}: Required value`));
            break;
          case 'enum':
            causes.push(notSupported(d.path, issue.value, issue.values));
            break;
        }
      }
    }
  });
  if (causes.length > 0) {
    throw new InvalidError({ group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition', ...(crd.metadata.name === undefined ? {} : { name: crd.metadata.name }), causes });
  }
}

/**
 * Run the CRD controller on `manager`: serve the kinds of every CustomResourceDefinition on
 * `api.registry` once its names are accepted, and clean up when one is deleted. Adds the
 * controller's admission plugins to `api.admission`. Returns the reconciler (for
 * {@link CustomResourceDefinitionReconciler.kindsOf}).
 *
 * @example
 * ```ts
 * const manager = createManager({ api });
 * setupCrdController(manager, { api });
 * await client.apply(crontabCrdYaml);
 * // once status.conditions has Established=True:
 * const CronTab = api.registry.get('stable.example.com/v1', 'CronTab')!;
 * await client.create(CronTab, { metadata: { name: 'nightly' }, spec: { cronSpec: '0 3 * * *', image: 'backup' } });
 * ```
 */
export function setupCrdController(manager: Manager, options: CrdControllerOptions): CustomResourceDefinitionReconciler {
  const reconciler = new CustomResourceDefinitionReconciler(options);
  const present = new Set(options.api.admission.names());
  for (const plugin of reconciler.admissionPlugins()) if (!present.has(plugin.name)) options.api.admission.add(plugin);
  controller(manager)
    .named('customresourcedefinition')
    .for(kinds.CustomResourceDefinition, { predicates: [generationChanged] })
    // Serving is the API server's business: every manager serves the kinds on its own API, leader or
    // not, as every kube-apiserver runs apiextensions' controllers.
    .withOptions({ needLeaderElection: false })
    .complete(reconciler);
  return reconciler;
}

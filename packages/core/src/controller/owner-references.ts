/**
 * Owner references: how a dependent names the object that owns it. The garbage collector deletes
 * dependents whose owners are gone; `owns(kind)` in the controller builder maps a dependent's
 * events to its controller owner.
 *
 * @example
 * ```ts
 * const cm = { metadata: { name: site.metadata.name, namespace: site.metadata.namespace }, data: { … } };
 * setControllerReference(site, cm); // cm is now owned and controlled by site
 * await ctx.client.create(kinds.ConfigMap, cm);
 * ```
 *
 * @module
 */
import type { KubeObject, OwnerReference } from '../meta/object-meta.js';

/** The object already has a different controller owner. */
export class AlreadyOwnedError extends Error {
  /** Always `AlreadyOwnedError`. */
  override readonly name: string = 'AlreadyOwnedError';
  constructor(
    /** The name of the object. */
    readonly object: string,
    /** The object's existing controller reference (the one with `controller: true`). */
    readonly owner: OwnerReference,
  ) {
    super(`Object ${object} is already owned by another ${owner.kind} controller ${owner.name}`);
  }
}

/** A reference to `owner`. */
export function ownerReference(owner: KubeObject, options: { controller?: boolean; blockOwnerDeletion?: boolean } = {}): OwnerReference {
  if (!owner.metadata.uid || !owner.metadata.name) throw new Error('the owner must have a name and a uid (read it from the API first)');
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    ...(options.controller === undefined ? {} : { controller: options.controller }),
    ...(options.blockOwnerDeletion === undefined ? {} : { blockOwnerDeletion: options.blockOwnerDeletion }),
  };
}

function sameOwner(a: OwnerReference, b: OwnerReference): boolean {
  const group = (v: string) => (v.includes('/') ? v.slice(0, v.indexOf('/')) : '');
  return a.uid === b.uid || (a.kind === b.kind && a.name === b.name && group(a.apiVersion) === group(b.apiVersion));
}

function checkScope(owner: KubeObject, object: { metadata: { namespace?: string | undefined } }): void {
  const ns = owner.metadata.namespace;
  if (ns && ns !== (object.metadata.namespace ?? ns)) {
    throw new Error(`cross-namespace owner references are disallowed: owner's namespace ${ns}, object's namespace ${object.metadata.namespace ?? ''}`);
  }
}

/**
 * Make `owner` the controller of `object` (`controller: true`, `blockOwnerDeletion: true`), as
 * controller-runtime's `SetControllerReference`. Replaces an existing reference to the same owner.
 * @throws {@link AlreadyOwnedError} if another object controls it already.
 * @throws Error for a namespaced owner in another namespace than the object.
 */
export function setControllerReference(owner: KubeObject, object: { metadata: { namespace?: string | undefined; name?: string | undefined; ownerReferences?: OwnerReference[] | undefined } }): void {
  checkScope(owner, object);
  const ref = ownerReference(owner, { controller: true, blockOwnerDeletion: true });
  const refs = object.metadata.ownerReferences ?? [];
  const existing = refs.find((r) => r.controller === true);
  if (existing !== undefined && !sameOwner(existing, ref)) throw new AlreadyOwnedError(object.metadata.name ?? '', existing);
  object.metadata.ownerReferences = [...refs.filter((r) => !sameOwner(r, ref)), ref];
}

/** Add (or refresh) a non-controller owner reference to `owner`. */
export function setOwnerReference(owner: KubeObject, object: { metadata: { namespace?: string | undefined; ownerReferences?: OwnerReference[] | undefined } }): void {
  checkScope(owner, object);
  const ref = ownerReference(owner);
  const refs = object.metadata.ownerReferences ?? [];
  const existing = refs.find((r) => sameOwner(r, ref));
  const merged = existing?.controller === undefined ? ref : { ...ref, controller: existing.controller, ...(existing.blockOwnerDeletion === undefined ? {} : { blockOwnerDeletion: existing.blockOwnerDeletion }) };
  object.metadata.ownerReferences = [...refs.filter((r) => !sameOwner(r, ref)), merged];
}

/** Remove the reference to `owner`, if any. Returns whether one was removed. */
export function removeOwnerReference(owner: KubeObject, object: { metadata: { ownerReferences?: OwnerReference[] | undefined } }): boolean {
  const refs = object.metadata.ownerReferences ?? [];
  const kept = refs.filter((r) => r.uid !== owner.metadata.uid);
  if (kept.length === refs.length) return false;
  if (kept.length > 0) object.metadata.ownerReferences = kept;
  else delete object.metadata.ownerReferences;
  return true;
}

/** The controller owner reference of `object`, if any. */
export function getControllerOf(object: { metadata: { ownerReferences?: readonly OwnerReference[] | undefined } }): OwnerReference | undefined {
  return object.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** Whether `owner` is the controller of `object`. */
export function isControlledBy(object: { metadata: { ownerReferences?: readonly OwnerReference[] | undefined } }, owner: KubeObject): boolean {
  const ref = getControllerOf(object);
  return ref !== undefined && ref.uid === owner.metadata.uid;
}

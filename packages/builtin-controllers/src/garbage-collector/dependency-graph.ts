/**
 * The garbage collector's dependency graph: one node per object uid, with edges from each
 * dependent to the owners its `metadata.ownerReferences` name (Kubernetes' `uidToNode`).
 *
 * An owner that is referenced but has not been seen (yet) is a *virtual* node: it holds its
 * dependents so that whatever happens to that uid later finds them, and the collector checks
 * whether it exists at all.
 *
 * @module
 */
import type { OwnerReference } from '@harbormaster/core';

/** Where an object lives and what it is. */
export interface ObjectIdentity {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  /** `''` for a cluster-scoped object (or an owner whose scope is not known yet). */
  readonly namespace: string;
}

/** One object (or one referenced-but-unseen owner) in the graph. */
export class GraphNode {
  identity: ObjectIdentity;
  /** The owner references of the object, as last observed. */
  owners: OwnerReference[];
  /** Objects whose owner references name this node's uid. */
  readonly dependents = new Set<GraphNode>();
  /** Whether an informer has delivered the object (false: a virtual node). */
  observed: boolean;
  /** Whether the object has a deletionTimestamp. */
  beingDeleted: boolean;
  /** Whether the object is being deleted in the foreground (`foregroundDeletion` finalizer). */
  deletingDependents: boolean;

  constructor(options: { identity: ObjectIdentity; owners: OwnerReference[]; observed: boolean; beingDeleted: boolean; deletingDependents: boolean }) {
    this.identity = options.identity;
    this.owners = options.owners;
    this.observed = options.observed;
    this.beingDeleted = options.beingDeleted;
    this.deletingDependents = options.deletingDependents;
  }

  /** Dependents whose reference to this node has `blockOwnerDeletion: true`. */
  blockingDependents(): GraphNode[] {
    const out: GraphNode[] = [];
    for (const dep of this.dependents) {
      if (dep.owners.some((ref) => ref.uid === this.identity.uid && ref.blockOwnerDeletion === true)) out.push(dep);
    }
    return out;
  }

  toString(): string {
    const { apiVersion, kind, namespace, name, uid } = this.identity;
    return `[${apiVersion}/${kind}, namespace: ${namespace}, name: ${name}, uid: ${uid}]`;
  }
}

/** The differences between two lists of owner references, by uid. */
export function referencesDiff(
  before: readonly OwnerReference[],
  after: readonly OwnerReference[],
): { added: OwnerReference[]; removed: OwnerReference[]; changed: { before: OwnerReference; after: OwnerReference }[] } {
  const old = new Map(before.map((r) => [r.uid, r]));
  const added: OwnerReference[] = [];
  const changed: { before: OwnerReference; after: OwnerReference }[] = [];
  for (const ref of after) {
    const prev = old.get(ref.uid);
    if (prev === undefined) added.push(ref);
    else {
      if (!sameReference(prev, ref)) changed.push({ before: prev, after: ref });
      old.delete(ref.uid);
    }
  }
  return { added, removed: [...old.values()], changed };
}

function sameReference(a: OwnerReference, b: OwnerReference): boolean {
  return (
    a.apiVersion === b.apiVersion &&
    a.kind === b.kind &&
    a.name === b.name &&
    a.uid === b.uid &&
    a.controller === b.controller &&
    a.blockOwnerDeletion === b.blockOwnerDeletion
  );
}

/** What linking a dependent to its owners found. */
export interface LinkResult {
  /** Owners the graph did not know: new virtual nodes. */
  readonly virtual: GraphNode[];
  /** Whether a reference disagrees with the owner the graph knows. */
  suspicious: boolean;
  /** References to an observed owner in another namespace. */
  readonly invalidNamespace: OwnerReference[];
}

function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** Whether a reference names the object `identity` (uid, name, kind and group; any version). */
export function referenceMatches(ref: OwnerReference, identity: ObjectIdentity): boolean {
  return ref.uid === identity.uid && ref.name === identity.name && ref.kind === identity.kind && groupOf(ref.apiVersion) === groupOf(identity.apiVersion);
}

/** The graph: nodes by uid. */
export class DependencyGraph {
  readonly #nodes = new Map<string, GraphNode>();

  get size(): number {
    return this.#nodes.size;
  }

  get(uid: string): GraphNode | undefined {
    return this.#nodes.get(uid);
  }

  /** Insert `node` and link it to its owners. See {@link DependencyGraph.addDependentToOwners}. */
  insert(node: GraphNode): LinkResult {
    this.#nodes.set(node.identity.uid, node);
    return this.addDependentToOwners(node, node.owners);
  }

  /**
   * Link `node` as a dependent of `owners`. Owners not in the graph get virtual nodes (returned
   * in `virtual`: the caller should check they exist). A reference that disagrees with an owner
   * the graph knows (another namespace, kind or name) makes the dependent `suspicious`; those
   * naming an observed owner in another namespace are listed in `invalidNamespace`.
   */
  addDependentToOwners(node: GraphNode, owners: readonly OwnerReference[]): LinkResult {
    const result: LinkResult = { virtual: [], suspicious: false, invalidNamespace: [] };
    for (const ref of owners) {
      let owner = this.#nodes.get(ref.uid);
      if (owner === undefined) {
        owner = new GraphNode({
          identity: { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, uid: ref.uid, namespace: node.identity.namespace },
          owners: [],
          observed: false,
          beingDeleted: false,
          deletingDependents: false,
        });
        this.#nodes.set(ref.uid, owner);
        owner.dependents.add(node);
        result.virtual.push(owner);
        continue;
      }
      owner.dependents.add(node);
      if (result.suspicious) continue;
      const ownerNamespace = owner.identity.namespace;
      if (ownerNamespace !== '' && ownerNamespace !== node.identity.namespace) {
        if (owner.observed) result.invalidNamespace.push(ref);
        result.suspicious = true;
      } else if (!referenceMatches(ref, owner.identity)) {
        result.suspicious = true;
      } else if (ownerNamespace === '' && node.identity.namespace !== '' && !owner.observed) {
        // A virtual owner first seen from a cluster-scoped dependent may be a namespaced kind.
        result.suspicious = true;
      }
    }
    return result;
  }

  /** Unlink `node` from `owners`. */
  removeDependentFromOwners(node: GraphNode, owners: readonly OwnerReference[]): void {
    for (const ref of owners) this.#nodes.get(ref.uid)?.dependents.delete(node);
  }

  /** Remove `node` and unlink it from its owners. Its dependents keep pointing at its uid. */
  remove(node: GraphNode): void {
    if (this.#nodes.get(node.identity.uid) === node) this.#nodes.delete(node.identity.uid);
    this.removeDependentFromOwners(node, node.owners);
  }
}

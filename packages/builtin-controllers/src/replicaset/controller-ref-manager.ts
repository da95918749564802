/**
 * Claiming dependents, as Kubernetes' `ControllerRefManager` (pkg/controller/controller_ref_manager.go):
 * a controller owns the objects its selector matches and that carry its controller reference.
 *
 * For each candidate:
 * - controlled by someone else: ignored;
 * - controlled by this owner and matching: kept;
 * - controlled by this owner but no longer matching: released (its owner reference removed),
 *   unless the owner is being deleted;
 * - an orphan that matches, in the owner's namespace, not being deleted, while the owner is not
 *   being deleted: adopted (a controller reference added), after `canAdopt` confirmed with a fresh
 *   read that the owner still exists and is not being deleted.
 *
 * The candidates must be cache objects (they are not changed), as match results are memoized
 * per object.
 *
 * Adoption and release are JSON merge patches of `metadata.ownerReferences`, with the object's
 * `uid` and `resourceVersion` as preconditions; a conflict is thrown, and the controller retries
 * with a fresher cache.
 *
 * @module
 */
import {
  getControllerOf,
  isNotFound,
  labelSelectorFromObject,
  ownerReference,
  type AnyKind,
  type Client,
  type KubeObject,
  type MergePatch,
  type Selector,
  type TypeOf,
  type kinds,
} from '@harbormaster/core';
import { canonicalJson } from './canonical-json.js';

const selectorsByText = new Map<string, Selector>();
const selectorsByObject = new WeakMap<object, Selector>();

/**
 * The parsed form of a spec's label selector, shared by every equal selector (so results that are
 * memoized per selector survive the owner object being replaced in the cache).
 * @throws the parse error of an invalid selector.
 */
export function cachedSelector(selector: kinds.LabelSelector | undefined): Selector {
  if (selector !== undefined) {
    const known = selectorsByObject.get(selector);
    if (known !== undefined) return known;
  }
  const text = selector === undefined ? '' : canonicalJson(selector);
  let s = selectorsByText.get(text);
  if (s === undefined) {
    s = labelSelectorFromObject(selector);
    if (selectorsByText.size >= 4096) selectorsByText.clear();
    selectorsByText.set(text, s);
  }
  if (selector !== undefined) selectorsByObject.set(selector, s);
  return s;
}

const matchMemo = new WeakMap<Selector, WeakMap<object, boolean>>();

/**
 * `selector.matches(obj.metadata.labels)`, memoized per selector and object: pass only objects
 * that are not changed afterwards (the frozen objects of an informer's cache), and reuse selector
 * objects (see {@link cachedSelector}).
 */
export function matchesCached(selector: Selector, obj: KubeObject): boolean {
  let byObject = matchMemo.get(selector);
  if (byObject === undefined) matchMemo.set(selector, (byObject = new WeakMap()));
  let m = byObject.get(obj);
  if (m === undefined) {
    m = selector.matches(obj.metadata.labels);
    byObject.set(obj, m);
  }
  return m;
}

/** Options of {@link claimObjects}. */
export interface ClaimOptions<K extends AnyKind> {
  readonly client: Client;
  /** The kind of the candidates (Pods for a ReplicaSet, ReplicaSets for a Deployment). */
  readonly kind: K;
  /** The controller. */
  readonly owner: KubeObject;
  /** The owner's selector. */
  readonly selector: Selector;
  /** Candidates: every object that matches the selector or is controlled by the owner. */
  readonly candidates: readonly TypeOf<K>[];
  /**
   * Checked once, before the first adoption; throws if the owner may not adopt (it is gone or
   * being deleted). Kubernetes' `RecheckDeletionTimestamp` with an uncached read.
   */
  readonly canAdopt: () => Promise<void>;
}

/**
 * A `canAdopt` check that reads the owner fresh from the API and fails if it was replaced
 * (another uid) or is being deleted.
 */
export function recheckDeletionTimestamp<K extends AnyKind>(client: Client, kind: K, owner: KubeObject): () => Promise<void> {
  let checked: Promise<void> | undefined;
  return () => {
    checked ??= (async () => {
      const key = { namespace: owner.metadata.namespace, name: owner.metadata.name ?? '' };
      const fresh: KubeObject = await client.get(kind, key);
      if (fresh.metadata.uid !== owner.metadata.uid) {
        throw new Error(`original ${kind.kind} ${key.namespace ?? ''}/${key.name} is gone: got uid ${fresh.metadata.uid ?? ''}, wanted ${owner.metadata.uid ?? ''}`);
      }
      if (fresh.metadata.deletionTimestamp) {
        throw new Error(`${key.namespace ?? ''}/${key.name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
      }
    })();
    return checked;
  };
}

/**
 * Adopt and release as described in the module documentation, and return the objects the owner
 * now controls (adopted ones in their patched state).
 * @throws the first adoption or release failure other than NotFound.
 */
export async function claimObjects<K extends AnyKind>(options: ClaimOptions<K>): Promise<TypeOf<K>[]> {
  const { client, kind, owner, selector } = options;
  const ownerUid = owner.metadata.uid;
  const ownerDeleting = Boolean(owner.metadata.deletionTimestamp);
  const claimed: TypeOf<K>[] = [];
  for (const obj of options.candidates) {
    const o = obj as KubeObject;
    const ref = getControllerOf(o);
    const matches = matchesCached(selector, o);
    const key = { namespace: o.metadata.namespace, name: o.metadata.name ?? '' };
    if (ref !== undefined) {
      if (ref.uid !== ownerUid) continue;
      if (matches) {
        claimed.push(obj);
        continue;
      }
      if (ownerDeleting) continue;
      const kept = (o.metadata.ownerReferences ?? []).filter((r) => r.uid !== ownerUid);
      try {
        await client.patch(kind, key, {
          metadata: { ownerReferences: kept.length > 0 ? kept : null, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion },
        } as MergePatch<TypeOf<K>>);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      continue;
    }
    // An orphan.
    if (ownerDeleting || !matches || o.metadata.deletionTimestamp) continue;
    if (owner.metadata.namespace && owner.metadata.namespace !== o.metadata.namespace) continue;
    await options.canAdopt();
    const refs = [...(o.metadata.ownerReferences ?? []).filter((r) => r.uid !== ownerUid), ownerReference(owner, { controller: true, blockOwnerDeletion: true })];
    try {
      const adopted = await client.patch(kind, key, {
        metadata: { ownerReferences: refs, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion },
      } as MergePatch<TypeOf<K>>);
      claimed.push(adopted);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  return claimed;
}

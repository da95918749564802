import { describe, expect, it } from 'vitest';
import type { KubeObject, OwnerReference } from '../meta/object-meta.js';
import {
  AlreadyOwnedError,
  getControllerOf,
  isControlledBy,
  removeOwnerReference,
  setControllerReference,
  setOwnerReference,
} from './owner-references.js';

const owner = (name: string, uid: string, namespace = 'default'): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name, uid, namespace },
});

describe('owner references', () => {
  it('setControllerReference sets controller and blockOwnerDeletion, and is idempotent', () => {
    const pod: { metadata: { name: string; namespace: string; ownerReferences?: OwnerReference[] } } = { metadata: { name: 'p', namespace: 'default' } };
    setControllerReference(owner('rs', 'u1'), pod);
    setControllerReference(owner('rs', 'u1'), pod);
    expect(pod.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true, blockOwnerDeletion: true }]);
    expect(getControllerOf(pod)?.name).toBe('rs');
    expect(isControlledBy(pod, owner('rs', 'u1'))).toBe(true);
    expect(isControlledBy(pod, owner('rs', 'u2'))).toBe(false);
  });

  it('refuses a second controller and a cross-namespace owner', () => {
    const pod = { metadata: { name: 'p', namespace: 'default' } };
    setControllerReference(owner('rs', 'u1'), pod);
    expect(() => setControllerReference(owner('other', 'u2'), pod)).toThrow(AlreadyOwnedError);
    expect(() => setControllerReference(owner('rs', 'u3', 'elsewhere'), { metadata: { name: 'q', namespace: 'default' } })).toThrow(/cross-namespace/);
    // A cluster-scoped owner may own a namespaced object.
    const node: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'n' } };
    const lease = { metadata: { name: 'n1', namespace: 'kube-node-lease' } };
    setOwnerReference(node, lease);
    expect(lease).toMatchObject({ metadata: { ownerReferences: [{ kind: 'Node', name: 'n1', uid: 'n' }] } });
  });

  it('setOwnerReference keeps an existing controller flag; removeOwnerReference removes by uid', () => {
    const pod: { metadata: { name: string; namespace: string; ownerReferences?: OwnerReference[] } } = { metadata: { name: 'p', namespace: 'default' } };
    setControllerReference(owner('rs', 'u1'), pod);
    setOwnerReference(owner('rs', 'u1'), pod);
    expect(getControllerOf(pod)?.uid).toBe('u1');
    setOwnerReference(owner('extra', 'u9'), pod);
    expect(pod.metadata.ownerReferences?.map((r) => r.uid)).toEqual(['u1', 'u9']);
    expect(removeOwnerReference(owner('rs', 'u1'), pod)).toBe(true);
    expect(removeOwnerReference(owner('rs', 'u1'), pod)).toBe(false);
    expect(pod.metadata.ownerReferences?.map((r) => r.uid)).toEqual(['u9']);
  });
});

import type { kinds } from '@harbormaster/core';
import { describe, expect, it } from 'vitest';
import {
  deploymentTimedOut,
  findActiveOrLatest,
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  proportion,
  resolveFenceposts,
  setCondition,
  setNewReplicaSetAnnotations,
} from './deployment-util.js';

function deployment(replicas: number, strategy: kinds.DeploymentStrategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } }): kinds.Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', generation: 1 },
    spec: { replicas, strategy, revisionHistoryLimit: 10, progressDeadlineSeconds: 600, template: { spec: { containers: [] } } },
  } as unknown as kinds.Deployment;
}

function rs(name: string, replicas: number, options: { created?: number; annotations?: Record<string, string> } = {}): kinds.ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, uid: name, creationTimestamp: new Date(options.created ?? 0).toISOString(), ...(options.annotations ? { annotations: options.annotations } : {}) },
    spec: { replicas, template: { spec: { containers: [] } } },
  } as unknown as kinds.ReplicaSet;
}

describe('deployment arithmetic', () => {
  it('resolves maxSurge up and maxUnavailable down, and both 0 to 1', () => {
    expect(resolveFenceposts('25%', '25%', 3)).toEqual({ surge: 1, unavailable: 0 });
    expect(resolveFenceposts('25%', '25%', 10)).toEqual({ surge: 3, unavailable: 2 });
    expect(resolveFenceposts('0%', '1%', 2)).toEqual({ surge: 0, unavailable: 1 });
    expect(resolveFenceposts(0, 0, 5)).toEqual({ surge: 0, unavailable: 1 });
    expect(maxSurge(deployment(3))).toBe(1);
    expect(maxUnavailable(deployment(3))).toBe(0);
    expect(maxUnavailable(deployment(0))).toBe(0);
    expect(maxUnavailable(deployment(2, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 5 } }))).toBe(2);
    expect(maxSurge(deployment(3, { type: 'Recreate' }))).toBe(0);
  });

  it('sizes the new ReplicaSet within the surge', () => {
    const d = deployment(10, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } });
    const old = rs('old', 10);
    const fresh = rs('new', 0);
    expect(newRSNewReplicas(d, [old, fresh], fresh)).toBe(3);
    expect(newRSNewReplicas(d, [rs('old', 8), rs('new', 3)], rs('new', 3))).toBe(5);
    expect(newRSNewReplicas(deployment(4, { type: 'Recreate' }), [fresh], fresh)).toBe(4);
  });

  it('computes proportions as the Kubernetes e2e test of proportional scaling expects', () => {
    const d = deployment(30, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } });
    const max = { 'deployment.kubernetes.io/max-replicas': '13' };
    const old = rs('old', 8, { annotations: max });
    const fresh = rs('new', 5, { annotations: max });
    const first = proportion({ rs: old, deployment: d, toAdd: 20, added: 0 });
    expect(first).toBe(12);
    expect(proportion({ rs: fresh, deployment: d, toAdd: 20, added: first })).toBe(8);
    // Scaling to zero takes everything away.
    expect(proportion({ rs: old, deployment: deployment(0), toAdd: -13, added: 0 })).toBe(-8);
  });

  it('falls back to the Deployment\'s current size when the max-replicas annotation is missing, not a number, or 0', () => {
    // 20 replicas + 5 surge now; the Deployment had 10 pods. A ReplicaSet of 5 grows to round(5 × 25 / 10) = 13.
    const d = { ...deployment(20), status: { replicas: 10 } } as kinds.Deployment;
    for (const annotations of [undefined, { 'deployment.kubernetes.io/max-replicas': 'many' }, { 'deployment.kubernetes.io/max-replicas': '0' }]) {
      const set = rs('old', 5, annotations === undefined ? {} : { annotations });
      expect(proportion({ rs: set, deployment: d, toAdd: 20, added: 0 })).toBe(8);
    }
    // With no pods either, no share.
    expect(proportion({ rs: rs('old', 5, { annotations: { 'deployment.kubernetes.io/max-replicas': '0' } }), deployment: deployment(20), toAdd: 20, added: 0 })).toBe(0);
    // Atoi accepts a sign.
    expect(proportion({ rs: rs('old', 5, { annotations: { 'deployment.kubernetes.io/max-replicas': '+10' } }), deployment: deployment(20), toAdd: 20, added: 0 })).toBe(8);
  });

  it('finds the only active ReplicaSet, else the newest, else none', () => {
    expect(findActiveOrLatest(rs('new', 0, { created: 3000 }), [rs('a', 2, { created: 1000 }), rs('b', 0, { created: 2000 })])?.metadata.name).toBe('a');
    expect(findActiveOrLatest(undefined, [rs('a', 0, { created: 1000 }), rs('b', 0, { created: 2000 })])?.metadata.name).toBe('b');
    expect(findActiveOrLatest(rs('new', 1), [rs('a', 1)])).toBeUndefined();
  });

  it('keeps revision history when a ReplicaSet is revived by a rollback', () => {
    const d = deployment(3);
    d.metadata.annotations = { team: 'shop', 'deployment.kubernetes.io/revision': '5', 'kubectl.kubernetes.io/last-applied-configuration': '{}' };
    const revived = rs('old', 0, { annotations: { 'deployment.kubernetes.io/revision': '2', 'deployment.kubernetes.io/revision-history': '1' } });
    expect(setNewReplicaSetAnnotations({ deployment: d, rs: revived, newRevision: 6, exists: true, historyLimitChars: 2000 })).toBe(true);
    expect(revived.metadata.annotations).toEqual({ team: 'shop', 'deployment.kubernetes.io/revision': '6', 'deployment.kubernetes.io/revision-history': '1,2' });
    // A new ReplicaSet gets the replica annotations.
    const fresh = rs('new', 0);
    setNewReplicaSetAnnotations({ deployment: d, rs: fresh, newRevision: 1, exists: false, historyLimitChars: 2000 });
    expect(fresh.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '1', 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '4' });
    // The history is capped, oldest first out.
    const long = rs('x', 0, { annotations: { 'deployment.kubernetes.io/revision': '9', 'deployment.kubernetes.io/revision-history': '1,2,3,4' } });
    setNewReplicaSetAnnotations({ deployment: d, rs: long, newRevision: 10, exists: true, historyLimitChars: 6 });
    expect(long.metadata.annotations?.['deployment.kubernetes.io/revision-history']).toBe('3,4,9');
  });

  it('sets conditions like SetDeploymentCondition and times out after the deadline', () => {
    const status: kinds.DeploymentStatus = {};
    setCondition(status, { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', lastUpdateTime: '2026-01-01T00:00:00Z', lastTransitionTime: '2026-01-01T00:00:00Z' });
    setCondition(status, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', lastUpdateTime: '2026-01-01T00:05:00Z', lastTransitionTime: '2026-01-01T00:05:00Z' });
    expect(status.conditions).toEqual([{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', lastUpdateTime: '2026-01-01T00:05:00Z', lastTransitionTime: '2026-01-01T00:00:00Z' }]);
    const d = deployment(3);
    const progressing: kinds.DeploymentStatus = { conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', lastUpdateTime: '2026-01-01T00:00:00Z' }] };
    const t0 = Date.UTC(2026, 0, 1);
    expect(deploymentTimedOut(d, progressing, t0 + 600_000)).toBe(false);
    expect(deploymentTimedOut(d, progressing, t0 + 600_001)).toBe(true);
  });
});

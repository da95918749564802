/**
 * Scenario tests of the ReplicaSet controller with simulated nodes and the test binder, on a fake
 * clock.
 */
import { ForbiddenError, kinds, type AdmissionPlugin } from '@harbormaster/core';
import { afterEach, describe, expect, it } from 'vitest';
import { isPodActive, isPodReady } from '../src/replicaset/pod-utils.js';
import { createWorkloadEnv, type WorkloadEnv, type WorkloadEnvOptions } from './support/workload-env.js';

let env: WorkloadEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

async function start(options: WorkloadEnvOptions = {}): Promise<WorkloadEnv> {
  env = await createWorkloadEnv({ deployments: false, ...options, cluster: { startupDelayMs: 500, readyDelayMs: 1000, ...options.cluster } });
  return env;
}

const ns = 'default';
const template = (app: string) => ({ metadata: { labels: { app } }, spec: { containers: [{ name: 'web', image: 'acme/web:1' }] } });

async function createRS(e: WorkloadEnv, spec: { name?: string; replicas: number; minReadySeconds?: number; app?: string }): Promise<kinds.ReplicaSet> {
  const app = spec.app ?? 'web';
  return e.client.create(kinds.ReplicaSet, {
    metadata: { name: spec.name ?? 'web', namespace: ns },
    spec: {
      replicas: spec.replicas,
      ...(spec.minReadySeconds === undefined ? {} : { minReadySeconds: spec.minReadySeconds }),
      selector: { matchLabels: { app } },
      template: template(app),
    },
  });
}

async function podsOf(e: WorkloadEnv, app = 'web'): Promise<kinds.Pod[]> {
  return (await e.client.list(kinds.Pod, { namespace: ns, labelSelector: `app=${app}` })).items;
}

async function scale(e: WorkloadEnv, replicas: number, name = 'web'): Promise<void> {
  await e.client.patch(kinds.ReplicaSet, { namespace: ns, name }, { spec: { replicas } });
}

async function events(e: WorkloadEnv, reason: string): Promise<string[]> {
  return (await e.client.list(kinds.Event, { namespace: ns })).items.filter((ev) => ev.reason === reason).map((ev) => ev.message ?? '');
}

describe('ReplicaSet controller', () => {
  it('creates pods from the template with a controller reference and reports status', async () => {
    const e = await start();
    const rs = await createRS(e, { replicas: 3 });
    const status = await e.eventually(async () => {
      const now = await e.client.get(kinds.ReplicaSet, { namespace: ns, name: 'web' });
      expect(now.status).toMatchObject({ replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: now.metadata.generation });
      return now.status;
    });
    expect(status?.conditions).toBeUndefined();
    const pods = await podsOf(e);
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
      expect(p.metadata.generateName).toBe('web-');
      expect(p.metadata.labels).toEqual({ app: 'web' });
      expect(p.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    }
    expect((await events(e, 'SuccessfulCreate')).sort()).toEqual(pods.map((p) => `Created pod: ${p.metadata.name ?? ''}`).sort());

    await scale(e, 1);
    await e.eventually(async () => expect((await podsOf(e)).filter(isPodActive)).toHaveLength(1));
    expect(await events(e, 'SuccessfulDelete')).toHaveLength(2);
    await e.eventually(async () => expect((await e.client.get(kinds.ReplicaSet, { namespace: ns, name: 'web' })).status).toMatchObject({ replicas: 1, availableReplicas: 1 }));
  });

  it('deletes not-ready pods first, then pods of lower deletion cost', async () => {
    const e = await start({ cluster: { readyDelayMs: 0 } });
    await createRS(e, { replicas: 4 });
    await e.eventually(async () => expect((await podsOf(e)).filter(isPodReady)).toHaveLength(4));
    const [a, b, c, d] = (await podsOf(e)).sort((x, y) => (x.metadata.name ?? '').localeCompare(y.metadata.name ?? ''));
    if (a === undefined || b === undefined || c === undefined || d === undefined) throw new Error('pods missing');
    await e.client.patch(kinds.Pod, { namespace: ns, name: a.metadata.name ?? '' }, { metadata: { annotations: { 'controller.kubernetes.io/pod-deletion-cost': '-100' } } });
    await e.client.patch(kinds.Pod, { namespace: ns, name: d.metadata.name ?? '' }, { metadata: { annotations: { 'controller.kubernetes.io/pod-deletion-cost': '-1000' } } });
    // b's container crashes: not ready (CrashLoopBackOff), which beats any deletion cost.
    const node = e.cluster.node(b.spec.nodeName ?? '');
    expect(node?.crashContainer({ namespace: ns, name: b.metadata.name ?? '' })).toBe(true);
    await e.eventually(async () => expect(isPodReady(await e.client.get(kinds.Pod, { namespace: ns, name: b.metadata.name ?? '' }))).toBe(false));
    await scale(e, 2);
    await e.eventually(async () => expect((await podsOf(e)).filter(isPodActive)).toHaveLength(2));
    const kept = (await podsOf(e)).map((p) => p.metadata.name).sort();
    expect(kept).toEqual([a.metadata.name, c.metadata.name].sort());
  });

  it('adopts matching orphans and releases pods that stop matching', async () => {
    const e = await start();
    const orphan = await e.client.create(kinds.Pod, { metadata: { name: 'stray', namespace: ns, labels: { app: 'web' } }, spec: template('web').spec });
    const rs = await createRS(e, { replicas: 2 });
    await e.eventually(async () => {
      const pods = (await podsOf(e)).filter(isPodReady);
      expect(pods).toHaveLength(2);
      return true;
    });
    const adopted = await e.client.get(kinds.Pod, { namespace: ns, name: 'stray' });
    expect(adopted.metadata.uid).toBe(orphan.metadata.uid);
    expect(adopted.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(await events(e, 'SuccessfulCreate')).toHaveLength(1);

    // Relabel it: the ReplicaSet lets go of it and makes a replacement.
    await e.client.patch(kinds.Pod, { namespace: ns, name: 'stray' }, { metadata: { labels: { app: 'debug' } } });
    await e.eventually(async () => {
      const released = await e.client.get(kinds.Pod, { namespace: ns, name: 'stray' });
      expect(released.metadata.ownerReferences).toBeUndefined();
      expect((await podsOf(e)).filter(isPodReady)).toHaveLength(2);
      return true;
    });
    expect((await podsOf(e)).map((p) => p.metadata.name)).not.toContain('stray');
  });

  it('counts pods available only after minReadySeconds, requeueing itself to notice', async () => {
    const e = await start({ cluster: { readyDelayMs: 0, startupDelayMs: 0 } });
    await createRS(e, { replicas: 3, minReadySeconds: 10 });
    const readyAt = await e.eventually(async () => {
      const rs = await e.client.get(kinds.ReplicaSet, { namespace: ns, name: 'web' });
      expect(rs.status?.readyReplicas).toBe(3);
      return e.clock.now();
    });
    let rs = await e.client.get(kinds.ReplicaSet, { namespace: ns, name: 'web' });
    expect(rs.status?.availableReplicas).toBeUndefined();
    await e.advance(8000, 1000);
    rs = await e.client.get(kinds.ReplicaSet, { namespace: ns, name: 'web' });
    expect(rs.status?.availableReplicas).toBeUndefined();
    await e.eventually(async () => {
      rs = await e.client.get(kinds.ReplicaSet, { namespace: ns, name: 'web' });
      expect(rs.status?.availableReplicas).toBe(3);
      return true;
    }, { stepMs: 250 });
    // Ready transitions are stamped to the second: available within (10, 12] s of becoming ready.
    expect(e.clock.now() - readyAt).toBeLessThanOrEqual(12_000);
  });

  it('reports ReplicaFailure and FailedCreate while pods cannot be created, in slow-start batches', async () => {
    let deny = true;
    let attempts = 0;
    const quota: AdmissionPlugin = {
      name: 'TestQuota',
      validate(req) {
        if (req.operation !== 'CREATE' || req.kind.kind !== 'Pod') return;
        attempts++;
        if (deny) throw new ForbiddenError('exceeded quota: pods', { kind: 'pods', name: req.object.metadata.name ?? '' });
      },
    };
    const e = await start({ admission: [quota] });
    await createRS(e, { replicas: 5 });
    const failed = await e.eventually(async () => {
      const rs = await e.client.get(kinds.ReplicaSet, { namespace: ns, name: 'web' });
      const c = rs.status?.conditions?.find((x) => x.type === 'ReplicaFailure');
      expect(c).toMatchObject({ status: 'True', reason: 'FailedCreate' });
      return c;
    });
    expect(failed?.message).toContain('exceeded quota: pods');
    // The first batch has one pod: one attempt per sync, not five. (Identical Events are
    // aggregated into one with a count.)
    const failedCreate = (await e.client.list(kinds.Event, { namespace: ns })).items.filter((ev) => ev.reason === 'FailedCreate');
    expect(failedCreate.map((ev) => ev.message)).toEqual(['Error creating: exceeded quota: pods']);
    expect(failedCreate[0]?.type).toBe('Warning');
    const syncs = failedCreate.reduce((n, ev) => n + (ev.count ?? 1), 0);
    expect(attempts).toBeGreaterThan(0);
    expect(attempts).toBeLessThanOrEqual(syncs + 1);

    deny = false;
    await e.eventually(async () => {
      const rs = await e.client.get(kinds.ReplicaSet, { namespace: ns, name: 'web' });
      expect(rs.status?.conditions).toBeUndefined();
      expect(rs.status?.readyReplicas).toBe(5);
      return true;
    }, { timeoutMs: 120_000, stepMs: 500 });
    expect((await podsOf(e)).filter(isPodActive)).toHaveLength(5);
  });
});

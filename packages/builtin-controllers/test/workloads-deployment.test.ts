/**
 * Scenario tests of the Deployment controller with the ReplicaSet controller, simulated nodes and
 * the test binder, on a fake clock.
 */
import { readFileSync } from 'node:fs';
import { ForbiddenError, isConflict, kinds, type AdmissionPlugin, type WatchEvent } from '@harbormaster/core';
import { afterEach, describe, expect, it } from 'vitest';
import { computeHash } from '../src/deployment/pod-template-hash.js';
import { rollback } from '../src/deployment/rollback.js';
import { isPodActive, isPodReady } from '../src/replicaset/pod-utils.js';
import { createWorkloadEnv, type WorkloadEnv, type WorkloadEnvOptions } from './support/workload-env.js';

const storefrontYaml = readFileSync(new URL('../../../examples/manifests/storefront.yaml', import.meta.url), 'utf8');
const key = { namespace: 'default', name: 'storefront' };
const V2 = 'acme/storefront:v2.1';
const V3 = 'acme/storefront:v3';
const BROKEN = 'acme/storefront:v3-broken';

let env: WorkloadEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

/** An environment whose nodes start pods in 0.5 s, make them ready 1 s later, and never make BROKEN ready. */
async function start(options: WorkloadEnvOptions = {}): Promise<WorkloadEnv> {
  env = await createWorkloadEnv({
    ...options,
    cluster: {
      startupDelayMs: 500,
      readyDelayMs: 1000,
      podBehavior: (pod) => (pod.spec.containers[0]?.image === BROKEN ? { neverReady: true } : undefined),
      ...options.cluster,
    },
  });
  return env;
}

const image = (p: kinds.Pod): string | undefined => p.spec.containers[0]?.image;

async function pods(e: WorkloadEnv): Promise<kinds.Pod[]> {
  return (await e.client.list(kinds.Pod, { namespace: 'default', labelSelector: 'app=storefront' })).items;
}

async function replicaSets(e: WorkloadEnv): Promise<kinds.ReplicaSet[]> {
  return (await e.client.list(kinds.ReplicaSet, { namespace: 'default' })).items;
}

function condition(d: kinds.Deployment, type: string): kinds.DeploymentCondition | undefined {
  return d.status?.conditions?.find((c) => c.type === type);
}

/** Change the Deployment (a read-modify-write, as `kubectl edit`). */
async function edit(e: WorkloadEnv, change: (d: kinds.Deployment) => void): Promise<kinds.Deployment> {
  for (;;) {
    const d = await e.client.get(kinds.Deployment, key);
    change(d);
    try {
      return await e.client.update(kinds.Deployment, d);
    } catch (err) {
      // The controller wrote in between (a status or revision update): read again.
      if (!isConflict(err)) throw err;
    }
  }
}

async function setImage(e: WorkloadEnv, to: string): Promise<kinds.Deployment> {
  return edit(e, (d) => {
    const c = d.spec.template.spec.containers[0];
    if (c) c.image = to;
  });
}

/** Wait until the rollout is complete: every replica updated, available and running `img`. */
async function rolledOut(e: WorkloadEnv, img: string, options: { timeoutMs?: number; stepMs?: number } = {}): Promise<kinds.Deployment> {
  return e.eventually(async () => {
    const d = await e.client.get(kinds.Deployment, key);
    const n = d.spec.replicas;
    expect(d.status?.observedGeneration).toBe(d.metadata.generation);
    expect(d.status).toMatchObject({ replicas: n, updatedReplicas: n, availableReplicas: n });
    expect(condition(d, 'Progressing')?.reason).toBe('NewReplicaSetAvailable');
    const active = (await pods(e)).filter(isPodActive);
    expect(active.map(image)).toEqual(Array.from({ length: n }, () => img));
    return d;
  }, options);
}

async function applyStorefront(e: WorkloadEnv, change?: (d: kinds.Deployment) => void): Promise<kinds.Deployment> {
  await e.client.apply(storefrontYaml);
  if (change) await edit(e, change);
  return rolledOut(e, V2);
}

describe('Deployment controller', () => {
  it('converges the storefront: 3 pods Running and Ready, Available and Progressing NewReplicaSetAvailable', async () => {
    const e = await start();
    await e.client.apply(storefrontYaml);
    const d = await rolledOut(e, V2);
    const running = await pods(e);
    expect(running).toHaveLength(3);
    for (const p of running) {
      expect(p.status?.phase).toBe('Running');
      expect(isPodReady(p)).toBe(true);
      expect(p.status?.podIP).toMatch(/^10\.244\.\d+\.\d+$/);
    }
    expect(d.status).toMatchObject({ replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: d.metadata.generation });
    expect(d.status?.unavailableReplicas).toBeUndefined();
    expect(condition(d, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' });
    const rs = (await replicaSets(e))[0];
    const hash = rs?.metadata.labels?.['pod-template-hash'] ?? '';
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "storefront-${hash}" has successfully progressed.` });
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(await replicaSets(e)).toHaveLength(1);
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(rs?.metadata.name).toBe(`storefront-${hash}`);
    expect(rs?.spec.selector?.matchLabels).toEqual({ app: 'storefront', 'pod-template-hash': hash });
    expect(rs?.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
    });
    for (const p of running) expect(p.metadata.labels).toEqual({ app: 'storefront', 'pod-template-hash': hash });
    const events = (await e.client.list(kinds.Event, { namespace: 'default' })).items;
    expect(events.map((ev) => ev.message)).toContain(`Scaled up replica set storefront-${hash} from 0 to 3`);
    expect(events.filter((ev) => ev.reason === 'SuccessfulCreate')).toHaveLength(3);
  });

  it('replaces a killed pod', async () => {
    const e = await start({ cluster: { deletionDelayMs: 3000 } });
    await applyStorefront(e);
    const victim = (await pods(e))[0];
    if (victim === undefined) throw new Error('no pod');
    await e.client.delete(kinds.Pod, { namespace: 'default', name: victim.metadata.name ?? '' });
    await e.eventually(async () => {
      const now = await pods(e);
      expect(now.map((p) => p.metadata.name)).not.toContain(victim.metadata.name);
      expect(now.filter((p) => isPodReady(p) && isPodActive(p))).toHaveLength(3);
      return true;
    });
    const d = await e.client.get(kinds.Deployment, key);
    expect(d.status).toMatchObject({ replicas: 3, availableReplicas: 3 });
  });

  it('rolls from v2.1 to v3 within maxSurge and maxUnavailable at every step', async () => {
    const e = await start({ cluster: { deletionDelayMs: 1500 } });
    await applyStorefront(e);
    // 3 replicas: maxSurge 25% → 1 (rounded up), maxUnavailable 25% → 0 (rounded down).
    const list = await e.client.list(kinds.Pod, { namespace: 'default' });
    const seen = new Map(list.items.map((p) => [p.metadata.name ?? '', p]));
    const violations: string[] = [];
    let maxActive = 0;
    let minAvailable = Infinity;
    const check = (ev: WatchEvent<kinds.Pod>): void => {
      if (ev.type === 'BOOKMARK') return;
      if (ev.type === 'DELETED') seen.delete(ev.object.metadata.name ?? '');
      else seen.set(ev.object.metadata.name ?? '', ev.object);
      const active = [...seen.values()].filter(isPodActive);
      const available = active.filter(isPodReady);
      maxActive = Math.max(maxActive, active.length);
      minAvailable = Math.min(minAvailable, available.length);
      if (active.length > 4) violations.push(`${active.length} pods after ${ev.type} ${ev.object.metadata.name ?? ''}`);
      if (available.length < 3) violations.push(`${available.length} available after ${ev.type} ${ev.object.metadata.name ?? ''}`);
    };
    const sub = e.client.watch(kinds.Pod, { namespace: 'default', resourceVersion: list.metadata.resourceVersion }).subscribe({ next: check });
    try {
      await setImage(e, V3);
      await rolledOut(e, V3, { stepMs: 50 });
      await e.advance(5000, 50);
    } finally {
      sub.unsubscribe();
    }
    expect(violations).toEqual([]);
    expect(maxActive).toBe(4);
    expect(minAvailable).toBe(3);
    const rss = await replicaSets(e);
    expect(rss).toHaveLength(2);
    const old = rss.find((rs) => rs.spec.template.spec.containers[0]?.image === V2);
    expect(old?.spec.replicas).toBe(0);
    const d = await e.client.get(kinds.Deployment, key);
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    const events = (await e.client.list(kinds.Event, { namespace: 'default' })).items.filter((ev) => ev.reason === 'ScalingReplicaSet');
    expect(events.map((ev) => ev.message)).toContain(`Scaled down replica set ${old?.metadata.name ?? ''} from 3 to 2`);
  });

  it('stops a rollout whose pods never become ready with ProgressDeadlineExceeded, old pods still serving', async () => {
    const e = await start();
    await applyStorefront(e, (d) => {
      d.spec.progressDeadlineSeconds = 60;
    });
    const updated = await setImage(e, BROKEN);
    const startedAt = e.clock.now();
    const d = await e.eventually(
      async () => {
        const d = await e.client.get(kinds.Deployment, key);
        expect(condition(d, 'Progressing')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
        return d;
      },
      { timeoutMs: 120_000, stepMs: 500 },
    );
    // Condition times have second precision (as in Kubernetes): the deadline counts from the
    // second the rollout started in, so it may fire up to a second before 60 s after the edit.
    expect(e.clock.now() - startedAt).toBeGreaterThanOrEqual(59_000);
    expect(e.clock.now() - startedAt).toBeLessThan(65_000);
    const newRS = (await replicaSets(e)).find((rs) => rs.spec.template.spec.containers[0]?.image === BROKEN);
    expect(condition(d, 'Progressing')?.message).toBe(`ReplicaSet "${newRS?.metadata.name ?? ''}" has timed out progressing.`);
    expect(condition(d, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    expect(d.status).toMatchObject({ observedGeneration: updated.metadata.generation, replicas: 4, updatedReplicas: 1, availableReplicas: 3, unavailableReplicas: 1 });
    const serving = (await pods(e)).filter((p) => isPodReady(p) && isPodActive(p));
    expect(serving.map(image)).toEqual([V2, V2, V2]);
    // It stays timed out.
    await e.advance(30_000, 1000);
    expect(condition(await e.client.get(kinds.Deployment, key), 'Progressing')?.reason).toBe('ProgressDeadlineExceeded');
  });

  it('rolls back to the previous revision and to a given one, renumbering revisions as Kubernetes does', async () => {
    const e = await start();
    await applyStorefront(e);
    await setImage(e, V3);
    await rolledOut(e, V3);
    const v2rs = (await replicaSets(e)).find((rs) => image({ spec: rs.spec.template.spec } as kinds.Pod) === V2);
    expect(v2rs?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');

    const result = await rollback(e.client, key);
    expect(result).toEqual({ rolledBack: true, revision: 1, message: 'deployment.apps/storefront rolled back' });
    let d = await rolledOut(e, V2);
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    expect(d.spec.template.metadata?.labels).toEqual({ app: 'storefront' });
    let rss = await replicaSets(e);
    expect(rss).toHaveLength(2);
    const revived = rss.find((rs) => rs.metadata.uid === v2rs?.metadata.uid);
    expect(revived?.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '3', 'deployment.kubernetes.io/revision-history': '1' });
    expect(revived?.spec.replicas).toBe(3);

    expect(await rollback(e.client, key, { toRevision: 3 })).toMatchObject({ rolledBack: false, message: 'skipped rollback (current template already matches revision 3)' });
    await expect(rollback(e.client, key, { toRevision: 7 })).rejects.toThrow('unable to find specified revision 7 in history');

    await rollback(e.client, key, { toRevision: 2 });
    d = await rolledOut(e, V3);
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('4');
    rss = await replicaSets(e);
    const v3rs = rss.find((rs) => rs.spec.template.spec.containers[0]?.image === V3);
    expect(v3rs?.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '4', 'deployment.kubernetes.io/revision-history': '2' });
  });

  it('recreates: all old pods are gone before any new pod exists', async () => {
    const e = await start({ cluster: { deletionDelayMs: 2000 } });
    await applyStorefront(e, (d) => {
      d.spec.strategy = { type: 'Recreate' };
    });
    const list = await e.client.list(kinds.Pod, { namespace: 'default' });
    const seen = new Map(list.items.map((p) => [p.metadata.name ?? '', p]));
    const overlaps: string[] = [];
    const sub = e.client.watch(kinds.Pod, { namespace: 'default', resourceVersion: list.metadata.resourceVersion }).subscribe({
      next: (ev) => {
        if (ev.type === 'BOOKMARK') return;
        if (ev.type === 'DELETED') seen.delete(ev.object.metadata.name ?? '');
        else seen.set(ev.object.metadata.name ?? '', ev.object);
        const images = new Set([...seen.values()].map(image));
        if (images.has(V2) && images.has(V3)) overlaps.push(`${ev.type} ${ev.object.metadata.name ?? ''}`);
      },
    });
    try {
      await setImage(e, V3);
      await rolledOut(e, V3);
    } finally {
      sub.unsubscribe();
    }
    expect(overlaps).toEqual([]);
    const events = (await e.client.list(kinds.Event, { namespace: 'default' })).items.filter((ev) => ev.reason === 'ScalingReplicaSet').map((ev) => ev.message);
    expect(events.some((m) => m?.startsWith('Scaled down replica set storefront-') && m.endsWith('from 3 to 0'))).toBe(true);
  });

  it('pauses (scaling still works, no rollout) and resumes', async () => {
    const e = await start();
    await applyStorefront(e);
    await edit(e, (d) => {
      d.spec.paused = true;
    });
    await e.eventually(async () => expect(condition(await e.client.get(kinds.Deployment, key), 'Progressing')).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused' }));
    await setImage(e, V3);
    await edit(e, (d) => {
      d.spec.replicas = 5;
    });
    await e.eventually(async () => {
      const d = await e.client.get(kinds.Deployment, key);
      expect(d.status).toMatchObject({ observedGeneration: d.metadata.generation, replicas: 5, availableReplicas: 5 });
      return true;
    });
    await e.advance(10_000, 500);
    expect(await replicaSets(e)).toHaveLength(1);
    expect((await pods(e)).map(image)).toEqual([V2, V2, V2, V2, V2]);

    await edit(e, (d) => {
      d.spec.paused = false;
    });
    const d = await rolledOut(e, V3);
    expect(d.status?.replicas).toBe(5);
    expect(await replicaSets(e)).toHaveLength(2);
  });

  it('scales proportionally during a rollout', async () => {
    const e = await start({ nodes: 4 });
    await applyStorefront(e, (d) => {
      d.spec.replicas = 10;
      d.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } };
    });
    await rolledOut(e, V2);
    await setImage(e, BROKEN);
    const sizes = async (): Promise<[number | undefined, number | undefined]> => {
      const rss = await replicaSets(e);
      const size = (img: string) => rss.find((rs) => rs.spec.template.spec.containers[0]?.image === img)?.spec.replicas;
      return [size(V2), size(BROKEN)];
    };
    // Stuck: 8 old + 5 new, the new ones never available.
    await e.eventually(async () => expect(await sizes()).toEqual([8, 5]));
    await e.advance(5000, 500);
    expect(await sizes()).toEqual([8, 5]);
    await edit(e, (d) => {
      d.spec.replicas = 30;
    });
    // 30 + 3 surge = 33, shared in proportion to 8:5 → 20 and 13.
    await e.eventually(async () => expect(await sizes()).toEqual([20, 13]));
    await e.eventually(async () => expect((await pods(e)).filter(isPodActive)).toHaveLength(33));
    const rss = await replicaSets(e);
    for (const rs of rss) expect(rs.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/desired-replicas': '30', 'deployment.kubernetes.io/max-replicas': '33' });
  });

  it('keeps only revisionHistoryLimit old ReplicaSets', async () => {
    const e = await start();
    await applyStorefront(e, (d) => {
      d.spec.revisionHistoryLimit = 1;
    });
    for (const tag of ['v3', 'v4', 'v5']) {
      await setImage(e, `acme/storefront:${tag}`);
      await rolledOut(e, `acme/storefront:${tag}`);
    }
    await e.eventually(async () => expect(await replicaSets(e)).toHaveLength(2));
    const revisions = (await replicaSets(e)).map((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision']).sort();
    expect(revisions).toEqual(['3', '4']);
  });

  it('resolves a pod-template-hash collision by bumping collisionCount', async () => {
    const e = await start();
    await e.client.apply(storefrontYaml);
    await edit(e, (d) => {
      d.spec.paused = true;
    });
    // Someone else's ReplicaSet already has the name the Deployment's new ReplicaSet would get.
    await setImage(e, V3);
    const d = await e.client.get(kinds.Deployment, key);
    const taken = `storefront-${computeHash(d.spec.template)}`;
    await e.client.create(kinds.ReplicaSet, {
      metadata: { name: taken, namespace: 'default', labels: { app: 'other' } },
      spec: { replicas: 0, selector: { matchLabels: { app: 'other' } }, template: { metadata: { labels: { app: 'other' } }, spec: { containers: [{ name: 'x', image: 'other:1' }] } } },
    });
    await edit(e, (x) => {
      x.spec.paused = false;
    });
    const done = await rolledOut(e, V3);
    expect(done.status?.collisionCount).toBe(1);
    const hash = computeHash(done.spec.template, 1);
    const mine = (await replicaSets(e)).find((rs) => rs.spec.template.spec.containers[0]?.image === V3);
    expect(mine?.metadata.name).toBe(`storefront-${hash}`);
    expect((await e.client.get(kinds.ReplicaSet, { namespace: 'default', name: taken })).spec.template.spec.containers[0]?.image).toBe('other:1');
  });
  it('syncs the rollout status when the API refuses to scale an old ReplicaSet down, as Kubernetes ignores that error', async () => {
    // Refuse scale-downs of the v2.1 ReplicaSet while `refuse` is set (a webhook or quota would).
    let refuse = false;
    let refused = 0;
    const guard: AdmissionPlugin = {
      name: 'RefuseOldScaleDown',
      validate(req) {
        if (!refuse || req.operation !== 'UPDATE' || req.kind.kind !== 'ReplicaSet' || req.subresource !== undefined) return;
        const next = req.object as kinds.ReplicaSet;
        const prev = req.oldObject as kinds.ReplicaSet | undefined;
        if (next.spec.template.spec.containers[0]?.image === V2 && prev !== undefined && next.spec.replicas < prev.spec.replicas) {
          refused++;
          throw new ForbiddenError('scale-down refused');
        }
      },
    };
    const e = await start({ admission: [guard] });
    await applyStorefront(e);
    refuse = true;
    const updated = await setImage(e, V3);
    // The surge pod becomes available; the scale-down of the old ReplicaSet is refused, yet the
    // Deployment's status says what there is: 4 pods, 1 updated, 4 available.
    const d = await e.eventually(async () => {
      const d = await e.client.get(kinds.Deployment, key);
      expect(refused).toBeGreaterThan(0);
      expect(d.status).toMatchObject({ observedGeneration: updated.metadata.generation, replicas: 4, updatedReplicas: 1, readyReplicas: 4, availableReplicas: 4 });
      return d;
    });
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'True', reason: 'ReplicaSetUpdated' });
    // No retry with back-off: the refusal is not an error of the sync.
    const attempts = refused;
    await e.advance(10_000, 500);
    expect(refused).toBe(attempts);

    // Once allowed, the next change of a ReplicaSet (here a pod deleted behind the controller's back)
    // brings the Deployment back, and the rollout completes.
    refuse = false;
    const victim = (await pods(e)).find((p) => image(p) === V2);
    await e.client.delete(kinds.Pod, { namespace: 'default', name: victim?.metadata.name ?? '' });
    await rolledOut(e, V3);
  });
});

import { firstValueFrom, take, toArray, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { memoryStore } from '@harbormaster/store-memory';
import {
  AlreadyExistsError,
  BadRequestError,
  ConflictError,
  ForbiddenError,
  GoneError,
  InvalidError,
  MethodNotAllowedError,
  NotFoundError,
  isNotFound,
} from '../errors.js';
import * as kinds from '../kinds/index.js';
import { FakeClock } from '../testing/fake-clock.js';
import { createApiServer, LAST_APPLIED_ANNOTATION } from './api-server.js';
import type { WatchEvent } from './client.js';

async function setup() {
  const clock = new FakeClock(Date.UTC(2026, 10, 25, 12, 0, 0));
  const store = memoryStore();
  const api = createApiServer({ store, clock, bookmarkIntervalMs: 1000 });
  await api.ready();
  return { api, client: api.client, store, clock };
}

const deployment = (name: string, replicas = 3, image = 'acme/storefront:v2.1') => ({
  metadata: { name, namespace: 'default', labels: { app: name } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'web', image, ports: [{ containerPort: 8080 }] }] },
    },
  },
});

const pod = (name: string, extra: { labels?: Record<string, string>; nodeName?: string; namespace?: string } = {}) => ({
  metadata: { name, namespace: extra.namespace ?? 'default', ...(extra.labels ? { labels: extra.labels } : {}) },
  spec: {
    ...(extra.nodeName ? { nodeName: extra.nodeName } : {}),
    containers: [{ name: 'app', image: 'busybox:1.36' }],
  },
});

/** Collect watch events until `n` have arrived. */
function collect<T>(obs: Observable<WatchEvent<T>>, n: number): Promise<WatchEvent<T>[]> {
  return firstValueFrom(obs.pipe(take(n), toArray()));
}

describe('create', () => {
  it('sets uid, creationTimestamp, resourceVersion, generation and defaults', async () => {
    const { client } = await setup();
    const d = await client.create(kinds.Deployment, deployment('storefront'));
    expect(d.apiVersion).toBe('apps/v1');
    expect(d.kind).toBe('Deployment');
    expect(d.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(d.metadata.creationTimestamp).toBe('2026-11-25T12:00:00Z');
    expect(Number(d.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(d.metadata.generation).toBe(1);
    expect(d.spec.strategy?.type).toBe('RollingUpdate');
    expect(d.spec.revisionHistoryLimit).toBe(10);
    expect(d.spec.progressDeadlineSeconds).toBe(600);
    const got = await client.get(kinds.Deployment, { namespace: 'default', name: 'storefront' });
    expect(got).toEqual(d);
  });

  it('ignores client-set system fields and status on create', async () => {
    const { client } = await setup();
    const d = await client.create(kinds.Deployment, {
      ...deployment('web'),
      metadata: { ...deployment('web').metadata, uid: 'mine', resourceVersion: '999', generation: 7, deletionTimestamp: '2020-01-01T00:00:00Z' },
      status: { replicas: 42 },
    });
    expect(d.metadata.uid).not.toBe('mine');
    expect(d.metadata.generation).toBe(1);
    expect(d.metadata.deletionTimestamp).toBeUndefined();
    expect(d.status?.replicas).toBeUndefined();
  });

  it('keeps status on create for Nodes, as Kubernetes does', async () => {
    const { client } = await setup();
    const n = await client.create(kinds.Node, {
      metadata: { name: 'node-1' },
      status: { capacity: { cpu: '4', memory: '8Gi', pods: '110' } },
    });
    expect(n.status?.capacity?.cpu).toBe('4');
  });

  it('puts a namespaced object with no namespace into default, and generates names', async () => {
    const { client } = await setup();
    const cm = await client.create(kinds.ConfigMap, { metadata: { generateName: 'settings-' }, data: { a: '1' } });
    expect(cm.metadata.namespace).toBe('default');
    expect(cm.metadata.name).toMatch(/^settings-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('refuses a duplicate with AlreadyExists', async () => {
    const { client } = await setup();
    await client.create(kinds.ConfigMap, { metadata: { name: 'a' } });
    const err = await client.create(kinds.ConfigMap, { metadata: { name: 'a' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AlreadyExistsError);
    expect((err as Error).message).toBe('configmaps "a" already exists');
  });

  it('refuses invalid objects with field paths and stores nothing', async () => {
    const { client, store } = await setup();
    const before = await store.revision();
    const bad = deployment('web');
    (bad.spec.template.spec.containers[0] as Record<string, unknown>).imagee = 'x';
    (bad.spec as Record<string, unknown>).replicas = -1;
    const err = (await client.create(kinds.Deployment, bad).catch((e: unknown) => e)) as InvalidError;
    expect(err).toBeInstanceOf(InvalidError);
    expect(err.status).toBe(422);
    expect(err.causes.map((c) => c.field)).toContain('spec.template.spec.containers[0].imagee');
    // Kubernetes' wording: the kind qualified by its group, the name, the causes.
    expect(err.message).toMatch(/^Deployment\.apps "web" is invalid: spec\.template\.spec\.containers\[0\]\.imagee: /);
    expect(err.details).toMatchObject({ group: 'apps', kind: 'Deployment', name: 'web' });
    const nameErr = (await client.create(kinds.ConfigMap, { metadata: { name: 'Not_A_Name' } }).catch((e: unknown) => e)) as InvalidError;
    expect(nameErr.causes[0]?.field).toBe('metadata.name');
    expect(nameErr.message).toMatch(/^ConfigMap "Not_A_Name" is invalid: metadata\.name: Invalid value: "Not_A_Name": /);
    const noName = (await client.create(kinds.ConfigMap, { metadata: {} }).catch((e: unknown) => e)) as InvalidError;
    expect(noName.causes[0]?.message).toMatch(/name or generateName is required/);
    const badLabel = (await client
      .create(kinds.ConfigMap, { metadata: { name: 'x', labels: { 'bad key!': 'v' } } })
      .catch((e: unknown) => e)) as InvalidError;
    expect(badLabel.causes[0]?.field).toBe('metadata.labels');
    expect(await store.revision()).toBe(before);
  });

  it('refuses an object of another kind than the request', async () => {
    const { client } = await setup();
    await expect(
      client.create(kinds.ConfigMap, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } }),
    ).rejects.toBeInstanceOf(BadRequestError);
  });

  it('needs the namespace to exist and not be terminating', async () => {
    const { client } = await setup();
    const missing = await client.create(kinds.ConfigMap, { metadata: { name: 'a', namespace: 'nope' } }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as Error).message).toBe('namespaces "nope" not found');
    await client.create(kinds.Namespace, { metadata: { name: 'team-a' } });
    await client.create(kinds.ConfigMap, { metadata: { name: 'a', namespace: 'team-a' } });
    const ns = await client.delete(kinds.Namespace, { name: 'team-a' });
    expect(ns.metadata.deletionTimestamp).toBeDefined();
    expect(ns.status?.phase).toBe('Terminating');
    const terminating = await client.create(kinds.ConfigMap, { metadata: { name: 'b', namespace: 'team-a' } }).catch((e: unknown) => e);
    expect(terminating).toBeInstanceOf(ForbiddenError);
    expect((terminating as Error).message).toBe(
      'configmaps "b" is forbidden: unable to create new content in namespace team-a because it is being terminated',
    );
    const deployments = await client.create(kinds.Deployment, { ...deployment('web'), metadata: { name: 'web', namespace: 'team-a' } }).catch((e: unknown) => e);
    expect((deployments as Error).message).toBe(
      'deployments.apps "web" is forbidden: unable to create new content in namespace team-a because it is being terminated',
    );
  });

  it('starts with the default namespaces, which cannot be deleted', async () => {
    const { client } = await setup();
    const names = (await client.list(kinds.Namespace)).items.map((n) => n.metadata.name);
    expect(names).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    expect((await client.get(kinds.Namespace, { name: 'default' })).status?.phase).toBe('Active');
    await expect(client.delete(kinds.Namespace, { name: 'default' })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(client.delete(kinds.Namespace, { name: 'kube-system' })).rejects.toThrow('namespaces "kube-system" is forbidden: this namespace may not be deleted');
  });

  it('supports dry run without storing', async () => {
    const { client, store } = await setup();
    const before = await store.revision();
    const d = await client.create(kinds.ConfigMap, { metadata: { name: 'dry' } }, { dryRun: true });
    expect(d.metadata.uid).toBeDefined();
    expect(await store.revision()).toBe(before);
    await expect(client.get(kinds.ConfigMap, { namespace: 'default', name: 'dry' })).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('get', () => {
  it('raises NotFound with Kubernetes message and details', async () => {
    const { client } = await setup();
    const err = (await client.get(kinds.Deployment, { namespace: 'default', name: 'ghost' }).catch((e: unknown) => e)) as NotFoundError;
    expect(isNotFound(err)).toBe(true);
    expect(err.message).toBe('deployments.apps "ghost" not found');
    expect(err.details).toMatchObject({ group: 'apps', kind: 'deployments', name: 'ghost' });
    expect(err.toStatus()).toMatchObject({ kind: 'Status', code: 404, reason: 'NotFound' });
  });

  it('returns copies the caller may change', async () => {
    const { client } = await setup();
    await client.create(kinds.ConfigMap, { metadata: { name: 'a' }, data: { k: 'v' } });
    const a = await client.get(kinds.ConfigMap, { name: 'a' });
    a.data = { k: 'changed' };
    expect((await client.get(kinds.ConfigMap, { name: 'a' })).data).toEqual({ k: 'v' });
  });
});

describe('update', () => {
  it('refuses a stale resourceVersion with 409 Conflict', async () => {
    const { client } = await setup();
    const a = await client.create(kinds.ConfigMap, { metadata: { name: 'a' }, data: { v: '1' } });
    const b = structuredClone(a);
    a.data = { v: '2' };
    await client.update(kinds.ConfigMap, a);
    b.data = { v: '3' };
    const err = await client.update(kinds.ConfigMap, b).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).status).toBe(409);
    expect((await client.get(kinds.ConfigMap, { name: 'a' })).data).toEqual({ v: '2' });
  });

  it('allows an unconditional update without resourceVersion', async () => {
    const { client } = await setup();
    await client.create(kinds.ConfigMap, { metadata: { name: 'a' }, data: { v: '1' } });
    const u = await client.update(kinds.ConfigMap, { metadata: { name: 'a', namespace: 'default' }, data: { v: '9' } });
    expect(u.data).toEqual({ v: '9' });
  });

  it('writes nothing when nothing changes', async () => {
    const { client, store } = await setup();
    const a = await client.create(kinds.Deployment, deployment('web'));
    const before = await store.revision();
    const same = await client.update(kinds.Deployment, a);
    expect(same.metadata.resourceVersion).toBe(a.metadata.resourceVersion);
    expect(await store.revision()).toBe(before);
  });

  it('raises generation on spec changes only', async () => {
    const { client } = await setup();
    const d = await client.create(kinds.Deployment, deployment('web'));
    d.metadata.labels = { ...d.metadata.labels, tier: 'front' };
    d.metadata.annotations = { note: 'x' };
    const labelled = await client.update(kinds.Deployment, d);
    expect(labelled.metadata.generation).toBe(1);
    labelled.spec.replicas = 5;
    const scaled = await client.update(kinds.Deployment, labelled);
    expect(scaled.metadata.generation).toBe(2);
    const withStatus = await client.updateStatus(kinds.Deployment, { ...scaled, status: { replicas: 5, observedGeneration: 2 } });
    expect(withStatus.metadata.generation).toBe(2);
    expect(withStatus.status?.observedGeneration).toBe(2);
  });

  it('ignores status on the main resource and everything else on the status subresource', async () => {
    const { client } = await setup();
    const d = await client.create(kinds.Deployment, deployment('web'));
    const s = await client.updateStatus(kinds.Deployment, { ...d, status: { replicas: 3, readyReplicas: 1 } });
    const viaMain = await client.update(kinds.Deployment, { ...s, status: { replicas: 99 } });
    expect(viaMain.status?.replicas).toBe(3);
    const viaStatus = await client.updateStatus(kinds.Deployment, {
      ...viaMain,
      spec: { ...viaMain.spec, replicas: 50 },
      metadata: { ...viaMain.metadata, labels: { hacked: 'yes' } },
      status: { replicas: 4 },
    });
    expect(viaStatus.spec.replicas).toBe(3);
    expect(viaStatus.metadata.labels).toEqual({ app: 'web' });
    expect(viaStatus.status?.replicas).toBe(4);
  });

  it('keeps an immutable ConfigMap immutable', async () => {
    const { client } = await setup();
    const cm = await client.create(kinds.ConfigMap, { metadata: { name: 'company' }, data: { name: 'ACME, Inc.' }, immutable: true });
    const changed = (await client.update(kinds.ConfigMap, { ...cm, data: { name: 'Other' } }).catch((e: unknown) => e)) as InvalidError;
    expect(changed).toBeInstanceOf(InvalidError);
    expect(changed.message).toBe('ConfigMap "company" is invalid: data: Forbidden: field is immutable when `immutable` is set');
    await expect(client.patch(kinds.ConfigMap, { name: 'company' }, { immutable: false })).rejects.toBeInstanceOf(InvalidError);
    // Metadata may still change.
    const labelled = await client.patch(kinds.ConfigMap, { name: 'company' }, { metadata: { labels: { tier: 'gold' } } });
    expect(labelled.metadata.labels).toEqual({ tier: 'gold' });
  });

  it('has no status subresource on ConfigMaps', async () => {
    const { client } = await setup();
    const a = await client.create(kinds.ConfigMap, { metadata: { name: 'a' } });
    await expect(client.updateStatus(kinds.ConfigMap, a)).rejects.toBeInstanceOf(MethodNotAllowedError);
  });

  it('raises NotFound for a missing object and Conflict for a different uid', async () => {
    const { client } = await setup();
    await expect(client.update(kinds.ConfigMap, { metadata: { name: 'none', namespace: 'default' } })).rejects.toBeInstanceOf(NotFoundError);
    const a = await client.create(kinds.ConfigMap, { metadata: { name: 'a' } });
    await expect(client.update(kinds.ConfigMap, { ...a, metadata: { ...a.metadata, uid: 'other' } })).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('patch', () => {
  it('applies a JSON merge patch; null removes a field', async () => {
    const { client } = await setup();
    await client.create(kinds.ConfigMap, { metadata: { name: 'a', labels: { x: '1', y: '2' } }, data: { k: 'v' } });
    const p = await client.patch(kinds.ConfigMap, { name: 'a' }, { metadata: { labels: { y: null, z: '3' } }, data: { k2: 'v2' } });
    expect(p.metadata.labels).toEqual({ x: '1', z: '3' });
    expect(p.data).toEqual({ k: 'v', k2: 'v2' });
  });

  it('retries on a concurrent write unless the patch names a resourceVersion', async () => {
    const { client } = await setup();
    await client.create(kinds.ConfigMap, { metadata: { name: 'n' }, data: {} });
    await Promise.all(Array.from({ length: 20 }, (_, i) => client.patch(kinds.ConfigMap, { name: 'n' }, { data: { [`k${i}`]: String(i) } })));
    expect(Object.keys((await client.get(kinds.ConfigMap, { name: 'n' })).data ?? {})).toHaveLength(20);
    await expect(
      client.patch(kinds.ConfigMap, { name: 'n' }, { metadata: { resourceVersion: '1' }, data: { late: 'x' } }),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it('patches the status subresource', async () => {
    const { client } = await setup();
    await client.create(kinds.Deployment, deployment('web'));
    const p = await client.patch(kinds.Deployment, { name: 'web' }, { status: { availableReplicas: 2 } }, { subresource: 'status' });
    expect(p.status?.availableReplicas).toBe(2);
    const q = await client.patch(kinds.Deployment, { name: 'web' }, { status: { availableReplicas: 9 } });
    expect(q.status?.availableReplicas).toBe(2);
  });

  it('validates the patched object', async () => {
    const { client } = await setup();
    await client.create(kinds.Deployment, deployment('web'));
    await expect(client.patch(kinds.Deployment, { name: 'web' }, { spec: { replicas: 'many' as unknown as number } })).rejects.toBeInstanceOf(InvalidError);
  });
});

describe('delete', () => {
  it('deletes at once without finalizers and returns the last state', async () => {
    const { client } = await setup();
    const a = await client.create(kinds.ConfigMap, { metadata: { name: 'a' } });
    const d = await client.delete(kinds.ConfigMap, { name: 'a' });
    expect(d.metadata.uid).toBe(a.metadata.uid);
    await expect(client.get(kinds.ConfigMap, { name: 'a' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.delete(kinds.ConfigMap, { name: 'a' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('checks uid and resourceVersion preconditions', async () => {
    const { client } = await setup();
    const a = await client.create(kinds.ConfigMap, { metadata: { name: 'a' } });
    await expect(client.delete(kinds.ConfigMap, { name: 'a' }, { preconditions: { uid: 'nope' } })).rejects.toBeInstanceOf(ConflictError);
    await expect(client.delete(kinds.ConfigMap, { name: 'a' }, { preconditions: { resourceVersion: '1' } })).rejects.toBeInstanceOf(ConflictError);
    await client.delete(kinds.ConfigMap, { name: 'a' }, { preconditions: { uid: a.metadata.uid, resourceVersion: a.metadata.resourceVersion } });
    await expect(client.get(kinds.ConfigMap, { name: 'a' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('with finalizers only sets deletionTimestamp; the object goes when the last finalizer is removed', async () => {
    const { client, clock } = await setup();
    const events = collect(client.watch(kinds.ConfigMap, { resourceVersion: String(await client.list(kinds.ConfigMap).then((l) => l.metadata.resourceVersion)) }), 4);
    await client.create(kinds.ConfigMap, { metadata: { name: 'f', finalizers: ['example.com/cleanup', 'example.com/other'] } });
    await clock.advance(5000);
    const deleting = await client.delete(kinds.ConfigMap, { name: 'f' });
    expect(deleting.metadata.deletionTimestamp).toBe('2026-11-25T12:00:05Z');
    expect(deleting.metadata.deletionGracePeriodSeconds).toBe(0);
    expect(deleting.metadata.generation).toBe(2);
    // A second delete changes nothing.
    const again = await client.delete(kinds.ConfigMap, { name: 'f' });
    expect(again.metadata.resourceVersion).toBe(deleting.metadata.resourceVersion);
    // No new finalizers while deleting.
    await expect(
      client.update(kinds.ConfigMap, { ...deleting, metadata: { ...deleting.metadata, finalizers: ['example.com/cleanup', 'example.com/other', 'new.io/x'] } }),
    ).rejects.toBeInstanceOf(InvalidError);
    const one = await client.update(kinds.ConfigMap, { ...deleting, metadata: { ...deleting.metadata, finalizers: ['example.com/other'] } });
    expect(one.metadata.finalizers).toEqual(['example.com/other']);
    await client.patch(kinds.ConfigMap, { name: 'f' }, { metadata: { finalizers: null } });
    await expect(client.get(kinds.ConfigMap, { name: 'f' })).rejects.toBeInstanceOf(NotFoundError);
    const seen = await events;
    // Removing the last finalizer deletes at once: no MODIFIED with empty finalizers first.
    expect(seen.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'MODIFIED', 'DELETED']);
    const last = await client.list(kinds.ConfigMap);
    expect(last.items).toHaveLength(0);
  });

  it('deletes at once when the last finalizer goes: one DELETED carrying the last stored state', async () => {
    const { client } = await setup();
    const created = await client.create(kinds.ConfigMap, { metadata: { name: 'f', finalizers: ['example.com/x'] } });
    const events = collect(client.watch(kinds.ConfigMap, { resourceVersion: created.metadata.resourceVersion }), 2);
    const deleting = await client.delete(kinds.ConfigMap, { name: 'f' });
    const finished = await client.patch(kinds.ConfigMap, { name: 'f' }, { metadata: { finalizers: [] } });
    await expect(client.get(kinds.ConfigMap, { name: 'f' })).rejects.toBeInstanceOf(NotFoundError);
    const seen = await events;
    expect(seen.map((e) => e.type)).toEqual(['MODIFIED', 'DELETED']);
    const deleted = seen[1]?.object as kinds.ConfigMap;
    // As in Kubernetes (errEmptiedFinalizers): the update is never stored, the delete carries the
    // last stored state, at the revision of the delete.
    expect(deleted.metadata.finalizers).toEqual(['example.com/x']);
    expect(deleted.metadata.deletionTimestamp).toBe(deleting.metadata.deletionTimestamp);
    expect(Number(deleted.metadata.resourceVersion)).toBeGreaterThan(Number(deleting.metadata.resourceVersion));
    // The update answers with what it asked for, at the revision of the delete.
    expect(finished.metadata.finalizers ?? []).toEqual([]);
    expect(finished.metadata.resourceVersion).toBe(deleted.metadata.resourceVersion);
  });

  it('adds the orphan or foregroundDeletion finalizer for the propagation policy', async () => {
    const { client } = await setup();
    for (const name of ['a', 'b', 'c']) await client.create(kinds.ReplicaSet, deployment(name));
    const orphaned = await client.delete(kinds.ReplicaSet, { name: 'a' }, { propagationPolicy: 'Orphan' });
    expect(orphaned.metadata.finalizers).toEqual(['orphan']);
    const fg = await client.delete(kinds.ReplicaSet, { name: 'b' }, { propagationPolicy: 'Foreground' });
    expect(fg.metadata.finalizers).toEqual(['foregroundDeletion']);
    expect(fg.metadata.deletionTimestamp).toBeDefined();
    await client.delete(kinds.ReplicaSet, { name: 'c' }, { propagationPolicy: 'Background' });
    await expect(client.get(kinds.ReplicaSet, { name: 'c' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('deletes a pod bound to a node gracefully; a zero grace period finishes it', async () => {
    const { client } = await setup();
    await client.create(kinds.Pod, pod('unbound'));
    await client.delete(kinds.Pod, { name: 'unbound' });
    await expect(client.get(kinds.Pod, { name: 'unbound' })).rejects.toBeInstanceOf(NotFoundError);

    await client.create(kinds.Pod, pod('bound', { nodeName: 'node-1' }));
    const terminating = await client.delete(kinds.Pod, { name: 'bound' });
    expect(terminating.metadata.deletionGracePeriodSeconds).toBe(30);
    expect(terminating.metadata.deletionTimestamp).toBe('2026-11-25T12:00:30Z');
    const shorter = await client.delete(kinds.Pod, { name: 'bound' }, { gracePeriodSeconds: 5 });
    expect(shorter.metadata.deletionGracePeriodSeconds).toBe(5);
    await client.delete(kinds.Pod, { name: 'bound' }, { gracePeriodSeconds: 0 });
    await expect(client.get(kinds.Pod, { name: 'bound' })).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('list', () => {
  async function seed() {
    const env = await setup();
    const { client } = env;
    await client.create(kinds.Namespace, { metadata: { name: 'other' } });
    await client.create(kinds.Pod, pod('web-1', { labels: { app: 'web', env: 'prod' }, nodeName: 'n1' }));
    await client.create(kinds.Pod, pod('web-2', { labels: { app: 'web', env: 'stage' }, nodeName: 'n2' }));
    await client.create(kinds.Pod, pod('db-1', { labels: { app: 'db', env: 'prod' }, nodeName: 'n1' }));
    await client.create(kinds.Pod, pod('web-3', { labels: { app: 'web', env: 'prod' }, namespace: 'other' }));
    return env;
  }
  const names = (l: { items: { metadata: { name?: string | undefined } }[] }) => l.items.map((p) => p.metadata.name);

  it('filters by namespace, equality and set-based label selectors', async () => {
    const { client } = await seed();
    expect(names(await client.list(kinds.Pod))).toEqual(['db-1', 'web-1', 'web-2', 'web-3']);
    expect(names(await client.list(kinds.Pod, { namespace: 'default' }))).toEqual(['db-1', 'web-1', 'web-2']);
    expect(names(await client.list(kinds.Pod, { labelSelector: 'app=web,env!=stage' }))).toEqual(['web-1', 'web-3']);
    expect(names(await client.list(kinds.Pod, { labelSelector: 'env in (prod),app notin (db)' }))).toEqual(['web-1', 'web-3']);
    expect(names(await client.list(kinds.Pod, { labelSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['db'] }] } }))).toEqual(['db-1']);
    expect(names(await client.list(kinds.Pod, { labelSelector: '!env' }))).toEqual([]);
  });

  it('filters by field selectors and refuses unsupported fields', async () => {
    const { client } = await seed();
    expect(names(await client.list(kinds.Pod, { fieldSelector: 'spec.nodeName=n1' }))).toEqual(['db-1', 'web-1']);
    expect(names(await client.list(kinds.Pod, { fieldSelector: 'metadata.name=web-2' }))).toEqual(['web-2']);
    expect(names(await client.list(kinds.Pod, { fieldSelector: 'metadata.namespace!=default' }))).toEqual(['web-3']);
    expect(names(await client.list(kinds.Pod, { fieldSelector: 'status.phase=Pending,spec.nodeName=' }))).toEqual(['web-3']);
    await expect(client.list(kinds.Pod, { fieldSelector: 'spec.hostname=x' })).rejects.toThrow('field label not supported: spec.hostname');
    await expect(client.list(kinds.Pod, { labelSelector: 'app in (' })).rejects.toBeInstanceOf(BadRequestError);
  });

  it('pages with limit and continue, all from one snapshot', async () => {
    const { client } = await setup();
    for (let i = 0; i < 10; i++) await client.create(kinds.ConfigMap, { metadata: { name: `cm-${i}` } });
    const first = await client.list(kinds.ConfigMap, { limit: 4 });
    expect(names(first)).toEqual(['cm-0', 'cm-1', 'cm-2', 'cm-3']);
    expect(first.metadata.remainingItemCount).toBe(6);
    // Changes after the first page do not show in later pages.
    await client.delete(kinds.ConfigMap, { name: 'cm-5' });
    await client.create(kinds.ConfigMap, { metadata: { name: 'cm-55' } });
    const second = await client.list(kinds.ConfigMap, { limit: 4, continue: first.metadata.continue });
    expect(names(second)).toEqual(['cm-4', 'cm-5', 'cm-6', 'cm-7']);
    expect(second.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    const third = await client.list(kinds.ConfigMap, { limit: 4, continue: second.metadata.continue });
    expect(names(third)).toEqual(['cm-8', 'cm-9']);
    expect(third.metadata.continue).toBeUndefined();
  });

  it('fills a page through a selector', async () => {
    const { client } = await setup();
    for (let i = 0; i < 20; i++) await client.create(kinds.ConfigMap, { metadata: { name: `cm-${String(i).padStart(2, '0')}`, labels: { even: String(i % 2 === 0) } } });
    const page = await client.list(kinds.ConfigMap, { limit: 3, labelSelector: 'even=true' });
    expect(names(page)).toEqual(['cm-00', 'cm-02', 'cm-04']);
    const rest = await client.list(kinds.ConfigMap, { labelSelector: 'even=true', continue: page.metadata.continue });
    expect(names(rest)).toEqual(['cm-06', 'cm-08', 'cm-10', 'cm-12', 'cm-14', 'cm-16', 'cm-18']);
  });

  it('answers 410 Gone for an expired continue token and a bad one with 400', async () => {
    const { client, store } = await setup();
    for (let i = 0; i < 5; i++) await client.create(kinds.ConfigMap, { metadata: { name: `cm-${i}` } });
    const first = await client.list(kinds.ConfigMap, { limit: 2 });
    await client.create(kinds.ConfigMap, { metadata: { name: 'late' } });
    await store.compact(await store.revision());
    await expect(client.list(kinds.ConfigMap, { limit: 2, continue: first.metadata.continue })).rejects.toBeInstanceOf(GoneError);
    await expect(client.list(kinds.ConfigMap, { continue: 'garbage' })).rejects.toBeInstanceOf(BadRequestError);
  });

  it('lists at an exact resourceVersion', async () => {
    const { client } = await setup();
    await client.create(kinds.ConfigMap, { metadata: { name: 'a' } });
    const at = (await client.list(kinds.ConfigMap)).metadata.resourceVersion;
    await client.create(kinds.ConfigMap, { metadata: { name: 'b' } });
    expect(names(await client.list(kinds.ConfigMap, { resourceVersion: at, resourceVersionMatch: 'Exact' }))).toEqual(['a']);
    expect(names(await client.list(kinds.ConfigMap, { resourceVersion: at }))).toEqual(['a', 'b']);
  });
});

describe('watch', () => {
  it('starts with ADDED for existing objects when no resourceVersion is given, then follows changes', async () => {
    const { client } = await setup();
    await client.create(kinds.ConfigMap, { metadata: { name: 'a' } });
    const events = collect(client.watch(kinds.ConfigMap, { namespace: 'default' }), 4);
    await new Promise((r) => setImmediate(r));
    const b = await client.create(kinds.ConfigMap, { metadata: { name: 'b' } });
    await client.update(kinds.ConfigMap, { ...b, data: { x: 'y' } });
    await client.delete(kinds.ConfigMap, { name: 'a' });
    const seen = await events;
    expect(seen.map((e) => `${e.type} ${e.object.metadata.name ?? ''}`)).toEqual(['ADDED a', 'ADDED b', 'MODIFIED b', 'DELETED a']);
  });

  it('from a resourceVersion delivers exactly the later changes', async () => {
    const { client } = await setup();
    const a = await client.create(kinds.ConfigMap, { metadata: { name: 'a' } });
    await client.create(kinds.ConfigMap, { metadata: { name: 'b' } });
    await client.create(kinds.ConfigMap, { metadata: { name: 'c' } });
    const seen = await collect(client.watch(kinds.ConfigMap, { resourceVersion: a.metadata.resourceVersion }), 2);
    expect(seen.map((e) => e.object.metadata.name)).toEqual(['b', 'c']);
  });

  it('sees an object that stops matching the selector as DELETED and one that starts matching as ADDED', async () => {
    const { client } = await setup();
    const start = (await client.list(kinds.ConfigMap)).metadata.resourceVersion;
    const events = collect(client.watch(kinds.ConfigMap, { resourceVersion: start, labelSelector: 'app=web' }), 4);
    const a = await client.create(kinds.ConfigMap, { metadata: { name: 'a', labels: { app: 'web' } } });
    const other = await client.create(kinds.ConfigMap, { metadata: { name: 'o', labels: { app: 'db' } } });
    const moved = await client.update(kinds.ConfigMap, { ...a, metadata: { ...a.metadata, labels: { app: 'db' } } });
    await client.update(kinds.ConfigMap, { ...other, metadata: { ...other.metadata, labels: { app: 'web' } } });
    await client.update(kinds.ConfigMap, { ...moved, data: { ignored: 'yes' } });
    await client.patch(kinds.ConfigMap, { name: 'o' }, { data: { k: 'v' } });
    const seen = await events;
    expect(seen.map((e) => `${e.type} ${e.object.metadata.name ?? ''}`)).toEqual(['ADDED a', 'DELETED a', 'ADDED o', 'MODIFIED o']);
    // As Kubernetes' watch cache sends it: the last state that matched, at the revision of the change.
    expect(seen[1]?.object.metadata.labels).toEqual({ app: 'web' });
    expect(seen[1]?.object.metadata.resourceVersion).toBe(moved.metadata.resourceVersion);
  });

  it('filters watches by field selector', async () => {
    const { client } = await setup();
    const start = (await client.list(kinds.Pod)).metadata.resourceVersion;
    const events = collect(client.watch(kinds.Pod, { resourceVersion: start, fieldSelector: 'spec.nodeName=n1' }), 1);
    await client.create(kinds.Pod, pod('x', { nodeName: 'n2' }));
    await client.create(kinds.Pod, pod('y', { nodeName: 'n1' }));
    expect((await events).map((e) => e.object.metadata.name)).toEqual(['y']);
  });

  it('sends BOOKMARKs on the clock, and the initial-events-end bookmark', async () => {
    const { client, clock } = await setup();
    await client.create(kinds.ConfigMap, { metadata: { name: 'a' } });
    const received: WatchEvent<kinds.ConfigMap>[] = [];
    const sub = client
      .watch(kinds.ConfigMap, { allowWatchBookmarks: true, sendInitialEvents: true, resourceVersion: '1' })
      .subscribe((e) => received.push(e));
    await clock.advance(0);
    expect(received.map((e) => e.type)).toEqual(['ADDED', 'BOOKMARK']);
    expect(received[1]?.object.metadata).toMatchObject({ annotations: { 'k8s.io/initial-events-end': 'true' } });
    await client.create(kinds.Namespace, { metadata: { name: 'unrelated' } });
    await clock.advance(1000);
    const bookmark = received.at(-1);
    expect(bookmark?.type).toBe('BOOKMARK');
    // The bookmark's revision covers the unrelated write: resuming from it skips nothing of ours.
    const nsRv = (await client.get(kinds.Namespace, { name: 'unrelated' })).metadata.resourceVersion;
    expect(Number(bookmark?.object.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(nsRv));
    sub.unsubscribe();
    expect(clock.pendingTimers).toBe(0);
  });

  it('fails with 410 Gone from a compacted revision', async () => {
    const { client, store } = await setup();
    await client.create(kinds.ConfigMap, { metadata: { name: 'a' } });
    await client.create(kinds.ConfigMap, { metadata: { name: 'b' } });
    await store.compact(await store.revision());
    const err = await firstValueFrom(client.watch(kinds.ConfigMap, { resourceVersion: '1' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GoneError);
    expect((err as GoneError).status).toBe(410);
    expect((err as GoneError).message).toMatch(/^too old resource version: 1 \(\d+\)$/);
  });

  it('completes on abort, on timeout, and on close', async () => {
    const { api, client, clock } = await setup();
    const ctrl = new AbortController();
    let done1 = false;
    client.watch(kinds.ConfigMap, { signal: ctrl.signal }).subscribe({ complete: () => (done1 = true) });
    let done2 = false;
    client.watch(kinds.ConfigMap, { timeoutSeconds: 10 }).subscribe({ complete: () => (done2 = true) });
    let done3 = false;
    client.watch(kinds.Pod).subscribe({ complete: () => (done3 = true) });
    await clock.advance(0);
    ctrl.abort();
    expect(done1).toBe(true);
    await clock.advance(9_999);
    expect(done2).toBe(false);
    await clock.advance(1);
    expect(done2).toBe(true);
    await api.close();
    expect(done3).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('admission', () => {
  it('runs mutating plugins before validating ones, and a refusal stores nothing', async () => {
    const { api, client, store } = await setup();
    const order: string[] = [];
    api.admission.add({
      name: 'AddTeam',
      mutate(req) {
        order.push('mutate');
        if (req.operation === 'CREATE') req.object.metadata.labels = { ...req.object.metadata.labels, team: 'core' };
      },
    });
    api.admission.add({
      name: 'NoProdInDefault',
      validate(req) {
        order.push('validate');
        expect(req.object.metadata.labels?.team).toBe('core');
        if (req.object.metadata.labels?.env === 'prod') throw new ForbiddenError('no prod objects here');
      },
    });
    const ok = await client.create(kinds.ConfigMap, { metadata: { name: 'ok' } });
    expect(ok.metadata.labels).toEqual({ team: 'core' });
    const before = await store.revision();
    await expect(client.create(kinds.ConfigMap, { metadata: { name: 'bad', labels: { env: 'prod' } } })).rejects.toBeInstanceOf(ForbiddenError);
    expect(await store.revision()).toBe(before);
    expect(order).toEqual(['mutate', 'validate', 'mutate', 'validate']);
    expect(() => api.admission.add({ name: 'AddTeam' })).toThrow(/registered already/);
  });

  it('validates what a mutating plugin produced', async () => {
    const { api, client } = await setup();
    api.admission.add({
      name: 'Broken',
      mutate(req) {
        (req.object as unknown as { data: unknown }).data = 42;
      },
    });
    await expect(client.create(kinds.ConfigMap, { metadata: { name: 'x' } })).rejects.toBeInstanceOf(InvalidError);
  });
});

describe('apply', () => {
  const manifest = (replicas: number, extra = '') => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: storefront
  labels:
    app: storefront${extra}
spec:
  replicas: ${replicas}
  selector:
    matchLabels:
      app: storefront
  template:
    metadata:
      labels:
        app: storefront
    spec:
      containers:
        - name: storefront
          image: acme/storefront:v2.1
---
apiVersion: v1
kind: Service
metadata:
  name: storefront
spec:
  selector:
    app: storefront
  ports:
    - port: 80
      targetPort: 8080
`;

  it('creates, then changes nothing when applied again', async () => {
    const { client, store } = await setup();
    const first = await client.apply(manifest(3));
    expect(first.map((r) => r.action)).toEqual(['created', 'created']);
    const rev = await store.revision();
    const second = await client.apply(manifest(3));
    expect(second.map((r) => r.action)).toEqual(['unchanged', 'unchanged']);
    expect(second[0]?.object.metadata.resourceVersion).toBe(first[0]?.object.metadata.resourceVersion);
    expect(await store.revision()).toBe(rev);
  });

  it('updates a changed field, removes a field dropped from the manifest, and keeps fields others set', async () => {
    const { client } = await setup();
    await client.apply(manifest(3, '\n    tier: front'));
    // Someone else sets a label and an annotation; apply must keep them.
    await client.patch(kinds.Deployment, { name: 'storefront' }, { metadata: { annotations: { 'other.io/owner': 'ops' } } });
    const r = await client.apply(manifest(5));
    expect(r.map((x) => x.action)).toEqual(['configured', 'unchanged']);
    const d = await client.get(kinds.Deployment, { name: 'storefront' });
    expect(d.spec.replicas).toBe(5);
    expect(d.metadata.labels).toEqual({ app: 'storefront' });
    expect(d.metadata.annotations?.['other.io/owner']).toBe('ops');
    expect(JSON.parse(d.metadata.annotations?.[LAST_APPLIED_ANNOTATION] ?? '{}')).toMatchObject({ spec: { replicas: 5 } });
    expect(d.metadata.generation).toBe(2);
  });

  it('accepts objects and refuses unknown kinds with the document index', async () => {
    const { client } = await setup();
    const res = await client.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: 'b' } });
    expect(res[0]?.action).toBe('created');
    await expect(client.apply('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n')).rejects.toThrow(
      /document 1 \(Widget "w"\)/,
    );
  });
});

describe('binding', () => {
  it('binds a pod to a node in one write: spec.nodeName and PodScheduled=True', async () => {
    const { client, store } = await setup();
    const p = await client.create(kinds.Pod, pod('web'));
    const before = await store.revision();
    const bound = await client.bind({ namespace: 'default', name: 'web' }, { nodeName: 'node-1', uid: p.metadata.uid });
    expect(await store.revision()).toBe(before + 1);
    expect(bound.spec.nodeName).toBe('node-1');
    expect(bound.status?.conditions?.find((c) => c.type === 'PodScheduled')).toMatchObject({ status: 'True', lastTransitionTime: '2026-11-25T12:00:00Z' });
    expect(bound.metadata.generation).toBe(p.metadata.generation);
  });

  it('refuses to bind a bound pod, a pod being deleted, another uid, or a bad node name', async () => {
    const { client } = await setup();
    await client.create(kinds.Pod, pod('a', { nodeName: 'node-1' }));
    await expect(client.bind({ name: 'a' }, { nodeName: 'node-2' })).rejects.toThrow('pod a is already assigned to node "node-1"');
    await client.create(kinds.Pod, { ...pod('b'), metadata: { name: 'b', namespace: 'default', finalizers: ['example.com/hold'] } });
    await client.delete(kinds.Pod, { name: 'b' });
    await expect(client.bind({ name: 'b' }, { nodeName: 'node-2' })).rejects.toBeInstanceOf(ConflictError);
    await client.create(kinds.Pod, pod('c'));
    await expect(client.bind({ name: 'c' }, { nodeName: 'node-2', uid: 'someone-else' })).rejects.toBeInstanceOf(ConflictError);
    await expect(client.bind({ name: 'c' }, { nodeName: 'Not A Node' })).rejects.toBeInstanceOf(InvalidError);
    await expect(client.bind({ name: 'missing' }, { nodeName: 'node-2' })).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('null-valued fields, as Go decodes them', () => {
  // `kubectl create deployment web --image=nginx --dry-run=client -o yaml`
  const dryRunDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  creationTimestamp: null
  labels:
    app: web
  name: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  strategy: {}
  template:
    metadata:
      creationTimestamp: null
      labels:
        app: web
    spec:
      containers:
      - image: nginx
        name: nginx
        resources: {}
status: {}
`;

  it('applies kubectl dry-run output twice: created, then unchanged, at generation 1', async () => {
    const { client, store } = await setup();
    const [first] = await client.apply(dryRunDeployment);
    expect(first?.action).toBe('created');
    expect(first?.object.metadata.generation).toBe(1);
    const stored = await client.get(kinds.Deployment, { name: 'web' });
    expect(stored.spec.template.metadata).toEqual({ labels: { app: 'web' } });
    const revision = await store.revision();
    const [second] = await client.apply(dryRunDeployment);
    expect(second?.action).toBe('unchanged');
    expect(second?.object.metadata.resourceVersion).toBe(first?.object.metadata.resourceVersion);
    expect(second?.object.metadata.generation).toBe(1);
    expect(await store.revision()).toBe(revision);
  });

  it('applies an Event with eventTime: null twice, unchanged the second time', async () => {
    const { client, store } = await setup();
    const event = `apiVersion: v1
kind: Event
metadata:
  name: web.187b3d9d8e0f6a21
  namespace: default
count: 1
eventTime: null
firstTimestamp: "2026-11-25T11:59:00Z"
lastTimestamp: "2026-11-25T11:59:00Z"
involvedObject:
  apiVersion: v1
  kind: Pod
  name: web
  namespace: default
reason: Scheduled
message: Successfully assigned default/web to node-1
source:
  component: default-scheduler
type: Normal
`;
    const [first] = await client.apply(event);
    expect(first?.action).toBe('created');
    expect('eventTime' in (first?.object ?? {})).toBe(false);
    const revision = await store.revision();
    const [second] = await client.apply(event);
    expect(second?.action).toBe('unchanged');
    expect(second?.object.metadata.resourceVersion).toBe(first?.object.metadata.resourceVersion);
    expect(await store.revision()).toBe(revision);
  });

  it('reads labels: null and annotations: null as absent, on create, update and patch', async () => {
    const { client } = await setup();
    const input = { metadata: { name: 'a', labels: null, annotations: null }, data: { k: 'v' } } as unknown as kinds.ConfigMap;
    const created = await client.create(kinds.ConfigMap, input);
    expect(created.metadata.labels).toBeUndefined();
    expect(created.metadata.annotations).toBeUndefined();
    const updated = await client.update(kinds.ConfigMap, { ...created, metadata: { ...created.metadata, labels: null }, data: { k: 'w' } } as unknown as kinds.ConfigMap);
    expect(updated.data).toEqual({ k: 'w' });
    expect(updated.metadata.labels).toBeUndefined();
    // In a merge patch null still means delete.
    await client.patch(kinds.ConfigMap, { name: 'a' }, { metadata: { labels: { x: '1' } } });
    const patched = await client.patch(kinds.ConfigMap, { name: 'a' }, { metadata: { labels: null }, data: { k: null } });
    expect(patched.metadata.labels).toBeUndefined();
    expect(patched.data ?? {}).toEqual({});
  });
});

describe('admission order, as in Kubernetes', () => {
  it('runs mutating admission before the kind prepares the object: qosClass sees the mutation, status is reset', async () => {
    const { api, client } = await setup();
    api.admission.add({
      name: 'GuaranteedResources',
      mutate(req) {
        if (req.operation !== 'CREATE' || req.kind.kind !== 'Pod') return;
        for (const c of (req.object as kinds.Pod).spec.containers) {
          c.resources = { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '100m', memory: '64Mi' } };
        }
      },
    });
    api.admission.add({
      name: 'FakeStatus',
      mutate(req) {
        if (req.kind.kind === 'Deployment' && req.subresource === undefined) (req.object as kinds.Deployment).status = { replicas: 42 };
      },
    });
    const p = await client.create(kinds.Pod, pod('web'));
    expect(p.status?.qosClass).toBe('Guaranteed');
    expect(p.status?.phase).toBe('Pending');
    const d = await client.create(kinds.Deployment, deployment('web'));
    expect(d.status).toBeUndefined();
    const scaled = await client.update(kinds.Deployment, { ...d, spec: { ...d.spec, replicas: 5 } });
    expect(scaled.status).toBeUndefined();
    expect(scaled.metadata.generation).toBe(2);
  });

  it('lets a mutating plugin see the object before system fields are set, and validates its result', async () => {
    const { api, client } = await setup();
    const seen: { uid?: string | undefined; name?: string | undefined }[] = [];
    api.admission.add({
      name: 'Observe',
      mutate(req) {
        if (req.operation === 'CREATE') seen.push({ uid: req.object.metadata.uid, name: req.object.metadata.name });
      },
    });
    const cm = await client.create(kinds.ConfigMap, { metadata: { generateName: 'settings-' } });
    expect(seen).toEqual([{ uid: undefined, name: undefined }]);
    expect(cm.metadata.name).toMatch(/^settings-/);
  });
});

describe('resourceVersion of writes', () => {
  it('treats an empty resourceVersion as unconditional on update, updateStatus and patch', async () => {
    const { client } = await setup();
    const a = await client.create(kinds.ConfigMap, { metadata: { name: 'a' }, data: { v: '1' } });
    await client.update(kinds.ConfigMap, { ...a, data: { v: '2' } });
    const updated = await client.update(kinds.ConfigMap, { ...a, metadata: { ...a.metadata, resourceVersion: '' }, data: { v: '3' } });
    expect(updated.data).toEqual({ v: '3' });
    const patched = await client.patch(kinds.ConfigMap, { name: 'a' }, { metadata: { resourceVersion: '' }, data: { w: '1' } });
    expect(patched.data).toEqual({ v: '3', w: '1' });
    const d = await client.create(kinds.Deployment, deployment('web'));
    await client.update(kinds.Deployment, { ...d, spec: { ...d.spec, replicas: 4 } });
    const status = await client.updateStatus(kinds.Deployment, { ...d, metadata: { ...d.metadata, resourceVersion: '' }, status: { replicas: 1 } });
    expect(status.status?.replicas).toBe(1);
    expect(status.spec.replicas).toBe(4);
    // A stale non-empty one is still a conflict.
    await expect(client.update(kinds.ConfigMap, { ...a, data: { v: '4' } })).rejects.toBeInstanceOf(ConflictError);
  });

  it('returns a deleted object at the revision of the delete, the one its DELETED event carries', async () => {
    const { client, store } = await setup();
    const a = await client.create(kinds.ConfigMap, { metadata: { name: 'a' } });
    await client.create(kinds.ConfigMap, { metadata: { name: 'b' } });
    const events = collect(client.watch(kinds.ConfigMap, { resourceVersion: a.metadata.resourceVersion }), 2);
    const deleted = await client.delete(kinds.ConfigMap, { name: 'a' });
    expect(deleted.metadata.uid).toBe(a.metadata.uid);
    expect(deleted.metadata.resourceVersion).toBe(String(await store.revision()));
    const seen = await events;
    expect(seen[1]?.type).toBe('DELETED');
    expect(seen[1]?.object.metadata.resourceVersion).toBe(deleted.metadata.resourceVersion);
  });

  it('answers a delete, and an update that removes the last finalizer, at the revision of the delete while others write right after it', async () => {
    const { client, store } = await setup();
    const a = await client.create(kinds.ConfigMap, { metadata: { name: 'a' } });
    await client.create(kinds.ConfigMap, { metadata: { name: 'b' } });
    await client.create(kinds.ConfigMap, { metadata: { name: 'f', finalizers: ['example.com/x'] } });
    // Another writer reacts to every delete at once: the memory store notifies watchers inside the
    // write, so its writes land before the API server hears back from the store.
    let others = 0;
    const otherWriter = store.watch('/registry/', await store.revision()).subscribe((event) => {
      if (event.type !== 'deleted') return;
      for (let i = 0; i < 3; i++) void store.create(`/other/${++others}`, {});
    });
    try {
      const events = collect(client.watch(kinds.ConfigMap, { resourceVersion: a.metadata.resourceVersion }), 5);
      const deleted = await client.delete(kinds.ConfigMap, { name: 'a' });
      await client.delete(kinds.ConfigMap, { name: 'f' });
      const finished = await client.patch(kinds.ConfigMap, { name: 'f' }, { metadata: { finalizers: null } });
      const seen = (await events).filter((e) => e.type === 'DELETED');
      expect(seen.map((e) => `${e.object.metadata.name ?? ''} ${e.object.metadata.resourceVersion ?? ''}`)).toEqual([
        `a ${deleted.metadata.resourceVersion ?? ''}`,
        `f ${finished.metadata.resourceVersion ?? ''}`,
      ]);
      expect(others).toBe(6);
      expect(Number(deleted.metadata.resourceVersion)).toBeLessThan(Number(finished.metadata.resourceVersion) - 3);
      expect(Number(finished.metadata.resourceVersion)).toBe((await store.revision()) - 3);
    } finally {
      otherWriter.unsubscribe();
    }
  });
});

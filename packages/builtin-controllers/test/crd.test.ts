/**
 * The CRD controller with the CronTab of the Kubernetes documentation ("Extend the Kubernetes API
 * with CustomResourceDefinitions": its validation, defaulting, pruning, subresources and
 * multiple-versions examples), on a fake clock.
 */
import { isApiError, kinds, type InvalidError } from '@harbormaster/core';
import { createTestEnv, type TestEnv } from '@harbormaster/core/testing';
import { memoryStore } from '@harbormaster/store-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { setupCrdController, type CustomResourceDefinitionReconciler, type CustomResourceKindDefinition } from '../src/crd/index.js';
import { setupHpaController, staticMetricsSource } from '../src/hpa/index.js';

const CRD_NAME = 'crontabs.stable.example.com';

/** The documentation's CronTab with its validation, defaulting and subresources sections. */
const crontabCrd = (versions = v1Only): string => `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  scope: Namespaced
  names:
    plural: crontabs
    singular: crontab
    kind: CronTab
    shortNames:
    - ct
  versions:
${versions}`;

const schema = `
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              cronSpec:
                type: string
                pattern: '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$'
                default: "5 0 * * *"
              image:
                type: string
              replicas:
                type: integer
                minimum: 1
                maximum: 10
                default: 1
          status:
            type: object
            properties:
              replicas:
                type: integer
              labelSelector:
                type: string`;

const subresources = `
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.replicas
        statusReplicasPath: .status.replicas
        labelSelectorPath: .status.labelSelector
    additionalPrinterColumns:
    - name: Spec
      type: string
      description: The cron spec defining the interval a CronJob is run
      jsonPath: .spec.cronSpec
    - name: Replicas
      type: integer
      jsonPath: .spec.replicas`;

const v1Only = `  - name: v1
    served: true
    storage: true${schema}${subresources}`;

const twoVersions = `  - name: v1beta1
    served: true
    storage: false${schema}
  - name: v1
    served: true
    storage: true${schema}${subresources}`;

let env: TestEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

async function start(): Promise<{ env: TestEnv; crds: CustomResourceDefinitionReconciler }> {
  env = await createTestEnv({ store: memoryStore() });
  const crds = setupCrdController(env.manager, { api: env.api });
  await env.start();
  return { env, crds };
}

async function established(e: TestEnv, name = CRD_NAME): Promise<kinds.CustomResourceDefinition> {
  return e.eventually(async () => {
    const crd = await e.client.get(kinds.CustomResourceDefinition, { name });
    return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? crd : undefined;
  });
}

function kindOf(crds: CustomResourceDefinitionReconciler, version: string, crd = CRD_NAME): CustomResourceKindDefinition {
  const kind = crds.kindsOf(crd).find((k) => k.version === version);
  if (kind === undefined) throw new Error(`${crd} does not serve ${version}`);
  return kind;
}

async function invalidError(p: Promise<unknown>): Promise<InvalidError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isApiError(e, 'Invalid')) throw new Error(`expected an InvalidError, got ${String(e)}`);
  return e as InvalidError;
}

describe('CustomResourceDefinition controller', () => {
  it('serves the CronTab of the documentation once established, with names, conditions, finalizer and printer columns', async () => {
    const { env: e, crds } = await start();
    await e.client.apply(crontabCrd());
    const crd = await established(e);
    expect(crd.metadata.finalizers).toEqual(['customresourcecleanup.apiextensions.k8s.io']);
    expect(crd.status?.acceptedNames).toEqual({ plural: 'crontabs', singular: 'crontab', shortNames: ['ct'], kind: 'CronTab', listKind: 'CronTabList' });
    expect(crd.status?.storedVersions).toEqual(['v1']);
    expect(crd.status?.conditions?.map((c) => [c.type, c.status, c.reason, c.message])).toEqual([
      ['NamesAccepted', 'True', 'NoConflicts', 'no conflicts found'],
      ['Established', 'True', 'InitialNamesAccepted', 'the initial names have been accepted'],
    ]);

    const CronTab = kindOf(crds, 'v1');
    expect(e.api.registry.get('stable.example.com/v1', 'CronTab')).toBe(CronTab);
    expect(CronTab).toMatchObject({ plural: 'crontabs', singular: 'crontab', shortNames: ['ct'], namespaced: true, listKind: 'CronTabList' });
    expect(CronTab.subresources).toEqual({
      status: true,
      scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.labelSelector' },
    });
    expect(CronTab.additionalPrinterColumns.map((c) => c.name)).toEqual(['Spec', 'Replicas']);

    // The documentation's object, applied as YAML.
    await e.client.apply(`
apiVersion: "stable.example.com/v1"
kind: CronTab
metadata:
  name: my-new-cron-object
spec:
  cronSpec: "* * * * */5"
  image: my-awesome-cron-image
`);
    const got = await e.client.get(CronTab, { namespace: 'default', name: 'my-new-cron-object' });
    expect(got.spec).toEqual({ cronSpec: '* * * * */5', image: 'my-awesome-cron-image', replicas: 1 }); // replicas defaulted
    expect(got.metadata.generation).toBe(1);
    const list = await e.client.list(CronTab, { namespace: 'default' });
    expect(list.kind).toBe('CronTabList');
    expect(list.items.map((i) => i.metadata.name)).toEqual(['my-new-cron-object']);
  });

  it('validates against the schema: an InvalidError names each field', async () => {
    const { env: e, crds } = await start();
    await e.client.apply(crontabCrd());
    await established(e);
    const CronTab = kindOf(crds, 'v1');
    const err = await invalidError(
      e.client.create(CronTab, { metadata: { name: 'bad' }, spec: { cronSpec: '* * * *', image: 'my-awesome-cron-image', replicas: 15 } }),
    );
    expect(err.causes).toEqual([
      {
        field: 'spec.cronSpec',
        message: `Invalid value: "* * * *": spec.cronSpec in body should match '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$'`,
        type: 'FieldValueInvalid',
      },
      { field: 'spec.replicas', message: 'Invalid value: 15: spec.replicas in body should be less than or equal to 10', type: 'FieldValueInvalid' },
    ]);
    // The API server's wording (kubectl prints it as `The CronTab "bad" is invalid: [...]`).
    expect(err.message).toMatch(/^CronTab\.stable\.example\.com "bad" is invalid: \[spec\.cronSpec: .*, spec\.replicas: /);

    const typed = await invalidError(e.client.create(CronTab, { metadata: { name: 'bad' }, spec: { image: 42, replicas: 'three' } }));
    expect(typed.causes.map((c) => `${c.field}: ${c.message}`)).toEqual([
      'spec.image: Invalid value: "integer": spec.image in body must be of type string: "integer"',
      'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
    ]);
    // Metadata is checked as for every kind.
    const meta = await invalidError(e.client.create(CronTab, { metadata: { name: 'Not_A_Name' }, spec: {} }));
    expect(meta.causes[0]?.field).toBe('metadata.name');
  });

  it('applies defaults and prunes unknown fields, keeping what x-kubernetes-preserve-unknown-fields preserves', async () => {
    const { env: e, crds } = await start();
    await e.client.apply(
      crontabCrd().replace(
        `              replicas:
                type: integer`,
        `              extra:
                type: object
                x-kubernetes-preserve-unknown-fields: true
              note:
                type: string
                nullable: true
              owner:
                type: string
              replicas:
                type: integer`,
      ),
    );
    await established(e);
    const CronTab = kindOf(crds, 'v1');
    const created = await e.client.create(CronTab, {
      metadata: { name: 'pruned', namespace: 'default', annotations: { note: 'kept' } },
      // A null stays where the schema says nullable, is defaulted where there is a default, and
      // is dropped elsewhere.
      spec: { image: 'img', someRandomField: 42, extra: { anything: { goes: true } }, note: null, owner: null, replicas: null },
      topLevel: 'dropped',
    });
    expect(created.spec).toEqual({ cronSpec: '5 0 * * *', image: 'img', replicas: 1, extra: { anything: { goes: true } }, note: null });
    expect(created['topLevel']).toBeUndefined();
    expect(created.metadata.annotations).toEqual({ note: 'kept' });
  });

  it('serves the status subresource: status only through updateStatus, generation only for spec changes', async () => {
    const { env: e, crds } = await start();
    await e.client.apply(crontabCrd());
    await established(e);
    const CronTab = kindOf(crds, 'v1');
    const created = await e.client.create(CronTab, { metadata: { name: 'web' }, spec: { image: 'img' }, status: { replicas: 5 } });
    expect(created.status).toBeUndefined(); // dropped on create
    const withStatus = await e.client.updateStatus(CronTab, { ...created, status: { replicas: 2, labelSelector: 'app=web' } });
    expect(withStatus.status).toEqual({ replicas: 2, labelSelector: 'app=web' });
    expect(withStatus.metadata.generation).toBe(1);
    const updated = await e.client.update(CronTab, { ...withStatus, spec: { image: 'img2' }, status: { replicas: 9 } });
    expect(updated.status).toEqual({ replicas: 2, labelSelector: 'app=web' }); // ignored by a main update
    expect(updated.metadata.generation).toBe(2);
    expect(updated.spec).toEqual({ cronSpec: '5 0 * * *', image: 'img2', replicas: 1 });
    const invalidStatus = await invalidError(e.client.updateStatus(CronTab, { ...updated, status: { replicas: 'two' } }));
    expect(invalidStatus.causes[0]?.field).toBe('status.replicas');
  });

  it('serves the scale subresource to the HPA controller', async () => {
    env = await createTestEnv({ store: memoryStore() });
    const e = env;
    const crds = setupCrdController(e.manager, { api: e.api });
    const metrics = staticMetricsSource({ clock: e.clock });
    setupHpaController(e.manager, { metrics, kinds: e.api.registry });
    await e.start();
    await e.client.apply(crontabCrd());
    await established(e);
    const CronTab = kindOf(crds, 'v1');
    const tab = await e.client.create(CronTab, { metadata: { name: 'web' }, spec: { image: 'img', replicas: 2 } });
    await e.client.updateStatus(CronTab, { ...tab, status: { replicas: 2, labelSelector: 'app=crontab-web' } });
    for (const name of ['web-a', 'web-b']) {
      const pod = await e.client.create(kinds.Pod, {
        metadata: { name, labels: { app: 'crontab-web' } },
        spec: { containers: [{ name: 'c', image: 'img', resources: { requests: { cpu: '100m' } } }] },
      });
      pod.status = { phase: 'Running', startTime: '2025-12-31T00:00:00Z', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2025-12-31T00:00:00Z' }] };
      await e.client.updateStatus(kinds.Pod, pod);
      metrics.setPodMetric({ pod: name, metric: 'cpu', value: '200m' });
    }
    await e.client.create(kinds.HorizontalPodAutoscaler, {
      metadata: { name: 'web' },
      spec: {
        scaleTargetRef: { apiVersion: 'stable.example.com/v1', kind: 'CronTab', name: 'web' },
        maxReplicas: 10,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
      },
    });
    // 200% of a 50% target on 2 pods: 8, limited (no spec.behavior) to max(2 × 2, 4) = 4 per sync.
    await e.eventually(async () => expect((await e.client.get(CronTab, { namespace: 'default', name: 'web' })).spec).toMatchObject({ replicas: 4 }));
    // The schema still applies to what the HPA writes: 4 is within 1..10.
  });

  it('serves every served version from one storage location, stored in the storage version', async () => {
    const { env: e, crds } = await start();
    await e.client.apply(crontabCrd(twoVersions));
    const crd = await established(e);
    expect(crd.status?.storedVersions).toEqual(['v1']);
    const beta = kindOf(crds, 'v1beta1');
    const v1 = kindOf(crds, 'v1');
    expect(beta.subresources).toEqual({}); // subresources are per version
    expect(beta.storageVersion).toBe('v1');

    // Objects are stored once, in the storage version, and each version reads them as its own.
    const created = await e.client.create(beta, { metadata: { name: 'from-beta' }, spec: { image: 'img' } });
    expect(created.apiVersion).toBe('stable.example.com/v1beta1');
    const stored = await e.store.get('/registry/stable.example.com/crontabs/default/from-beta');
    expect(stored?.value).toMatchObject({ apiVersion: 'stable.example.com/v1', spec: { image: 'img', replicas: 1 } });
    await e.client.create(v1, { metadata: { name: 'from-v1' }, spec: { image: 'img' } });
    for (const kind of [beta, v1]) {
      const items = (await e.client.list(kind)).items;
      expect(items.map((i) => i.metadata.name).sort()).toEqual(['from-beta', 'from-v1']);
      expect(new Set(items.map((i) => i.apiVersion))).toEqual(new Set([kind.apiVersion]));
    }
    expect((await e.client.get(v1, { namespace: 'default', name: 'from-beta' })).apiVersion).toBe('stable.example.com/v1');
    // A write through v1beta1 names v1beta1, is stored as v1, and a patch through it works too.
    const again = await e.client.update(beta, { ...(await e.client.get(beta, { namespace: 'default', name: 'from-v1' })), spec: { image: 'img2' } });
    expect(again).toMatchObject({ apiVersion: 'stable.example.com/v1beta1', spec: { image: 'img2' }, metadata: { generation: 2 } });
    const patched = await e.client.patch(beta, { namespace: 'default', name: 'from-v1' }, { spec: { image: 'img3' } });
    expect(patched).toMatchObject({ apiVersion: 'stable.example.com/v1beta1', spec: { image: 'img3' } });
    expect((await e.store.get('/registry/stable.example.com/crontabs/default/from-v1'))?.value).toMatchObject({ apiVersion: 'stable.example.com/v1', spec: { image: 'img3' } });

    // Serving stops for a version marked served: false.
    const current = await e.client.get(kinds.CustomResourceDefinition, { name: CRD_NAME });
    current.spec.versions = current.spec.versions.map((v) => (v.name === 'v1beta1' ? { ...v, served: false } : v));
    await e.client.update(kinds.CustomResourceDefinition, current);
    await e.eventually(() => e.api.registry.get('stable.example.com/v1beta1', 'CronTab') === undefined);
    expect(e.api.registry.get('stable.example.com/v1', 'CronTab')).toBeDefined();
  });

  it('refuses a CRD whose schema is not structural, or whose defaults are invalid', async () => {
    const { env: e } = await start();
    const nonStructural = await invalidError(e.client.apply(crontabCrd().replace('              image:\n                type: string', '              image: {}')));
    expect(nonStructural.causes).toEqual([
      {
        field: 'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[image].type',
        message: 'Required value: must not be empty for specified object fields',
        type: 'FieldValueRequired',
      },
    ]);
    const badDefault = await invalidError(e.client.apply(crontabCrd().replace('default: 1', 'default: 20')));
    expect(badDefault.causes).toEqual([
      {
        field: 'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[replicas].default',
        message:
          'Invalid value: 20: spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[replicas].default in body should be less than or equal to 10',
        type: 'FieldValueInvalid',
      },
    ]);
    await expect(e.client.get(kinds.CustomResourceDefinition, { name: CRD_NAME })).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('does not accept names another CRD of the group has', async () => {
    const { env: e } = await start();
    await e.client.apply(crontabCrd());
    await established(e);
    await e.client.apply(
      crontabCrd()
        .replace('name: crontabs.stable.example.com', 'name: crontabs2.stable.example.com')
        .replace('plural: crontabs', 'plural: crontabs2')
        .replace('singular: crontab', 'singular: crontab2')
        .replace('- ct', '- ct2'),
    );
    const other = await e.eventually(async () => {
      const crd = await e.client.get(kinds.CustomResourceDefinition, { name: 'crontabs2.stable.example.com' });
      return crd.status?.conditions?.length === 2 ? crd : undefined;
    });
    expect(other.status?.conditions?.map((c) => [c.type, c.status, c.reason, c.message])).toEqual([
      ['NamesAccepted', 'False', 'KindConflict', '"CronTab" is already in use'],
      ['Established', 'False', 'NotAccepted', 'not all names are accepted'],
    ]);
  });

  it('deletes the custom resources with the CRD (waiting for their finalizers), then stops serving the kind', async () => {
    const { env: e, crds } = await start();
    await e.client.apply(crontabCrd());
    await established(e);
    const CronTab = kindOf(crds, 'v1');
    await e.client.create(kinds.Namespace, { metadata: { name: 'team' } });
    await e.client.create(CronTab, { metadata: { name: 'a' }, spec: { image: 'img' } });
    await e.client.create(CronTab, { metadata: { name: 'b', namespace: 'team', finalizers: ['example.com/hold'] }, spec: { image: 'img' } });

    await e.client.delete(kinds.CustomResourceDefinition, { name: CRD_NAME });
    const terminating = await e.eventually(async () => {
      const crd = await e.client.get(kinds.CustomResourceDefinition, { name: CRD_NAME });
      return crd.status?.conditions?.find((c) => c.type === 'Terminating' && c.reason === 'InstanceDeletionCheck') ? crd : undefined;
    });
    expect(terminating.metadata.deletionTimestamp).toBeDefined();
    expect(terminating.status?.conditions?.find((c) => c.type === 'Terminating')?.message).toBe(
      'could not confirm zero CustomResources remaining: 1 remaining',
    );
    await expect(e.client.get(CronTab, { namespace: 'default', name: 'a' })).rejects.toMatchObject({ code: 'NotFound' });
    // No new custom resources while the CRD is terminating.
    await expect(e.client.create(CronTab, { metadata: { name: 'c' }, spec: { image: 'img' } })).rejects.toMatchObject({ code: 'MethodNotAllowed' });

    // The last custom resource lets go: the CRD goes, and its kind with it.
    await e.client.patch(CronTab, { namespace: 'team', name: 'b' }, { metadata: { finalizers: null } });
    await e.eventually(async () => {
      await expect(e.client.get(kinds.CustomResourceDefinition, { name: CRD_NAME })).rejects.toMatchObject({ code: 'NotFound' });
      return true;
    });
    expect(e.api.registry.get('stable.example.com/v1', 'CronTab')).toBeUndefined();
    expect(crds.kindsOf(CRD_NAME)).toEqual([]);
    expect((await e.store.list('/registry/stable.example.com/crontabs/')).items).toEqual([]);
    await expect(e.client.list(CronTab)).rejects.toMatchObject({ code: 'BadRequest' });
  });

  it('serves cluster-scoped kinds, and a re-created CRD serves again', async () => {
    const { env: e, crds } = await start();
    const cluster = crontabCrd().replace('scope: Namespaced', 'scope: Cluster');
    await e.client.apply(cluster);
    await established(e);
    const CronTab = kindOf(crds, 'v1');
    expect(CronTab.namespaced).toBe(false);
    const created = await e.client.create(CronTab, { metadata: { name: 'global' }, spec: { image: 'img' } });
    expect(created.metadata.namespace).toBeUndefined();
    expect(await e.store.get('/registry/stable.example.com/crontabs/global')).toBeDefined();
    await e.client.delete(kinds.CustomResourceDefinition, { name: CRD_NAME });
    await e.eventually(() => e.api.registry.get('stable.example.com/v1', 'CronTab') === undefined);
    await e.eventually(async () => (await e.client.list(kinds.CustomResourceDefinition)).items.length === 0);
    await e.client.apply(cluster);
    await established(e);
    expect((await e.client.list(kindOf(crds, 'v1'))).items).toEqual([]);
  });
});

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RequestEntityTooLargeError } from '../errors.js';
import { loadManifests, ManifestError } from './load-manifests.js';

const sharedDir = fileURLToPath(new URL('../../../../examples/manifests/', import.meta.url));

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

const seedDir = fileURLToPath(new URL('../../../../../shared/manifests/', import.meta.url));

describe('the seed manifests kept in examples/manifests', () => {
  it('are the shared ones, byte for byte, whenever the shared folder is next to the checkout', () => {
    const ours = readdirSync(sharedDir).filter((f) => f.endsWith('.yaml')).sort();
    expect(ours).toEqual(['payments-api.yaml', 'storefront-hpa.yaml', 'storefront.yaml']);
    if (!existsSync(seedDir)) return;
    expect(readdirSync(seedDir).filter((f) => f.endsWith('.yaml')).sort()).toEqual(ours);
    for (const f of ours) expect(readFileSync(sharedDir + f, 'utf8')).toBe(readFileSync(seedDir + f, 'utf8'));
  });
});

describe('loadManifests', () => {
  it.each(readdirSync(sharedDir).filter((f) => f.endsWith('.yaml')))('loads the shared manifest %s unchanged', (file) => {
    const text = readFileSync(sharedDir + file, 'utf8');
    const objects = loadManifests(text);
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) {
      expect(typeof o.apiVersion).toBe('string');
      expect(o.metadata.name).toBeTruthy();
    }
    // Returned as written: no defaults filled in.
    const deployment = objects.find((o) => o.kind === 'Deployment') as { spec: Record<string, unknown> } | undefined;
    if (deployment) expect(deployment.spec['strategy']).toBeUndefined();
  });

  it('skips empty documents and reads YAML 1.1 as Kubernetes does', () => {
    const objects = loadManifests(`---
# just a comment
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: modes
data:
  mode: "0644"
---
`);
    expect(objects).toHaveLength(1);
    expect(objects[0]?.metadata.name).toBe('modes');
  });

  it('names the document index and the field path of an invalid object', () => {
    const err = errorOf(() =>
      loadManifests(`apiVersion: v1
kind: ConfigMap
metadata:
  name: fine
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: three
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx
          imagePullPolicy: Sometimes
`),
    ) as ManifestError;
    expect(err).toBeInstanceOf(ManifestError);
    expect(err.documentIndex).toBe(1);
    expect(err.causes.map((c) => c.field)).toEqual(
      expect.arrayContaining(['spec.replicas', 'spec.template.spec.containers[0].imagePullPolicy']),
    );
    expect(err.message).toMatch(/^document 1 \(Deployment "web"\) is invalid: /);
  });

  it('refuses unknown kinds, missing apiVersion, YAML syntax errors and duplicate keys', () => {
    expect((errorOf(() => loadManifests('apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n')) as Error).message).toMatch(
      /no matches for kind "Widget" in version "example.com\/v1"/,
    );
    expect((errorOf(() => loadManifests('kind: ConfigMap\nmetadata: {name: w}\n')) as ManifestError).causes[0]?.field).toBe('apiVersion');
    const syntax = errorOf(() => loadManifests('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [\n')) as ManifestError;
    expect(syntax).toBeInstanceOf(ManifestError);
    expect(syntax.message).toMatch(/YAML/);
    expect(errorOf(() => loadManifests('apiVersion: v1\nkind: ConfigMap\nkind: Pod\nmetadata: {name: a}\n'))).toBeInstanceOf(ManifestError);
    expect((errorOf(() => loadManifests('- a\n- b\n')) as Error).message).toMatch(/mapping/);
  });

  it('refuses __proto__ keys anywhere', () => {
    const err = errorOf(() => loadManifests('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  __proto__:\n    polluted: "yes"\n')) as ManifestError;
    expect(err).toBeInstanceOf(ManifestError);
    expect(err.causes[0]?.field).toBe('data.__proto__');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('refuses an alias bomb', () => {
    const bomb = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: bomb}',
      'x:',
      '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      '  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      '  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      '  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      '  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      '  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
      '  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
      '  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]',
      '  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]',
      '',
    ].join('\n');
    const err = errorOf(() => loadManifests(bomb)) as ManifestError;
    expect(err).toBeInstanceOf(ManifestError);
    expect(err.message).toMatch(/alias/i);
  });

  it('refuses excessive aliasing: a hundred aliases of one large anchor', () => {
    // About 200 KB of YAML, within maxAliasCount (one anchor, 99 aliases), that expands to about
    // 20 MB of data: more than 4 × the default maxBytes.
    const blob = Array.from({ length: 50 }, (_, i) => `"${String(i).padEnd(4000, 'x')}"`).join(',');
    const containers = Array.from({ length: 99 }, (_, i) => `    - {name: c${i}, image: busybox, args: *args}`).join('\n');
    const amplified = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: ok}',
      '---',
      'apiVersion: v1',
      'kind: Pod',
      'metadata: {name: amplified}',
      'spec:',
      '  initContainers:',
      `    - {name: init, image: busybox, args: &args [${blob}]}`,
      '  containers:',
      containers,
      '',
    ].join('\n');
    const err = errorOf(() => loadManifests(amplified)) as ManifestError;
    expect(err).toBeInstanceOf(ManifestError);
    expect(err.documentIndex).toBe(1);
    expect(err.message).toMatch(/^document 1 \(manifest\) is invalid: YAML: excessive aliasing: /);
    // The bound is on the expanded size: a smaller amplification passes, a lower limit refuses it.
    const small = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: a, image: busybox, args: &args [one, two]}\n    - {name: b, image: busybox, args: *args}\n';
    expect(loadManifests(small)[0]).toMatchObject({ spec: { containers: [{ args: ['one', 'two'] }, { args: ['one', 'two'] }] } });
    expect(errorOf(() => loadManifests(small, { maxExpandedBytes: 100 }))).toBeInstanceOf(ManifestError);
  });

  it('returns objects without shared parts where the YAML used aliases', () => {
    const [p] = loadManifests('apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: a, image: busybox, args: &args [x]}\n    - {name: b, image: busybox, args: *args}\n') as unknown as [
      { spec: { containers: { args: string[] }[] } },
    ];
    p.spec.containers[0]?.args.push('changed');
    expect(p.spec.containers[1]?.args).toEqual(['x']);
  });

  it('reads null-valued fields as absent, as kubectl output has them', () => {
    const [cm] = loadManifests('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  creationTimestamp: null\n  labels: null\n  annotations: null\ndata: null\n');
    expect(cm?.metadata.name).toBe('a');
  });

  it('refuses oversize input and deep nesting before parsing', () => {
    expect(errorOf(() => loadManifests('a'.repeat(100), { maxBytes: 50 }))).toBeInstanceOf(RequestEntityTooLargeError);
    expect(errorOf(() => loadManifests(`x: ${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`))).toBeInstanceOf(RequestEntityTooLargeError);
    expect(errorOf(() => loadManifests(`x: ${'{a: '.repeat(500)}1${'}'.repeat(500)}`))).toBeInstanceOf(RequestEntityTooLargeError);
    expect(errorOf(() => loadManifests(`${'- '.repeat(500_000)}x\n`))).toBeInstanceOf(RequestEntityTooLargeError);
    // Brackets inside quoted strings do not count, and a quote cannot hide the lines after it.
    expect(loadManifests(`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: q}\ndata:\n  s: "${'['.repeat(200)}"\n`)).toHaveLength(1);
    expect(
      errorOf(() => loadManifests(`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: q}\ndata:\n  s: |\n    '\n  t: ${'['.repeat(200)}${']'.repeat(200)}\n`)),
    ).toBeInstanceOf(RequestEntityTooLargeError);
  });

  it('gives namespaced objects a namespace when asked', () => {
    const [cm] = loadManifests('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n', { namespace: 'team-a' });
    expect(cm?.metadata.namespace).toBe('team-a');
  });
});

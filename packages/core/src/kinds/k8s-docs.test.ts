/**
 * Example manifests of the Kubernetes documentation (test/fixtures/k8s-docs, see its README) load
 * unchanged through the kinds: every field they set survives, and semantic validation passes.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { memoryStore } from '@harbormaster/store-memory';
import { createApiServer } from '../api/api-server.js';
import { FakeClock } from '../testing/fake-clock.js';
import { loadManifests } from '../yaml/load-manifests.js';
import * as kinds from './index.js';
import type { AnyKind } from './kind.js';

const fixtures = fileURLToPath(new URL('../../test/fixtures/k8s-docs/', import.meta.url));

/** Kinds of the documentation's examples that Harbormaster does not serve: skipped, by name. */
const notServed = new Set(['DaemonSet', 'StatefulSet', 'Job', 'CronJob', 'Secret', 'PersistentVolume', 'PersistentVolumeClaim']);

/** Fixtures Kubernetes itself rejects, with the field it names. */
const knownInvalid = new Map([['pods/pod-with-node-affinity.yaml', 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution']]);

const served = new Map<string, AnyKind>(
  Object.values(kinds)
    .filter((v): v is AnyKind => typeof v === 'object' && v !== null && 'schema' in v && 'strategy' in v && 'plural' in v)
    .map((k) => [`${k.apiVersion}/${k.kind}`, k]),
);

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.yaml') ? [relative(fixtures, path)] : [];
  });
}

function expectContains(actual: unknown, expected: unknown, path = ''): void {
  if (expected !== null && typeof expected === 'object') {
    expect(actual, path).toBeTypeOf('object');
    for (const [k, v] of Object.entries(expected)) expectContains((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
  } else {
    expect(actual, path).toEqual(expected);
  }
}

const files = walk(fixtures).sort();
const docsOf = (file: string): Record<string, unknown>[] =>
  parseAllDocuments(readFileSync(join(fixtures, file), 'utf8'))
    .map((d) => d.toJS() as Record<string, unknown> | null)
    .filter((d): d is Record<string, unknown> => d !== null);

describe('Kubernetes documentation examples', () => {
  it('has at least 40 of them, with every kind Harbormaster serves that they can show', () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
    const shown = new Set(files.flatMap((f) => docsOf(f).map((d) => String(d['kind']))));
    for (const kind of ['Pod', 'Deployment', 'ReplicaSet', 'Service', 'Namespace', 'HorizontalPodAutoscaler', 'CustomResourceDefinition', 'ConfigMap', 'Node', 'Endpoints', 'EndpointSlice', 'Event', 'Lease'])
      expect(shown, kind).toContain(kind);
    expect(files.some((f) => docsOf(f).some((d) => d['kind'] === 'ConfigMap' && d['immutable'] === true))).toBe(true);
  });

  it.each(files.filter((f) => !knownInvalid.has(f)))('%s validates unchanged', (file) => {
    const docs = docsOf(file);
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) {
      const kindName = String(doc['kind']);
      const kind = served.get(`${String(doc['apiVersion'])}/${kindName}`);
      if (!kind) {
        expect(notServed, `${file}: ${kindName} is neither served nor skipped`).toContain(kindName);
        continue;
      }
      const result = kind.schema.safeParse(structuredClone(doc));
      expect(result.error?.issues ?? [], file).toEqual([]);
      const obj = result.data as Record<string, unknown>;
      kind.strategy.applyDefaults?.(obj);
      kind.strategy.prepareForCreate?.(obj);
      expect(kind.strategy.validate?.(obj, undefined) ?? [], file).toEqual([]);
      const name = (doc['metadata'] as { name?: string } | undefined)?.name;
      if (name !== undefined) {
        const nameProblems = kind.strategy.validateName ? kind.strategy.validateName(name) : [];
        expect(nameProblems, `${file}: name ${name}`).toEqual([]);
      }
      expectContains(obj, doc);
    }
  });

  it.each([...knownInvalid])('%s is rejected, naming %s', (file, field) => {
    const [doc] = docsOf(file);
    const kind = served.get(`${String(doc?.['apiVersion'])}/${String(doc?.['kind'])}`);
    const result = kind?.schema.safeParse(doc);
    expect(result?.success).toBe(false);
    expect(result?.error?.issues.map((i) => i.path.join('.'))).toContain(field);
  });
});

describe('Kubernetes documentation examples, applied', () => {
  /** The documents of a file whose kind is served, as YAML text for the loader. */
  function servedText(file: string): { text: string; count: number } {
    const text = readFileSync(join(fixtures, file), 'utf8');
    const docs = parseAllDocuments(text);
    const keep = docs.filter((d) => {
      const js = d.toJS() as Record<string, unknown> | null;
      return js !== null && served.has(`${String(js['apiVersion'])}/${String(js['kind'])}`);
    });
    return { text: keep.length === docs.length ? text : keep.map((d) => d.toString()).join('---\n'), count: keep.length };
  }

  it.each(files.filter((f) => !knownInvalid.has(f) && servedText(f).count > 0))(
    '%s loads, applies, and applies again unchanged',
    async (file) => {
      const { text, count } = servedText(file);
      const objects = loadManifests(text);
      expect(objects).toHaveLength(count);
      const api = createApiServer({ store: memoryStore(), clock: new FakeClock(Date.UTC(2026, 10, 25, 12, 0, 0)) });
      await api.ready();
      // Namespaces the file uses without creating them.
      const declared = new Set(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
      for (const ns of new Set(objects.map((o) => o.metadata.namespace).filter((n): n is string => n !== undefined && !declared.has(n)))) {
        await api.client.create(kinds.Namespace, { metadata: { name: ns } }).catch(() => undefined);
      }

      const first = await api.client.apply(objects);
      expect(first.map((r) => r.action), file).toEqual(objects.map(() => 'created'));
      const revision = await api.store.revision();
      const second = await api.client.apply(text);
      expect(second.map((r) => r.action), file).toEqual(objects.map(() => 'unchanged'));
      expect(second.map((r) => r.object.metadata.resourceVersion)).toEqual(first.map((r) => r.object.metadata.resourceVersion));
      expect(second.map((r) => r.object.metadata.generation)).toEqual(objects.map(() => 1));
      expect(await api.store.revision()).toBe(revision);
      await api.close();
    },
  );
});

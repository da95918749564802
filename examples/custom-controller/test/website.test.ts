import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isInvalid, isNotFound, kinds } from '@harbormaster/core';
import { createTestEnv, type TestEnv } from '@harbormaster/core/testing';
import { memoryStore } from '@harbormaster/store-memory';
import { Website } from '../src/website.js';
import { FINALIZER, setupWebsiteController } from '../src/website-reconciler.js';

describe('Website controller', () => {
  let env: TestEnv;
  let outDir: string;

  beforeEach(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'website-test-'));
    env = await createTestEnv({ store: memoryStore(), kinds: [Website] });
    setupWebsiteController(env.manager, { outDir });
    await env.start();
  });

  afterEach(async () => {
    await env.stop();
    await rm(outDir, { recursive: true, force: true });
  });

  it('creates an owned ConfigMap, publishes the page, and writes status', async () => {
    await env.client.create(Website, { metadata: { name: 'home' }, spec: { html: '<h1>hi</h1>' } });
    const site = await env.eventually(async () => {
      const s = await env.client.get(Website, { name: 'home' });
      return s.status?.observedGeneration === 1 ? s : undefined;
    });
    expect(site.spec.title).toBe('Untitled');
    expect(site.metadata.finalizers).toEqual([FINALIZER]);
    expect(site.status?.conditions?.[0]).toMatchObject({ type: 'Ready', status: 'True' });
    const cm = await env.client.get(kinds.ConfigMap, { name: 'home-html' });
    expect(cm.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Website', name: 'home', uid: site.metadata.uid, controller: true });
    expect(await readFile(join(outDir, 'default', 'home', 'index.html'), 'utf8')).toContain('<h1>hi</h1>');
  });

  it('brings the ConfigMap back when someone changes it, and follows spec changes', async () => {
    await env.client.create(Website, { metadata: { name: 'home' }, spec: { html: 'v1' } });
    await env.eventually(() => env.client.get(kinds.ConfigMap, { name: 'home-html' }).catch(() => undefined));
    await env.client.patch(kinds.ConfigMap, { name: 'home-html' }, { data: { 'index.html': 'tampered' } });
    await env.eventually(async () => (await env.client.get(kinds.ConfigMap, { name: 'home-html' })).data?.['index.html']?.includes('v1'));
    await env.client.patch(Website, { name: 'home' }, { spec: { html: 'v2' } });
    const s = await env.eventually(async () => {
      const site = await env.client.get(Website, { name: 'home' });
      return site.status?.observedGeneration === 2 ? site : undefined;
    });
    expect(s.metadata.generation).toBe(2);
    expect(await readFile(join(outDir, 'default', 'home', 'index.html'), 'utf8')).toContain('v2');
  });

  it('unpublishes behind its finalizer when the Website is deleted', async () => {
    await env.client.create(Website, { metadata: { name: 'gone' }, spec: { html: 'bye' } });
    await env.eventually(async () => (await env.client.get(Website, { name: 'gone' })).status?.url);
    await env.client.delete(Website, { name: 'gone' });
    await env.eventually(() => env.client.get(Website, { name: 'gone' }).then(() => false, isNotFound));
    await expect(readFile(join(outDir, 'default', 'gone', 'index.html'))).rejects.toThrow();
    const reasons = (await env.client.list(kinds.Event)).items.map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['Created', 'Unpublished']));
  });

  it('refuses an invalid Website with the field path', async () => {
    const err = await env.client.create(Website, { metadata: { name: 'bad' }, spec: { html: 42 as unknown as string } }).catch((e: unknown) => e);
    expect(isInvalid(err)).toBe(true);
    expect((err as { causes: { field: string }[] }).causes[0]?.field).toBe('spec.html');
  });
});

/**
 * Run the Website controller in this process: an API server on the in-memory store, a manager,
 * and a few Websites applied from YAML, updated, and deleted, while the controller converges.
 *
 *   npm run build && npm run start --workspace examples/custom-controller
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiServer, createManager, kinds } from '@harbormaster/core';
import { memoryStore } from '@harbormaster/store-memory';
import { Website } from './website.js';
import { setupWebsiteController } from './website-reconciler.js';

const manifests = `
apiVersion: example.com/v1
kind: Website
metadata:
  name: home
spec:
  title: Harbormaster
  html: <h1>Hello from an embedded control plane</h1>
---
apiVersion: example.com/v1
kind: Website
metadata:
  name: docs
spec:
  html: <p>Docs coming soon</p>
`;

async function waitFor<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const outDir = await mkdtemp(join(tmpdir(), 'harbormaster-sites-'));
const api = createApiServer({ store: memoryStore(), kinds: [Website] });
const manager = createManager({ api });
setupWebsiteController(manager, { outDir });
const stop = new AbortController();
const running = manager.start(stop.signal);
const { client } = api;

console.log('applying two Websites from YAML…');
for (const r of await client.apply(manifests)) console.log(`  ${r.object.kind}/${r.object.metadata.name ?? ''} ${r.action}`);

for (const name of ['home', 'docs']) {
  const site = await waitFor(`${name} to be published`, async () => {
    const s = await client.get(Website, { name });
    return s.status?.url === undefined ? undefined : s;
  });
  console.log(`  ${name}: title "${site.spec.title}", published at ${site.status?.url ?? ''}`);
}

console.log('changing the home page…');
await client.patch(Website, { name: 'home' }, { spec: { html: '<h1>Hello again</h1>' } });
const page = await waitFor('the new page', async () => {
  const cm = await client.get(kinds.ConfigMap, { name: 'home-html' });
  return cm.data?.['index.html']?.includes('Hello again') ? cm.data['index.html'] : undefined;
});
console.log(`  home-html now holds: ${page.split('\n')[2] ?? ''}`);

console.log('deleting docs…');
await client.delete(Website, { name: 'docs' });
await waitFor('docs to be unpublished and gone', async () => {
  const left = await client.list(Website);
  return left.items.some((s) => s.metadata.name === 'docs') ? undefined : true;
});
const docsFile = await readFile(join(outDir, 'default', 'docs', 'index.html'), 'utf8').catch(() => undefined);
console.log(`  docs removed from disk: ${docsFile === undefined ? 'yes' : 'no'}`);
const events = await client.list(kinds.Event);
console.log(`  events: ${events.items.map((e) => `${e.reason ?? ''}(${e.involvedObject.name ?? ''})`).join(', ')}`);

stop.abort();
await running;
await rm(outDir, { recursive: true, force: true });
console.log('done: the manager shut down cleanly.');

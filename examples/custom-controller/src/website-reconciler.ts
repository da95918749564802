/**
 * The Website controller: for each Website it renders index.html into a ConfigMap it owns (so the
 * ConfigMap goes when the Website goes), publishes the page as a file under `outDir` (something
 * outside the API, so it cleans up behind a finalizer), and reports where in `status`.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  controller,
  formatTime,
  ignoreNotFound,
  kinds,
  setControllerReference,
  withFinalizer,
  type Manager,
  type ReconcileContext,
  type Reconciler,
  type Request,
  type Result,
} from '@harbormaster/core';
import { Website } from './website.js';

export const FINALIZER = 'example.com/unpublish';

export function render(site: Website): string {
  return `<!doctype html>\n<title>${site.spec.title}</title>\n${site.spec.html}\n`;
}

export class WebsiteReconciler implements Reconciler {
  constructor(private readonly outDir: string) {}

  async reconcile(request: Request, ctx: ReconcileContext): Promise<Result> {
    const site = await ctx.cache.get(Website, request);
    if (site === undefined) return; // deleted; the ConfigMap is garbage-collected through its owner reference
    return withFinalizer(ctx, Website, site, {
      finalizer: FINALIZER,
      apply: (s) => this.#publish(s, ctx),
      cleanup: async (s) => {
        await rm(this.#dir(s), { recursive: true, force: true });
        ctx.recorder.event(s, 'Normal', 'Unpublished', `Removed ${this.#dir(s)}`);
      },
    });
  }

  #dir(site: Website): string {
    return join(this.outDir, site.metadata.namespace ?? 'default', site.metadata.name ?? '');
  }

  async #publish(site: Website, ctx: ReconcileContext): Promise<Result> {
    const name = `${site.metadata.name ?? ''}-html`;
    const namespace = site.metadata.namespace ?? 'default';
    const html = render(site);

    // The ConfigMap: create it owned by the site, or bring it back to what it should hold.
    const existing = await ctx.cache.get(kinds.ConfigMap, { namespace, name });
    if (existing === undefined) {
      const cm = { metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'website-controller' } }, data: { 'index.html': html } };
      setControllerReference(site, cm);
      await ctx.client.create(kinds.ConfigMap, cm);
      ctx.recorder.event(site, 'Normal', 'Created', `Created ConfigMap ${name}`);
    } else if (existing.data?.['index.html'] !== html) {
      await ctx.client.patch(kinds.ConfigMap, { namespace, name }, { data: { 'index.html': html } });
    }

    // The page on disk, replaced atomically so a reader never sees half a page.
    const dir = this.#dir(site);
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.index.html.${process.pid}.tmp`);
    await writeFile(tmp, html);
    await rename(tmp, join(dir, 'index.html'));

    // Status, only when it changes (a write per reconcile would wake the controller forever).
    const url = `file://${join(dir, 'index.html')}`;
    const status = site.status ?? {};
    if (status.url !== url || status.observedGeneration !== site.metadata.generation) {
      await ctx.client
        .updateStatus(Website, {
          ...structuredClone(site),
          status: {
            url,
            configMap: name,
            observedGeneration: site.metadata.generation ?? 1,
            conditions: [{ type: 'Ready', status: 'True', reason: 'Published', lastTransitionTime: formatTime(ctx.clock.now()) }],
          },
        })
        .catch(ignoreNotFound);
    }
    return undefined;
  }
}

/** Wire the controller: reconcile Websites, and the ConfigMaps they own. */
export function setupWebsiteController(manager: Manager, options: { outDir: string }): void {
  controller(manager).for(Website).owns(kinds.ConfigMap).complete(new WebsiteReconciler(options.outDir));
}

import { describe, expect, it } from 'vitest';
import { memoryStore } from '@harbormaster/store-memory';
import * as kinds from '../kinds/index.js';
import { createTestEnv } from '../testing/test-env.js';
import { controller } from './builder.js';
import { generationChanged } from './predicates.js';
import { setControllerReference } from './owner-references.js';
import { terminalError, type Request } from './reconciler.js';

const env = () => createTestEnv({ store: memoryStore() });
const key = (r: Request) => (r.namespace ? `${r.namespace}/${r.name}` : r.name);

describe('controller', () => {
  it('reconciles existing and new objects, reading from the cache and writing through the client', async () => {
    const e = await env();
    await e.client.create(kinds.ConfigMap, { metadata: { name: 'before' }, data: { v: '1' } });
    const seen: string[] = [];
    controller(e.manager)
      .for(kinds.ConfigMap)
      .complete(async (req, ctx) => {
        seen.push(key(req));
        const cm = await ctx.cache.get(kinds.ConfigMap, req);
        if (cm === undefined || cm.data?.['done'] === 'yes') return;
        await ctx.client.patch(kinds.ConfigMap, req, { data: { done: 'yes' } });
        // Read your own write: the cache already has it.
        expect((await ctx.cache.get(kinds.ConfigMap, req))?.data?.['done']).toBe('yes');
      });
    await e.start();
    await e.client.create(kinds.ConfigMap, { metadata: { name: 'after' }, data: { v: '1' } });
    await e.eventually(async () => (await e.client.get(kinds.ConfigMap, { name: 'after' })).data?.['done'] === 'yes');
    expect((await e.client.get(kinds.ConfigMap, { name: 'before' })).data?.['done']).toBe('yes');
    expect(seen.filter((k) => k === 'default/before').length).toBeGreaterThanOrEqual(1);
    await e.stop();
    expect(e.clock.pendingTimers).toBe(0);
  });

  it('retries a failing reconcile with exponential back-off, and requeueAfter on the clock', async () => {
    const e = await env();
    const times: number[] = [];
    const start = e.clock.now();
    controller(e.manager)
      .for(kinds.ConfigMap)
      .complete(async () => {
        times.push(e.clock.now() - start);
        if (times.length <= 4) throw new Error('not yet');
        if (times.length === 5) return { requeueAfter: 30_000 };
        return undefined;
      });
    await e.start();
    await e.client.create(kinds.ConfigMap, { metadata: { name: 'x' } });
    await e.eventually(() => times.length >= 6, { stepMs: 1 });
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
    expect(gaps.slice(0, 4)).toEqual([5, 10, 20, 40]);
    expect(gaps[4]).toBe(30_000);
    await e.stop();
  });

  it('does not retry a terminal error', async () => {
    const e = await env();
    let calls = 0;
    controller(e.manager)
      .for(kinds.ConfigMap)
      .complete(async () => {
        calls++;
        throw terminalError(new Error('spec can never work'));
      });
    await e.start();
    await e.client.create(kinds.ConfigMap, { metadata: { name: 'x' } });
    await e.eventually(() => calls === 1);
    await e.clock.advance(10 * 60_000);
    expect(calls).toBe(1);
    await e.stop();
  });

  it('maps owned objects to their controller owner and other kinds through watches()', async () => {
    const e = await env();
    const seen: string[] = [];
    controller(e.manager)
      .for(kinds.Namespace)
      .owns(kinds.ConfigMap)
      .watches(kinds.Pod, (pod) => ({ name: pod.metadata.labels?.['team'] ?? 'default' }))
      .complete(async (req) => {
        seen.push(key(req));
        return undefined;
      });
    await e.start();
    const ns = await e.client.create(kinds.Namespace, { metadata: { name: 'team-a' } });
    await e.eventually(() => seen.includes('team-a'));
    seen.length = 0;
    const cm = { metadata: { name: 'owned', namespace: 'default' } };
    setControllerReference(ns, cm);
    await e.client.create(kinds.ConfigMap, cm);
    await e.client.create(kinds.ConfigMap, { metadata: { name: 'not-owned' } });
    await e.client.create(kinds.Pod, { metadata: { name: 'p', labels: { team: 'team-b' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    await e.eventually(() => seen.includes('team-a') && seen.includes('team-b'));
    expect(seen.every((k) => k === 'team-a' || k === 'team-b')).toBe(true);
    await e.stop();
  });

  it('filters events with predicates', async () => {
    const e = await env();
    let calls = 0;
    controller(e.manager)
      .for(kinds.Deployment, { predicates: [generationChanged] })
      .complete(async () => {
        calls++;
        return undefined;
      });
    await e.start();
    const d = await e.client.create(kinds.Deployment, {
      metadata: { name: 'web' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'w', image: 'nginx' }] } } },
    });
    await e.eventually(() => calls === 1);
    await e.client.updateStatus(kinds.Deployment, { ...d, status: { replicas: 1 } });
    await e.client.patch(kinds.Deployment, { name: 'web' }, { metadata: { labels: { x: 'y' } } });
    await e.clock.advance(1000);
    expect(calls).toBe(1);
    await e.client.patch(kinds.Deployment, { name: 'web' }, { spec: { replicas: 3 } });
    await e.eventually(() => calls >= 2);
    await e.clock.advance(1000);
    // One spec change, one reconcile: the update's old and new keys collapse in the queue.
    expect(calls).toBe(2);
    await e.stop();
  });

  it('never reconciles one key twice at once, with many workers under load', async () => {
    const e = await env();
    const active = new Set<string>();
    let overlaps = 0;
    let max = 0;
    let reconciles = 0;
    controller(e.manager)
      .for(kinds.ConfigMap)
      .withOptions({ maxConcurrentReconciles: 8 })
      .complete(async (req, ctx) => {
        const k = key(req);
        if (active.has(k)) overlaps++;
        active.add(k);
        max = Math.max(max, active.size);
        reconciles++;
        // Work that spans clock time, so other events for the same key arrive meanwhile.
        await new Promise<void>((resolve) => ctx.clock.setTimeout(resolve, 50));
        active.delete(k);
        return undefined;
      });
    await e.start();
    for (let i = 0; i < 10; i++) await e.client.create(kinds.ConfigMap, { metadata: { name: `cm-${i}` }, data: { n: '0' } });
    for (let round = 1; round <= 20; round++) {
      await Promise.all(Array.from({ length: 10 }, (_, i) => e.client.patch(kinds.ConfigMap, { name: `cm-${i}` }, { data: { n: String(round) } })));
      await e.clock.advance(10);
    }
    await e.eventually(() => active.size === 0 && e.manager.isLeader(), { stepMs: 10 });
    await e.clock.advance(1000);
    expect(overlaps).toBe(0);
    expect(max).toBeGreaterThan(1);
    expect(reconciles).toBeGreaterThanOrEqual(10);
    await e.stop();
  });

  it('aborts the reconcile signal on shutdown and waits for running reconciles', async () => {
    const e = await env();
    let aborted = false;
    let finished = false;
    controller(e.manager)
      .for(kinds.ConfigMap)
      .complete(async (_req, ctx) => {
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        aborted = true;
        await Promise.resolve();
        finished = true;
        return undefined;
      });
    await e.start();
    await e.client.create(kinds.ConfigMap, { metadata: { name: 'x' } });
    await e.clock.advance(10);
    await e.stop();
    expect(aborted).toBe(true);
    expect(finished).toBe(true);
    expect(e.clock.pendingTimers).toBe(0);
  });

  it('refuses two controllers with the same name and a builder without for()', async () => {
    const e = await env();
    controller(e.manager).for(kinds.ConfigMap).complete(async () => undefined);
    expect(() => controller(e.manager).for(kinds.ConfigMap).complete(async () => undefined)).toThrow(/registered already/);
    expect(() => controller(e.manager).named('x').complete(async () => undefined)).toThrow(/for\(kind\)/);
  });
});

import { describe, expect, it } from 'vitest';
import { memoryStore } from '@harbormaster/store-memory';
import * as kinds from '../kinds/index.js';
import { createTestEnv } from '../testing/test-env.js';
import { controller } from './builder.js';
import { generationChanged } from './predicates.js';
import { setControllerReference } from './owner-references.js';
import { jsonLogger } from '../observability/logger.js';
import { noopMetrics, type Metrics } from '../observability/metrics.js';
import { isTerminalError, terminalError, type Request } from './reconciler.js';

const env = () => createTestEnv({ store: memoryStore() });
const key = (r: Request) => (r.namespace ? `${r.namespace}/${r.name}` : r.name);

describe('controller', () => {
  it('reconciles existing and new objects, reading from the cache and writing through the client', async () => {
    const e = await env();
    await e.client.create(kinds.ConfigMap, { metadata: { name: 'before' }, data: { v: '1' } });
    const seen: string[] = [];
    // What the cache said right after each write (an expect in the reconciler would only make it retry).
    const readBack: string[] = [];
    controller(e.manager)
      .for(kinds.ConfigMap)
      .complete(async (req, ctx) => {
        seen.push(key(req));
        const cm = await ctx.cache.get(kinds.ConfigMap, req);
        if (cm === undefined || cm.data?.['done'] === 'yes') return;
        await ctx.client.patch(kinds.ConfigMap, req, { data: { done: 'yes' } });
        readBack.push(`${key(req)}: ${(await ctx.cache.get(kinds.ConfigMap, req))?.data?.['done'] ?? 'stale'}`);
      });
    await e.start();
    await e.client.create(kinds.ConfigMap, { metadata: { name: 'after' }, data: { v: '1' } });
    await e.eventually(async () => (await e.client.get(kinds.ConfigMap, { name: 'after' })).data?.['done'] === 'yes');
    expect((await e.client.get(kinds.ConfigMap, { name: 'before' })).data?.['done']).toBe('yes');
    expect(seen.filter((k) => k === 'default/before').length).toBeGreaterThanOrEqual(1);
    // Read your own write: the cache had each write as soon as it returned.
    expect(readBack.sort()).toEqual(['default/after: yes', 'default/before: yes']);
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

  it('does not retry a terminal error, even one wrapped in a cause, and counts it as a reconcile error', async () => {
    const counted = { errors: 0, terminal: 0 };
    const metrics: Metrics = {
      ...noopMetrics,
      reconcileErrors: { inc: () => void counted.errors++ },
      terminalReconcileErrors: { inc: () => void counted.terminal++ },
    };
    const e = await createTestEnv({ store: memoryStore(), manager: { metrics } });
    const calls: string[] = [];
    controller(e.manager)
      .for(kinds.ConfigMap)
      .complete(async (req) => {
        calls.push(req.name);
        const cause = terminalError(new Error('spec can never work'));
        throw req.name === 'plain' ? cause : new Error('syncing wrapped', { cause: new Error('validating', { cause }) });
      });
    await e.start();
    await e.client.create(kinds.ConfigMap, { metadata: { name: 'plain' } });
    await e.client.create(kinds.ConfigMap, { metadata: { name: 'wrapped' } });
    await e.eventually(() => calls.length === 2);
    await e.clock.advance(10 * 60_000);
    expect(calls.sort()).toEqual(['plain', 'wrapped']);
    // controller-runtime counts a terminal error in reconcile_errors_total too.
    expect(counted).toEqual({ errors: 2, terminal: 2 });
    await e.stop();
  });

  it('logs a failed reconcile as a warning, but a 409 Conflict (an expected race) at info', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = jsonLogger({ level: 'debug', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
    const e = await createTestEnv({ store: memoryStore(), manager: { logger } });
    let calls = 0;
    controller(e.manager)
      .named('racer')
      .for(kinds.ConfigMap)
      .complete(async (req, ctx) => {
        calls++;
        const cm = await ctx.client.get(kinds.ConfigMap, req);
        if (calls === 1) {
          // Someone else writes in between: our update carries a stale resourceVersion.
          await ctx.client.patch(kinds.ConfigMap, req, { data: { other: 'writer' } });
          await ctx.client.update(kinds.ConfigMap, { ...cm, data: { mine: 'yes' } });
        }
        if (calls === 2) throw new Error('remote system unavailable');
      });
    await e.start();
    await e.client.create(kinds.ConfigMap, { metadata: { name: 'x' } });
    await e.eventually(() => calls >= 3);
    const failures = lines.filter((l) => l['controller'] === 'racer' && String(l['msg']).includes('retrying'));
    expect(failures.map((l) => [l['level'], (l['err'] as { name: string }).name])).toEqual([
      ['info', 'ConflictError'],
      ['warn', 'Error'],
    ]);
    await e.stop();
  });

  it('isTerminalError follows the cause chain', () => {
    const terminal = terminalError(new Error('bad spec'));
    expect(isTerminalError(terminal)).toBe(true);
    expect(isTerminalError(new Error('outer', { cause: new Error('middle', { cause: terminal }) }))).toBe(true);
    expect(isTerminalError(new Error('plain'))).toBe(false);
    expect(isTerminalError(new Error('outer', { cause: 'a string' }))).toBe(false);
    expect(isTerminalError(terminal.message)).toBe(false);
    expect(isTerminalError(undefined)).toBe(false);
    // A cycle in the chain ends the search.
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(isTerminalError(a)).toBe(false);
    expect(terminalError(terminal)).toBe(terminal);
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

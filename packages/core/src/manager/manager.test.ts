import { Observable } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { Container } from 'inversify';
import { memoryStore } from '@harbormaster/store-memory';
import { createApiServer } from '../api/api-server.js';
import type { Client, DeleteOptions } from '../api/client.js';
import { controller } from '../controller/builder.js';
import { coreModule } from '../di/core-module.js';
import { TOKENS } from '../di/tokens.js';
import * as kinds from '../kinds/index.js';
import type { ObjectKey } from '../meta/object-meta.js';
import { silentLogger } from '../observability/logger.js';
import type { Store, StoreEvent } from '../store/store.js';
import { eventually } from '../testing/eventually.js';
import { FakeClock } from '../testing/fake-clock.js';
import { faultyStore } from '../testing/faulty-store.js';
import { forwardingStore } from '../testing/forwarding-store.js';
import { createTestEnv } from '../testing/test-env.js';
import { createManager } from './manager.js';
import { LeaderElectionLostError, LeaderElector, type LeaderElectionOptions } from './leader-election.js';

async function cluster() {
  const clock = new FakeClock();
  const store = faultyStore(memoryStore());
  const api = createApiServer({ store, clock });
  await api.ready();
  return { clock, store, api };
}

/**
 * A store whose watches deliver every event a macrotask after the write, as a store behind a
 * network does: a write's promise resolves before any watcher has seen it.
 */
function laggingStore(inner: Store): Store {
  return forwardingStore(inner, {
    watch: (prefix, afterRevision) =>
      new Observable<StoreEvent>((subscriber) => {
        const later = (fn: () => void): void => void setImmediate(fn);
        const sub = inner.watch(prefix, afterRevision).subscribe({
          next: (event) => later(() => subscriber.next(event)),
          error: (e: unknown) => later(() => subscriber.error(e)),
          complete: () => later(() => subscriber.complete()),
        });
        return () => sub.unsubscribe();
      }),
  });
}

/** A manager whose controller records which manager reconciled what. */
function member(api: Awaited<ReturnType<typeof cluster>>['api'], name: string, log: string[], election: Partial<LeaderElectionOptions> = {}) {
  const manager = createManager({ api, logger: silentLogger, leaderElection: { leaseName: 'workers', identity: name, ...election } });
  controller(manager)
    .for(kinds.ConfigMap)
    .complete(async (req) => {
      log.push(`${name}:${req.name}`);
      return undefined;
    });
  const stop = new AbortController();
  const running = manager.start(stop.signal);
  return { manager, stop, running };
}

describe('manager', () => {
  it('shuts down cleanly: start resolves, no timer or watch is left', async () => {
    const { clock, api, store } = await cluster();
    const manager = createManager({ api, logger: silentLogger });
    controller(manager)
      .for(kinds.ConfigMap)
      .owns(kinds.Pod)
      .complete(async () => ({ requeueAfter: 60_000 }));
    const stop = new AbortController();
    const running = manager.start(stop.signal);
    await api.client.create(kinds.ConfigMap, { metadata: { name: 'x' } });
    await eventually(() => manager.informers.waitForCacheSync(stop.signal), { clock });
    await clock.advance(1000);
    expect(store.openWatches).toBe(2);
    manager.recorderFor('test').event({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' } }, 'Normal', 'Tested', 'hello');
    stop.abort();
    await running;
    expect(clock.pendingTimers).toBe(0);
    expect(store.openWatches).toBe(0);
    // The event written during shutdown was flushed.
    expect((await api.client.list(kinds.Event)).items.map((e) => e.reason)).toEqual(['Tested']);
  });

  it('stops everything and rejects start when a runnable fails', async () => {
    const { clock, api } = await cluster();
    const manager = createManager({ api, logger: silentLogger });
    let otherStopped = false;
    manager.add({
      needLeaderElection: false,
      start: async (signal) => {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        otherStopped = true;
      },
    });
    manager.add({
      needLeaderElection: false,
      start: async () => {
        await clock.advance(0);
        throw new Error('boom');
      },
    });
    await expect(manager.start(new AbortController().signal)).rejects.toThrow('boom');
    expect(otherStopped).toBe(true);
  });

  it('runs controllers only on the leader; a second manager takes over within the lease duration when the first one stops', async () => {
    const { clock, api } = await cluster();
    const log: string[] = [];
    const a = member(api, 'a', log);
    await eventually(() => a.manager.isLeader(), { clock });
    const b = member(api, 'b', log);
    await api.client.create(kinds.ConfigMap, { metadata: { name: 'one' } });
    await eventually(() => log.includes('a:one'), { clock });
    await clock.advance(20_000);
    expect(b.manager.isLeader()).toBe(false);
    expect(log.filter((l) => l.startsWith('b:'))).toEqual([]);

    // A clean stop releases the lease: b takes over within a retry period.
    const stoppedAt = clock.now();
    a.stop.abort();
    await a.running;
    await eventually(() => b.manager.isLeader(), { clock, stepMs: 100 });
    expect(clock.now() - stoppedAt).toBeLessThanOrEqual(2_100);
    await api.client.create(kinds.ConfigMap, { metadata: { name: 'two' } });
    await eventually(() => log.includes('b:two'), { clock });
    expect(log).not.toContain('a:two');
    const lease = await api.client.get(kinds.Lease, { namespace: 'kube-system', name: 'workers' });
    expect(lease.spec.holderIdentity).toBe('b');
    expect(lease.spec.leaseTransitions).toBe(1);
    b.stop.abort();
    await b.running;
    expect(clock.pendingTimers).toBe(0);
  });

  it('a second manager leads within the lease duration after the leader dies without releasing the lease', async () => {
    const { clock, api } = await cluster();
    const log: string[] = [];
    // a "dies": it stops without releasing the Lease, as a killed process would.
    const a = member(api, 'a', log, { releaseOnCancel: false });
    await eventually(() => a.manager.isLeader(), { clock });
    const b = member(api, 'b', log);
    await api.client.create(kinds.ConfigMap, { metadata: { name: 'one' } });
    await eventually(() => log.includes('a:one'), { clock });
    await clock.advance(20_000);
    expect(b.manager.isLeader()).toBe(false);

    const diedAt = clock.now();
    a.stop.abort();
    await a.running;
    const held = await api.client.get(kinds.Lease, { namespace: 'kube-system', name: 'workers' });
    expect(held.spec.holderIdentity).toBe('a');
    await eventually(() => b.manager.isLeader(), { clock, stepMs: 100 });
    // b waited for the unrenewed Lease to expire (15 s after it last saw it change), checking every 2 s.
    const tookOver = clock.now() - diedAt;
    expect(tookOver).toBeGreaterThan(10_000);
    expect(tookOver).toBeLessThanOrEqual(15_000 + 2_000);
    await api.client.create(kinds.ConfigMap, { metadata: { name: 'two' } });
    await eventually(() => log.includes('b:two'), { clock });
    expect(log).not.toContain('a:two');
    const lease = await api.client.get(kinds.Lease, { namespace: 'kube-system', name: 'workers' });
    expect(lease.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    b.stop.abort();
    await b.running;
    expect(clock.pendingTimers).toBe(0);
  });

  it('a successor takes over within lease duration + retry period after the leader dies without releasing', async () => {
    const { clock, api } = await cluster();
    const dead = new AbortController();
    const a = new LeaderElector({ client: api.client, clock, identity: 'a', leaseName: 'l', releaseOnCancel: false });
    let aLeading = false;
    const aRun = a.run(dead.signal, { onStartedLeading: async (s) => { aLeading = true; await new Promise<void>((r) => s.addEventListener('abort', () => r(), { once: true })); } });
    await eventually(() => aLeading, { clock });
    const b = new LeaderElector({ client: api.client, clock, identity: 'b', leaseName: 'l' });
    let bLeadingAt: number | undefined;
    const bStop = new AbortController();
    const bRun = b.run(bStop.signal, { onStartedLeading: async (s) => { bLeadingAt = clock.now(); await new Promise<void>((r) => s.addEventListener('abort', () => r(), { once: true })); } });
    await clock.advance(30_000);
    expect(bLeadingAt).toBeUndefined();
    // a "dies": it stops renewing and does not release.
    const diedAt = clock.now();
    dead.abort();
    await aRun;
    await eventually(() => bLeadingAt !== undefined, { clock, stepMs: 100 });
    expect((bLeadingAt ?? 0) - diedAt).toBeLessThanOrEqual(15_000 + 2_000);
    expect((bLeadingAt ?? 0) - diedAt).toBeGreaterThan(10_000);
    bStop.abort();
    await bRun;
  });

  it('a leader that cannot renew within the renew deadline stops leading with an error', async () => {
    const { clock, api } = await cluster();
    const elector = new LeaderElector({ client: api.client, clock, identity: 'a', leaseName: 'l' });
    let stopped = false;
    const run = elector.run(new AbortController().signal, {
      onStartedLeading: async (leading) => {
        await new Promise<void>((r) => leading.addEventListener('abort', () => r(), { once: true }));
        stopped = true;
      },
    });
    await eventually(() => elector.isLeader(), { clock });
    // Someone else grabs the lease behind the leader's back.
    const lease = await api.client.get(kinds.Lease, { namespace: 'kube-system', name: 'l' });
    await api.client.update(kinds.Lease, { ...lease, spec: { ...lease.spec, holderIdentity: 'intruder', leaseDurationSeconds: 3600 } });
    const outcome = run.then(
      () => undefined,
      (e: unknown) => e,
    );
    await eventually(() => stopped, { clock, stepMs: 500 });
    expect(await outcome).toBeInstanceOf(LeaderElectionLostError);
    expect(elector.isLeader()).toBe(false);
  });

  it.each([
    ['the revision of the deletion', false],
    ['the revision the object had before (as some servers answer)', true],
  ])('reads its own writes from the cache when the store delivers watch events late, deletes included; delete answers %s', async (_, oldRevision) => {
    const clock = new FakeClock();
    const store = laggingStore(memoryStore());
    const api = createApiServer({ store, clock });
    await api.ready();
    const client: Client = oldRevision
      ? new Proxy(api.client, {
          get(target, prop) {
            if (prop === 'delete') {
              return async (kind: typeof kinds.ConfigMap, key: ObjectKey, options?: DeleteOptions) => {
                const before = await target.get(kind, key);
                const deleted = await target.delete(kind, key, options);
                if (deleted.metadata.deletionTimestamp !== undefined) return deleted; // not deleted yet: an update
                return { ...deleted, metadata: { ...deleted.metadata, resourceVersion: before.metadata.resourceVersion } };
              };
            }
            const value: unknown = Reflect.get(target, prop, target);
            return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
          },
        })
      : api.client;
    const manager = createManager({ client, clock, logger: silentLogger });
    const seen: string[] = [];
    controller(manager)
      .for(kinds.ConfigMap)
      .complete(async (req, ctx) => {
        if (req.name !== 'trigger') return;
        const key = { namespace: 'default', name: 'made' };
        const read = async () => ctx.cache.get(kinds.ConfigMap, key);
        await ctx.client.create(kinds.ConfigMap, { metadata: key, data: { v: '1' } });
        seen.push(`created: ${(await read())?.data?.['v'] ?? 'missing'}`);
        await ctx.client.patch(kinds.ConfigMap, key, { data: { v: '2' } });
        seen.push(`patched: ${(await read())?.data?.['v'] ?? 'missing'}`);
        // A dry run changes nothing and waits for nothing.
        const before = ctx.clock.now();
        await ctx.client.delete(kinds.ConfigMap, key, { dryRun: true });
        seen.push(`dry run: ${(await read()) === undefined ? 'gone' : 'still cached'} after ${ctx.clock.now() - before} ms`);
        await ctx.client.delete(kinds.ConfigMap, key);
        seen.push(`deleted: ${(await read()) === undefined ? 'gone' : 'still cached'}`);
        // A delete that only marks the object (a finalizer holds it) is in the cache as such.
        const kept = { namespace: 'default', name: 'kept' };
        await ctx.client.create(kinds.ConfigMap, { metadata: { ...kept, finalizers: ['example.com/hold'] } });
        await ctx.client.delete(kinds.ConfigMap, kept);
        seen.push(`marked: ${(await ctx.cache.get(kinds.ConfigMap, kept))?.metadata.deletionTimestamp === undefined ? 'no' : 'yes'}`);
      });
    const stop = new AbortController();
    const running = manager.start(stop.signal);
    await eventually(() => manager.informers.waitForCacheSync(stop.signal), { clock });
    await api.client.create(kinds.ConfigMap, { metadata: { name: 'trigger' } });
    await eventually(() => seen.length === 5, { clock });
    expect(seen).toEqual(['created: 1', 'patched: 2', 'dry run: still cached after 0 ms', 'deleted: gone', 'marked: yes']);
    stop.abort();
    await running;
  });

  it('logs warnings to stderr by default; createTestEnv stays silent', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const { api } = await cluster();
      const manager = createManager({ api });
      manager.logger.info({}, 'not shown');
      manager.logger.warn({ object: 'default/x' }, 'something failed');
      const container = new Container();
      container.loadSync(coreModule());
      container.bind(TOKENS.Store).toConstantValue(memoryStore());
      container.get(TOKENS.Manager).logger.error({}, 'from the container');
      const env = await createTestEnv({ store: memoryStore() });
      env.manager.logger.error({}, 'never written');
      expect(env.manager.logger).toBe(silentLogger);
      const written = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(written.map((l) => [l['level'], l['msg']])).toEqual([
        ['warn', 'something failed'],
        ['error', 'from the container'],
      ]);
      expect(written[0]).toMatchObject({ object: 'default/x', time: api.clock.now() });
    } finally {
      spy.mockRestore();
    }
  });
});

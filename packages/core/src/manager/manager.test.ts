import { describe, expect, it } from 'vitest';
import { memoryStore } from '@harbormaster/store-memory';
import { createApiServer } from '../api/api-server.js';
import { controller } from '../controller/builder.js';
import * as kinds from '../kinds/index.js';
import { eventually } from '../testing/eventually.js';
import { FakeClock } from '../testing/fake-clock.js';
import { createManager } from './manager.js';
import { LeaderElectionLostError, LeaderElector } from './leader-election.js';

async function cluster() {
  const clock = new FakeClock();
  const store = memoryStore();
  const api = createApiServer({ store, clock });
  await api.ready();
  return { clock, store, api };
}

/** A manager whose controller records which manager reconciled what. */
function member(api: Awaited<ReturnType<typeof cluster>>['api'], name: string, log: string[]) {
  const manager = createManager({ api, leaderElection: { leaseName: 'workers', identity: name } });
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
    const { clock, api } = await cluster();
    const manager = createManager({ api });
    controller(manager)
      .for(kinds.ConfigMap)
      .owns(kinds.Pod)
      .complete(async () => ({ requeueAfter: 60_000 }));
    const stop = new AbortController();
    const running = manager.start(stop.signal);
    await api.client.create(kinds.ConfigMap, { metadata: { name: 'x' } });
    await eventually(() => manager.informers.waitForCacheSync(stop.signal), { clock });
    await clock.advance(1000);
    manager.recorderFor('test').event({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' } }, 'Normal', 'Tested', 'hello');
    stop.abort();
    await running;
    expect(clock.pendingTimers).toBe(0);
    // The event written during shutdown was flushed.
    expect((await api.client.list(kinds.Event)).items.map((e) => e.reason)).toEqual(['Tested']);
  });

  it('stops everything and rejects start when a runnable fails', async () => {
    const { clock, api } = await cluster();
    const manager = createManager({ api });
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
});

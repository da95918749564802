/**
 * The node agent's termination and lifecycle hooks on the fake runtime and the fake clock: stops
 * run beside the syncs (pods taking their grace period never hold up a new pod), preStop runs
 * before SIGTERM within the grace period, postStart runs after the start and kills the container
 * when it fails.
 */
import { describe, expect, it } from 'vitest';
import { kinds, type ExecResult } from '@harbormaster/core';
import { eventsOf, getPod, pod, setup } from './support-kubelet/kubelet-env.js';

const ok: ExecResult = { exitCode: 0, stdout: '', stderr: '' };

describe('node agent: termination in the background', () => {
  it('starts a new pod at once while more pods than it has workers take their 120 s grace period to stop, each stopped once', async () => {
    const { env, client, runtime } = await setup({ agent: { workers: 4 } });
    runtime.images.set('acme/stubborn:1', { ignoreSigterm: true });
    const names = ['s0', 's1', 's2', 's3', 's4'];
    for (const name of names) {
      await client.create(kinds.Pod, pod(name, { terminationGracePeriodSeconds: 120, containers: [{ name: 'a', image: 'acme/stubborn:1' }] }));
    }
    await env.eventually(async () => (await client.list(kinds.Pod)).items.filter((p) => p.status?.phase === 'Running').length === names.length);
    for (const name of names) await client.delete(kinds.Pod, { namespace: 'default', name });
    await env.clock.advance(1000);
    expect(runtime.stops.map((s) => s.gracePeriodSeconds)).toEqual([120, 120, 120, 120, 120]);

    const createdAt = env.clock.now();
    await client.create(kinds.Pod, pod('newcomer'));
    await env.eventually(async () => (await getPod(client, 'newcomer')).status?.phase === 'Running', { timeoutMs: 5000 });
    expect(env.clock.now() - createdAt).toBeLessThan(5000);

    // The stubborn ones run on until their grace period is over, and nobody stops them twice.
    await env.clock.advance(60_000);
    expect(runtime.stops).toHaveLength(5);
    for (const name of names) expect(runtime.latest(name, 'a')?.state).toBe('running');
    await env.eventually(async () => (await client.list(kinds.Pod)).items.map((p) => p.metadata.name).join() === 'newcomer', { timeoutMs: 120_000 });
    expect(runtime.stops).toHaveLength(5);
    expect((await getPod(client, 'newcomer')).status?.phase).toBe('Running');
  });
});

describe('node agent: shutdown', () => {
  it('stops without waiting out a preStop hook or a stop in progress, and leaves no timer behind', async () => {
    const { env, client, runtime } = await setup();
    runtime.images.set('acme/stubborn:1', { ignoreSigterm: true });
    await client.create(kinds.Pod, pod('sleepy', {
      terminationGracePeriodSeconds: 3600,
      containers: [{ name: 'a', image: 'acme/stubborn:1', lifecycle: { preStop: { sleep: { seconds: 3000 } } } }],
    }));
    await client.create(kinds.Pod, pod('stubborn', { terminationGracePeriodSeconds: 3600, containers: [{ name: 'a', image: 'acme/stubborn:1' }] }));
    await env.eventually(async () => (await client.list(kinds.Pod)).items.every((p) => p.status?.phase === 'Running'));
    await client.delete(kinds.Pod, { namespace: 'default', name: 'sleepy' });
    await client.delete(kinds.Pod, { namespace: 'default', name: 'stubborn' });
    // The hook sleeps, and the stubborn container's stop waits out its grace period.
    await env.eventually(() => runtime.stops.length === 1, { timeoutMs: 5000 });
    await env.clock.advance(1000);

    await env.stop();
    // Only the fake runtime's own timer is left: its SIGKILL at the end of the stubborn
    // container's grace period (the runtime goes on with a stop it was asked for). The hook's
    // sleep and deadline are gone.
    expect(env.clock.pendingTimers).toBe(1);
    // Both containers are left to the runtime (a restarted agent adopts them).
    expect(runtime.stops.map((s) => s.gracePeriodSeconds)).toEqual([3600]);
  });
});

describe('node agent: preStop hooks', () => {
  it('runs an exec preStop hook, then SIGTERM with what is left of the grace period', async () => {
    const { env, client, runtime } = await setup();
    runtime.images.set('acme/stubborn:1', { ignoreSigterm: true });
    runtime.execHandler = (_id, command) =>
      command.join(' ') === 'sh -c drain' ? new Promise((resolve) => env.clock.setTimeout(() => resolve(ok), 5000)) : ok;
    await client.create(kinds.Pod, pod('hooked', {
      terminationGracePeriodSeconds: 20,
      containers: [{ name: 'a', image: 'acme/stubborn:1', lifecycle: { preStop: { exec: { command: ['sh', '-c', 'drain'] } } } }],
    }));
    await env.eventually(async () => (await getPod(client, 'hooked')).status?.phase === 'Running');
    const id = runtime.latest('hooked', 'a')?.id ?? '';
    const deletedAt = env.clock.now();
    await client.delete(kinds.Pod, { namespace: 'default', name: 'hooked' });
    await env.eventually(() => getPod(client, 'hooked').then(() => false, () => true), { timeoutMs: 60_000 });

    const hook = runtime.execs.find((e) => e.id === id && e.command.join(' ') === 'sh -c drain');
    expect((hook?.at ?? 0) - deletedAt).toBeLessThan(500);
    const stop = runtime.stops.find((s) => s.id === id);
    // SIGTERM when the hook is done, with the 15 s left: the whole stays within the 20 s.
    expect(stop).toEqual({ id, gracePeriodSeconds: 15, at: (hook?.at ?? 0) + 5000 });
    expect(runtime.calls.indexOf(`exec ${id} sh -c drain`)).toBeLessThan(runtime.calls.indexOf(`stop ${id} 15`));
    expect(await eventsOf(client, 'hooked')).toContain('Killing: Stopping container a');
    expect(await eventsOf(client, 'hooked')).not.toContain('FailedPreStopHook: PreStopHook failed');
  });

  it('gives a preStop hook at most the grace period, then SIGTERM with the 2 s minimum', async () => {
    const { env, client, runtime } = await setup();
    runtime.images.set('acme/stubborn:1', { ignoreSigterm: true });
    runtime.execHandler = () => new Promise((resolve) => env.clock.setTimeout(() => resolve(ok), 600_000));
    await client.create(kinds.Pod, pod('slow-hook', {
      terminationGracePeriodSeconds: 10,
      containers: [{ name: 'a', image: 'acme/stubborn:1', lifecycle: { preStop: { exec: { command: ['sleep', '600'] } } } }],
    }));
    await env.eventually(async () => (await getPod(client, 'slow-hook')).status?.phase === 'Running');
    const id = runtime.latest('slow-hook', 'a')?.id ?? '';
    await client.delete(kinds.Pod, { namespace: 'default', name: 'slow-hook' });
    await env.eventually(() => runtime.stops.length > 0, { timeoutMs: 30_000 });
    const hook = runtime.execs.find((e) => e.id === id);
    expect(runtime.stops).toEqual([{ id, gracePeriodSeconds: 2, at: (hook?.at ?? 0) + 10_000 }]);
    await env.eventually(() => getPod(client, 'slow-hook').then(() => false, () => true), { timeoutMs: 30_000 });
  });

  it('goes on with the termination when the preStop hook fails, with a FailedPreStopHook warning', async () => {
    const { env, client, runtime } = await setup();
    runtime.execHandler = () => ({ exitCode: 1, stdout: '', stderr: 'no such file\n' });
    await client.create(kinds.Pod, pod('bad-hook', {
      terminationGracePeriodSeconds: 20,
      containers: [{ name: 'a', image: 'acme/web:1', lifecycle: { preStop: { exec: { command: ['/bin/drain'] } } } }],
    }));
    await env.eventually(async () => (await getPod(client, 'bad-hook')).status?.phase === 'Running');
    const id = runtime.latest('bad-hook', 'a')?.id ?? '';
    await client.delete(kinds.Pod, { namespace: 'default', name: 'bad-hook' });
    await env.eventually(() => getPod(client, 'bad-hook').then(() => false, () => true));
    expect(runtime.stops.find((s) => s.id === id)?.gracePeriodSeconds).toBe(20);
    const warnings = (await client.list(kinds.Event)).items.filter((e) => e.involvedObject.name === 'bad-hook' && e.reason === 'FailedPreStopHook');
    expect(warnings.map((e) => [e.type, e.message])).toEqual([['Warning', 'PreStopHook failed']]);
  });

  it('runs httpGet and sleep preStop hooks; any HTTP answer, even 500, is a success', async () => {
    const { env, client, runtime, prober } = await setup();
    prober.statuses.set('http://hooks.test:8080/quit', 500);
    await client.create(kinds.Pod, pod('http-hook', {
      containers: [
        {
          name: 'a',
          image: 'acme/web:1',
          ports: [{ name: 'http', containerPort: 8080 }],
          lifecycle: { preStop: { httpGet: { host: 'hooks.test', path: '/quit', port: 'http' } } },
        },
      ],
    }));
    await client.create(kinds.Pod, pod('sleep-hook', { terminationGracePeriodSeconds: 20, containers: [{ name: 'a', image: 'acme/web:1', lifecycle: { preStop: { sleep: { seconds: 5 } } } }] }));
    await env.eventually(async () => (await client.list(kinds.Pod)).items.every((p) => p.status?.phase === 'Running'));
    const httpId = runtime.latest('http-hook', 'a')?.id ?? '';
    const sleepId = runtime.latest('sleep-hook', 'a')?.id ?? '';
    const deletedAt = env.clock.now();
    await client.delete(kinds.Pod, { namespace: 'default', name: 'http-hook' });
    await client.delete(kinds.Pod, { namespace: 'default', name: 'sleep-hook' });
    await env.eventually(async () => (await client.list(kinds.Pod)).items.length === 0, { timeoutMs: 60_000 });

    const asked = prober.log.find((l) => l.target === 'http://hooks.test:8080/quit');
    const httpStop = runtime.stops.find((s) => s.id === httpId);
    expect(asked).toBeDefined();
    expect(httpStop?.at).toBeGreaterThanOrEqual(asked?.at ?? Infinity);
    expect(httpStop?.gracePeriodSeconds).toBe(30);
    const sleepStop = runtime.stops.find((s) => s.id === sleepId);
    expect((sleepStop?.at ?? 0) - deletedAt).toBeGreaterThanOrEqual(5000);
    expect((sleepStop?.at ?? 0) - deletedAt).toBeLessThan(5500);
    expect(sleepStop?.gracePeriodSeconds).toBe(15);
    for (const name of ['http-hook', 'sleep-hook']) expect((await eventsOf(client, name)).filter((e) => e.startsWith('FailedPreStopHook'))).toEqual([]);
  });
});

describe('node agent: postStart hooks', () => {
  it('runs the postStart hook after the start; the container waits, unprobed, until it returns', async () => {
    const { env, client, runtime, prober } = await setup();
    runtime.execHandler = (_id, command) =>
      command.join(' ') === 'sh -c warm-up' ? new Promise((resolve) => env.clock.setTimeout(() => resolve(ok), 3000)) : ok;
    await client.create(kinds.Pod, pod('warming', {
      containers: [
        { name: 'web', image: 'acme/web:1', readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 }, lifecycle: { postStart: { exec: { command: ['sh', '-c', 'warm-up'] } } } },
      ],
    }));
    const during = await env.eventually(async () => {
      const p = await getPod(client, 'warming');
      return runtime.latest('warming', 'web')?.state === 'running' && p.status?.containerStatuses !== undefined ? p : undefined;
    });
    const id = runtime.latest('warming', 'web')?.id ?? '';
    const hook = runtime.execs.find((e) => e.id === id && e.command.join(' ') === 'sh -c warm-up');
    expect(hook?.at).toBe(runtime.latest('warming', 'web')?.startedAt);
    expect(during.status?.phase).toBe('Pending');
    expect(during.status?.containerStatuses?.[0]).toMatchObject({ ready: false, started: false, state: { waiting: { reason: 'ContainerCreating' } } });
    expect(prober.asked).toEqual([]);

    prober.answers.set(`${during.status?.podIP ?? ''}:8080`, true);
    const after = await env.eventually(async () => {
      const p = await getPod(client, 'warming');
      return p.status?.containerStatuses?.[0]?.ready === true ? p : undefined;
    });
    expect(after.status?.phase).toBe('Running');
    expect(Math.min(...prober.log.map((l) => l.at))).toBeGreaterThanOrEqual((hook?.at ?? 0) + 3000);
    expect(after.status?.containerStatuses?.[0]?.restartCount).toBe(0);
  });

  it('kills a container whose postStart hook fails (FailedPostStartHook) and restarts it under the crash back-off', async () => {
    const { env, client, runtime } = await setup();
    runtime.execHandler = () => ({ exitCode: 1, stdout: '', stderr: 'boom\n' });
    const created = await client.create(kinds.Pod, pod('hook-fails', { containers: [{ name: 'web', image: 'acme/web:1', lifecycle: { postStart: { exec: { command: ['sh', '-c', 'exit 1'] } } } }] }));
    const uid = created.metadata.uid ?? '';
    const status = await env.eventually(async () => {
      const s = (await getPod(client, 'hook-fails')).status?.containerStatuses?.[0];
      return (s?.restartCount ?? 0) >= 2 && s?.state?.waiting?.reason === 'CrashLoopBackOff' ? s : undefined;
    }, { timeoutMs: 120_000 });
    // Killed by SIGTERM (143) after the hook failed.
    expect(status.lastState?.terminated).toMatchObject({ exitCode: 143, reason: 'Error' });
    const events = await eventsOf(client, 'hook-fails');
    expect(events).toContain(
      `FailedPostStartHook: Exec lifecycle hook ([sh -c exit 1]) for Container "web" in Pod "hook-fails_default(${uid})" failed - error: command 'sh -c exit 1' exited with 1: boom\n, message: "boom\\n"`,
    );
    expect(events).toContain('Killing: FailedPostStartHook');
    expect(runtime.stops[0]?.gracePeriodSeconds).toBe(30);
  });

  it('fails an httpGet postStart hook only when no HTTP answer comes', async () => {
    const { env, client, prober } = await setup();
    prober.statuses.set('http://hooks.test:8080/started', 500);
    const hook = (host: string) => ({ postStart: { httpGet: { host, path: '/started', port: 8080 } } });
    await client.create(kinds.Pod, pod('answered', { containers: [{ name: 'web', image: 'acme/web:1', lifecycle: hook('hooks.test') }] }));
    const silent = await client.create(kinds.Pod, pod('silent', { containers: [{ name: 'web', image: 'acme/web:1', lifecycle: hook('nobody.test') }] }));
    await env.eventually(async () => ((await getPod(client, 'silent')).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
    expect(await eventsOf(client, 'silent')).toContain(
      `FailedPostStartHook: HTTP lifecycle hook (/started) for Container "web" in Pod "silent_default(${silent.metadata.uid ?? ''})" failed - error: Get "http://nobody.test:8080/started": dial tcp: connect: connection refused`,
    );
    const answered = await getPod(client, 'answered');
    expect(answered.status?.containerStatuses?.[0]).toMatchObject({ restartCount: 0, state: { running: {} } });
    expect((await eventsOf(client, 'answered')).filter((e) => e.startsWith('FailedPostStartHook'))).toEqual([]);
  });
});

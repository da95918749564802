/**
 * The node agent on the fake runtime and the fake clock: registration, running pods, probes,
 * restart policies and back-off, image pulls, termination, init containers, stats, adoption.
 * Hooks, termination in the background and pod conditions are in kubelet-lifecycle.test.ts and
 * kubelet-status.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createApiServer, createManager, kinds, parseLabelSelector, type Manager } from '@harbormaster/core';
import { createTestEnv, eventually, FakeClock } from '@harbormaster/core/testing';
import { memoryStore } from '@harbormaster/store-memory';
import { containerMetricsSource } from '../src/kubelet/container-metrics.js';
import { nodeAgent } from '../src/kubelet/node-agent.js';
import { FakeRuntime } from './support-kubelet/fake-runtime.js';
import { adopt, eventsOf, FakeProber, getPod, pod, setup } from './support-kubelet/kubelet-env.js';

describe('node agent', () => {
  it('registers its Node with the runtime capacity and renews its Lease', async () => {
    const { env, client } = await setup();
    const node = await env.eventually(() => client.get(kinds.Node, { name: 'node-1' }).catch(() => undefined));
    expect(node.status?.capacity).toMatchObject({ cpu: '4', memory: `${8 * 1024 * 1024}Ki`, pods: '110' });
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'KubeletReady' });
    expect(node.status?.nodeInfo?.containerRuntimeVersion).toBe('fake://1.0.0');
    expect(node.metadata.labels?.['kubernetes.io/hostname']).toBe('node-1');
    const lease1 = await env.eventually(() => client.get(kinds.Lease, { namespace: 'kube-node-lease', name: 'node-1' }).catch(() => undefined));
    expect(lease1.spec).toMatchObject({ holderIdentity: 'node-1', leaseDurationSeconds: 40 });
    await env.clock.advance(10_000);
    const lease2 = await client.get(kinds.Lease, { namespace: 'kube-node-lease', name: 'node-1' });
    expect(lease2.spec.renewTime).not.toBe(lease1.spec.renewTime);
  });

  it('runs a pod: env, command and args expanded, pod IP, Running and Ready', async () => {
    const { env, client, runtime } = await setup();
    await client.create(kinds.ConfigMap, { metadata: { name: 'settings' }, data: { COLOR: 'blue', SIZE: 'xl' } });
    await client.create(kinds.Pod, pod('web', {
      containers: [
        {
          name: 'web',
          image: 'acme/web:1',
          command: ['/bin/server'],
          args: ['--color=$(COLOR)', '--name=$(MY_NAME)', '$$(LITERAL)'],
          env: [
            { name: 'MY_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            { name: 'GREETING', value: 'hello $(MY_NAME)' },
          ],
          envFrom: [{ configMapRef: { name: 'settings' } }],
          resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '250m' } },
        },
      ],
    }));
    const running = await env.eventually(async () => {
      const p = await getPod(client, 'web');
      return p.status?.phase === 'Running' && p.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? p : undefined;
    });
    expect(running.status?.podIP).toMatch(/^127\.7\.\d+\.\d+$/);
    expect(running.status?.hostIP).toBe('127.0.0.1');
    expect(running.status?.containerStatuses?.[0]).toMatchObject({ name: 'web', ready: true, started: true, restartCount: 0, state: { running: {} } });
    const c = runtime.latest('web', 'web');
    const spec = runtime.specOf(c?.id ?? '');
    expect(spec.command).toEqual(['/bin/server']);
    expect(spec.args).toEqual(['--color=blue', '--name=web', '$(LITERAL)']);
    expect(spec.env).toMatchObject({ MY_NAME: 'web', MY_IP: running.status?.podIP, GREETING: 'hello web', COLOR: 'blue', SIZE: 'xl' });
    expect(spec.resources).toEqual({ cpuLimit: 0.5, cpuRequest: 0.25, memoryLimit: 256 * 1024 * 1024 });
    expect(spec.podIP).toBe(running.status?.podIP);
    const reasons = (await client.list(kinds.Event)).items.filter((e) => e.involvedObject.name === 'web').map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['Pulled', 'Created', 'Started']));
  });

  it('gates Ready on the readiness probe', async () => {
    const { env, client, prober } = await setup();
    await client.create(kinds.Pod, pod('web', {
      containers: [{ name: 'web', image: 'acme/web:1', ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 5 } }],
    }));
    const p = await env.eventually(async () => {
      const x = await getPod(client, 'web');
      return x.status?.phase === 'Running' ? x : undefined;
    });
    const url = `http://${p.status?.podIP ?? ''}:8080/healthz`;
    await env.clock.advance(20_000);
    expect((await getPod(client, 'web')).status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    expect(prober.asked).toContain(url);
    prober.answers.set(url, true);
    await env.eventually(async () => (await getPod(client, 'web')).status?.containerStatuses?.[0]?.ready === true);
    expect((await getPod(client, 'web')).status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    // Failing again for failureThreshold (3) periods makes it unready again.
    prober.answers.set(url, false);
    await env.eventually(async () => (await getPod(client, 'web')).status?.containerStatuses?.[0]?.ready === false);
  });

  it('restarts a crashing container with CrashLoopBackOff: 0, 10, 20, 40 s', async () => {
    const { env, client, runtime } = await setup();
    runtime.images.set('acme/crash:1', { exitAfterMs: 1000, exitCode: 2 });
    const startedAt: number[] = [];
    await client.create(kinds.Pod, pod('crash', { containers: [{ name: 'app', image: 'acme/crash:1' }] }));
    await env.eventually(() => {
      for (const c of runtime.containers.values()) if (c.info.startedAt !== undefined && !startedAt.includes(c.info.startedAt)) startedAt.push(c.info.startedAt);
      return startedAt.length >= 5;
    }, { stepMs: 100, timeoutMs: 200_000 });
    startedAt.sort((a, b) => a - b);
    // Each run lasts 1 s; the pauses between an exit and the next start are the back-off.
    const pauses = startedAt.slice(1).map((t, i) => Math.round((t - (startedAt[i] ?? 0) - 1000) / 1000));
    expect(pauses.slice(0, 4)).toEqual([0, 10, 20, 40]);
    const p = await getPod(client, 'crash');
    const cs = p.status?.containerStatuses?.[0];
    expect(cs?.restartCount).toBeGreaterThanOrEqual(4);
    expect(cs?.lastState?.terminated).toMatchObject({ exitCode: 2, reason: 'Error' });
    expect(p.status?.phase).toBe('Running');
    const waiting = await env.eventually(async () => (await getPod(client, 'crash')).status?.containerStatuses?.[0]?.state?.waiting);
    expect(waiting.reason).toBe('CrashLoopBackOff');
    // Go's time.Duration, and the pod as the kubelet's format.Pod writes it.
    expect(waiting.message).toMatch(new RegExp(`^back-off (10s|20s|40s|1m20s) restarting failed container=app pod=crash_default\\(${p.metadata.uid ?? ''}\\)$`));
    expect(await eventsOf(client, 'crash')).toContain(`BackOff: Back-off restarting failed container app in pod crash_default(${p.metadata.uid ?? ''})`);
  });

  it('follows restartPolicy Never and OnFailure to Succeeded and Failed', async () => {
    const { env, client, runtime } = await setup();
    runtime.images.set('acme/ok:1', { exitAfterMs: 500, exitCode: 0 });
    runtime.images.set('acme/fail:1', { exitAfterMs: 500, exitCode: 3 });
    await client.create(kinds.Pod, pod('never-ok', { restartPolicy: 'Never', containers: [{ name: 'a', image: 'acme/ok:1' }] }));
    await client.create(kinds.Pod, pod('never-fail', { restartPolicy: 'Never', containers: [{ name: 'a', image: 'acme/fail:1' }] }));
    await client.create(kinds.Pod, pod('onfailure-ok', { restartPolicy: 'OnFailure', containers: [{ name: 'a', image: 'acme/ok:1' }] }));
    await client.create(kinds.Pod, pod('onfailure-fail', { restartPolicy: 'OnFailure', containers: [{ name: 'a', image: 'acme/fail:1' }] }));
    await env.eventually(async () => (await getPod(client, 'never-ok')).status?.phase === 'Succeeded');
    await env.eventually(async () => (await getPod(client, 'never-fail')).status?.phase === 'Failed');
    await env.eventually(async () => (await getPod(client, 'onfailure-ok')).status?.phase === 'Succeeded');
    await env.eventually(async () => ((await getPod(client, 'onfailure-fail')).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2);
    expect((await getPod(client, 'onfailure-fail')).status?.phase).toBe('Running');
    const failed = await getPod(client, 'never-fail');
    expect(failed.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(failed.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodFailed' });
    const succeeded = await getPod(client, 'never-ok');
    expect(succeeded.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    expect(succeeded.status?.conditions?.find((c) => c.type === 'Initialized')).toMatchObject({ status: 'True', reason: 'PodCompleted' });
  });

  it('restarts a container whose liveness probe fails', async () => {
    const { env, client, runtime, prober } = await setup();
    await client.create(kinds.Pod, pod('live', { containers: [{ name: 'web', image: 'acme/web:1', livenessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 10, failureThreshold: 3 } }] }));
    const p = await env.eventually(async () => {
      const x = await getPod(client, 'live');
      return x.status?.phase === 'Running' ? x : undefined;
    });
    prober.answers.set(`${p.status?.podIP ?? ''}:8080`, true);
    await env.clock.advance(60_000);
    expect((await getPod(client, 'live')).status?.containerStatuses?.[0]?.restartCount).toBe(0);
    prober.answers.set(`${p.status?.podIP ?? ''}:8080`, false);
    await env.eventually(async () => (await getPod(client, 'live')).status?.containerStatuses?.[0]?.restartCount === 1);
    const events = (await client.list(kinds.Event)).items.map((e) => `${e.reason ?? ''}: ${e.message ?? ''}`);
    expect(events).toEqual(expect.arrayContaining(['Killing: Container web failed liveness probe, will be restarted']));
    expect(events.some((e) => e.startsWith('Unhealthy: Liveness probe failed'))).toBe(true);
    expect(runtime.stops.length).toBeGreaterThanOrEqual(1);
  });

  it('reports ErrImagePull, then ImagePullBackOff with growing back-off', async () => {
    const { env, client, runtime } = await setup();
    await client.create(kinds.Pod, pod('missing', { containers: [{ name: 'app', image: 'acme/nope:1' }] }));
    const first = await env.eventually(async () => (await getPod(client, 'missing')).status?.containerStatuses?.[0]?.state?.waiting);
    expect(first.reason).toBe('ErrImagePull');
    await env.eventually(async () => (await getPod(client, 'missing')).status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff');
    const pulls = () => runtime.calls.filter((c) => c === 'ensureImage acme/nope:1 IfNotPresent').length;
    const before = pulls();
    await env.clock.advance(60_000);
    // 10 s, 20 s, 40 s apart: at most 3 more attempts in a minute.
    expect(pulls() - before).toBeGreaterThanOrEqual(1);
    expect(pulls() - before).toBeLessThanOrEqual(3);
    expect((await getPod(client, 'missing')).status?.phase).toBe('Pending');
    runtime.images.set('acme/nope:1', {});
    await env.eventually(async () => (await getPod(client, 'missing')).status?.phase === 'Running', { timeoutMs: 400_000 });
  });

  it('terminates gracefully on delete, then deletes the pod for good', async () => {
    const { env, client, runtime } = await setup();
    runtime.images.set('acme/stubborn:1', { ignoreSigterm: true });
    await client.create(kinds.Pod, pod('stubborn', { terminationGracePeriodSeconds: 20, containers: [{ name: 'a', image: 'acme/stubborn:1' }] }));
    await env.eventually(async () => (await getPod(client, 'stubborn')).status?.phase === 'Running');
    const id = runtime.latest('stubborn', 'a')?.id ?? '';
    const deleting = await client.delete(kinds.Pod, { namespace: 'default', name: 'stubborn' });
    expect(deleting.metadata.deletionTimestamp).toBeDefined();
    await env.clock.advance(10_000);
    expect(runtime.containers.get(id)?.info.state).toBe('running');
    await env.eventually(() => getPod(client, 'stubborn').then(() => false, () => true));
    expect(runtime.stops.find((s) => s.id === id)?.gracePeriodSeconds).toBe(20);
    expect(runtime.containers.has(id)).toBe(false);
  });

  it('runs init containers in order before the app containers', async () => {
    const { env, client, runtime } = await setup();
    runtime.images.set('acme/init:1', { exitAfterMs: 2000, exitCode: 0 });
    await client.create(kinds.Pod, pod('init', {
      initContainers: [
        { name: 'first', image: 'acme/init:1' },
        { name: 'second', image: 'acme/init:1' },
      ],
    }));
    await env.clock.advance(1000);
    const early = await getPod(client, 'init');
    expect(early.status?.phase).toBe('Pending');
    expect(early.status?.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('False');
    await env.eventually(async () => (await getPod(client, 'init')).status?.phase === 'Running');
    const starts = runtime.calls.filter((c) => c.startsWith('create ')).map((c) => c.split('_')[3]);
    expect(starts).toEqual(['first', 'second', 'web']);
    const p = await getPod(client, 'init');
    expect(p.status?.initContainerStatuses?.map((s) => s.state?.terminated?.reason)).toEqual(['Completed', 'Completed']);
  });

  it('samples container stats into a MetricsSource for the HPA', async () => {
    const env = await createTestEnv({ store: memoryStore() });
    const runtime = new FakeRuntime(env.clock);
    runtime.images.set('acme/busy:1', { cpuCores: 0.35, memoryBytes: 64 * 1024 * 1024 });
    const agent = nodeAgent(env.manager, { nodeName: 'node-1', runtime, prober: new FakeProber() });
    env.manager.add(agent);
    await env.start();
    adopt({ env, runtime, prober: new FakeProber(), client: env.client, agent });
    for (const name of ['a', 'b']) await env.client.create(kinds.Pod, pod(name, { containers: [{ name: 'app', image: 'acme/busy:1' }] }));
    await env.client.create(kinds.Pod, { ...pod('other', { containers: [{ name: 'app', image: 'acme/busy:1' }] }), metadata: { name: 'other', namespace: 'default', labels: { app: 'other' } } });
    await env.eventually(async () => (await env.client.list(kinds.Pod)).items.every((p) => p.status?.phase === 'Running'));
    await env.clock.advance(25_000);
    const source = containerMetricsSource({ agents: [agent], client: env.client });
    const samples = await source.podMetrics({ namespace: 'default', selector: parseLabelSelector('app in (a,b)'), metric: 'cpu', type: 'Resource' });
    expect(samples.map((s) => s.pod).sort()).toEqual(['a', 'b']);
    for (const s of samples) {
      expect(s.value).toBeCloseTo(0.35, 5);
      expect(s.windowMs).toBe(10_000);
    }
    const memory = await source.podMetrics({ namespace: 'default', selector: parseLabelSelector('app=a'), metric: 'memory', type: 'Resource' });
    expect(memory[0]?.value).toBe(64 * 1024 * 1024);
  });

  it('after its own restart adopts the containers of its pods and removes orphans', async () => {
    const clock = new FakeClock();
    const store = memoryStore();
    const api = createApiServer({ store, clock });
    await api.ready();
    const runtime = new FakeRuntime(clock);
    runtime.images.set('acme/web:1', {});
    const run = (m: Manager) => {
      m.add(nodeAgent(m, { nodeName: 'node-1', runtime, prober: new FakeProber() }));
      const stop = new AbortController();
      return { stop, running: m.start(stop.signal) };
    };
    const first = run(createManager({ api }));
    await api.client.create(kinds.Pod, pod('keep'));
    await eventually(async () => (await getPod(api.client, 'keep')).status?.phase === 'Running', { clock });
    const kept = runtime.latest('keep', 'web')?.id ?? '';
    const ipBefore = (await getPod(api.client, 'keep')).status?.podIP;
    first.stop.abort();
    await first.running;
    // While the agent is down: its container keeps running; a pod is deleted for good behind its back.
    const orphan = await runtime.createContainer({
      name: 'hm_default_ghost_web_deadbeef_0',
      image: 'acme/web:1',
      labels: { 'harbormaster.io/node': 'node-1', 'harbormaster.io/pod-uid': 'ghost-uid', 'harbormaster.io/pod-namespace': 'default', 'harbormaster.io/pod-name': 'ghost', 'harbormaster.io/container': 'web', 'harbormaster.io/restart-count': '0' },
    });
    await runtime.startContainer(orphan.id);
    const second = run(createManager({ api }));
    await eventually(() => !runtime.containers.has(orphan.id), { clock });
    await clock.advance(5000);
    expect(runtime.containers.get(kept)?.info.state).toBe('running');
    expect([...runtime.containers.keys()]).toEqual([kept]);
    const after = await getPod(api.client, 'keep');
    expect(after.status?.podIP).toBe(ipBefore);
    expect(after.status?.containerStatuses?.[0]).toMatchObject({ restartCount: 0, containerID: `fake://${kept}` });
    second.stop.abort();
    await second.running;
    await store.close();
  });

  it('backs off a crashing container 10 s doubling to 300 s, stays at 300 s, and forgets it after 10 minutes running', async () => {
    const { env, client, runtime } = await setup();
    runtime.images.set('acme/crash:1', { exitAfterMs: 1000, exitCode: 2 });
    const created = await client.create(kinds.Pod, pod('crash', { containers: [{ name: 'app', image: 'acme/crash:1' }] }));
    const uid = created.metadata.uid ?? '';
    // Start times by container id (the agent keeps only the last two attempts: collect as they go).
    const starts = new Map<string, number>();
    const collect = (): number => {
      for (const c of runtime.containers.values()) if (c.info.startedAt !== undefined) starts.set(c.info.id, c.info.startedAt);
      return starts.size;
    };
    let longest: string | undefined;
    await env.eventually(async () => {
      const waiting = (await getPod(client, 'crash')).status?.containerStatuses?.[0]?.state?.waiting;
      if (waiting?.message?.includes('5m0s') === true) longest = waiting.message;
      return collect() >= 9;
    }, { stepMs: 1000, timeoutMs: 1_500_000 });
    const times = [...starts.values()].sort((a, b) => a - b);
    // Each run lasts 1 s; the pause between an exit and the next start is the back-off.
    const pauses = times.slice(1).map((t, i) => (t - (times[i] ?? 0) - 1000) / 1000);
    expect(pauses).toEqual([0, 10, 20, 40, 80, 160, 300, 300]);
    expect(longest).toBe(`back-off 5m0s restarting failed container=app pod=crash_default(${uid})`);
    expect(await eventsOf(client, 'crash')).toContain(`BackOff: Back-off restarting failed container app in pod crash_default(${uid})`);

    // It runs fine for more than 10 minutes, then fails: restarted at once, the back-off forgotten.
    runtime.images.set('acme/crash:1', {});
    const switchedAt = env.clock.now();
    const healthy = await env.eventually(() => {
      const c = runtime.latest('crash', 'app');
      return c?.state === 'running' && (c.startedAt ?? 0) > switchedAt ? c : undefined;
    }, { stepMs: 1000, timeoutMs: 400_000 });
    await env.clock.advance(11 * 60_000);
    expect(runtime.latest('crash', 'app')?.id).toBe(healthy.id);
    const failedAt = env.clock.now();
    runtime.exit(healthy.id, 2);
    const next = await env.eventually(() => {
      const c = runtime.latest('crash', 'app');
      return c !== undefined && c.id !== healthy.id && c.startedAt !== undefined ? c : undefined;
    }, { stepMs: 100, timeoutMs: 30_000 });
    expect((next.startedAt ?? 0) - failedAt).toBeLessThanOrEqual(1000);
    // And the next failure waits the initial 10 s again.
    runtime.exit(next.id, 2);
    const exitedAt = env.clock.now();
    const after = await env.eventually(() => {
      const c = runtime.latest('crash', 'app');
      return c !== undefined && c.id !== next.id && c.startedAt !== undefined ? c : undefined;
    }, { stepMs: 100, timeoutMs: 60_000 });
    expect(Math.round(((after.startedAt ?? 0) - exitedAt) / 1000)).toBe(10);
  });

  it('restarts a container whose start fails (no finish time, as Docker reports it) under the crash back-off: RunContainerError, then CrashLoopBackOff', async () => {
    const { env, client, runtime } = await setup();
    runtime.images.set('acme/broken:1', { failStart: true });
    const created = await client.create(kinds.Pod, pod('broken', { containers: [{ name: 'app', image: 'acme/broken:1', command: ['/no/such/command'] }] }));
    const uid = created.metadata.uid ?? '';
    const attempts = new Map<string, number>();
    const reasons = new Set<string>();
    await env.eventually(async () => {
      for (const c of runtime.containers.values()) attempts.set(c.info.id, c.info.createdAt ?? 0);
      const reason = (await getPod(client, 'broken')).status?.containerStatuses?.[0]?.state?.waiting?.reason;
      if (reason !== undefined) reasons.add(reason);
      return attempts.size >= 5;
    }, { stepMs: 100, timeoutMs: 200_000 });
    const times = [...attempts.values()].sort((a, b) => a - b);
    // The first restart comes at the next sync (1 s), the others after 10, 20, 40 s of back-off.
    expect(times.slice(1).map((t, i) => Math.round((t - (times[i] ?? 0)) / 1000))).toEqual([1, 10, 20, 40]);
    expect([...reasons]).toEqual(expect.arrayContaining(['RunContainerError', 'CrashLoopBackOff']));
    const status = await env.eventually(async () => {
      const s = (await getPod(client, 'broken')).status?.containerStatuses?.[0];
      return s?.state?.waiting?.reason === 'CrashLoopBackOff' ? s : undefined;
    });
    expect(status.restartCount).toBeGreaterThanOrEqual(4);
    expect(status.state?.waiting?.message).toMatch(new RegExp(`^back-off (40s|1m20s) restarting failed container=app pod=broken_default\\(${uid}\\)$`));
    expect(status.lastState?.terminated).toMatchObject({ exitCode: 128, reason: 'StartError', message: expect.stringContaining('executable file not found') as string });
    expect((await getPod(client, 'broken')).status?.phase).toBe('Running');
    const events = await eventsOf(client, 'broken');
    expect(events).toContain('Failed: Error: failed to create shim task: exec: "/no/such/command": executable file not found in $PATH');
    expect(events).toContain(`BackOff: Back-off restarting failed container app in pod broken_default(${uid})`);
  });

  it('backs off image pulls exactly 10, 20, 40, 80, 160, 300, 300 s, reporting ErrImagePull, then ImagePullBackOff', async () => {
    const { env, client, runtime } = await setup();
    await client.create(kinds.Pod, pod('missing', { containers: [{ name: 'app', image: 'acme/nope:1' }] }));
    const pulls = (): number[] => runtime.ensureImageCalls.filter((c) => c.image === 'acme/nope:1' && c.pullPolicy === 'IfNotPresent').map((c) => c.at);
    const seen: { reason: string; message: string | undefined }[] = [];
    const watch = async (): Promise<void> => {
      const w = (await getPod(client, 'missing')).status?.containerStatuses?.[0]?.state?.waiting;
      if (w?.reason !== undefined && seen.at(-1)?.reason !== w.reason) seen.push({ reason: w.reason, message: w.message });
    };
    await env.eventually(async () => {
      await watch();
      return seen.length >= 4;
    }, { stepMs: 100 });
    expect(seen.slice(0, 4)).toEqual([
      { reason: 'ErrImagePull', message: "pull access denied for acme/nope:1, repository does not exist or may require 'docker login'" },
      { reason: 'ImagePullBackOff', message: 'Back-off pulling image "acme/nope:1"' },
      { reason: 'ErrImagePull', message: expect.any(String) as string },
      { reason: 'ImagePullBackOff', message: 'Back-off pulling image "acme/nope:1"' },
    ]);
    await env.eventually(async () => {
      await watch();
      return pulls().length >= 8;
    }, { stepMs: 1000, timeoutMs: 1_500_000 });
    const times = pulls();
    expect(times.slice(1, 8).map((t, i) => (t - (times[i] ?? 0)) / 1000)).toEqual([10, 20, 40, 80, 160, 300, 300]);
    const p = await getPod(client, 'missing');
    expect(p.status?.phase).toBe('Pending');
    expect(p.status?.containerStatuses?.[0]).toMatchObject({ ready: false, restartCount: 0 });
    expect(await eventsOf(client, 'missing')).toEqual(
      expect.arrayContaining([
        'Pulling: Pulling image "acme/nope:1"',
        `Failed: Failed to pull image "acme/nope:1": pull access denied for acme/nope:1, repository does not exist or may require 'docker login'`,
        'Failed: Error: ErrImagePull',
        'BackOff: Back-off pulling image "acme/nope:1"',
        'Failed: Error: ImagePullBackOff',
      ]),
    );
  });

  it('never pulls under imagePullPolicy Never: ErrImageNeverPull, without back-off, until the image is there', async () => {
    const { env, client, runtime } = await setup();
    await client.create(kinds.Pod, pod('never', { containers: [{ name: 'app', image: 'acme/local:1', imagePullPolicy: 'Never' }] }));
    const waiting = await env.eventually(async () => (await getPod(client, 'never')).status?.containerStatuses?.[0]?.state?.waiting);
    expect(waiting).toEqual({ reason: 'ErrImageNeverPull', message: 'Container image "acme/local:1" is not present with pull policy of Never' });
    await env.clock.advance(30_000);
    expect(runtime.ensureImageCalls.filter((c) => c.image === 'acme/local:1' && c.pullPolicy !== 'Never')).toEqual([]);
    expect(await eventsOf(client, 'never')).toEqual(
      expect.arrayContaining(['ErrImageNeverPull: Container image "acme/local:1" is not present with pull policy of Never', 'Failed: Error: ErrImageNeverPull']),
    );
    // Looked at again every sync, not after a back-off.
    runtime.images.set('acme/local:1', {});
    const loadedAt = env.clock.now();
    await env.eventually(async () => (await getPod(client, 'never')).status?.phase === 'Running');
    expect(env.clock.now() - loadedAt).toBeLessThanOrEqual(1100);
    expect(await eventsOf(client, 'never')).toContain('Pulled: Container image "acme/local:1" already present on machine');
  });

  it('reports how long a real pull took, and an image already present only when nothing was pulled', async () => {
    const { env, client, runtime } = await setup();
    runtime.pullable.set('acme/fresh:1', { exitAfterMs: 5000, exitCode: 1 });
    runtime.pullDelayMs = 1234;
    await client.create(kinds.Pod, pod('fresh', { containers: [{ name: 'app', image: 'acme/fresh:1' }] }));
    await env.eventually(async () => ((await getPod(client, 'fresh')).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
    const pulls = (await eventsOf(client, 'fresh')).filter((e) => e.startsWith('Pulled: ') || e.startsWith('Pulling: '));
    // Truncated to the millisecond and written as Go's time.Duration, as the kubelet does.
    expect(pulls).toEqual([
      'Pulling: Pulling image "acme/fresh:1"',
      'Pulled: Successfully pulled image "acme/fresh:1" in 1.234s (1.234s including waiting)',
      'Pulled: Container image "acme/fresh:1" already present on machine',
    ]);
    expect(runtime.ensureImageCalls.filter((c) => c.pullPolicy === 'IfNotPresent')).toHaveLength(1);
  });

  it('runs liveness and readiness probes only once the startup probe has succeeded', async () => {
    const { env, client, prober } = await setup();
    await client.create(kinds.Pod, pod('slow', {
      containers: [
        {
          name: 'web',
          image: 'acme/web:1',
          ports: [{ name: 'http', containerPort: 8080 }],
          startupProbe: { tcpSocket: { port: 8081 }, periodSeconds: 5, failureThreshold: 30 },
          livenessProbe: { httpGet: { path: '/live', port: 'http' }, periodSeconds: 5 },
          readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 5 },
        },
      ],
    }));
    const running = await env.eventually(async () => {
      const p = await getPod(client, 'slow');
      return p.status?.phase === 'Running' ? p : undefined;
    });
    const ip = running.status?.podIP ?? '';
    const [startup, live, ready] = [`${ip}:8081`, `http://${ip}:8080/live`, `http://${ip}:8080/ready`];
    prober.answers.set(live, true);
    prober.answers.set(ready, true);
    await env.clock.advance(60_000);
    expect(prober.timesOf(startup).length).toBeGreaterThanOrEqual(12);
    expect(prober.timesOf(live)).toEqual([]);
    expect(prober.timesOf(ready)).toEqual([]);
    expect((await getPod(client, 'slow')).status?.containerStatuses?.[0]).toMatchObject({ started: false, ready: false, restartCount: 0, state: { running: {} } });

    prober.answers.set(startup, true);
    const started = await env.eventually(async () => {
      const s = (await getPod(client, 'slow')).status?.containerStatuses?.[0];
      return s?.started === true && s.ready ? s : undefined;
    });
    expect(started.restartCount).toBe(0);
    expect(prober.timesOf(live).length).toBeGreaterThan(0);
    expect(prober.timesOf(ready).length).toBeGreaterThan(0);
    // A startup probe that succeeded is done.
    const startupProbes = prober.timesOf(startup).length;
    await env.clock.advance(30_000);
    expect(prober.timesOf(startup)).toHaveLength(startupProbes);
  });

  it("kills a container whose startup probe fails failureThreshold times, with the probe's own terminationGracePeriodSeconds", async () => {
    const { env, client, runtime, prober } = await setup();
    await client.create(kinds.Pod, pod('never-starts', {
      terminationGracePeriodSeconds: 60,
      containers: [{ name: 'web', image: 'acme/web:1', startupProbe: { tcpSocket: { port: 8081 }, periodSeconds: 10, failureThreshold: 3, terminationGracePeriodSeconds: 7 } }],
    }));
    await env.eventually(async () => (await getPod(client, 'never-starts')).status?.containerStatuses?.[0]?.restartCount === 1);
    const first = runtime.stops[0];
    expect(first?.gracePeriodSeconds).toBe(7);
    // Killed at the third failure: probes at 0, 10 and 20 s after the start.
    const startupTimes = prober.log.filter((l) => l.target.endsWith(':8081')).map((l) => l.at);
    expect(startupTimes.slice(0, 3).map((t) => t - (startupTimes[0] ?? 0))).toEqual([0, 10_000, 20_000]);
    expect(first?.at).toBe(startupTimes[2]);
    expect(await eventsOf(client, 'never-starts')).toEqual(expect.arrayContaining(['Killing: Container web failed startup probe, will be restarted', 'Unhealthy: Startup probe failed: refused']));
  });

  it("kills a container whose liveness probe fails with the probe's terminationGracePeriodSeconds, else the pod's", async () => {
    const { env, client, runtime } = await setup();
    const liveness = { tcpSocket: { port: 8081 }, periodSeconds: 10, failureThreshold: 1 };
    await client.create(kinds.Pod, pod('own-grace', { terminationGracePeriodSeconds: 60, containers: [{ name: 'web', image: 'acme/web:1', livenessProbe: { ...liveness, terminationGracePeriodSeconds: 5 } }] }));
    await client.create(kinds.Pod, pod('pod-grace', { terminationGracePeriodSeconds: 45, containers: [{ name: 'web', image: 'acme/web:1', livenessProbe: liveness }] }));
    const graceOf = (name: string): number | undefined => {
      const ids = new Set([...runtime.containers.values()].filter((c) => c.info.labels['harbormaster.io/pod-name'] === name).map((c) => c.info.id));
      return runtime.stops.find((s) => ids.has(s.id))?.gracePeriodSeconds;
    };
    await env.eventually(() => graceOf('own-grace') !== undefined && graceOf('pod-grace') !== undefined);
    expect(graceOf('own-grace')).toBe(5);
    expect(graceOf('pod-grace')).toBe(45);
  });

  it('runs exec probes in the container', async () => {
    const { env, client, runtime } = await setup();
    runtime.execExitCode = 1;
    await client.create(kinds.Pod, pod('exec', { containers: [{ name: 'web', image: 'acme/web:1', readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 5 } }] }));
    await env.eventually(async () => (await getPod(client, 'exec')).status?.phase === 'Running');
    await env.clock.advance(20_000);
    const id = runtime.latest('exec', 'web')?.id ?? '';
    expect(runtime.execs.filter((e) => e.id === id && e.command.join(' ') === 'cat /tmp/ready').length).toBeGreaterThanOrEqual(4);
    expect((await getPod(client, 'exec')).status?.containerStatuses?.[0]?.ready).toBe(false);
    runtime.execExitCode = 0;
    await env.eventually(async () => (await getPod(client, 'exec')).status?.containerStatuses?.[0]?.ready === true);
  });

  it('applies the probe defaults when no timing is set: period 10 s, timeout 1 s, failureThreshold 3, successThreshold 1', async () => {
    const { env, client, runtime, prober } = await setup();
    const created = await client.create(kinds.Pod, pod('defaults', {
      containers: [{ name: 'web', image: 'acme/web:1', readinessProbe: { tcpSocket: { port: 8080 } }, livenessProbe: { tcpSocket: { port: 8081 } } }],
    }));
    expect(created.spec.containers[0]?.readinessProbe).toEqual({ tcpSocket: { port: 8080 }, periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3, successThreshold: 1 });
    const running = await env.eventually(async () => {
      const p = await getPod(client, 'defaults');
      return p.status?.phase === 'Running' ? p : undefined;
    });
    const ip = running.status?.podIP ?? '';
    const [ready, live] = [`${ip}:8080`, `${ip}:8081`];
    prober.answers.set(live, true);
    await env.clock.advance(35_000);
    const readyTimes = prober.timesOf(ready);
    expect(readyTimes.length).toBeGreaterThanOrEqual(3);
    expect(readyTimes.slice(1).map((t, i) => t - (readyTimes[i] ?? 0))).toEqual(readyTimes.slice(1).map(() => 10_000));
    expect(new Set(prober.log.map((l) => l.timeoutMs))).toEqual(new Set([1000]));
    // One success makes it ready.
    prober.answers.set(ready, true);
    const before = prober.timesOf(ready).length;
    await env.eventually(async () => (await getPod(client, 'defaults')).status?.containerStatuses?.[0]?.ready === true);
    expect(prober.timesOf(ready)).toHaveLength(before + 1);
    // Three failures in a row get it killed, at the third.
    const failingFrom = env.clock.now();
    prober.answers.set(live, false);
    await env.eventually(() => runtime.stops.length > 0);
    // (The probe at failingFrom itself still succeeded.)
    const failures = prober.timesOf(live).filter((t) => t > failingFrom).slice(0, 3);
    expect(failures.map((t) => t - failingFrom)).toEqual([10_000, 20_000, 30_000]);
    expect(runtime.stops.map((x) => x.at)).toEqual([failures[2]]);
  });
});

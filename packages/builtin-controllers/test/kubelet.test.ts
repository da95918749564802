import { afterEach, describe, expect, it } from 'vitest';
import { createApiServer, createManager, kinds, parseLabelSelector, type Client, type InputOf, type Manager } from '@harbormaster/core';
import { createTestEnv, eventually, FakeClock, type TestEnv } from '@harbormaster/core/testing';
import { memoryStore } from '@harbormaster/store-memory';
import { containerMetricsSource } from '../src/kubelet/container-metrics.js';
import { nodeAgent } from '../src/kubelet/node-agent.js';
import type { Prober, ProbeOutcome } from '../src/kubelet/probes.js';
import { FakeRuntime } from './support-kubelet/fake-runtime.js';

/** A prober whose answers the test sets per URL or host:port; unknown targets fail. */
class FakeProber implements Prober {
  readonly answers = new Map<string, boolean>();
  readonly asked: string[] = [];
  async http(url: string): Promise<ProbeOutcome> {
    this.asked.push(url);
    return this.answers.get(url) === true ? { success: true } : { success: false, message: `Get "${url}": connection refused` };
  }
  async tcp(host: string, port: number): Promise<ProbeOutcome> {
    this.asked.push(`${host}:${port}`);
    return this.answers.get(`${host}:${port}`) === true ? { success: true } : { success: false, message: 'refused' };
  }
}

interface Setup {
  env: TestEnv;
  runtime: FakeRuntime;
  prober: FakeProber;
  client: Client;
}

let current: Setup | undefined;
afterEach(async () => {
  await current?.env.stop();
  current = undefined;
});

async function setup(options: { start?: boolean } = {}): Promise<Setup> {
  const env = await createTestEnv({ store: memoryStore() });
  const runtime = new FakeRuntime(env.clock);
  runtime.images.set('acme/web:1', {});
  const prober = new FakeProber();
  env.manager.add(nodeAgent(env.manager, { nodeName: 'node-1', runtime, prober, podSubnet: 7 }));
  if (options.start !== false) await env.start();
  current = { env, runtime, prober, client: env.client };
  return current;
}

type PodSpecInput = NonNullable<InputOf<typeof kinds.Pod>['spec']>;

const pod = (name: string, spec: Partial<PodSpecInput> = {}) => ({
  metadata: { name, namespace: 'default', labels: { app: name } },
  spec: { nodeName: 'node-1', containers: [{ name: 'web', image: 'acme/web:1' }], ...spec },
});

const getPod = (client: Client, name: string) => client.get(kinds.Pod, { namespace: 'default', name });

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
    expect(waiting.message).toMatch(/^back-off \d+s restarting failed container=app pod=crash_default/);
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
    expect(failed.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
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
    const pulls = () => runtime.calls.filter((c) => c === 'ensureImage acme/nope:1').length;
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
    current = { env, runtime, prober: new FakeProber(), client: env.client };
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
});

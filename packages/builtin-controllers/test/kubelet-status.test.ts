/**
 * The pod status the node agent writes, on the fake runtime and the fake clock: the conditions
 * with Kubernetes' reasons and messages (the kubelet's `generateAPIPodStatus` and
 * pkg/kubelet/status/generate.go), and container metrics matched to pods by uid.
 */
import { describe, expect, it } from 'vitest';
import { kinds, parseLabelSelector } from '@harbormaster/core';
import { containerMetricsSource, type PodUsage } from '../src/kubelet/container-metrics.js';
import { conditionOf, getPod, pod, setup } from './support-kubelet/kubelet-env.js';

describe('node agent: pod conditions', () => {
  it('sets PodScheduled=True on a pod bound without the scheduler', async () => {
    const { env, client } = await setup();
    await client.create(kinds.Pod, pod('bound'));
    const p = await env.eventually(async () => {
      const x = await getPod(client, 'bound');
      return x.status?.phase === 'Running' ? x : undefined;
    });
    expect(conditionOf(p, 'PodScheduled')).toMatchObject({ status: 'True' });
    expect(p.status?.conditions?.map((c) => c.type)).toEqual(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);
  });

  it('names the unready containers on ContainersReady and Ready', async () => {
    const { env, client, prober } = await setup();
    const readiness = (port: number) => ({ tcpSocket: { port }, periodSeconds: 1, failureThreshold: 1 });
    await client.create(kinds.Pod, pod('pair', {
      containers: [
        { name: 'a', image: 'acme/web:1', readinessProbe: readiness(8081) },
        { name: 'b', image: 'acme/web:1', readinessProbe: readiness(8082) },
      ],
    }));
    const both = await env.eventually(async () => {
      const x = await getPod(client, 'pair');
      return x.status?.phase === 'Running' ? x : undefined;
    });
    const unready = { status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [a b]' };
    expect(conditionOf(both, 'ContainersReady')).toMatchObject(unready);
    expect(conditionOf(both, 'Ready')).toMatchObject(unready);

    const ip = both.status?.podIP ?? '';
    prober.answers.set(`${ip}:8081`, true);
    const one = await env.eventually(async () => {
      const x = await getPod(client, 'pair');
      return conditionOf(x, 'ContainersReady')?.message === 'containers with unready status: [b]' ? x : undefined;
    });
    expect(conditionOf(one, 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [b]' });

    prober.answers.set(`${ip}:8082`, true);
    const ready = await env.eventually(async () => {
      const x = await getPod(client, 'pair');
      return conditionOf(x, 'Ready')?.status === 'True' ? x : undefined;
    });
    expect(conditionOf(ready, 'Ready')).not.toHaveProperty('message');
    expect(conditionOf(ready, 'ContainersReady')).toEqual({ type: 'ContainersReady', status: 'True', lastTransitionTime: expect.any(String) as string });
  });

  it('names the init containers not yet complete on Initialized', async () => {
    const { env, client, runtime } = await setup();
    runtime.images.set('acme/init:1', { exitAfterMs: 5000, exitCode: 0 });
    await client.create(kinds.Pod, pod('init', { initContainers: [{ name: 'first', image: 'acme/init:1' }, { name: 'second', image: 'acme/init:1' }] }));
    const early = await env.eventually(async () => {
      const x = await getPod(client, 'init');
      return x.status?.initContainerStatuses?.[0]?.state?.running !== undefined ? x : undefined;
    });
    expect(conditionOf(early, 'Initialized')).toMatchObject({ status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [first second]' });
    expect(early.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('PodInitializing');
    const half = await env.eventually(async () => {
      const x = await getPod(client, 'init');
      return x.status?.initContainerStatuses?.[1]?.state?.running !== undefined ? x : undefined;
    });
    expect(conditionOf(half, 'Initialized')).toMatchObject({ status: 'False', message: 'containers with incomplete status: [second]' });
    expect(half.status?.initContainerStatuses?.[0]).toMatchObject({ ready: true, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
    const done = await env.eventually(async () => {
      const x = await getPod(client, 'init');
      return x.status?.phase === 'Running' ? x : undefined;
    });
    expect(conditionOf(done, 'Initialized')).toEqual({ type: 'Initialized', status: 'True', lastTransitionTime: expect.any(String) as string });
  });

  it('holds Ready at False with ReadinessGatesNotReady until every readiness gate is True', async () => {
    const { env, client } = await setup();
    await client.create(kinds.Pod, pod('gated', { readinessGates: [{ conditionType: 'example.com/load-balancer' }] }));
    const missing = await env.eventually(async () => {
      const x = await getPod(client, 'gated');
      return conditionOf(x, 'ContainersReady')?.status === 'True' ? x : undefined;
    });
    expect(conditionOf(missing, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ReadinessGatesNotReady',
      message: 'corresponding condition of pod readiness gate "example.com/load-balancer" does not exist.',
    });

    const setGate = async (status: 'True' | 'False'): Promise<void> => {
      const x = await getPod(client, 'gated');
      const others = (x.status?.conditions ?? []).filter((c) => c.type !== 'example.com/load-balancer');
      await client.updateStatus(kinds.Pod, { ...x, status: { ...x.status, conditions: [...others, { type: 'example.com/load-balancer', status }] } });
    };
    await setGate('False');
    const notTrue = await env.eventually(async () => {
      const x = await getPod(client, 'gated');
      return conditionOf(x, 'Ready')?.message?.startsWith('the status') === true ? x : undefined;
    });
    expect(conditionOf(notTrue, 'Ready')).toMatchObject({ status: 'False', reason: 'ReadinessGatesNotReady', message: 'the status of pod readiness gate "example.com/load-balancer" is not "True", but False' });

    await setGate('True');
    const ready = await env.eventually(async () => {
      const x = await getPod(client, 'gated');
      return conditionOf(x, 'Ready')?.status === 'True' ? x : undefined;
    });
    expect(conditionOf(ready, 'example.com/load-balancer')).toMatchObject({ status: 'True' });
  });
});

describe('container metrics', () => {
  it('matches usage to pods by uid: a pod created again under an old name never gets the old pod’s usage', async () => {
    const { env, client } = await setup();
    const current = await client.create(kinds.Pod, pod('web'));
    const usage = (podUid: string, cpu: number): PodUsage => ({
      podUid,
      namespace: 'default',
      pod: 'web',
      cpu,
      memory: 1024,
      containers: new Map([['web', { cpu, memory: 1024 }]]),
      timestamp: env.clock.now(),
      windowMs: 10_000,
    });
    // An agent still holding the samples of the pod that had the name before.
    const agent = { podUsage: () => [usage('uid-of-the-old-web', 0.9), usage(current.metadata.uid ?? '', 0.2)] };
    const source = containerMetricsSource({ agents: [agent], client });
    const samples = await source.podMetrics({ namespace: 'default', selector: parseLabelSelector('app=web'), metric: 'cpu', type: 'Resource' });
    expect(samples).toEqual([{ pod: 'web', value: 0.2, timestamp: env.clock.now(), windowMs: 10_000 }]);
  });
});

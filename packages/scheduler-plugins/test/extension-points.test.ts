import { afterEach, describe, expect, it } from 'vitest';
import { kinds } from '@harbormaster/core';
import { defaultRegistry, Status, type Handle, type PermitPlugin, type PostBindPlugin, type PreBindPlugin, type ReservePlugin } from '@harbormaster/scheduler-plugins';
import { eventsFor, getPod, nodeInput, podInput, podScheduled, startScheduler, waitForBinding, type SchedulerEnv } from './fixtures.js';

let env: SchedulerEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

function current(): SchedulerEnv {
  if (env === undefined) throw new Error('no environment');
  return env;
}

describe('extension points', () => {
  it('runs Reserve, Permit (Wait, then allowed through the handle), PreBind, Bind and PostBind in order; Unreserve when Reserve fails', async () => {
    const calls: string[] = [];
    let handle: Handle | undefined;
    let reserveFailures = 1;
    const registry = defaultRegistry().register('Lifecycle', (ctx) => {
      handle = ctx.handle;
      const plugin: ReservePlugin & PermitPlugin & PreBindPlugin & PostBindPlugin = {
        name: 'Lifecycle',
        reserve(_s, pod, node) {
          calls.push(`reserve ${pod.metadata.name ?? ''} ${node}`);
          if (reserveFailures-- > 0) return Status.unschedulable('quota exhausted');
          return undefined;
        },
        unreserve(_s, pod, node) {
          calls.push(`unreserve ${pod.metadata.name ?? ''} ${node}`);
        },
        permit(_s, pod) {
          calls.push(`permit ${pod.metadata.name ?? ''}`);
          return { status: Status.wait(), timeoutMs: 60_000 };
        },
        preBind(_s, pod) {
          calls.push(`preBind ${pod.metadata.name ?? ''}`);
          return undefined;
        },
        postBind(_s, pod, node) {
          calls.push(`postBind ${pod.metadata.name ?? ''} ${node}`);
        },
      };
      return plugin;
    });
    env = await startScheduler({ registry, profiles: [{ plugins: { multiPoint: { enabled: [{ name: 'Lifecycle' }] } } }] });
    await env.client.create(kinds.Node, nodeInput('n'));
    await env.client.create(kinds.Pod, podInput('p'));

    // Reserve fails: Unreserve runs, the pod is reported and retried. Since Kubernetes 1.28 the
    // rejection reads as a FitError over the one node tried (schedule_one.go, schedulingCycle).
    const failed = await env.eventually(async () => (await eventsFor(current(), 'p', 'FailedScheduling'))[0]);
    expect(failed.message).toBe('0/1 nodes are available: 1 quota exhausted.');
    const condition = await env.eventually(async () => {
      const c = podScheduled(await getPod(current(), 'p'));
      return c?.reason === 'Unschedulable' ? c : undefined;
    });
    expect(condition).toMatchObject({ status: 'False', message: '0/1 nodes are available: 1 quota exhausted.' });
    expect(calls.slice(0, 2)).toEqual(['reserve p n', 'unreserve p n']);
    const uid = (await getPod(env, 'p')).metadata.uid ?? '';
    // It waits among the unschedulable pods for an event its rejecting plugin registered
    // (Lifecycle registers none, so any event): here, a change to the node's labels.
    expect(env.scheduler.queue.whereIs(uid)).toBe('unschedulable');
    const n = await env.client.get(kinds.Node, { name: 'n' });
    await env.client.update(kinds.Node, { ...n, metadata: { ...n.metadata, labels: { ...n.metadata.labels, quota: 'raised' } } });

    // The retry waits at Permit until a plugin allows it.
    const waiting = await env.eventually(() => handle?.getWaitingPod(uid));
    expect(waiting.pendingPlugins()).toEqual(['Lifecycle']);
    expect(env.scheduler.cache.isAssumed(uid)).toBe(true);
    expect((await getPod(env, 'p')).spec.nodeName).toBeUndefined();
    waiting.allow('Lifecycle');
    expect(await waitForBinding(env, 'p')).toBe('n');
    await env.eventually(() => calls.includes('postBind p n'));
    expect(calls).toEqual(['reserve p n', 'unreserve p n', 'reserve p n', 'permit p', 'preBind p', 'postBind p n']);
  });

  it('gives up on a pod its Permit plugin never allows, after the timeout, and frees its room', async () => {
    const registry = defaultRegistry().register('Hold', () => ({ name: 'Hold', permit: () => ({ status: Status.wait(), timeoutMs: 5_000 }) }) as PermitPlugin);
    env = await startScheduler({ registry, profiles: [{ plugins: { multiPoint: { enabled: [{ name: 'Hold' }] } } }] });
    await env.client.create(kinds.Node, nodeInput('n', { cpu: '1' }));
    await env.client.create(kinds.Pod, podInput('p', { cpu: '1' }));
    const failed = await env.eventually(async () => (await eventsFor(current(), 'p', 'FailedScheduling'))[0]);
    expect(failed.message).toBe('0/1 nodes are available: 1 rejected due to timeout after waiting 5s at plugin Hold.');
    const uid = (await getPod(env, 'p')).metadata.uid ?? '';
    expect(env.scheduler.cache.hasPod(uid)).toBe(false);
  });
});

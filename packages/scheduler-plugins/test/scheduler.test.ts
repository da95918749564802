import { afterEach, describe, expect, it } from 'vitest';
import { kinds } from '@harbormaster/core';
import { eventsFor, getPod, nodeInput, podInput, podScheduled, startScheduler, waitForBinding, type SchedulerEnv } from './fixtures.js';

let env: SchedulerEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

describe('scheduler', () => {
  it('binds a pod to a node, sets PodScheduled=True and records Scheduled', async () => {
    env = await startScheduler();
    await env.client.create(kinds.Node, nodeInput('node-1'));
    await env.client.create(kinds.Pod, podInput('web', { cpu: '100m' }));
    expect(await waitForBinding(env, 'web')).toBe('node-1');
    const p = await env.eventually(async () => {
      const x = await getPod(env as SchedulerEnv, 'web');
      return podScheduled(x)?.status === 'True' ? x : undefined;
    });
    expect(podScheduled(p)).toMatchObject({ status: 'True' });
    const ev = await env.eventually(async () => (await eventsFor(env as SchedulerEnv, 'web', 'Scheduled'))[0]);
    expect(ev.message).toBe('Successfully assigned default/web to node-1');
    expect(ev.source?.component).toBe('default-scheduler');
  });
});

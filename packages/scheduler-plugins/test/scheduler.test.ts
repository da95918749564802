import { afterEach, describe, expect, it } from 'vitest';
import { kinds } from '@harbormaster/core';
import {
  defaultRegistry,
  numFeasibleNodesToFind,
  Status,
  type BindPlugin,
  type FilterPlugin,
  type Plugin,
  type PreFilterPlugin,
} from '@harbormaster/scheduler-plugins';
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

async function failedScheduling(name: string): Promise<kinds.Event> {
  return current().eventually(async () => (await eventsFor(current(), name, 'FailedScheduling'))[0]);
}

async function unschedulableCondition(name: string): Promise<kinds.PodCondition> {
  return current().eventually(async () => {
    const c = podScheduled(await getPod(current(), name));
    return c?.status === 'False' && c.reason === 'Unschedulable' ? c : undefined;
  });
}

describe('scheduler', () => {
  it('binds a pod to a node, sets PodScheduled=True and records Scheduled', async () => {
    env = await startScheduler();
    await env.client.create(kinds.Node, nodeInput('node-1'));
    await env.client.create(kinds.Pod, podInput('web', { cpu: '100m' }));
    expect(await waitForBinding(env, 'web')).toBe('node-1');
    const p = await env.eventually(async () => {
      const x = await getPod(current(), 'web');
      return podScheduled(x)?.status === 'True' ? x : undefined;
    });
    expect(podScheduled(p)).toMatchObject({ status: 'True' });
    const ev = await env.eventually(async () => (await eventsFor(current(), 'web', 'Scheduled'))[0]);
    expect(ev).toMatchObject({ type: 'Normal', message: 'Successfully assigned default/web to node-1' });
    expect(ev.source?.component).toBe('default-scheduler');
  });

  it("reports FailedScheduling and PodScheduled=False with Kubernetes' message, preemption included", async () => {
    env = await startScheduler();
    const unreachable = [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' as const }];
    for (let i = 1; i <= 3; i++) {
      await env.client.create(kinds.Node, nodeInput(`busy-${i}`, { cpu: '2' }));
      await env.client.create(kinds.Pod, podInput(`existing-${i}`, { cpu: '1500m', nodeName: `busy-${i}` }));
    }
    for (let i = 1; i <= 2; i++) await env.client.create(kinds.Node, nodeInput(`gone-${i}`, { taints: unreachable }));
    await env.client.create(kinds.Pod, podInput('big', { cpu: '1' }));
    const message =
      '0/5 nodes are available: 2 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 3 Insufficient cpu. ' +
      'preemption: 0/5 nodes are available: 2 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod.';
    const ev = await failedScheduling('big');
    expect(ev).toMatchObject({ type: 'Warning', reason: 'FailedScheduling', message });
    expect(ev.source?.component).toBe('default-scheduler');
    expect(await unschedulableCondition('big')).toMatchObject({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message });
    expect((await getPod(env, 'big')).spec.nodeName).toBeUndefined();
  });

  it('reports without the preemption part when the profile has no DefaultPreemption', async () => {
    env = await startScheduler({ profiles: [{ plugins: { postFilter: { disabled: [{ name: '*' }] } } }] });
    await env.client.create(kinds.Node, nodeInput('small', { cpu: '1' }));
    await env.client.create(kinds.Pod, podInput('big', { cpu: '2' }));
    expect((await failedScheduling('big')).message).toBe('0/1 nodes are available: 1 Insufficient cpu.');
  });

  it('keeps a nomination when a profile without PostFilter plugins fails the pod again (ModeNoop)', async () => {
    env = await startScheduler({ profiles: [{ plugins: { postFilter: { disabled: [{ name: '*' }] } } }] });
    await env.client.create(kinds.Node, nodeInput('small', { cpu: '1' }));
    await env.client.create(kinds.Pod, podInput('big', { cpu: '2' }));
    await failedScheduling('big');
    const p = await getPod(env, 'big');
    await env.client.updateStatus(kinds.Pod, { ...p, status: { ...p.status, nominatedNodeName: 'small' } });
    // A node with room but a taint the pod does not tolerate brings the pod back (the CPU it
    // lacked is there); it fails again, and its nomination stays.
    await env.client.create(kinds.Node, nodeInput('other', { cpu: '4', taints: [{ key: 'dedicated', value: 'batch', effect: 'NoSchedule' }] }));
    await env.eventually(async () => ((await eventsFor(current(), 'big', 'FailedScheduling')).length >= 2 ? true : undefined));
    expect((await getPod(env, 'big')).status?.nominatedNodeName).toBe('small');
  });

  it('says so when there is no node at all', async () => {
    env = await startScheduler();
    await env.client.create(kinds.Pod, podInput('lonely'));
    expect((await failedScheduling('lonely')).message).toBe('no nodes available to schedule pods');
  });

  it('schedules an unschedulable pod once a node that fits is added (after its back-off)', async () => {
    env = await startScheduler();
    await env.client.create(kinds.Node, nodeInput('small', { cpu: '1' }));
    await env.client.create(kinds.Pod, podInput('big', { cpu: '2' }));
    await unschedulableCondition('big');
    expect(env.scheduler.queue.whereIs((await getPod(env, 'big')).metadata.uid ?? '')).toBe('unschedulable');
    await env.client.create(kinds.Node, nodeInput('large', { cpu: '4' }));
    expect(await waitForBinding(env, 'big')).toBe('large');
  });

  it('schedules an unschedulable pod when a node is updated to fit (taint removed)', async () => {
    env = await startScheduler();
    const tainted = await env.client.create(kinds.Node, nodeInput('n', { taints: [{ key: 'maintenance', effect: 'NoSchedule' }] }));
    await env.client.create(kinds.Pod, podInput('p'));
    await unschedulableCondition('p');
    await env.client.update(kinds.Node, { ...tainted, spec: { ...tainted.spec, taints: [] } });
    expect(await waitForBinding(env, 'p')).toBe('n');
  });

  it('keeps gated pods out with PodScheduled=False (SchedulingGated) until the gates are removed', async () => {
    env = await startScheduler();
    await env.client.create(kinds.Node, nodeInput('n'));
    await env.client.create(kinds.Pod, podInput('gated', { spec: { schedulingGates: [{ name: 'example.com/approval' }] } }));
    const c = await env.eventually(async () => podScheduled(await getPod(current(), 'gated')));
    expect(c).toMatchObject({ status: 'False', reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' });
    await env.clock.advance(60_000);
    expect((await getPod(env, 'gated')).spec.nodeName).toBeUndefined();
    const p = await getPod(env, 'gated');
    await env.client.update(kinds.Pod, { ...p, spec: { ...p.spec, schedulingGates: [] } });
    expect(await waitForBinding(env, 'gated')).toBe('n');
  });

  it('schedules pods by their schedulerName with the matching profile, and ignores others', async () => {
    env = await startScheduler({
      profiles: [
        {},
        { schedulerName: 'bin-packing', pluginConfig: [{ name: 'NodeResourcesFit', args: { scoringStrategy: { type: 'MostAllocated' } } }] },
      ],
    });
    await env.client.create(kinds.Node, nodeInput('empty', { cpu: '4', memory: '8Gi' }));
    await env.client.create(kinds.Node, nodeInput('busy', { cpu: '4', memory: '8Gi' }));
    await env.client.create(kinds.Pod, podInput('base', { cpu: '2', memory: '4Gi', nodeName: 'busy' }));
    await env.client.create(kinds.Pod, podInput('packed', { cpu: '1', memory: '2Gi', spec: { schedulerName: 'bin-packing' } }));
    await env.client.create(kinds.Pod, podInput('spread', { cpu: '1', memory: '2Gi' }));
    await env.client.create(kinds.Pod, podInput('foreign', { spec: { schedulerName: 'someone-else' } }));
    expect(await waitForBinding(env, 'packed')).toBe('busy');
    expect(await waitForBinding(env, 'spread')).toBe('empty');
    const ev = await env.eventually(async () => (await eventsFor(current(), 'packed', 'Scheduled'))[0]);
    expect(ev.source?.component).toBe('bin-packing');
    await env.clock.advance(30_000);
    const foreign = await getPod(env, 'foreign');
    expect(foreign.spec.nodeName).toBeUndefined();
    expect(podScheduled(foreign)).toBeUndefined();
  });

  it('assumes the pod at Reserve, forgets it when binding fails, and confirms it when the informer sees the binding', async () => {
    const seen: { assumed: boolean; requested: number }[] = [];
    let failures = 1;
    const registry = defaultRegistry().register('FlakyBinder', ({ handle }) => {
      void handle;
      const plugin: BindPlugin = {
        name: 'FlakyBinder',
        bind(_state, p) {
          const s = current().scheduler;
          seen.push({ assumed: s.cache.isAssumed(p.metadata.uid ?? ''), requested: s.cache.get('n')?.requested.milliCPU ?? -1 });
          if (failures-- > 0) throw new Error('the API is down');
          return Status.skip();
        },
      };
      return plugin;
    });
    // Explicitly ordered: FlakyBinder, then DefaultBinder (a default plugin listed at a point keeps its
    // multiPoint place, first, unless disabled there).
    const bind = { disabled: [{ name: 'DefaultBinder' }], enabled: [{ name: 'FlakyBinder' }, { name: 'DefaultBinder' }] };
    env = await startScheduler({ registry, profiles: [{ plugins: { bind } }] });
    await env.client.create(kinds.Node, nodeInput('n', { cpu: '2' }));
    await env.client.create(kinds.Pod, podInput('p', { cpu: '1' }));
    const ev = await failedScheduling('p');
    expect(ev.message).toBe('running Bind plugin "FlakyBinder": the API is down');
    // Assumed while binding; forgotten after the failure.
    expect(seen[0]).toEqual({ assumed: true, requested: 1000 });
    const uid = (await getPod(env, 'p')).metadata.uid ?? '';
    expect(env.scheduler.cache.hasPod(uid)).toBe(false);
    expect(env.scheduler.cache.get('n')?.requested.milliCPU).toBe(0);
    // Retried after back-off, bound, and confirmed: accounted once, no longer assumed.
    expect(await waitForBinding(env, 'p')).toBe('n');
    await env.eventually(() => env?.scheduler.cache.hasPod(uid) === true && !env.scheduler.cache.isAssumed(uid));
    expect(env.scheduler.cache.get('n')?.requested.milliCPU).toBe(1000);
    expect(seen).toHaveLength(2);
  });

  it('examines the adaptive share of nodes, starting each cycle where the last one stopped', async () => {
    const examined: string[][] = [];
    const registry = defaultRegistry().register('Recorder', () => {
      const plugin: FilterPlugin & Plugin = {
        name: 'Recorder',
        filter(_state, p, nodeInfo) {
          const i = Number(p.metadata.name?.split('-')[1]);
          (examined[i] ??= []).push(nodeInfo.name);
          return undefined;
        },
      };
      return plugin;
    });
    env = await startScheduler({ registry, profiles: [{ plugins: { multiPoint: { enabled: [{ name: 'Recorder' }] } } }] });
    const numNodes = 300;
    for (let i = 0; i < numNodes; i++) await env.client.create(kinds.Node, nodeInput(`n-${String(i).padStart(3, '0')}`));
    // 300 nodes: 50 − 300/125 = 48 % → 144 nodes per pod.
    expect(numFeasibleNodesToFind(0, numNodes)).toBe(144);
    const order = env.scheduler.cache.list().map((n) => n.name);
    for (let i = 0; i < 3; i++) {
      await env.client.create(kinds.Pod, podInput(`p-${i}`));
      await waitForBinding(env, `p-${i}`);
    }
    expect(examined.map((e) => e.length)).toEqual([144, 144, 144]);
    expect(examined[0]).toEqual(order.slice(0, 144));
    expect(examined[1]).toEqual(order.slice(144, 288));
    expect(examined[2]).toEqual([...order.slice(288), ...order.slice(0, 132)]);
  });

  it('advances the next start index over all nodes, also when PreFilter restricted the pod to some', async () => {
    const examined: Record<string, string[]> = {};
    let restrictTo: ReadonlySet<string> = new Set();
    const registry = defaultRegistry().register('Recorder', () => {
      const plugin: PreFilterPlugin & FilterPlugin = {
        name: 'Recorder',
        // Pods labelled restricted=yes may only go to `restrictTo` (as NodeAffinity on metadata.name would).
        preFilter: (_state, p) => (p.metadata.labels?.['restricted'] === 'yes' ? { nodeNames: restrictTo } : undefined),
        filter(_state, p, nodeInfo) {
          (examined[p.metadata.name ?? ''] ??= []).push(nodeInfo.name);
          return undefined;
        },
      };
      return plugin;
    });
    env = await startScheduler({ registry, profiles: [{ plugins: { multiPoint: { enabled: [{ name: 'Recorder' }] } } }] });
    for (let i = 0; i < 300; i++) await env.client.create(kinds.Node, nodeInput(`n-${String(i).padStart(3, '0')}`));
    const order = env.scheduler.cache.list().map((n) => n.name);
    restrictTo = new Set(order.slice(0, 10));
    await env.client.create(kinds.Pod, podInput('first'));
    await waitForBinding(env, 'first');
    await env.client.create(kinds.Pod, podInput('restricted', { labels: { restricted: 'yes' } }));
    await waitForBinding(env, 'restricted');
    await env.client.create(kinds.Pod, podInput('third'));
    await waitForBinding(env, 'third');
    // first: nodes 0–143, next index 144. restricted: its 10 nodes from 144 % 10 = 4, all 10
    // processed; Kubernetes' next index is (144 + 10) % 300 = 154 (over all nodes, not % 10).
    expect(examined['first']).toEqual(order.slice(0, 144));
    expect(examined['restricted']).toEqual([...order.slice(4, 10), ...order.slice(0, 4)]);
    expect(examined['third']).toEqual(order.slice(154, 298));
  });

  it('honours a profile percentageOfNodesToScore', async () => {
    const counts: number[] = [];
    const registry = defaultRegistry().register('Counter', () => ({
      name: 'Counter',
      preFilter: () => {
        counts.push(0);
        return undefined;
      },
      filter: () => {
        counts[counts.length - 1] = (counts[counts.length - 1] ?? 0) + 1;
        return undefined;
      },
    }) as Plugin);
    env = await startScheduler({ registry, profiles: [{ percentageOfNodesToScore: 100, plugins: { multiPoint: { enabled: [{ name: 'Counter' }] } } }] });
    for (let i = 0; i < 150; i++) await env.client.create(kinds.Node, nodeInput(`n-${i}`));
    await env.client.create(kinds.Pod, podInput('p'));
    await waitForBinding(env, 'p');
    expect(counts).toEqual([150]);
  });
});

describe('numFeasibleNodesToFind', () => {
  it("computes Kubernetes' adaptive percentage", () => {
    expect(numFeasibleNodesToFind(0, 50)).toBe(50);
    expect(numFeasibleNodesToFind(0, 99)).toBe(99);
    expect(numFeasibleNodesToFind(0, 100)).toBe(100);
    expect(numFeasibleNodesToFind(0, 1000)).toBe(420);
    expect(numFeasibleNodesToFind(0, 5000)).toBe(500);
    expect(numFeasibleNodesToFind(0, 6000)).toBe(300);
    expect(numFeasibleNodesToFind(0, 20_000)).toBe(1000);
    expect(numFeasibleNodesToFind(30, 1000)).toBe(300);
    expect(numFeasibleNodesToFind(30, 200)).toBe(100);
    expect(numFeasibleNodesToFind(100, 5000)).toBe(5000);
  });
});

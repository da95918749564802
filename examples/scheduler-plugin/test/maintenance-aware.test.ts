import { afterEach, describe, expect, it } from 'vitest';
import { Container, ContainerModule, coreModule, kinds, TOKENS, type Client, type InputOf } from '@harbormaster/core';
import { createTestEnv, eventually, FakeClock, type TestEnv } from '@harbormaster/core/testing';
import { createScheduler, defaultRegistry, SCHEDULER_TOKENS, schedulerModule, type KubeSchedulerProfile } from '@harbormaster/scheduler-plugins';
import { memoryStore, memoryStoreModule } from '@harbormaster/store-memory';
import { ERR_REASON_MAINTENANCE, MAINTENANCE_AWARE, maintenanceAware } from '../src/maintenance-aware.js';

const profile: KubeSchedulerProfile = { plugins: { multiPoint: { enabled: [{ name: MAINTENANCE_AWARE, weight: 5 }] } } };

function node(name: string, annotations: Record<string, string> = {}): InputOf<typeof kinds.Node> {
  const allocatable = { cpu: '4', memory: '8Gi', pods: '110' };
  return { metadata: { name, annotations, labels: { 'kubernetes.io/hostname': name } }, status: { capacity: allocatable, allocatable } };
}

function pod(name: string): InputOf<typeof kinds.Pod> {
  return { metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'web', image: 'nginx:1.27', resources: { requests: { cpu: '100m' } } }] } };
}

async function boundNode(client: Client, clock: FakeClock, name: string): Promise<string> {
  return eventually(async () => (await client.get(kinds.Pod, { namespace: 'default', name })).spec.nodeName, { clock });
}

let env: TestEnv | undefined;
let stopDi: (() => Promise<void>) | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
  await stopDi?.();
  stopDi = undefined;
});

describe('MaintenanceAware, through the plain API', () => {
  it('keeps pods off nodes under maintenance, prefers nodes not due for it, and retries when maintenance ends', async () => {
    env = await createTestEnv({ store: memoryStore() });
    const registry = defaultRegistry().register(MAINTENANCE_AWARE, maintenanceAware);
    env.manager.add(createScheduler({ manager: env.manager, registry, profiles: [profile] }));
    await env.start();
    const { client, clock } = env;
    await client.create(kinds.Node, node('under', { 'example.com/maintenance': 'true' }));
    await client.create(kinds.Node, node('soon', { 'example.com/maintenance-soon': 'true' }));
    await client.create(kinds.Node, node('fine'));
    for (let i = 0; i < 3; i++) await client.create(kinds.Pod, pod(`web-${i}`));
    for (let i = 0; i < 3; i++) expect(await boundNode(client, clock, `web-${i}`)).toBe('fine');
  });

  it('explains the rejection, and schedules the pod once the maintenance annotation is removed', async () => {
    env = await createTestEnv({ store: memoryStore() });
    env.manager.add(createScheduler({ manager: env.manager, registry: defaultRegistry().register(MAINTENANCE_AWARE, maintenanceAware), profiles: [profile] }));
    await env.start();
    const { client, clock } = env;
    const n = await client.create(kinds.Node, node('only', { 'example.com/maintenance': 'true' }));
    await client.create(kinds.Pod, pod('web'));
    const event = await eventually(async () => (await client.list(kinds.Event, { fieldSelector: 'reason=FailedScheduling' })).items[0], { clock });
    expect(event.message).toBe(`0/1 nodes are available: 1 ${ERR_REASON_MAINTENANCE}. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.`);
    await client.update(kinds.Node, { ...n, metadata: { ...n.metadata, annotations: {} } });
    expect(await boundNode(client, clock, 'web')).toBe('only');
  });
});

describe('MaintenanceAware, through dependency injection', () => {
  it('is bound into the scheduler registry by a ContainerModule', async () => {
    const clock = new FakeClock();
    const container = new Container();
    container.loadSync(
      memoryStoreModule(),
      coreModule(),
      schedulerModule(),
      new ContainerModule(({ bind }) => {
        bind(TOKENS.Clock).toConstantValue(clock);
        bind(SCHEDULER_TOKENS.Plugin).toConstantValue({ name: MAINTENANCE_AWARE, factory: maintenanceAware });
        bind(SCHEDULER_TOKENS.Configuration).toConstantValue({ profiles: [profile] });
      }),
    );
    const manager = container.get(TOKENS.Manager);
    const client = container.get(TOKENS.Client);
    const stop = new AbortController();
    const running = manager.start(stop.signal);
    stopDi = async () => {
      stop.abort();
      await running;
      await container.get(TOKENS.ApiServer).close();
    };
    await eventually(() => manager.informers.waitForCacheSync(stop.signal), { clock });
    await client.create(kinds.Node, node('under', { 'example.com/maintenance': 'true' }));
    await client.create(kinds.Node, node('fine'));
    await client.create(kinds.Pod, pod('web'));
    expect(await boundNode(client, clock, 'web')).toBe('fine');
  });

  it('refuses a plugin bound under the name of an in-tree one', () => {
    const container = new Container();
    container.loadSync(
      memoryStoreModule(),
      coreModule(),
      schedulerModule(),
      new ContainerModule(({ bind }) => {
        bind(SCHEDULER_TOKENS.Plugin).toConstantValue({ name: 'NodeResourcesFit', factory: maintenanceAware });
      }),
    );
    expect(() => container.get(TOKENS.Manager)).toThrow(/a plugin named NodeResourcesFit is registered already/);
  });
});

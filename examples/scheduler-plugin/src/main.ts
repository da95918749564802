/**
 * Run the scheduler with the MaintenanceAware plugin added to the default plugins, twice:
 *
 * 1. through the plain API: a registry with the plugin, and a profile enabling it;
 * 2. through dependency injection: a ContainerModule binding the plugin into the scheduler's
 *    registry, next to the store, core and scheduler modules.
 *
 *   npm run build && npm run start --workspace examples/scheduler-plugin
 */
import { Container, ContainerModule, coreModule, createApiServer, createManager, kinds, TOKENS, type Client, type Manager } from '@harbormaster/core';
import { createScheduler, defaultRegistry, SCHEDULER_TOKENS, schedulerModule, type KubeSchedulerProfile } from '@harbormaster/scheduler-plugins';
import { memoryStore, memoryStoreModule } from '@harbormaster/store-memory';
import { MAINTENANCE_AWARE, maintenanceAware } from './maintenance-aware.js';

/** A profile: the default plugins plus MaintenanceAware (filter, and score with weight 5). */
const profile: KubeSchedulerProfile = { plugins: { multiPoint: { enabled: [{ name: MAINTENANCE_AWARE, weight: 5 }] } } };

async function demo(title: string, client: Client, manager: Manager): Promise<void> {
  console.log(`\n${title}`);
  const stop = new AbortController();
  const running = manager.start(stop.signal);
  const allocatable = { cpu: '4', memory: '8Gi', pods: '110' };
  const nodes: [string, Record<string, string>][] = [
    ['node-a', { 'example.com/maintenance': 'true' }],
    ['node-b', { 'example.com/maintenance-soon': 'true' }],
    ['node-c', {}],
  ];
  for (const [name, annotations] of nodes) {
    await client.create(kinds.Node, { metadata: { name, annotations, labels: { 'kubernetes.io/hostname': name } }, status: { capacity: allocatable, allocatable } });
  }
  for (let i = 0; i < 3; i++) {
    await client.create(kinds.Pod, {
      metadata: { name: `web-${i}`, namespace: 'default' },
      spec: { containers: [{ name: 'web', image: 'nginx:1.27', resources: { requests: { cpu: '100m' } } }] },
    });
  }
  for (let i = 0; i < 3; i++) {
    for (let attempt = 0; ; attempt++) {
      const pod = await client.get(kinds.Pod, { namespace: 'default', name: `web-${i}` });
      if (pod.spec.nodeName !== undefined) {
        console.log(`  web-${i} → ${pod.spec.nodeName}`);
        break;
      }
      if (attempt > 500) throw new Error(`web-${i} was not scheduled`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  stop.abort();
  await running;
}

// 1. The plain API.
{
  const api = createApiServer({ store: memoryStore() });
  const manager = createManager({ api });
  const registry = defaultRegistry().register(MAINTENANCE_AWARE, maintenanceAware);
  manager.add(createScheduler({ manager, registry, profiles: [profile] }));
  await demo('plain API: createScheduler({ manager, registry, profiles })', api.client, manager);
  await api.close();
}

// 2. Dependency injection.
{
  const container = new Container();
  container.loadSync(
    memoryStoreModule(),
    // The core module binds the API server, the manager and its client.
    coreModule(),
    schedulerModule(),
    new ContainerModule(({ bind }) => {
      bind(SCHEDULER_TOKENS.Plugin).toConstantValue({ name: MAINTENANCE_AWARE, factory: maintenanceAware });
      bind(SCHEDULER_TOKENS.Configuration).toConstantValue({ profiles: [profile] });
    }),
  );
  const manager = container.get(TOKENS.Manager);
  await demo('dependency injection: schedulerModule() + a ContainerModule binding the plugin', container.get(TOKENS.Client), manager);
  await container.get(TOKENS.ApiServer).close();
}

/**
 * The environment of the cluster scenario tests: a test environment (in-memory store, API,
 * manager, fake clock) with the garbage collector, the namespace controller, the ClusterIP
 * allocator and its repair controller, the Endpoints and EndpointSlice controllers, the node
 * lifecycle and taint eviction controllers, and the DefaultTolerationSeconds plugin.
 *
 * @module
 */
import { isNotFound, type AnyKind, type ObjectKey } from '@harbormaster/core';
import { createTestEnv, type TestEnv } from '@harbormaster/core/testing';
import { memoryStore } from '@harbormaster/store-memory';
import { setupGarbageCollectorController, type GarbageCollector } from '../../src/garbage-collector/index.js';
import { setupNamespaceController } from '../../src/namespace/index.js';
import { defaultTolerationSeconds, setupNodeLifecycleController, setupTaintEvictionController, type NodeLifecycleController } from '../../src/node-lifecycle/index.js';
import {
  serviceIPAllocator,
  setupEndpointSliceController,
  setupEndpointsController,
  setupServiceIPRepairController,
  type ServiceIPAllocator,
} from '../../src/service/index.js';

/** A running cluster environment. */
export interface ClusterEnv extends TestEnv {
  readonly gc: GarbageCollector;
  readonly ips: ServiceIPAllocator;
  readonly nodeLifecycle: NodeLifecycleController;
  /** Whether the object is gone (404). */
  gone(kind: AnyKind, key: ObjectKey): Promise<boolean>;
}

/** Start a cluster environment. Stop it with `env.stop()`. */
export async function clusterEnv(options: { serviceRange?: string } = {}): Promise<ClusterEnv> {
  const e = await createTestEnv({ store: memoryStore(), admission: [defaultTolerationSeconds()] });
  const ips = serviceIPAllocator({ range: options.serviceRange ?? '10.96.0.0/12', client: e.api.client, clock: e.clock });
  e.api.admission.add(ips);
  const gc = setupGarbageCollectorController(e.manager, { registry: e.api.registry });
  setupNamespaceController(e.manager, { registry: e.api.registry });
  setupServiceIPRepairController(e.manager, { allocator: ips });
  setupEndpointsController(e.manager);
  setupEndpointSliceController(e.manager);
  const nodeLifecycle = setupNodeLifecycleController(e.manager);
  setupTaintEvictionController(e.manager);
  await e.start();
  return Object.assign(e, {
    gc,
    ips,
    nodeLifecycle,
    async gone(kind: AnyKind, key: ObjectKey): Promise<boolean> {
      try {
        await e.client.get(kind, key);
        return false;
      } catch (err) {
        if (isNotFound(err)) return true;
        throw err;
      }
    },
  });
}

/**
 * Every built-in controller in one call, the way kube-controller-manager runs them: ReplicaSet,
 * Deployment, garbage collector, namespace, Endpoints, EndpointSlice, Service IP repair, node
 * lifecycle with taint-based eviction, HPA and CRD — plus the admission plugins they rely on
 * (ClusterIP allocation, default toleration seconds) registered on the API server.
 *
 * @example
 * ```ts
 * const api = createApiServer({ store: memoryStore() });
 * const manager = createManager({ api });
 * setupBuiltinControllers(manager, { api, metrics: staticMetricsSource() });
 * await manager.start(signal);
 * ```
 *
 * @module
 */
import { ContainerModule, TOKENS, type ApiServer, type Manager } from '@harbormaster/core';
import { setupCrdController } from './crd/crd-controller.js';
import { setupDeploymentController } from './deployment/deployment-controller.js';
import { setupGarbageCollectorController } from './garbage-collector/garbage-collector.js';
import { setupHpaController, type HpaControllerOptions } from './hpa/hpa-controller.js';
import type { MetricsSource } from './hpa/metrics-source.js';
import { setupNamespaceController } from './namespace/namespace-controller.js';
import { defaultTolerationSeconds } from './node-lifecycle/default-toleration-seconds.js';
import { setupNodeLifecycleController, type NodeLifecycleOptions } from './node-lifecycle/node-lifecycle-controller.js';
import { setupTaintEvictionController } from './node-lifecycle/taint-eviction-controller.js';
import { setupReplicaSetController } from './replicaset/replicaset-controller.js';
import { setupEndpointSliceController } from './service/endpoint-slice-controller.js';
import { setupEndpointsController } from './service/endpoints-controller.js';
import { serviceIPAllocator, setupServiceIPRepairController } from './service/service-ip-allocator.js';

/** Options of {@link setupBuiltinControllers}. */
export interface BuiltinControllersOptions {
  /** The API server the manager runs against (its registry and admission chain are extended). */
  readonly api: ApiServer;
  /** Where the HPA controller reads metrics. Without one, the HPA controller does not run. */
  readonly metrics?: MetricsSource;
  /** HPA controller settings (sync period, tolerance, windows). */
  readonly hpa?: Omit<HpaControllerOptions, 'metrics' | 'kinds'>;
  /** The Service ClusterIP range. @default '10.96.0.0/12' */
  readonly serviceClusterIPRange?: string;
  /** Node lifecycle settings (grace period, eviction). */
  readonly nodeLifecycle?: NodeLifecycleOptions;
  /** Leave these controllers out, by name: `replicaset`, `deployment`, `garbagecollector`, `namespace`, `endpoints`, `endpointslice`, `serviceip`, `nodelifecycle`, `tainteviction`, `hpa`, `crd`. */
  readonly disable?: readonly string[];
}

/** Register the built-in controllers on `manager` and their admission plugins on `options.api`. */
export function setupBuiltinControllers(manager: Manager, options: BuiltinControllersOptions): void {
  const off = new Set(options.disable ?? []);
  const { api } = options;
  const on = (name: string): boolean => !off.has(name);
  if (on('serviceip')) {
    const allocator = serviceIPAllocator({ client: api.client, ...(options.serviceClusterIPRange === undefined ? {} : { range: options.serviceClusterIPRange }) });
    api.admission.add(allocator);
    setupServiceIPRepairController(manager, { allocator });
  }
  if (on('tainteviction') && !api.admission.names().includes('DefaultTolerationSeconds')) api.admission.add(defaultTolerationSeconds());
  if (on('replicaset')) setupReplicaSetController(manager);
  if (on('deployment')) setupDeploymentController(manager);
  if (on('garbagecollector')) setupGarbageCollectorController(manager, { registry: api.registry });
  if (on('namespace')) setupNamespaceController(manager, { registry: api.registry });
  if (on('endpoints')) setupEndpointsController(manager);
  if (on('endpointslice')) setupEndpointSliceController(manager);
  if (on('nodelifecycle')) setupNodeLifecycleController(manager, options.nodeLifecycle ?? {});
  if (on('tainteviction')) setupTaintEvictionController(manager);
  if (on('hpa') && options.metrics !== undefined) setupHpaController(manager, { ...options.hpa, metrics: options.metrics, kinds: api.registry });
  if (on('crd')) setupCrdController(manager, { api });
}

/**
 * The ContainerModule of `@harbormaster/builtin-controllers`: a ControllerSetup that registers
 * every built-in controller on the container's manager.
 *
 * @example
 * ```ts
 * container.loadSync(memoryStoreModule(), coreModule(), builtinControllersModule({ metrics }));
 * ```
 */
export function builtinControllersModule(options: Omit<BuiltinControllersOptions, 'api'> = {}): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.ControllerSetup)
      .toDynamicValue((ctx) => {
        const api = ctx.get(TOKENS.ApiServer);
        return (manager: Manager) => setupBuiltinControllers(manager, { ...options, api });
      })
      .inSingletonScope();
  });
}

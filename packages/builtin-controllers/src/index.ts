/**
 * `@harbormaster/builtin-controllers`: Kubernetes' built-in controllers, behaving as Kubernetes'
 * do, for Harbormaster's manager; the node agent (kubelet) that runs pods on a real container
 * runtime; and a simulated node for tests, examples and benchmarks.
 *
 * @packageDocumentation
 */
export * from './simulated-node/index.js';
export * from './replicaset/index.js';
export * from './deployment/index.js';
export * from './garbage-collector/index.js';
export * from './namespace/index.js';
export * from './service/index.js';
export * from './node-lifecycle/index.js';
export * from './hpa/index.js';
export * from './crd/index.js';
export { nodeAgent, NodeAgent } from './kubelet/node-agent.js';
export type { NodeAgentOptions } from './kubelet/node-agent.js';
export { networkProber } from './kubelet/probes.js';
export { containerMetricsSource, ContainerStatsSampler } from './kubelet/container-metrics.js';
export type { PodUsage } from './kubelet/container-metrics.js';
export type { Prober, ProbeOutcome } from './kubelet/probes.js';
export { setupBuiltinControllers, builtinControllersModule } from './builtin.js';
export type { BuiltinControllersOptions } from './builtin.js';

/**
 * Simulated nodes: Nodes that behave as if a kubelet ran them, for tests and benchmarks.
 *
 * @module
 */
export { simulatedNode } from './simulated-node.js';
export type { SimulatedNode, SimulatedNodeOptions, NodeCapacity, PodBehavior } from './simulated-node.js';
export { simulatedCluster } from './simulated-cluster.js';
export type { SimulatedCluster, SimulatedClusterOptions } from './simulated-cluster.js';
export { NODE_LEASE_NAMESPACE, SIMULATED_NODE_ANNOTATION } from './simulated-node-agent.js';

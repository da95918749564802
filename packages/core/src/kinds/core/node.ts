import { z } from 'zod';
import type { FieldCause } from '../../errors.js';
import { objectMetaSchema } from '../../meta/object-meta.js';
import { validateQualifiedName } from '../../meta/validation.js';
import { conditionStatusSchema, resourceListSchema, timeSchema } from '../common.js';
import { invalidEach, validateUnique } from '../field-validation.js';
import { defineKind, type TypeOf } from '../kind.js';
import { taintSchema } from './toleration.js';

/** A ConfigMap holding kubelet configuration (`v1.ConfigMapNodeConfigSource`); deprecated. */
const configMapNodeConfigSourceSchema = z.strictObject({
  namespace: z.string(),
  name: z.string(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  kubeletConfigKey: z.string(),
});

/** The source of a node's configuration (`v1.NodeConfigSource`); deprecated since 1.22. */
export const nodeConfigSourceSchema = z.strictObject({
  configMap: configMapNodeConfigSourceSchema.optional(),
});

/** The desired state of a Node (`v1.NodeSpec`). */
export const nodeSpecSchema = z.strictObject({
  podCIDR: z.string().optional(),
  podCIDRs: z.array(z.string()).optional(),
  providerID: z.string().optional(),
  /** Keeps new pods off the node (`kubectl cordon`). */
  unschedulable: z.boolean().optional(),
  taints: z.array(taintSchema).optional(),
  configSource: nodeConfigSourceSchema.optional(),
  /** Deprecated. */
  externalID: z.string().optional(),
});
/** The desired state of a Node. */
export type NodeSpec = z.infer<typeof nodeSpecSchema>;

/** A condition of a Node (`v1.NodeCondition`), e.g. `Ready`, `MemoryPressure`. */
export const nodeConditionSchema = z.strictObject({
  type: z.string(),
  status: conditionStatusSchema,
  lastHeartbeatTime: timeSchema.optional(),
  lastTransitionTime: timeSchema.optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});
/** A condition of a Node. */
export type NodeCondition = z.infer<typeof nodeConditionSchema>;

/** An address of a Node (`v1.NodeAddress`): `Hostname`, `InternalIP`, `ExternalIP`, … */
export const nodeAddressSchema = z.strictObject({
  type: z.string(),
  address: z.string(),
});
/** An address of a Node. */
export type NodeAddress = z.infer<typeof nodeAddressSchema>;

/** Facts about a Node's machine and software (`v1.NodeSystemInfo`). */
export const nodeSystemInfoSchema = z.strictObject({
  machineID: z.string().default(''),
  systemUUID: z.string().default(''),
  bootID: z.string().default(''),
  kernelVersion: z.string().default(''),
  osImage: z.string().default(''),
  containerRuntimeVersion: z.string().default(''),
  kubeletVersion: z.string().default(''),
  /** Deprecated. */
  kubeProxyVersion: z.string().default(''),
  operatingSystem: z.string().default(''),
  architecture: z.string().default(''),
  swap: z.strictObject({ capacity: z.int().optional() }).optional(),
});
/** Facts about a Node's machine and software. */
export type NodeSystemInfo = z.infer<typeof nodeSystemInfoSchema>;

/** A container image present on a Node (`v1.ContainerImage`). */
export const containerImageSchema = z.strictObject({
  names: z.array(z.string()).nullable().optional(),
  sizeBytes: z.int().optional(),
});

/** The features of a container runtime handler (`v1.NodeRuntimeHandler`). */
export const nodeRuntimeHandlerSchema = z.strictObject({
  name: z.string().optional(),
  features: z
    .strictObject({
      recursiveReadOnlyMounts: z.boolean().optional(),
      userNamespaces: z.boolean().optional(),
    })
    .optional(),
});

/** The status of a Node's dynamic configuration (`v1.NodeConfigStatus`); deprecated. */
export const nodeConfigStatusSchema = z.strictObject({
  assigned: nodeConfigSourceSchema.optional(),
  active: nodeConfigSourceSchema.optional(),
  lastKnownGood: nodeConfigSourceSchema.optional(),
  error: z.string().optional(),
});

/** The observed state of a Node (`v1.NodeStatus`), reported by its node agent. */
export const nodeStatusSchema = z.strictObject({
  capacity: resourceListSchema.optional(),
  /** Defaults to `capacity`. */
  allocatable: resourceListSchema.optional(),
  /** Deprecated and never set. */
  phase: z.enum(['Pending', 'Running', 'Terminated']).optional(),
  conditions: z.array(nodeConditionSchema).optional(),
  addresses: z.array(nodeAddressSchema).optional(),
  daemonEndpoints: z
    .strictObject({
      kubeletEndpoint: z.strictObject({ Port: z.int32() }).optional(),
    })
    .optional(),
  nodeInfo: nodeSystemInfoSchema.optional(),
  images: z.array(containerImageSchema).optional(),
  volumesInUse: z.array(z.string()).optional(),
  volumesAttached: z.array(z.strictObject({ name: z.string(), devicePath: z.string() })).optional(),
  config: nodeConfigStatusSchema.optional(),
  runtimeHandlers: z.array(nodeRuntimeHandlerSchema).optional(),
  features: z.strictObject({ supplementalGroupsPolicy: z.boolean().optional() }).optional(),
  declaredFeatures: z.array(z.string()).optional(),
});
/** The observed state of a Node. */
export type NodeStatus = z.infer<typeof nodeStatusSchema>;

/**
 * v1 Node: a machine that runs pods. Cluster-scoped; a create keeps the status the node agent
 * registers with, and `status.allocatable` defaults to `status.capacity`.
 */
export const Node = defineKind({
  group: '',
  version: 'v1',
  kind: 'Node',
  plural: 'nodes',
  shortNames: ['no'],
  namespaced: false,
  subresources: { status: true },
  schema: z.strictObject({
    apiVersion: z.literal('v1'),
    kind: z.literal('Node'),
    metadata: objectMetaSchema,
    spec: nodeSpecSchema.prefault({}),
    status: nodeStatusSchema.optional(),
  }),
  strategy: {
    keepStatusOnCreate: true,
    applyDefaults(node) {
      const status = node.status;
      if (status?.capacity && !status.allocatable) status.allocatable = { ...status.capacity };
    },
    validate(node) {
      const causes: FieldCause[] = [];
      const taints = node.spec.taints ?? [];
      taints.forEach((t, i) => causes.push(...invalidEach(`spec.taints[${i}].key`, t.key, validateQualifiedName(t.key))));
      causes.push(...validateUnique(taints, (t) => `${t.key}:${t.effect}`, (i) => `spec.taints[${i}]`));
      return causes;
    },
    selectableFields: {
      'spec.unschedulable': (node) => String(node.spec.unschedulable ?? false),
    },
  },
});
/** v1 Node. */
export type Node = TypeOf<typeof Node>;

/**
 * The observed state of a Pod (`v1.PodStatus`): phase, conditions, IPs and the status of each
 * container, written by the node agent and the scheduler.
 *
 * Fields that Kubernetes always serializes are defaulted so readers need no checks: a container
 * status's `ready: false`, `restartCount: 0`, `image: ""`, `imageID: ""`.
 *
 * @module
 */
import { z } from 'zod';
import { conditionStatusSchema, resourceListSchema, timeSchema } from '../common.js';
import { resourceRequirementsSchema } from './pod-spec.js';

/** The phases of a Pod. */
export const podPhaseSchema = z.enum(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']);
/** The phase of a Pod. */
export type PodPhase = z.infer<typeof podPhaseSchema>;

/** The quality-of-service classes of a Pod. */
export const podQOSClassSchema = z.enum(['Guaranteed', 'Burstable', 'BestEffort']);
/** The quality-of-service class of a Pod. */
export type PodQOSClass = z.infer<typeof podQOSClassSchema>;

/** A condition of a Pod (`v1.PodCondition`), e.g. `Ready`, `PodScheduled`, `ContainersReady`. */
export const podConditionSchema = z.strictObject({
  type: z.string(),
  observedGeneration: z.int().optional(),
  status: conditionStatusSchema,
  lastProbeTime: timeSchema.optional(),
  lastTransitionTime: timeSchema.optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});
/** A condition of a Pod. */
export type PodCondition = z.infer<typeof podConditionSchema>;

/** A container that has not started yet (`v1.ContainerStateWaiting`), e.g. reason `CrashLoopBackOff`. */
export const containerStateWaitingSchema = z.strictObject({
  reason: z.string().optional(),
  message: z.string().optional(),
});

/** A running container (`v1.ContainerStateRunning`). */
export const containerStateRunningSchema = z.strictObject({
  startedAt: timeSchema.optional(),
});

/** A container that has exited (`v1.ContainerStateTerminated`). */
export const containerStateTerminatedSchema = z.strictObject({
  exitCode: z.int32(),
  signal: z.int32().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
  startedAt: timeSchema.optional(),
  finishedAt: timeSchema.optional(),
  containerID: z.string().optional(),
});

/** The state of a container (`v1.ContainerState`): at most one of waiting, running, terminated. */
export const containerStateSchema = z.strictObject({
  waiting: containerStateWaitingSchema.optional(),
  running: containerStateRunningSchema.optional(),
  terminated: containerStateTerminatedSchema.optional(),
});
/** The state of a container. */
export type ContainerState = z.infer<typeof containerStateSchema>;

/** The status of a volume mount (`v1.VolumeMountStatus`). */
export const volumeMountStatusSchema = z.strictObject({
  name: z.string(),
  mountPath: z.string(),
  readOnly: z.boolean().optional(),
  recursiveReadOnly: z.enum(['Disabled', 'IfPossible', 'Enabled']).optional(),
  volumeStatus: z
    .strictObject({
      image: z.strictObject({ imageRef: z.string().optional() }).optional(),
    })
    .optional(),
});

/** The health of resources allocated to a container (`v1.ResourceStatus`). */
export const resourceStatusSchema = z.strictObject({
  name: z.string(),
  resources: z
    .array(
      z.strictObject({
        resourceID: z.string(),
        health: z.enum(['Healthy', 'Unhealthy', 'Unknown']).optional(),
      }),
    )
    .optional(),
});

/** The identity a container's first process runs as (`v1.ContainerUser`). */
export const containerUserSchema = z.strictObject({
  linux: z
    .strictObject({
      uid: z.int(),
      gid: z.int(),
      supplementalGroups: z.array(z.int()).optional(),
    })
    .optional(),
});

/** The status of one container (`v1.ContainerStatus`). */
export const containerStatusSchema = z.strictObject({
  name: z.string(),
  state: containerStateSchema.optional(),
  /** The previous termination, if the container restarted. */
  lastState: containerStateSchema.optional(),
  ready: z.boolean().default(false),
  restartCount: z.int32().default(0),
  image: z.string().default(''),
  imageID: z.string().default(''),
  containerID: z.string().optional(),
  started: z.boolean().optional(),
  allocatedResources: resourceListSchema.optional(),
  resources: resourceRequirementsSchema.optional(),
  volumeMounts: z.array(volumeMountStatusSchema).optional(),
  user: containerUserSchema.optional(),
  allocatedResourcesStatus: z.array(resourceStatusSchema).optional(),
  stopSignal: z.string().optional(),
});
/** The status of one container. */
export type ContainerStatus = z.infer<typeof containerStatusSchema>;

/** An IP address of a Pod or its host (`v1.PodIP`, `v1.HostIP`). */
export const podIPSchema = z.strictObject({
  ip: z.string(),
});

/** The observed state of a Pod (`v1.PodStatus`). */
export const podStatusSchema = z.strictObject({
  observedGeneration: z.int().optional(),
  phase: podPhaseSchema.optional(),
  conditions: z.array(podConditionSchema).optional(),
  message: z.string().optional(),
  /** A brief CamelCase reason, e.g. `Evicted`. */
  reason: z.string().optional(),
  /** Set when the Pod preempted others and waits for them to go. */
  nominatedNodeName: z.string().optional(),
  hostIP: z.string().optional(),
  hostIPs: z.array(podIPSchema).optional(),
  podIP: z.string().optional(),
  podIPs: z.array(podIPSchema).optional(),
  startTime: timeSchema.optional(),
  initContainerStatuses: z.array(containerStatusSchema).optional(),
  containerStatuses: z.array(containerStatusSchema).optional(),
  qosClass: podQOSClassSchema.optional(),
  ephemeralContainerStatuses: z.array(containerStatusSchema).optional(),
  /** Deprecated: replaced by the PodResizePending and PodResizeInProgress conditions. */
  resize: z.string().optional(),
  resourceClaimStatuses: z
    .array(
      z.strictObject({
        name: z.string(),
        resourceClaimName: z.string().optional(),
      }),
    )
    .optional(),
  extendedResourceClaimStatus: z
    .strictObject({
      requestMappings: z.array(
        z.strictObject({
          containerName: z.string(),
          resourceName: z.string(),
          requestName: z.string(),
        }),
      ),
      resourceClaimName: z.string(),
    })
    .optional(),
  allocatedResources: resourceListSchema.optional(),
  resources: resourceRequirementsSchema.optional(),
});
/** The observed state of a Pod. */
export type PodStatus = z.infer<typeof podStatusSchema>;

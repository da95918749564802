/**
 * The Pod specification of `core/v1` (`v1.PodSpec`) and its parts: containers, ports, environment,
 * resources, probes, lifecycle hooks, security contexts, DNS and topology spread constraints; and
 * the Pod template of workload controllers (`v1.PodTemplateSpec`).
 *
 * Defaults, as Kubernetes' `SetDefaults_PodSpec`, `SetDefaults_Container` and `SetDefaults_Probe`:
 * - PodSpec: `restartPolicy: Always`, `terminationGracePeriodSeconds: 30`, `dnsPolicy: ClusterFirst`,
 *   `schedulerName: default-scheduler`, `securityContext: {}`.
 * - Container: `terminationMessagePath: /dev/termination-log`, `terminationMessagePolicy: File`,
 *   `resources: {}`; ports `protocol: TCP`.
 * - Probe: `timeoutSeconds: 1`, `periodSeconds: 10`, `successThreshold: 1`, `failureThreshold: 3`;
 *   HTTP GET `path: /`, `scheme: HTTP`.
 *
 * Cross-field defaults (a container's `imagePullPolicy` from its image tag, a volume without a
 * source becoming an `emptyDir`) need the whole object and are applied by the kinds' strategies
 * with {@link applyPodSpecDefaults}.
 *
 * @module
 */
import { z } from 'zod';
import { objectMetaSchema } from '../../meta/object-meta.js';
import {
  intOrStringSchema,
  labelSelectorSchema,
  localObjectReferenceSchema,
  protocolSchema,
  resourceListSchema,
} from '../common.js';
import { affinitySchema } from './affinity.js';
import { objectFieldSelectorSchema, resourceFieldSelectorSchema } from './downward-api.js';
import { tolerationSchema } from './toleration.js';
import { volumeSchema, volumeSourceNames, type Volume } from './volume.js';

/** A port a container listens on (`v1.ContainerPort`); `protocol` defaults to `TCP`. */
export const containerPortSchema = z.strictObject({
  /** An IANA service name, unique in the Pod, that Services can refer to. */
  name: z.string().optional(),
  hostPort: z.int32().optional(),
  containerPort: z.int32(),
  protocol: protocolSchema.default('TCP'),
  hostIP: z.string().optional(),
});
/** A port a container listens on. */
export type ContainerPort = z.infer<typeof containerPortSchema>;

/** Selects a key of a ConfigMap (`v1.ConfigMapKeySelector`). */
export const configMapKeySelectorSchema = z.strictObject({
  name: z.string().default(''),
  key: z.string(),
  optional: z.boolean().optional(),
});

/** Selects a key of a Secret (`v1.SecretKeySelector`). */
export const secretKeySelectorSchema = z.strictObject({
  name: z.string().default(''),
  key: z.string(),
  optional: z.boolean().optional(),
});

/** Selects a key of an env file in a volume (`v1.FileKeySelector`). */
export const fileKeySelectorSchema = z.strictObject({
  volumeName: z.string(),
  path: z.string(),
  key: z.string(),
  optional: z.boolean().default(false),
});

/** Where an environment variable's value comes from (`v1.EnvVarSource`); exactly one field is set. */
export const envVarSourceSchema = z.strictObject({
  fieldRef: objectFieldSelectorSchema.optional(),
  resourceFieldRef: resourceFieldSelectorSchema.optional(),
  configMapKeyRef: configMapKeySelectorSchema.optional(),
  secretKeyRef: secretKeySelectorSchema.optional(),
  fileKeyRef: fileKeySelectorSchema.optional(),
});
/** Where an environment variable's value comes from. */
export type EnvVarSource = z.infer<typeof envVarSourceSchema>;

/** An environment variable of a container (`v1.EnvVar`): a `value` or a `valueFrom`. */
export const envVarSchema = z.strictObject({
  name: z.string(),
  /** `$(VAR)` references to earlier variables are expanded. */
  value: z.string().optional(),
  valueFrom: envVarSourceSchema.optional(),
});
/** An environment variable of a container. */
export type EnvVar = z.infer<typeof envVarSchema>;

/** A ConfigMap whose keys become environment variables (`v1.ConfigMapEnvSource`). */
export const configMapEnvSourceSchema = z.strictObject({
  name: z.string().default(''),
  optional: z.boolean().optional(),
});

/** A Secret whose keys become environment variables (`v1.SecretEnvSource`). */
export const secretEnvSourceSchema = z.strictObject({
  name: z.string().default(''),
  optional: z.boolean().optional(),
});

/** A source of many environment variables (`v1.EnvFromSource`). */
export const envFromSourceSchema = z.strictObject({
  prefix: z.string().optional(),
  configMapRef: configMapEnvSourceSchema.optional(),
  secretRef: secretEnvSourceSchema.optional(),
});
/** A source of many environment variables. */
export type EnvFromSource = z.infer<typeof envFromSourceSchema>;

/** A container's use of a Pod resource claim (`v1.ResourceClaim`). */
export const resourceClaimSchema = z.strictObject({
  name: z.string(),
  request: z.string().optional(),
});

/** Compute resource requests and limits (`v1.ResourceRequirements`). */
export const resourceRequirementsSchema = z.strictObject({
  limits: resourceListSchema.optional(),
  /** Defaults to `limits` for each resource that has a limit but no request (Pods only). */
  requests: resourceListSchema.optional(),
  claims: z.array(resourceClaimSchema).optional(),
});
/** Compute resource requests and limits. */
export type ResourceRequirements = z.infer<typeof resourceRequirementsSchema>;

/** How a container handles an in-place resize of one resource (`v1.ContainerResizePolicy`). */
export const containerResizePolicySchema = z.strictObject({
  resourceName: z.string(),
  restartPolicy: z.enum(['NotRequired', 'RestartContainer']),
});
/** How a container handles an in-place resize of one resource. */
export type ContainerResizePolicy = z.infer<typeof containerResizePolicySchema>;

/** A rule deciding whether an exited container restarts (`v1.ContainerRestartRule`). */
export const containerRestartRuleSchema = z.strictObject({
  action: z.enum(['Restart', 'RestartAllContainers']),
  exitCodes: z
    .strictObject({
      operator: z.enum(['In', 'NotIn']),
      values: z.array(z.int32()).optional(),
    })
    .optional(),
});

/** A volume mounted into a container (`v1.VolumeMount`). */
export const volumeMountSchema = z.strictObject({
  /** The name of a volume of the Pod. */
  name: z.string(),
  readOnly: z.boolean().optional(),
  recursiveReadOnly: z.enum(['Disabled', 'IfPossible', 'Enabled']).optional(),
  mountPath: z.string(),
  subPath: z.string().optional(),
  mountPropagation: z.enum(['None', 'HostToContainer', 'Bidirectional']).optional(),
  subPathExpr: z.string().optional(),
});
/** A volume mounted into a container. */
export type VolumeMount = z.infer<typeof volumeMountSchema>;

/** A raw block device mapped into a container (`v1.VolumeDevice`). */
export const volumeDeviceSchema = z.strictObject({
  name: z.string(),
  devicePath: z.string(),
});

/** Runs a command in the container (`v1.ExecAction`). */
export const execActionSchema = z.strictObject({
  command: z.array(z.string()).optional(),
});

/** An HTTP header of an HTTP GET probe or hook (`v1.HTTPHeader`). */
export const httpHeaderSchema = z.strictObject({
  name: z.string(),
  value: z.string(),
});

/** An HTTP GET request (`v1.HTTPGetAction`); `path` defaults to `/`, `scheme` to `HTTP`. */
export const httpGetActionSchema = z.strictObject({
  path: z.string().default('/'),
  /** A port number or the name of a container port. */
  port: intOrStringSchema,
  /** Defaults to the Pod IP. */
  host: z.string().optional(),
  scheme: z.enum(['HTTP', 'HTTPS']).default('HTTP'),
  httpHeaders: z.array(httpHeaderSchema).optional(),
});
/** An HTTP GET request. */
export type HTTPGetAction = z.infer<typeof httpGetActionSchema>;

/** Opens a TCP connection (`v1.TCPSocketAction`). */
export const tcpSocketActionSchema = z.strictObject({
  port: intOrStringSchema,
  host: z.string().optional(),
});

/** A gRPC health check (`v1.GRPCAction`); `service` defaults to `""`. */
export const grpcActionSchema = z.strictObject({
  port: z.int32(),
  service: z.string().default(''),
});

/** Sleeps for a number of seconds (`v1.SleepAction`). */
export const sleepActionSchema = z.strictObject({
  seconds: z.int(),
});

/** A health check of a container (`v1.Probe`): one handler plus timing, all timings defaulted. */
export const probeSchema = z.strictObject({
  exec: execActionSchema.optional(),
  httpGet: httpGetActionSchema.optional(),
  tcpSocket: tcpSocketActionSchema.optional(),
  grpc: grpcActionSchema.optional(),
  initialDelaySeconds: z.int32().optional(),
  timeoutSeconds: z.int32().default(1),
  periodSeconds: z.int32().default(10),
  /** Must be 1 for liveness and startup probes. */
  successThreshold: z.int32().default(1),
  failureThreshold: z.int32().default(3),
  terminationGracePeriodSeconds: z.int().optional(),
});
/** A health check of a container. */
export type Probe = z.infer<typeof probeSchema>;

/** The action of a lifecycle hook (`v1.LifecycleHandler`); exactly one field is set. */
export const lifecycleHandlerSchema = z.strictObject({
  exec: execActionSchema.optional(),
  httpGet: httpGetActionSchema.optional(),
  /** Deprecated and not supported as a hook; accepted for compatibility. */
  tcpSocket: tcpSocketActionSchema.optional(),
  sleep: sleepActionSchema.optional(),
});
/** The action of a lifecycle hook. */
export type LifecycleHandler = z.infer<typeof lifecycleHandlerSchema>;

/** A container's lifecycle hooks (`v1.Lifecycle`). */
export const lifecycleSchema = z.strictObject({
  postStart: lifecycleHandlerSchema.optional(),
  preStop: lifecycleHandlerSchema.optional(),
  /** The signal that stops the container, e.g. `SIGTERM`; the runtime's default if unset. */
  stopSignal: z.string().optional(),
});
/** A container's lifecycle hooks. */
export type Lifecycle = z.infer<typeof lifecycleSchema>;

/** SELinux labels (`v1.SELinuxOptions`). */
export const seLinuxOptionsSchema = z.strictObject({
  user: z.string().optional(),
  role: z.string().optional(),
  type: z.string().optional(),
  level: z.string().optional(),
});

/** Windows-specific security options (`v1.WindowsSecurityContextOptions`). */
export const windowsSecurityContextOptionsSchema = z.strictObject({
  gmsaCredentialSpecName: z.string().optional(),
  gmsaCredentialSpec: z.string().optional(),
  runAsUserName: z.string().optional(),
  hostProcess: z.boolean().optional(),
});

/** A seccomp profile (`v1.SeccompProfile`). */
export const seccompProfileSchema = z.strictObject({
  type: z.enum(['Unconfined', 'RuntimeDefault', 'Localhost']),
  localhostProfile: z.string().optional(),
});

/** An AppArmor profile (`v1.AppArmorProfile`). */
export const appArmorProfileSchema = z.strictObject({
  type: z.enum(['Unconfined', 'RuntimeDefault', 'Localhost']),
  localhostProfile: z.string().optional(),
});

/** A container's security settings (`v1.SecurityContext`); they override the Pod's. */
export const securityContextSchema = z.strictObject({
  capabilities: z
    .strictObject({
      add: z.array(z.string()).optional(),
      drop: z.array(z.string()).optional(),
    })
    .optional(),
  privileged: z.boolean().optional(),
  seLinuxOptions: seLinuxOptionsSchema.optional(),
  windowsOptions: windowsSecurityContextOptionsSchema.optional(),
  runAsUser: z.int().optional(),
  runAsGroup: z.int().optional(),
  runAsNonRoot: z.boolean().optional(),
  readOnlyRootFilesystem: z.boolean().optional(),
  allowPrivilegeEscalation: z.boolean().optional(),
  procMount: z.enum(['Default', 'Unmasked']).optional(),
  seccompProfile: seccompProfileSchema.optional(),
  appArmorProfile: appArmorProfileSchema.optional(),
});
/** A container's security settings. */
export type SecurityContext = z.infer<typeof securityContextSchema>;

/** A kernel parameter set for the Pod (`v1.Sysctl`). */
export const sysctlSchema = z.strictObject({
  name: z.string(),
  value: z.string(),
});

/** The Pod's security settings, common to its containers (`v1.PodSecurityContext`). */
export const podSecurityContextSchema = z.strictObject({
  seLinuxOptions: seLinuxOptionsSchema.optional(),
  windowsOptions: windowsSecurityContextOptionsSchema.optional(),
  runAsUser: z.int().optional(),
  runAsGroup: z.int().optional(),
  runAsNonRoot: z.boolean().optional(),
  supplementalGroups: z.array(z.int()).optional(),
  supplementalGroupsPolicy: z.enum(['Merge', 'Strict']).optional(),
  fsGroup: z.int().optional(),
  sysctls: z.array(sysctlSchema).optional(),
  fsGroupChangePolicy: z.enum(['OnRootMismatch', 'Always']).optional(),
  seccompProfile: seccompProfileSchema.optional(),
  appArmorProfile: appArmorProfileSchema.optional(),
  seLinuxChangePolicy: z.string().optional(),
});
/** The Pod's security settings, common to its containers. */
export type PodSecurityContext = z.infer<typeof podSecurityContextSchema>;

/** The pull policies of a container image. */
export const pullPolicySchema = z.enum(['Always', 'Never', 'IfNotPresent']);
/** The pull policy of a container image. */
export type PullPolicy = z.infer<typeof pullPolicySchema>;

const containerShape = {
  /** A DNS label, unique among all the Pod's containers. */
  name: z.string(),
  image: z.string().optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  workingDir: z.string().optional(),
  ports: z.array(containerPortSchema).optional(),
  envFrom: z.array(envFromSourceSchema).optional(),
  env: z.array(envVarSchema).optional(),
  resources: resourceRequirementsSchema.prefault({}),
  resizePolicy: z.array(containerResizePolicySchema).optional(),
  /** Only `Always`, on an init container, is allowed: it makes the init container a sidecar. */
  restartPolicy: z.enum(['Always', 'Never', 'OnFailure']).optional(),
  restartPolicyRules: z.array(containerRestartRuleSchema).optional(),
  volumeMounts: z.array(volumeMountSchema).optional(),
  volumeDevices: z.array(volumeDeviceSchema).optional(),
  livenessProbe: probeSchema.optional(),
  readinessProbe: probeSchema.optional(),
  startupProbe: probeSchema.optional(),
  lifecycle: lifecycleSchema.optional(),
  terminationMessagePath: z.string().default('/dev/termination-log'),
  terminationMessagePolicy: z.enum(['File', 'FallbackToLogsOnError']).default('File'),
  /** Defaults to `Always` for a `:latest` or untagged image, else `IfNotPresent` (set by the strategy). */
  imagePullPolicy: pullPolicySchema.optional(),
  securityContext: securityContextSchema.optional(),
  stdin: z.boolean().optional(),
  stdinOnce: z.boolean().optional(),
  tty: z.boolean().optional(),
};

/** A container of a Pod (`v1.Container`). */
export const containerSchema = z.strictObject(containerShape);
/** A container of a Pod. */
export type Container = z.infer<typeof containerSchema>;

/** A debugging container added to a running Pod (`v1.EphemeralContainer`). */
export const ephemeralContainerSchema = z.strictObject({
  ...containerShape,
  /** The container whose namespaces the ephemeral container joins. */
  targetContainerName: z.string().optional(),
});
/** A debugging container added to a running Pod. */
export type EphemeralContainer = z.infer<typeof ephemeralContainerSchema>;

/** An entry of the Pod's `/etc/hosts` (`v1.HostAlias`). */
export const hostAliasSchema = z.strictObject({
  ip: z.string(),
  hostnames: z.array(z.string()).optional(),
});
/** An entry of the Pod's `/etc/hosts`. */
export type HostAlias = z.infer<typeof hostAliasSchema>;

/** DNS settings added to those of the DNS policy (`v1.PodDNSConfig`). */
export const podDNSConfigSchema = z.strictObject({
  nameservers: z.array(z.string()).optional(),
  searches: z.array(z.string()).optional(),
  options: z
    .array(
      z.strictObject({
        name: z.string().optional(),
        value: z.string().optional(),
      }),
    )
    .optional(),
});
/** DNS settings added to those of the DNS policy. */
export type PodDNSConfig = z.infer<typeof podDNSConfigSchema>;

/** A Pod condition that must be True for the Pod to be ready (`v1.PodReadinessGate`). */
export const podReadinessGateSchema = z.strictObject({
  conditionType: z.string(),
});

/** How to spread matching pods across topology domains (`v1.TopologySpreadConstraint`). */
export const topologySpreadConstraintSchema = z.strictObject({
  maxSkew: z.int32(),
  topologyKey: z.string(),
  whenUnsatisfiable: z.enum(['DoNotSchedule', 'ScheduleAnyway']),
  labelSelector: labelSelectorSchema.optional(),
  minDomains: z.int32().optional(),
  nodeAffinityPolicy: z.enum(['Honor', 'Ignore']).optional(),
  nodeTaintsPolicy: z.enum(['Honor', 'Ignore']).optional(),
  matchLabelKeys: z.array(z.string()).optional(),
});
/** How to spread matching pods across topology domains. */
export type TopologySpreadConstraint = z.infer<typeof topologySpreadConstraintSchema>;

/** A gate that keeps the Pod from being scheduled until removed (`v1.PodSchedulingGate`). */
export const podSchedulingGateSchema = z.strictObject({
  name: z.string(),
});

/** A ResourceClaim the Pod uses (`v1.PodResourceClaim`). */
export const podResourceClaimSchema = z.strictObject({
  name: z.string(),
  resourceClaimName: z.string().optional(),
  resourceClaimTemplateName: z.string().optional(),
});

/** The restart policies of a Pod. */
export const restartPolicySchema = z.enum(['Always', 'OnFailure', 'Never']);
/** The restart policy of a Pod. */
export type RestartPolicy = z.infer<typeof restartPolicySchema>;

/**
 * The desired state of a Pod (`v1.PodSpec`). Defaults: `restartPolicy: Always`,
 * `terminationGracePeriodSeconds: 30`, `dnsPolicy: ClusterFirst`, `schedulerName: default-scheduler`,
 * `securityContext: {}`.
 */
export const podSpecSchema = z.strictObject({
  volumes: z.array(volumeSchema).optional(),
  initContainers: z.array(containerSchema).optional(),
  /** At least one. */
  containers: z.array(containerSchema),
  /** Added through the `ephemeralcontainers` subresource, not on create. */
  ephemeralContainers: z.array(ephemeralContainerSchema).optional(),
  restartPolicy: restartPolicySchema.default('Always'),
  terminationGracePeriodSeconds: z.int().default(30),
  activeDeadlineSeconds: z.int().optional(),
  dnsPolicy: z.enum(['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None']).default('ClusterFirst'),
  nodeSelector: z.record(z.string(), z.string()).optional(),
  serviceAccountName: z.string().optional(),
  /** Deprecated alias of `serviceAccountName`. */
  serviceAccount: z.string().optional(),
  automountServiceAccountToken: z.boolean().optional(),
  /** The node the Pod is bound to; set by the scheduler. */
  nodeName: z.string().optional(),
  hostNetwork: z.boolean().optional(),
  hostPID: z.boolean().optional(),
  hostIPC: z.boolean().optional(),
  shareProcessNamespace: z.boolean().optional(),
  securityContext: podSecurityContextSchema.prefault({}),
  imagePullSecrets: z.array(localObjectReferenceSchema).optional(),
  hostname: z.string().optional(),
  subdomain: z.string().optional(),
  affinity: affinitySchema.optional(),
  schedulerName: z.string().default('default-scheduler'),
  tolerations: z.array(tolerationSchema).optional(),
  hostAliases: z.array(hostAliasSchema).optional(),
  priorityClassName: z.string().optional(),
  priority: z.int32().optional(),
  dnsConfig: podDNSConfigSchema.optional(),
  readinessGates: z.array(podReadinessGateSchema).optional(),
  runtimeClassName: z.string().nullable().optional(),
  /** Defaults to true on Pods (not on templates). */
  enableServiceLinks: z.boolean().optional(),
  preemptionPolicy: z.enum(['PreemptLowerPriority', 'Never']).optional(),
  overhead: resourceListSchema.optional(),
  topologySpreadConstraints: z.array(topologySpreadConstraintSchema).optional(),
  setHostnameAsFQDN: z.boolean().optional(),
  os: z.strictObject({ name: z.string() }).optional(),
  hostUsers: z.boolean().optional(),
  schedulingGates: z.array(podSchedulingGateSchema).optional(),
  resourceClaims: z.array(podResourceClaimSchema).optional(),
  /** Pod-level requests and limits of `cpu`, `memory` and `hugepages-*`. */
  resources: resourceRequirementsSchema.optional(),
  hostnameOverride: z.string().optional(),
  workloadRef: z
    .strictObject({
      name: z.string(),
      podGroup: z.string(),
      podGroupReplicaKey: z.string().optional(),
    })
    .optional(),
});
/** The desired state of a Pod. */
export type PodSpec = z.infer<typeof podSpecSchema>;

/** The template of the Pods a workload controller creates (`v1.PodTemplateSpec`). */
export const podTemplateSpecSchema = z.strictObject({
  metadata: objectMetaSchema.optional(),
  spec: podSpecSchema,
});
/** The template of the Pods a workload controller creates. */
export type PodTemplateSpec = z.infer<typeof podTemplateSpecSchema>;

/**
 * The pull policy Kubernetes defaults an image to: `Always` when the tag is `latest` or there is
 * neither tag nor digest, else `IfNotPresent`.
 *
 * @example
 * ```ts
 * defaultPullPolicy('nginx');          // "Always"
 * defaultPullPolicy('nginx:1.27');     // "IfNotPresent"
 * defaultPullPolicy('localhost:5000/app'); // "Always"
 * ```
 */
export function defaultPullPolicy(image: string | undefined): PullPolicy {
  if (!image) return 'IfNotPresent';
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const hasDigest = at >= 0;
  const lastSlash = name.lastIndexOf('/');
  const colon = name.indexOf(':', lastSlash + 1);
  const tag = colon >= 0 ? name.slice(colon + 1) : '';
  if (tag === 'latest' || (tag === '' && !hasDigest)) return 'Always';
  return 'IfNotPresent';
}

/** The containers of a spec that Kubernetes defaults: init, regular and ephemeral. */
function allContainers(spec: PodSpec): (Container | EphemeralContainer)[] {
  return [...(spec.initContainers ?? []), ...spec.containers, ...(spec.ephemeralContainers ?? [])];
}

/** Set a volume with no source to an `emptyDir`, and an image volume's pull policy. */
function defaultVolume(volume: Volume): void {
  if (!volumeSourceNames.some((n) => volume[n] !== undefined)) volume.emptyDir = {};
  if (volume.image && volume.image.pullPolicy === undefined) {
    volume.image.pullPolicy = defaultPullPolicy(volume.image.reference);
  }
}

/**
 * The cross-field defaults of a PodSpec, in place: each container's `imagePullPolicy` from its
 * image, a volume without a source becomes an `emptyDir`, an image volume's `pullPolicy`. Used by
 * the strategies of Pod and of the workload kinds for their templates.
 */
export function applyPodSpecDefaults(spec: PodSpec): void {
  for (const c of allContainers(spec)) {
    if (c.imagePullPolicy === undefined) c.imagePullPolicy = defaultPullPolicy(c.image);
  }
  for (const v of spec.volumes ?? []) defaultVolume(v);
}

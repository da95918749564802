/**
 * The ContainerRuntime contract: what the node agent (Harbormaster's kubelet) needs from
 * something that runs containers, in the manner of Kubernetes' CRI but smaller. Backends:
 * `@harbormaster/runtime-docker` (a Docker Engine) and `@harbormaster/runtime-process` (local
 * child processes, in the manner of Nomad's raw_exec driver).
 *
 * The runtime is dumb: it runs what it is told and reports what it sees. Restart policy,
 * back-off, probes, pod phase and conditions are the node agent's business.
 *
 * Networking: containers share the host's network (Docker `network_mode: host`, or plain
 * processes). Each pod gets its own loopback address (from 127.0.0.0/8) as its pod IP, passed to
 * the containers as `POD_IP`; a server that binds to it can run as many replicas on one port as
 * Kubernetes allows, and probes and Endpoints use it.
 *
 * @module
 */

/** A container to create. */
export interface ContainerSpec {
  /** A name unique on this runtime, e.g. `hm_<namespace>_<pod>_<container>_<attempt>`. */
  readonly name: string;
  /** The image reference to run, e.g. `nginx:1.27` (Kubernetes' `image`). */
  readonly image: string;
  /** The entrypoint (Kubernetes' `command`); the image's when absent. */
  readonly command?: readonly string[];
  /** Arguments (Kubernetes' `args`); the image's when absent and `command` is absent too. */
  readonly args?: readonly string[];
  /** Environment variables, already resolved (the node agent expands `$(VAR)` and downward API fields). */
  readonly env?: Readonly<Record<string, string>>;
  /** The working directory (Kubernetes' `workingDir`); the image's when absent. */
  readonly workingDir?: string;
  /** Labels the runtime keeps with the container, to find it again (pod uid, namespace, name, container). */
  readonly labels: Readonly<Record<string, string>>;
  /** Resource limits and requests, in base units. */
  readonly resources?: {
    /** CPU limit in cores (Docker NanoCPUs = cores × 1e9). */
    readonly cpuLimit?: number;
    /** CPU request in cores (Docker CPU shares). */
    readonly cpuRequest?: number;
    /** Memory limit in bytes. */
    readonly memoryLimit?: number;
  };
  /** Declared ports (informational with host networking). */
  readonly ports?: readonly { readonly containerPort: number; readonly protocol?: string; readonly hostPort?: number }[];
  /** The pod's IP (a loopback address), exposed to the container as `POD_IP`. */
  readonly podIP?: string;
  /** Allocate a TTY. */
  readonly tty?: boolean;
}

/** What a runtime knows of a container. */
export interface ContainerInfo {
  /** The runtime's id of the container; the pod status reports it as `containerID: <runtime>://<id>`. */
  readonly id: string;
  /** The name it was created with ({@link ContainerSpec.name}). */
  readonly name: string;
  /** The image reference it was created with. */
  readonly image: string;
  /** The image id the container runs (Kubernetes' `imageID`). */
  readonly imageId?: string;
  /** The labels it was created with ({@link ContainerSpec.labels}). */
  readonly labels: Readonly<Record<string, string>>;
  /** `created` (not started yet), `running`, `exited`, or `unknown` when the runtime cannot tell. */
  readonly state: 'created' | 'running' | 'exited' | 'unknown';
  /** Set once the container has exited. */
  readonly exitCode?: number;
  /** Why it exited, e.g. `OOMKilled`, `Error`, `Completed`. */
  readonly reason?: string;
  /** ms since the epoch. */
  readonly createdAt?: number;
  /** When it last started, in ms since the epoch. */
  readonly startedAt?: number;
  /** When it exited, in ms since the epoch. */
  readonly finishedAt?: number;
  /** The process id of the container's main process on the host, while running. */
  readonly pid?: number;
}

/** Resource usage of one container. */
export interface ContainerStats {
  /** ms since the epoch. */
  readonly timestamp: number;
  /** CPU time used since the container started, in nanoseconds. */
  readonly cpuUsageNanos: number;
  /** Memory in use (working set), in bytes. */
  readonly memoryWorkingSetBytes: number;
}

/** The result of running a command in a container (exec probes). */
export interface ExecResult {
  /** The command's exit code; 0 is success (an exec probe passes). */
  readonly exitCode: number;
  /** What the command wrote to standard output. */
  readonly stdout: string;
  /** What the command wrote to standard error. */
  readonly stderr: string;
}

/** Pull policy, as in Kubernetes. */
export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

/** The image could not be pulled (the kubelet reports `ErrImagePull`, then `ImagePullBackOff`). */
export class ImagePullError extends Error {
  /** The class name: `ImagePullError` or `ImageNeverPullError`. */
  override readonly name: string = 'ImagePullError';
  constructor(
    /** The image reference that could not be pulled. */
    readonly image: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The image is not present and the pull policy is `Never` (the kubelet reports `ErrImageNeverPull`). */
export class ImageNeverPullError extends ImagePullError {
  override readonly name: string = 'ImageNeverPullError';
}

/** The container could not be created or started (the kubelet reports `CreateContainerError` / `RunContainerError`). */
export class ContainerStartError extends Error {
  /** Always `ContainerStartError`. */
  override readonly name: string = 'ContainerStartError';
}

/** A container runtime. Every method may be called concurrently for different containers. */
export interface ContainerRuntime {
  /** The runtime's name, e.g. `docker` or `process`; becomes the Node's `containerRuntimeVersion` prefix. */
  readonly name: string;
  /** The runtime's version string. */
  version(): Promise<string>;
  /** CPU (cores) and memory (bytes) this runtime can give containers: the Node's capacity. */
  capacity(): Promise<{ readonly cpu: number; readonly memoryBytes: number }>;
  /**
   * Make `image` available locally as `pullPolicy` says; resolves with its id.
   * @throws {@link ImagePullError} when it cannot be pulled, {@link ImageNeverPullError} when absent with `Never`.
   */
  ensureImage(image: string, options: { readonly pullPolicy: PullPolicy; readonly signal?: AbortSignal }): Promise<{ readonly imageId: string }>;
  /** Images present locally, as repository:tag names (for the Node's status.images and ImageLocality). */
  listImages(): Promise<readonly { readonly names: readonly string[]; readonly sizeBytes: number }[]>;
  /**
   * Create a container (not started).
   * @throws {@link ContainerStartError}.
   */
  createContainer(spec: ContainerSpec): Promise<ContainerInfo>;
  /** Start a created container. @throws {@link ContainerStartError}. */
  startContainer(id: string): Promise<void>;
  /**
   * Stop a running container: SIGTERM, then SIGKILL after `gracePeriodSeconds`. Resolves when it
   * has exited. Stopping an exited container does nothing.
   */
  stopContainer(id: string, options: { readonly gracePeriodSeconds: number }): Promise<void>;
  /** Remove a container (stopped or not: a running one is killed). Removing a missing one does nothing. */
  removeContainer(id: string): Promise<void>;
  /** One container, or `undefined` if it does not exist. */
  inspectContainer(id: string): Promise<ContainerInfo | undefined>;
  /** Containers whose labels include every given label (all containers of the runtime when absent). */
  listContainers(filter?: { readonly labels?: Readonly<Record<string, string>> }): Promise<ContainerInfo[]>;
  /** The container's output so far (stdout and stderr interleaved), at most `tailLines` lines. */
  logs(id: string, options?: { readonly tailLines?: number }): Promise<string>;
  /** Run `command` in the running container. Rejects if it takes longer than `timeoutMs`. */
  exec(id: string, command: readonly string[], options: { readonly timeoutMs: number }): Promise<ExecResult>;
  /** Current resource usage of a running container. */
  stats(id: string): Promise<ContainerStats>;
  /** Release connections and watchers (containers keep running). */
  close(): Promise<void>;
}

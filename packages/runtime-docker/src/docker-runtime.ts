/**
 * {@link dockerRuntime}: the ContainerRuntime on a Docker Engine, through dockerode.
 *
 * Containers run with host networking (`NetworkMode: host`): the pod IP is a loopback address
 * that the node agent picks and the runtime passes as `POD_IP`. A container's `command` becomes
 * Docker's `Entrypoint` and `args` its `Cmd`, as the kubelet does it; resources become
 * `NanoCpus` (cores × 1e9), `Memory` (with no swap beyond it) and `CpuShares` (the request as
 * the kubelet converts it: cores × 1024, at least 2). The labels the caller gives are kept as
 * Docker labels (to filter on) and, exactly, as one JSON label the runtime reads back, so labels
 * an image carries never leak into {@link ContainerInfo.labels}.
 *
 * Several runtimes may share one engine: each sees only the containers it created with the same
 * {@link DockerRuntimeOptions.owner}; other containers on the engine are never touched.
 *
 * Kubernetes' pull policies hold: `Always` pulls even when the image is present (and fails with
 * {@link ImagePullError} when the registry cannot be reached, so tag local images and use
 * `IfNotPresent`), `IfNotPresent` pulls only an absent image, `Never` never pulls.
 *
 * A container that fails to start (its command does not exist, say) is reported as CRI runtimes
 * report it: `exited` with reason `StartError` and exit code 128, finished when the start failed.
 *
 * Exec (for exec probes) cannot kill a command that outlives its timeout: Docker has no API for
 * it, so the promise rejects and the command runs on until it ends or the container stops.
 *
 * @module
 */
import Docker from 'dockerode';
import {
  ContainerStartError,
  ImageNeverPullError,
  ImagePullError,
  type ContainerInfo,
  type ContainerRuntime,
  type ContainerSpec,
  type ContainerStats,
  type ExecResult,
  type PullPolicy,
} from '@harbormaster/core';
import { demultiplex } from './demultiplex.js';

/** Options of {@link dockerRuntime}. */
export interface DockerRuntimeOptions {
  /**
   * An existing dockerode client to use (it is not closed by {@link ContainerRuntime.close}).
   * Takes precedence over {@link socketPath}.
   */
  readonly docker?: Docker;
  /**
   * The Engine's Unix socket.
   * @default from `DOCKER_HOST`, else `/var/run/docker.sock`
   */
  readonly socketPath?: string;
  /**
   * Tells apart runtimes (node agents) that share one engine: a runtime lists, and is meant to
   * touch, only the containers created with its owner. Stored as the label
   * `io.harbormaster.runtime.owner`.
   * @default 'default'
   */
  readonly owner?: string;
  /**
   * How long one image pull may take before it fails with {@link ImagePullError}, in ms.
   * @default 300000
   */
  readonly pullTimeoutMs?: number;
}

/** Labels of the runtime's own, on every container it creates. */
const OWNER_LABEL = 'io.harbormaster.runtime.owner';
/** The caller's labels, exactly, as JSON. */
const LABELS_LABEL = 'io.harbormaster.runtime.labels';
/** How many containers `listContainers` inspects at once. */
const INSPECT_CONCURRENCY = 8;
/** The exit code of a container that failed to start, as containerd's CRI reports it (`StartError`). */
const START_ERROR_EXIT_CODE = 128;

/**
 * A ContainerRuntime on a Docker Engine.
 *
 * @example
 * ```ts
 * import { dockerRuntime } from '@harbormaster/runtime-docker';
 *
 * const runtime = dockerRuntime(); // DOCKER_HOST, else /var/run/docker.sock
 * await runtime.ensureImage('nginx:1.27', { pullPolicy: 'IfNotPresent' });
 * const c = await runtime.createContainer({ name: 'hm_default_web-0_nginx_0', image: 'nginx:1.27', labels: { 'io.kubernetes.pod.uid': uid }, podIP: '127.1.0.7' });
 * await runtime.startContainer(c.id);
 * ```
 */
export function dockerRuntime(options: DockerRuntimeOptions = {}): ContainerRuntime {
  return new DockerRuntime(options);
}

/** A dockerode client as the options say. */
export function dockerClient(options: Pick<DockerRuntimeOptions, 'docker' | 'socketPath'> & { readonly timeoutMs?: number } = {}): Docker {
  if (options.docker) return options.docker;
  return new Docker({
    // An explicit socket wins over a DOCKER_HOST=tcp://… that docker-modem would read.
    ...(options.socketPath !== undefined ? { socketPath: options.socketPath, host: undefined } : {}),
    ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
  });
}

/** Where the engine is, for messages. */
export function describeDockerEndpoint(options: Pick<DockerRuntimeOptions, 'docker' | 'socketPath'> = {}): string {
  if (options.docker) return 'the given dockerode client';
  return options.socketPath ?? process.env.DOCKER_HOST ?? '/var/run/docker.sock';
}

class DockerRuntime implements ContainerRuntime {
  readonly name = 'docker';
  readonly #docker: Docker;
  readonly #owner: string;
  readonly #pullTimeoutMs: number;
  /** When a start failed, by container id (this instance's starts only). */
  readonly #startFailedAt = new Map<string, number>();

  constructor(options: DockerRuntimeOptions) {
    this.#docker = dockerClient(options);
    this.#owner = options.owner ?? 'default';
    this.#pullTimeoutMs = options.pullTimeoutMs ?? 300_000;
  }

  async version(): Promise<string> {
    return (await this.#docker.version()).Version;
  }

  async capacity(): Promise<{ readonly cpu: number; readonly memoryBytes: number }> {
    const info = (await this.#docker.info()) as { NCPU: number; MemTotal: number };
    return { cpu: info.NCPU, memoryBytes: info.MemTotal };
  }

  async ensureImage(image: string, options: { readonly pullPolicy: PullPolicy; readonly signal?: AbortSignal }): Promise<{ readonly imageId: string }> {
    const present = await this.#imageId(image);
    switch (options.pullPolicy) {
      case 'Never':
        if (present !== undefined) return { imageId: present };
        throw new ImageNeverPullError(image, `Container image "${image}" is not present with pull policy of Never`);
      case 'IfNotPresent':
        if (present !== undefined) return { imageId: present };
        break;
      case 'Always':
        break;
    }
    await this.#pull(image, options.signal);
    const pulled = await this.#imageId(image);
    if (pulled === undefined) throw new ImagePullError(image, `Failed to pull image "${image}": the pull ended but the image is not present`);
    return { imageId: pulled };
  }

  async listImages(): Promise<readonly { readonly names: readonly string[]; readonly sizeBytes: number }[]> {
    const images = await this.#docker.listImages();
    return images
      .map((i) => ({
        names: [...(i.RepoTags ?? []), ...(i.RepoDigests ?? [])].filter((n) => !n.startsWith('<none>')),
        sizeBytes: i.Size,
      }))
      .filter((i) => i.names.length > 0);
  }

  async createContainer(spec: ContainerSpec): Promise<ContainerInfo> {
    const env: Record<string, string> = { ...spec.env, ...(spec.podIP !== undefined ? { POD_IP: spec.podIP } : {}) };
    const resources = spec.resources ?? {};
    let created: Docker.Container;
    try {
      created = await this.#docker.createContainer({
        name: spec.name,
        Image: spec.image,
        ...(spec.command !== undefined ? { Entrypoint: [...spec.command], Cmd: [...(spec.args ?? [])] } : {}),
        ...(spec.command === undefined && spec.args !== undefined ? { Cmd: [...spec.args] } : {}),
        Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
        ...(spec.workingDir !== undefined ? { WorkingDir: spec.workingDir } : {}),
        Labels: { ...spec.labels, [OWNER_LABEL]: this.#owner, [LABELS_LABEL]: JSON.stringify(spec.labels) },
        Tty: spec.tty ?? false,
        AttachStdin: false,
        OpenStdin: false,
        HostConfig: {
          NetworkMode: 'host',
          CpuShares: cpuShares(resources.cpuRequest),
          ...(resources.cpuLimit !== undefined ? { NanoCpus: Math.round(resources.cpuLimit * 1e9) } : {}),
          ...(resources.memoryLimit !== undefined
            ? { Memory: Math.round(resources.memoryLimit), MemorySwap: Math.round(resources.memoryLimit) }
            : {}),
        },
      });
    } catch (e) {
      throw new ContainerStartError(`cannot create container ${spec.name}: ${dockerMessage(e)}`, { cause: e });
    }
    const info = await this.inspectContainer(created.id);
    if (info === undefined) throw new ContainerStartError(`container ${spec.name} (${created.id}) vanished right after it was created`);
    return info;
  }

  async startContainer(id: string): Promise<void> {
    try {
      await this.#docker.getContainer(id).start();
    } catch (e) {
      if (statusCode(e) === 304) return; // already running
      // The engine keeps no time for a failed start (FinishedAt stays at its zero time): remember it.
      this.#startFailedAt.set(id, Date.now());
      throw new ContainerStartError(`cannot start container ${id}: ${dockerMessage(e)}`, { cause: e });
    }
  }

  async stopContainer(id: string, options: { readonly gracePeriodSeconds: number }): Promise<void> {
    try {
      // Docker sends SIGTERM (the image's StopSignal), waits t seconds, then SIGKILL, and answers
      // once the container has exited.
      await this.#docker.getContainer(id).stop({ t: Math.max(0, Math.ceil(options.gracePeriodSeconds)) });
    } catch (e) {
      const code = statusCode(e);
      if (code === 304 || code === 404) return; // not running, or gone
      throw new Error(`cannot stop container ${id}: ${dockerMessage(e)}`, { cause: e });
    }
  }

  async removeContainer(id: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#docker.getContainer(id).remove({ force: true, v: true });
        this.#startFailedAt.delete(id);
        return;
      } catch (e) {
        const code = statusCode(e);
        if (code === 404) {
          this.#startFailedAt.delete(id);
          return;
        }
        // 409: a removal is already in progress; wait for it.
        if (code === 409 && attempt < 100) {
          await delay(100);
          continue;
        }
        throw new Error(`cannot remove container ${id}: ${dockerMessage(e)}`, { cause: e });
      }
    }
  }

  async inspectContainer(id: string): Promise<ContainerInfo | undefined> {
    let raw: Docker.ContainerInspectInfo;
    try {
      raw = await this.#docker.getContainer(id).inspect();
    } catch (e) {
      if (statusCode(e) === 404) return undefined;
      throw e;
    }
    if (raw.Config.Labels[OWNER_LABEL] !== this.#owner) return undefined;
    return toContainerInfo(raw, this.#startFailedAt.get(raw.Id));
  }

  async listContainers(filter?: { readonly labels?: Readonly<Record<string, string>> }): Promise<ContainerInfo[]> {
    const labels = [`${OWNER_LABEL}=${this.#owner}`, ...Object.entries(filter?.labels ?? {}).map(([k, v]) => `${k}=${v}`)];
    const listed = await this.#docker.listContainers({ all: true, filters: { label: labels } });
    // The list lacks exit codes, reasons and exact times: inspect each (a few ms on a local socket).
    const infos: (ContainerInfo | undefined)[] = new Array<ContainerInfo | undefined>(listed.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < listed.length) {
        const i = next++;
        const id = listed[i]?.Id;
        if (id !== undefined) infos[i] = await this.inspectContainer(id);
      }
    };
    await Promise.all(Array.from({ length: Math.min(INSPECT_CONCURRENCY, listed.length) }, worker));
    return infos.filter((i): i is ContainerInfo => i !== undefined);
  }

  async logs(id: string, options: { readonly tailLines?: number } = {}): Promise<string> {
    const container = this.#docker.getContainer(id);
    const raw = await container.inspect();
    const data = await container.logs({
      stdout: true,
      stderr: true,
      follow: false,
      ...(options.tailLines !== undefined ? { tail: Math.max(0, Math.floor(options.tailLines)) } : {}),
    });
    const buffer = Buffer.isBuffer(data) ? data : Buffer.from(data as unknown as string);
    return (raw.Config.Tty ? buffer : demultiplex(buffer).combined).toString('utf8');
  }

  async exec(id: string, command: readonly string[], options: { readonly timeoutMs: number }): Promise<ExecResult> {
    const deadline = Date.now() + options.timeoutMs;
    const timedOut = (): Error => new Error(`exec in container ${id} timed out after ${options.timeoutMs} ms: ${command.join(' ')}`);
    const container = this.#docker.getContainer(id);
    const exec = await container.exec({ Cmd: [...command], AttachStdout: true, AttachStderr: true, AttachStdin: false, Tty: false });
    const stream = await exec.start({ hijack: true, stdin: false });
    const output = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => {
        stream.removeAllListeners('end');
        (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
        reject(timedOut());
      }, Math.max(0, deadline - Date.now()));
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      });
      stream.on('end', () => {
        clearTimeout(timer);
        resolve(Buffer.concat(chunks));
      });
    });
    // The stream ends when the command exits; its exit code can lag behind by a moment.
    for (;;) {
      const info = await exec.inspect();
      if (!info.Running && info.ExitCode !== null) {
        const { stdout, stderr } = demultiplex(output);
        return { exitCode: info.ExitCode, stdout: stdout.toString('utf8'), stderr: stderr.toString('utf8') };
      }
      if (Date.now() > deadline) throw timedOut();
      await delay(10);
    }
  }

  async stats(id: string): Promise<ContainerStats> {
    const raw = (await this.#docker.getContainer(id).stats({ stream: false, 'one-shot': true })) as unknown as RawStats;
    const timestamp = raw.read === undefined ? Number.NaN : Date.parse(raw.read);
    if (!(timestamp > 0)) throw new Error(`container ${id} is not running: no stats`);
    const memory = raw.memory_stats ?? {};
    // The kubelet's (cAdvisor's) working set: usage less inactive file pages (cgroup v2's
    // inactive_file, v1's total_inactive_file), never below 0.
    const inactive = memory.stats?.inactive_file ?? memory.stats?.total_inactive_file ?? 0;
    return {
      timestamp,
      cpuUsageNanos: raw.cpu_stats?.cpu_usage?.total_usage ?? 0,
      memoryWorkingSetBytes: Math.max(0, (memory.usage ?? 0) - inactive),
    };
  }

  async close(): Promise<void> {
    // dockerode keeps no connection or watcher open between requests.
  }

  /** The id of a present image, or `undefined`. */
  async #imageId(image: string): Promise<string | undefined> {
    try {
      return (await this.#docker.getImage(image).inspect()).Id;
    } catch (e) {
      if (statusCode(e) === 404) return undefined;
      throw e;
    }
  }

  /** Pull `image`; any failure becomes an {@link ImagePullError}. */
  async #pull(image: string, signal: AbortSignal | undefined): Promise<void> {
    const abort = AbortSignal.any([AbortSignal.timeout(this.#pullTimeoutMs), ...(signal ? [signal] : [])]);
    const fail = (reason: string, cause?: unknown): ImagePullError =>
      new ImagePullError(image, `Failed to pull image "${image}": ${reason}`, cause === undefined ? undefined : { cause });
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.#docker.pull(image, { abortSignal: abort });
    } catch (e) {
      throw fail(abort.aborted ? abortReason(abort, this.#pullTimeoutMs) : dockerMessage(e), e);
    }
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      let failure: string | undefined;
      const onAbort = (): void => {
        (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
        reject(fail(abortReason(abort, this.#pullTimeoutMs)));
      };
      abort.addEventListener('abort', onAbort, { once: true });
      const done = (error?: unknown): void => {
        abort.removeEventListener('abort', onAbort);
        if (error !== undefined) reject(fail(dockerMessage(error), error));
        else if (failure !== undefined) reject(fail(failure));
        else resolve();
      };
      stream.on('data', (chunk: Buffer | string) => {
        buffered += chunk.toString();
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line === '') continue;
          try {
            const event = JSON.parse(line) as { error?: string; errorDetail?: { message?: string } };
            failure ??= event.errorDetail?.message ?? event.error;
          } catch {
            // not a progress line: ignore
          }
        }
      });
      stream.on('error', done);
      stream.on('end', () => done());
    });
  }
}

/** The stats fields read, as the Engine sends them for cgroup v1 and v2. */
interface RawStats {
  read?: string;
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
  memory_stats?: { usage?: number; stats?: { inactive_file?: number; total_inactive_file?: number } };
}

/**
 * Docker's inspect output as a {@link ContainerInfo}. A container whose start failed stays
 * `created` with an `Error` in Docker; it is reported as CRI runtimes (containerd) report it to the
 * kubelet: exited, reason `StartError`, exit code 128, finished when the start failed (`failedAt`,
 * known to the instance that tried) or else when it was created, since the engine keeps no time.
 */
function toContainerInfo(raw: Docker.ContainerInspectInfo, failedAt: number | undefined): ContainerInfo {
  const state = raw.State;
  // Never started, with an error: `created` after the failure, `removing` or `dead` later.
  const startFailed = state.Error !== '' && time(state.StartedAt) === undefined && state.Status !== 'running';
  const status = startFailed ? 'exited' : mapStatus(state.Status);
  const exitCode = startFailed ? START_ERROR_EXIT_CODE : state.ExitCode;
  const reason = startFailed ? 'StartError' : state.OOMKilled ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error';
  const createdAt = time(raw.Created);
  const startedAt = time(state.StartedAt);
  // The engine stamps StartedAt itself and FinishedAt from the runtime's exit event: a process that
  // exits at once can seem to finish a few ms before it started. It did not.
  const exitedAt = time(state.FinishedAt);
  const finishedAt = startFailed ? (failedAt ?? createdAt) : exitedAt === undefined || startedAt === undefined ? exitedAt : Math.max(exitedAt, startedAt);
  return {
    id: raw.Id,
    name: raw.Name.replace(/^\//, ''),
    image: raw.Config.Image,
    imageId: raw.Image,
    labels: userLabels(raw.Config.Labels),
    state: status,
    ...(status === 'exited' ? { exitCode, reason } : {}),
    ...(createdAt !== undefined ? { createdAt } : {}),
    ...(startedAt !== undefined ? { startedAt } : {}),
    ...(status === 'exited' && finishedAt !== undefined ? { finishedAt } : {}),
    ...(status === 'running' && state.Pid > 0 ? { pid: state.Pid } : {}),
  };
}

function mapStatus(status: string): ContainerInfo['state'] {
  switch (status) {
    case 'created':
      return 'created';
    case 'running':
    case 'paused':
    case 'restarting':
      return 'running';
    case 'exited':
    case 'dead':
    case 'removing':
      return 'exited';
    default:
      return 'unknown';
  }
}

/** The labels the caller gave at creation (image labels and the runtime's own left out). */
function userLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  const stored = labels[LABELS_LABEL];
  if (stored !== undefined) {
    try {
      return JSON.parse(stored) as Record<string, string>;
    } catch {
      // fall through: a label set by hand
    }
  }
  return Object.fromEntries(Object.entries(labels).filter(([k]) => !k.startsWith('io.harbormaster.runtime.')));
}

/** Docker's time strings as ms since the epoch; its zero time (`0001-01-01T00:00:00Z`) as `undefined`. */
function time(value: string | undefined): number | undefined {
  if (value === undefined || value.startsWith('0001-')) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** The kubelet's conversion of a CPU request to shares (`MilliCPUToShares`): 1024 per core, at least 2. */
function cpuShares(cores: number | undefined): number {
  const milli = Math.round((cores ?? 0) * 1000);
  return Math.min(262_144, Math.max(2, Math.floor((milli * 1024) / 1000)));
}

function statusCode(e: unknown): number | undefined {
  return typeof e === 'object' && e !== null && 'statusCode' in e && typeof e.statusCode === 'number' ? e.statusCode : undefined;
}

/** The Engine's own message for a failed request, else the error's. */
function dockerMessage(e: unknown): string {
  if (typeof e === 'object' && e !== null && 'json' in e) {
    const json = (e as { json?: unknown }).json;
    if (typeof json === 'object' && json !== null && 'message' in json && typeof json.message === 'string') return json.message;
  }
  return e instanceof Error ? e.message : String(e);
}

function abortReason(signal: AbortSignal, timeoutMs: number): string {
  const reason: unknown = signal.reason;
  return reason instanceof DOMException && reason.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : 'aborted';
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

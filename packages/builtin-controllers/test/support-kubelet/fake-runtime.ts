/**
 * A test-only ContainerRuntime: containers are records in memory, on the fake clock. Tests decide
 * what happens: which images exist, when a container exits and with what code, how long a stop
 * takes. The real runtimes (runtime-docker, runtime-process) run the same node agent for real in
 * their own tests.
 */
import {
  ContainerStartError,
  ImageNeverPullError,
  ImagePullError,
  type Clock,
  type ContainerInfo,
  type ContainerRuntime,
  type ContainerSpec,
  type ContainerStats,
  type ExecResult,
} from '@harbormaster/core';

interface FakeContainer {
  info: ContainerInfo;
  spec: ContainerSpec;
}

/** How an image's containers behave. */
export interface ImageBehavior {
  /** Exit this long after starting (with `exitCode`). Absent: run until stopped. */
  readonly exitAfterMs?: number;
  readonly exitCode?: number;
  /** Ignore SIGTERM: a stop waits the whole grace period. */
  readonly ignoreSigterm?: boolean;
  /** CPU the container burns, in cores (its stats grow accordingly). */
  readonly cpuCores?: number;
  /** Working set memory it reports, in bytes. */
  readonly memoryBytes?: number;
  /**
   * The start fails (ContainerStartError), as Docker reports it: the container is exited with
   * StartError and exit code 128, with neither a start nor a finish time.
   */
  readonly failStart?: boolean;
}

export class FakeRuntime implements ContainerRuntime {
  readonly name = 'fake';
  readonly containers = new Map<string, FakeContainer>();
  readonly images = new Map<string, ImageBehavior>();
  /** Images that are absent until pulled (any policy but Never pulls them), and how they then behave. */
  readonly pullable = new Map<string, ImageBehavior>();
  /** How long a pull takes, on the clock. */
  pullDelayMs = 0;
  /** Every runtime call, for assertions. */
  readonly calls: string[] = [];
  readonly stops: { id: string; gracePeriodSeconds: number; at: number }[] = [];
  /** Every ensureImage call, with its pull policy and when. */
  readonly ensureImageCalls: { image: string; pullPolicy: string; at: number }[] = [];
  /** Every exec, with when. */
  readonly execs: { id: string; command: readonly string[]; at: number }[] = [];
  /** Answers exec (probes, hooks); the default answers with {@link execExitCode} at once. */
  execHandler: ((id: string, command: readonly string[]) => ExecResult | Promise<ExecResult>) | undefined;
  #next = 1;

  constructor(private readonly clock: Clock) {}

  async version(): Promise<string> {
    return '1.0.0';
  }

  async capacity(): Promise<{ cpu: number; memoryBytes: number }> {
    return { cpu: 4, memoryBytes: 8 * 1024 ** 3 };
  }

  async ensureImage(image: string, options: { pullPolicy: 'Always' | 'IfNotPresent' | 'Never' }): Promise<{ imageId: string }> {
    this.calls.push(`ensureImage ${image} ${options.pullPolicy}`);
    this.ensureImageCalls.push({ image, pullPolicy: options.pullPolicy, at: this.clock.now() });
    const pullable = this.pullable.get(image);
    if (options.pullPolicy !== 'Never' && pullable !== undefined) {
      if (this.pullDelayMs > 0) await new Promise<void>((resolve) => this.clock.setTimeout(resolve, this.pullDelayMs));
      this.pullable.delete(image);
      this.images.set(image, pullable);
    }
    if (this.images.has(image)) return { imageId: `sha256:${image}` };
    if (options.pullPolicy === 'Never') throw new ImageNeverPullError(image, `Container image "${image}" is not present with pull policy of Never`);
    throw new ImagePullError(image, `pull access denied for ${image}, repository does not exist or may require 'docker login'`);
  }

  async listImages(): Promise<{ names: string[]; sizeBytes: number }[]> {
    return [...this.images.keys()].map((names) => ({ names: [names], sizeBytes: 1000 }));
  }

  async createContainer(spec: ContainerSpec): Promise<ContainerInfo> {
    this.calls.push(`create ${spec.name}`);
    if (!this.images.has(spec.image)) throw new ContainerStartError(`no image ${spec.image}`);
    const id = `c${this.#next++}`;
    const info: ContainerInfo = { id, name: spec.name, image: spec.image, imageId: `sha256:${spec.image}`, labels: { ...spec.labels }, state: 'created', createdAt: this.clock.now() };
    this.containers.set(id, { info, spec });
    return info;
  }

  async startContainer(id: string): Promise<void> {
    this.calls.push(`start ${id}`);
    const c = this.#get(id);
    const behavior = this.images.get(c.spec.image) ?? {};
    if (behavior.failStart === true) {
      c.info = { ...c.info, state: 'exited', exitCode: 128, reason: 'StartError' };
      throw new ContainerStartError(`failed to create shim task: exec: "${c.spec.command?.[0] ?? ''}": executable file not found in $PATH`);
    }
    c.info = { ...c.info, state: 'running', startedAt: this.clock.now(), pid: 1000 + Number(id.slice(1)) };
    if (behavior.exitAfterMs !== undefined) {
      const startedAt = c.info.startedAt;
      this.clock.setTimeout(() => {
        if (this.containers.get(id)?.info.startedAt === startedAt && this.containers.get(id)?.info.state === 'running') this.exit(id, behavior.exitCode ?? 1);
      }, behavior.exitAfterMs);
    }
  }

  /** Make a running container exit now. */
  exit(id: string, exitCode: number, reason?: string): void {
    const c = this.#get(id);
    const info: { -readonly [K in keyof ContainerInfo]: ContainerInfo[K] } = { ...c.info, state: 'exited', exitCode, finishedAt: this.clock.now(), ...(reason === undefined ? {} : { reason }) };
    delete info.pid;
    c.info = info;
  }

  async stopContainer(id: string, options: { gracePeriodSeconds: number }): Promise<void> {
    this.calls.push(`stop ${id} ${options.gracePeriodSeconds}`);
    this.stops.push({ id, gracePeriodSeconds: options.gracePeriodSeconds, at: this.clock.now() });
    const c = this.containers.get(id);
    if (c === undefined || c.info.state !== 'running') return;
    if ((this.images.get(c.spec.image) ?? {}).ignoreSigterm === true) {
      // Wait the grace period on the clock, then SIGKILL.
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, options.gracePeriodSeconds * 1000));
      if (this.containers.get(id)?.info.state === 'running') this.exit(id, 137);
      return;
    }
    this.exit(id, 143);
  }

  async removeContainer(id: string): Promise<void> {
    this.calls.push(`remove ${id}`);
    const c = this.containers.get(id);
    if (c?.info.state === 'running') this.exit(id, 137);
    this.containers.delete(id);
  }

  async inspectContainer(id: string): Promise<ContainerInfo | undefined> {
    return this.containers.get(id)?.info;
  }

  async listContainers(filter?: { labels?: Readonly<Record<string, string>> }): Promise<ContainerInfo[]> {
    const want = Object.entries(filter?.labels ?? {});
    return [...this.containers.values()].map((c) => c.info).filter((i) => want.every(([k, v]) => i.labels[k] === v));
  }

  async logs(): Promise<string> {
    return '';
  }

  async exec(id: string, command: readonly string[]): Promise<ExecResult> {
    this.calls.push(`exec ${id} ${command.join(' ')}`);
    this.execs.push({ id, command, at: this.clock.now() });
    if (this.execHandler !== undefined) return this.execHandler(id, command);
    return { exitCode: this.execExitCode, stdout: '', stderr: '' };
  }

  execExitCode = 0;

  async stats(id: string): Promise<ContainerStats> {
    const c = this.#get(id);
    const b = this.images.get(c.spec.image) ?? {};
    const ranMs = this.clock.now() - (c.info.startedAt ?? this.clock.now());
    return { timestamp: this.clock.now(), cpuUsageNanos: Math.round((b.cpuCores ?? 0) * ranMs * 1e6), memoryWorkingSetBytes: b.memoryBytes ?? 0 };
  }

  async close(): Promise<void> {}

  /** The spec a container was created with. */
  specOf(id: string): ContainerSpec {
    return this.#get(id).spec;
  }

  /** The running (or latest) container of a pod's container. */
  latest(podName: string, container: string): ContainerInfo | undefined {
    return [...this.containers.values()]
      .map((c) => c.info)
      .filter((i) => i.labels['harbormaster.io/pod-name'] === podName && i.labels['harbormaster.io/container'] === container)
      .sort((a, b) => Number(b.labels['harbormaster.io/restart-count']) - Number(a.labels['harbormaster.io/restart-count']))[0];
  }

  #get(id: string): FakeContainer {
    const c = this.containers.get(id);
    if (c === undefined) throw new Error(`no container ${id}`);
    return c;
  }
}

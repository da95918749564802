/**
 * {@link processRuntime}: the ContainerRuntime that runs a container's command as a local process,
 * in the manner of Nomad's `raw_exec` driver: no isolation, no image to pull, Linux only (it reads
 * /proc and uses `setsid` from util-linux).
 *
 * **Images.** An image names a default command. It is found in the `images` map
 * (`{ 'acme/web:1': { command: ['node', 'server.js'], workingDir: '/srv/web' } }`), or, by
 * convention, it is `process://` followed by the absolute path of an executable
 * (`process:///usr/local/bin/web`, run in its own directory). Nothing is ever pulled:
 * `ensureImage` resolves for a known image under every pull policy (a local definition is always
 * current) and fails with {@link ImagePullError} for an unknown one
 * ({@link ImageNeverPullError} under `Never`). A container's `command` and `args` override the
 * image's as in Kubernetes.
 *
 * **Processes.** `startContainer` starts a small `sh` shim, detached from the agent, which runs the
 * container's first process in a session and process group of its own (`setsid`), with stdin
 * from /dev/null and stdout and stderr appended to the container's log file; when that process
 * ends, the shim kills what is left of its process group (as a container's end does) and writes
 * the exit code (128 + the signal number for a process killed by a signal, so 137 for SIGKILL).
 * A command that cannot be run (not found, no working directory) fails the start with
 * {@link ContainerStartError}, and the container is then exited with reason `StartError` and exit
 * code 128, as CRI runtimes report it to the kubelet.
 * `stopContainer` sends SIGTERM to the whole process group, then SIGKILL after the grace period.
 * A process that moves itself into another process group escapes both.
 *
 * **Environment.** A container gets the agent's variables named in `inheritEnv` (`PATH`, `HOME`,
 * …), then the image's `env`, then its own `env`, then `POD_IP`. It runs as the agent's user, in
 * `workingDir` (the container's, else the image's, else a directory of its own under the state
 * directory). Networking is the host's: a server should bind to `POD_IP`.
 *
 * **State.** Everything about a container lives under `<stateDir>/containers/<id>/`:
 * `container.json` (its spec, env and labels), `started.json` (the pids and start times of the
 * process and the shim), `exit` (the exit code; its modification time is the finish time) and
 * `log`. A new runtime instance on the same state directory (an agent restart) finds the
 * containers again by their labels; a running container is recognised by its pid and its start
 * time in /proc, so a reused pid is never mistaken for it. If a container's process and its shim
 * are both gone without an exit code (the machine rebooted, someone killed the shim), the
 * container is reported exited with code 137 and reason `ContainerStatusUnknown`, as the kubelet
 * does. Removal renames the directory away before deleting it, so a concurrent inspect or list sees
 * a container whole or not at all.
 *
 * **Resources.** Limits and requests are recorded, not enforced: there is no cgroup. Stats are
 * the CPU time (`/proc/<pid>/stat` utime + stime + cutime + cstime, in clock ticks of
 * `getconf CLK_TCK`) and the resident memory (`VmRSS` of `/proc/<pid>/status`) summed over the
 * container's process group.
 *
 * `tty` is ignored.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { availableParallelism, constants as osConstants, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
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
import { clockTicksPerSecond, isRunning, processGroup, readProcStat, readRssBytes } from './proc.js';
import { resolveImage, type ProcessImage } from './process-image.js';
import { tailFile } from './tail.js';

/** Options of {@link processRuntime}. */
export interface ProcessRuntimeOptions {
  /**
   * Where the containers' records and logs live. Runtime instances on the same directory (an
   * agent and the agent after a restart) see the same containers; give each node its own.
   * @default `<os.tmpdir()>/harbormaster-runtime-process-<uid>`
   */
  readonly stateDir?: string;
  /** The images this runtime knows, by name (besides `process://<path>` images). @default {} */
  readonly images?: Readonly<Record<string, ProcessImage>>;
  /**
   * The agent's environment variables every container inherits (when the agent has them).
   * @default ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR']
   */
  readonly inheritEnv?: readonly string[];
  /**
   * The capacity to report for the node.
   * @default os.availableParallelism() cores and os.totalmem() bytes
   */
  readonly capacity?: {
    /** Cores. */
    readonly cpu: number;
    /** Bytes. */
    readonly memoryBytes: number;
  };
}

/** What `container.json` holds: everything needed to start, exec in and describe the container. */
interface ContainerRecord {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly imageId: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The command and its arguments, as given (the first looked up on the container's PATH). */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly workingDir: string;
  readonly createdAt: number;
  readonly resources?: ContainerSpec['resources'];
}

/** What `started.json` holds. */
interface StartedRecord {
  readonly pid: number;
  readonly pidStartTime?: number;
  readonly shimPid: number;
  readonly shimStartTime?: number;
  readonly startedAt: number;
}

const DEFAULT_INHERIT_ENV = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'] as const;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const ID_PATTERN = /^[0-9a-f]{32}$/;
/** A container directory being removed is first renamed to this prefix and its id. */
const REMOVING_PREFIX = '.removing-';
const POLL_MS = 20;
/** How long to wait for a killed process to be gone, or for a started one to report its pid. */
const SETTLE_TIMEOUT_MS = 30_000;
/** The exit code of a container that failed to start, as containerd's CRI reports it (`StartError`). */
const START_ERROR_EXIT_CODE = 128;
/** The most of each output stream exec keeps. */
const EXEC_OUTPUT_LIMIT = 4 * 1024 * 1024;

/**
 * The shim, run detached as `sh -c SHIM shim <dir> <setsid> sh -c STARTER <dir> <argv...>`. It
 * uses only shell built-ins, so a container's PATH cannot break it.
 */
const SHIM = [
  'dir=$1; shift',
  '"$@" </dev/null >>"$dir/log" 2>&1',
  'code=$?',
  'read pid <"$dir/pid" 2>/dev/null',
  '[ -n "$pid" ] && kill -9 -"$pid" 2>/dev/null',
  'echo "$code" >"$dir/exit"',
].join('\n');
/** The container's first process, before it becomes the container's command: records its pid. */
const STARTER = 'echo $$ >"$0/pid" && exec "$@"';

/**
 * A ContainerRuntime of local processes.
 *
 * @example
 * ```ts
 * import { processRuntime } from '@harbormaster/runtime-process';
 *
 * const runtime = processRuntime({
 *   stateDir: '/var/lib/harbormaster/node-1',
 *   images: { 'acme/web:1': { command: ['node', 'server.js'], workingDir: '/srv/web' } },
 * });
 * await runtime.ensureImage('acme/web:1', { pullPolicy: 'IfNotPresent' });
 * const c = await runtime.createContainer({ name: 'web-0', image: 'acme/web:1', labels: { app: 'web' }, podIP: '127.1.0.7', env: { PORT: '8080' } });
 * await runtime.startContainer(c.id);
 * ```
 */
export function processRuntime(options: ProcessRuntimeOptions = {}): ContainerRuntime {
  return new ProcessRuntime(options);
}

class ProcessRuntime implements ContainerRuntime {
  readonly name = 'process';
  readonly #stateDir: string;
  readonly #containersDir: string;
  readonly #namesDir: string;
  readonly #images: Readonly<Record<string, ProcessImage>>;
  readonly #inheritEnv: readonly string[];
  readonly #capacity: { readonly cpu: number; readonly memoryBytes: number } | undefined;
  /** `process://` images ensured by this instance, for listImages. */
  readonly #pathImages = new Set<string>();
  #ready: Promise<void> | undefined;
  #setsid: Promise<string | undefined> | undefined;

  constructor(options: ProcessRuntimeOptions) {
    this.#stateDir = resolve(options.stateDir ?? join(tmpdir(), `harbormaster-runtime-process-${process.getuid?.() ?? 0}`));
    this.#containersDir = join(this.#stateDir, 'containers');
    this.#namesDir = join(this.#stateDir, 'names');
    this.#images = options.images ?? {};
    this.#inheritEnv = options.inheritEnv ?? DEFAULT_INHERIT_ENV;
    this.#capacity = options.capacity;
  }

  async version(): Promise<string> {
    return release();
  }

  async capacity(): Promise<{ readonly cpu: number; readonly memoryBytes: number }> {
    return this.#capacity ?? { cpu: availableParallelism(), memoryBytes: totalmem() };
  }

  async ensureImage(image: string, options: { readonly pullPolicy: PullPolicy; readonly signal?: AbortSignal }): Promise<{ readonly imageId: string }> {
    const resolved = await resolveImage(image, this.#images);
    if (resolved !== undefined) {
      if (!Object.hasOwn(this.#images, image)) this.#pathImages.add(image);
      return { imageId: resolved.imageId };
    }
    if (options.pullPolicy === 'Never') {
      throw new ImageNeverPullError(image, `Container image "${image}" is not present with pull policy of Never`);
    }
    throw new ImagePullError(
      image,
      `Failed to pull image "${image}": the process runtime pulls nothing, and the image is neither in its image map nor process://<absolute path of an executable>`,
    );
  }

  async listImages(): Promise<readonly { readonly names: readonly string[]; readonly sizeBytes: number }[]> {
    const names = [...Object.keys(this.#images), ...this.#pathImages];
    const resolved = await Promise.all(names.map((name) => resolveImage(name, this.#images)));
    return resolved.flatMap((r) => (r === undefined ? [] : [{ names: [r.name], sizeBytes: r.sizeBytes }]));
  }

  async createContainer(spec: ContainerSpec): Promise<ContainerInfo> {
    await this.#ensureDirs();
    const resolved = await resolveImage(spec.image, this.#images);
    if (resolved === undefined) throw new ContainerStartError(`cannot create container ${spec.name}: the image "${spec.image}" is not present`);
    const image = resolved.image;
    const argv =
      spec.command !== undefined
        ? [...spec.command, ...(spec.args ?? [])]
        : [...image.command, ...(spec.args ?? image.args ?? [])];
    if (argv.length === 0 || argv[0] === '') throw new ContainerStartError(`cannot create container ${spec.name}: no command`);

    const id = randomBytes(16).toString('hex');
    const dir = this.#dir(id);
    const nameFile = join(this.#namesDir, encodeURIComponent(spec.name));
    try {
      await writeFile(nameFile, id, { flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = await readFile(nameFile, 'utf8').catch(() => '?');
      throw new ContainerStartError(`cannot create container ${spec.name}: the name is already in use by container ${owner}`);
    }
    try {
      await mkdir(dir);
      const workingDir = spec.workingDir ?? image.workingDir ?? join(dir, 'work');
      if (spec.workingDir === undefined && image.workingDir === undefined) await mkdir(workingDir);
      const record: ContainerRecord = {
        id,
        name: spec.name,
        image: spec.image,
        imageId: resolved.imageId,
        labels: { ...spec.labels },
        argv,
        env: this.#environment(image, spec),
        workingDir,
        createdAt: Date.now(),
        ...(spec.resources !== undefined ? { resources: spec.resources } : {}),
      };
      await writeJson(join(dir, 'container.json'), record);
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      await unlink(nameFile).catch(() => undefined);
      throw new ContainerStartError(`cannot create container ${spec.name}: ${errorMessage(e)}`, { cause: e });
    }
    const info = await this.inspectContainer(id);
    if (info === undefined) throw new ContainerStartError(`container ${spec.name} (${id}) vanished right after it was created`);
    return info;
  }

  async startContainer(id: string): Promise<void> {
    const record = await this.#record(id);
    if (record === undefined) throw new ContainerStartError(`cannot start container ${id}: no such container`);
    const dir = this.#dir(id);
    // Claim the start, so that two runtime instances never start one container twice.
    try {
      await writeFile(join(dir, 'start.lock'), String(process.pid), { flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const info = await until(SETTLE_TIMEOUT_MS, async () => {
        const i = await this.inspectContainer(id);
        return i === undefined || i.state !== 'created' ? i : undefined;
      });
      if (info?.state === 'running') return;
      throw new ContainerStartError(`cannot start container ${id}: it has already run (${info?.state ?? 'gone'}); create a new one`);
    }

    // Recorded as CRI runtimes (containerd) report a failed start to the kubelet: exit code 128,
    // reason StartError, finished now.
    const failStart = async (message: string): Promise<never> => {
      await writeFile(join(dir, 'start-error'), message);
      await writeFile(join(dir, 'exit'), `${START_ERROR_EXIT_CODE}\n`);
      throw new ContainerStartError(`cannot start container ${record.name}: ${message}`);
    };
    const command = record.argv[0] ?? '';
    const workingDir = await stat(record.workingDir).catch(() => undefined);
    if (!workingDir?.isDirectory()) return failStart(`the working directory ${record.workingDir} does not exist`);
    if ((await findExecutable(command, { path: record.env.PATH ?? DEFAULT_PATH, cwd: record.workingDir })) === undefined) {
      return failStart(`exec: "${command}": executable file not found in $PATH`);
    }
    const setsid = await this.#findSetsid();
    if (setsid === undefined) return failStart('setsid (util-linux) is not installed on this machine');

    const startedAt = Date.now();
    const shim = spawn('/bin/sh', ['-c', SHIM, 'harbormaster-shim', dir, setsid, '/bin/sh', '-c', STARTER, dir, ...record.argv], {
      cwd: record.workingDir,
      env: record.env,
      detached: true,
      stdio: 'ignore',
    });
    let shimExited = false;
    let spawnError: Error | undefined;
    shim.on('exit', () => (shimExited = true));
    shim.on('error', (e) => (spawnError = e));
    shim.unref();

    const pid = await until(SETTLE_TIMEOUT_MS, async () => {
      // Whether the shim had ended before the read: a command that exits at once can run to its
      // end while the read is under way, and its pid must not then be taken for a failed start.
      const ended = spawnError !== undefined || shimExited;
      const text = await readFile(join(dir, 'pid'), 'utf8').catch(() => '');
      const n = Number.parseInt(text, 10);
      if (n > 0) return n;
      if (ended) return 0;
      return undefined;
    });
    if (pid === undefined || pid === 0 || shim.pid === undefined) {
      return failStart(`the process did not start${spawnError ? `: ${spawnError.message}` : ''}`);
    }
    const [pidStat, shimStat] = await Promise.all([readProcStat(pid), readProcStat(shim.pid)]);
    const started: StartedRecord = {
      pid,
      shimPid: shim.pid,
      startedAt,
      // A process that ended already has no start time left to read; its exit file tells its fate.
      ...(pidStat !== undefined ? { pidStartTime: pidStat.startTime } : {}),
      ...(shimStat !== undefined ? { shimStartTime: shimStat.startTime } : {}),
    };
    await writeJson(join(dir, 'started.json'), started);
  }

  async stopContainer(id: string, options: { readonly gracePeriodSeconds: number }): Promise<void> {
    const info = await this.inspectContainer(id);
    if (info?.state !== 'running') return;
    const started = await this.#started(id);
    if (started === undefined) return;
    await this.#signal(started, 'SIGTERM');
    if (await this.#waitExited(id, started, Math.max(0, options.gracePeriodSeconds) * 1000)) return;
    await this.#signal(started, 'SIGKILL');
    if (!(await this.#waitExited(id, started, SETTLE_TIMEOUT_MS))) {
      throw new Error(`container ${id} (pid ${started.pid}) did not exit ${SETTLE_TIMEOUT_MS} ms after SIGKILL`);
    }
  }

  async removeContainer(id: string): Promise<void> {
    const record = await this.#record(id);
    if (record === undefined) return;
    const started = await this.#started(id);
    if (started !== undefined) {
      if ((await this.inspectContainer(id))?.state === 'running') await this.#signal(started, 'SIGKILL');
      // Let the shim record the exit before the directory goes.
      await this.#waitExited(id, started, SETTLE_TIMEOUT_MS);
    }
    const nameFile = join(this.#namesDir, encodeURIComponent(record.name));
    if ((await readFile(nameFile, 'utf8').catch(() => undefined)) === id) await unlink(nameFile).catch(() => undefined);
    // Out of sight in one step, then deleted: a concurrent inspect sees the whole container or
    // none of it, never a record whose exit file has already gone (which would read as
    // ContainerStatusUnknown).
    const doomed = join(this.#containersDir, `${REMOVING_PREFIX}${id}`);
    try {
      await rename(this.#dir(id), doomed);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    // What is left (a concurrent list deleting it too, a file held busy) goes with the next list.
    await rm(doomed, { recursive: true, force: true }).catch(() => undefined);
  }

  async inspectContainer(id: string): Promise<ContainerInfo | undefined> {
    const record = await this.#record(id);
    if (record === undefined) return undefined;
    const base = {
      id,
      name: record.name,
      image: record.image,
      imageId: record.imageId,
      labels: record.labels,
      createdAt: record.createdAt,
    };
    const dir = this.#dir(id);
    const exited = async (started: StartedRecord | undefined): Promise<ContainerInfo | undefined> => {
      const exit = await readExit(dir);
      if (exit === undefined) return undefined;
      const startError = await readFile(join(dir, 'start-error'), 'utf8').catch(() => undefined);
      return {
        ...base,
        state: 'exited',
        exitCode: exit.code,
        reason: startError !== undefined ? 'StartError' : exit.code === 0 ? 'Completed' : 'Error',
        ...(started !== undefined ? { startedAt: started.startedAt } : {}),
        // The exit file's mtime comes from the kernel's coarser file clock and can read a few ms
        // before the Date.now() taken at create or start: never report an exit before those.
        finishedAt: Math.max(exit.finishedAt, started?.startedAt ?? 0, record.createdAt),
      };
    };
    const started = await this.#started(id);
    const done = await exited(started);
    if (done !== undefined) return done;
    // Removed while it was being read: it no longer exists.
    const gone = async (): Promise<boolean> => (await this.#record(id)) === undefined;
    if (started === undefined) return (await gone()) ? undefined : { ...base, state: 'created' };
    // Running while its first process runs, and also while the shim is still recording the exit.
    if ((await isRunning(started.pid, started.pidStartTime)) || (await isRunning(started.shimPid, started.shimStartTime))) {
      return { ...base, state: 'running', startedAt: started.startedAt, pid: started.pid };
    }
    const after = await exited(started);
    if (after !== undefined) return after;
    if (await gone()) return undefined;
    return { ...base, state: 'exited', exitCode: 137, reason: 'ContainerStatusUnknown', startedAt: started.startedAt };
  }

  async listContainers(filter?: { readonly labels?: Readonly<Record<string, string>> }): Promise<ContainerInfo[]> {
    await this.#ensureDirs();
    const wanted = Object.entries(filter?.labels ?? {});
    const names = await readdir(this.#containersDir);
    // What a removal interrupted (the agent was killed between the rename and the delete).
    await Promise.all(
      names
        .filter((name) => name.startsWith(REMOVING_PREFIX))
        .map((name) => rm(join(this.#containersDir, name), { recursive: true, force: true }).catch(() => undefined)),
    );
    const ids = names.filter((name) => ID_PATTERN.test(name));
    const records = await Promise.all(ids.map((id) => this.#record(id)));
    const matching = records.filter(
      (r): r is ContainerRecord => r !== undefined && wanted.every(([k, v]) => Object.hasOwn(r.labels, k) && r.labels[k] === v),
    );
    const infos = await Promise.all(matching.map((r) => this.inspectContainer(r.id)));
    return infos.filter((i): i is ContainerInfo => i !== undefined);
  }

  async logs(id: string, options: { readonly tailLines?: number } = {}): Promise<string> {
    if ((await this.#record(id)) === undefined) throw new Error(`no such container: ${id}`);
    return tailFile(join(this.#dir(id), 'log'), options.tailLines);
  }

  async exec(id: string, command: readonly string[], options: { readonly timeoutMs: number }): Promise<ExecResult> {
    const record = await this.#record(id);
    if (record === undefined) throw new Error(`no such container: ${id}`);
    if ((await this.inspectContainer(id))?.state !== 'running') throw new Error(`container ${id} is not running`);
    const [file, ...args] = command;
    if (file === undefined) throw new Error('exec: no command');
    return new Promise<ExecResult>((resolvePromise, reject) => {
      const child = spawn(file, args, {
        cwd: record.workingDir,
        env: record.env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const stdout = new OutputBuffer();
      const stderr = new OutputBuffer();
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      const timer = setTimeout(() => {
        if (child.pid !== undefined) signalGroupQuietly(child.pid, 'SIGKILL');
        reject(new Error(`exec in container ${id} timed out after ${options.timeoutMs} ms: ${command.join(' ')}`));
      }, options.timeoutMs);
      child.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        // As a container runtime reports it: the command could not be run.
        const exitCode = e.code === 'ENOENT' ? 127 : 126;
        resolvePromise({ exitCode, stdout: '', stderr: `exec: "${file}": ${e.message}\n` });
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        const exitCode = code ?? 128 + (signal !== null ? (osConstants.signals[signal] ?? 0) : 0);
        resolvePromise({ exitCode, stdout: stdout.toString(), stderr: stderr.toString() });
      });
    });
  }

  async stats(id: string): Promise<ContainerStats> {
    const info = await this.inspectContainer(id);
    if (info?.state !== 'running' || info.pid === undefined) throw new Error(`container ${id} is not running: no stats`);
    const timestamp = Date.now();
    let members = await processGroup(info.pid);
    if (!members.some((m) => m.pid === info.pid)) {
      const main = await readProcStat(info.pid);
      if (main !== undefined) members = [...members, main];
    }
    const ticks = members.reduce((sum, m) => sum + m.utime + m.stime + m.cutime + m.cstime, 0);
    const rss = await Promise.all(members.map((m) => readRssBytes(m.pid)));
    return {
      timestamp,
      cpuUsageNanos: Math.round((ticks / clockTicksPerSecond()) * 1e9),
      memoryWorkingSetBytes: rss.reduce((a, b) => a + b, 0),
    };
  }

  async close(): Promise<void> {
    // Nothing is held open: shims are detached, state is on disk.
  }

  #dir(id: string): string {
    return join(this.#containersDir, id);
  }

  #ensureDirs(): Promise<void> {
    this.#ready ??= Promise.all([
      mkdir(this.#containersDir, { recursive: true }),
      mkdir(this.#namesDir, { recursive: true }),
    ]).then(() => undefined);
    return this.#ready;
  }

  /** The environment of a new container. */
  #environment(image: ProcessImage, spec: ContainerSpec): Record<string, string> {
    const env: Record<string, string> = {};
    for (const name of this.#inheritEnv) {
      const value = process.env[name];
      if (value !== undefined) env[name] = value;
    }
    Object.assign(env, image.env, spec.env);
    if (spec.podIP !== undefined) env.POD_IP = spec.podIP;
    env.PATH ??= DEFAULT_PATH;
    return env;
  }

  async #record(id: string): Promise<ContainerRecord | undefined> {
    if (!ID_PATTERN.test(id)) return undefined;
    return readJson<ContainerRecord>(join(this.#dir(id), 'container.json'));
  }

  #started(id: string): Promise<StartedRecord | undefined> {
    return readJson<StartedRecord>(join(this.#dir(id), 'started.json'));
  }

  /** Signal the container's process group (or its first process, if it left the group). */
  async #signal(started: StartedRecord, signal: NodeJS.Signals): Promise<void> {
    try {
      process.kill(-started.pid, signal);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      if (await isRunning(started.pid, started.pidStartTime)) {
        try {
          process.kill(started.pid, signal);
        } catch (e2) {
          if ((e2 as NodeJS.ErrnoException).code !== 'ESRCH') throw e2;
        }
      }
    }
  }

  /** Wait until the exit is recorded (or the shim is gone too); whether it happened within `timeoutMs`. */
  async #waitExited(id: string, started: StartedRecord, timeoutMs: number): Promise<boolean> {
    const dir = this.#dir(id);
    const result = await until(timeoutMs, async () => {
      if ((await readExit(dir)) !== undefined) return true;
      const alive = (await isRunning(started.pid, started.pidStartTime)) || (await isRunning(started.shimPid, started.shimStartTime));
      return alive ? undefined : true;
    });
    return result === true;
  }

  #findSetsid(): Promise<string | undefined> {
    this.#setsid ??= findExecutable('setsid', { path: `${process.env.PATH ?? ''}:${DEFAULT_PATH}`, cwd: '/' });
    return this.#setsid;
  }
}

/** Collects a stream's output up to {@link EXEC_OUTPUT_LIMIT} bytes. */
class OutputBuffer {
  readonly #chunks: Buffer[] = [];
  #size = 0;

  push(chunk: Buffer): void {
    if (this.#size >= EXEC_OUTPUT_LIMIT) return;
    const part = chunk.subarray(0, EXEC_OUTPUT_LIMIT - this.#size);
    this.#chunks.push(part);
    this.#size += part.length;
  }

  toString(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }
}

/** The exit code the shim wrote, and when; `undefined` while there is none (or it is half written). */
async function readExit(dir: string): Promise<{ code: number; finishedAt: number } | undefined> {
  const path = join(dir, 'exit');
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    const code = Number.parseInt(text, 10);
    return Number.isFinite(code) ? { code, finishedAt: Math.round(info.mtimeMs) } : undefined;
  } catch {
    return undefined;
  }
}

/** Find `command` as `execvp` would: a path if it holds a slash (relative to `cwd`), else on `path`. */
async function findExecutable(command: string, options: { readonly path: string; readonly cwd: string }): Promise<string | undefined> {
  if (command === '') return undefined;
  const candidates = command.includes('/')
    ? [resolve(options.cwd, command)]
    : options.path
        .split(':')
        .filter((dir) => dir !== '')
        .map((dir) => join(resolve(options.cwd, dir), command));
  for (const candidate of candidates) {
    try {
      if (!(await stat(candidate)).isFile()) continue;
      await access(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

function signalGroupQuietly(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // gone already
  }
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Write JSON atomically (a reader sees the old file or the new one, never half of one). */
async function writeJson(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(JSON.stringify(value, null, 2));
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
}

/** Poll `check` every {@link POLL_MS} ms until it returns a value, or `undefined` after `timeoutMs`. */
async function until<T>(timeoutMs: number, check: () => Promise<T | undefined>): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) return undefined;
    await new Promise((r) => setTimeout(r, Math.min(POLL_MS, Math.max(1, deadline - Date.now()))));
  }
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

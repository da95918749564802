/**
 * The container runtime conformance suite: every {@link ContainerRuntime} backend runs it, so that
 * the node agent can rely on one behaviour whatever runs its containers.
 *
 * {@link containerRuntimeConformanceSuite} registers vitest `describe`/`it` blocks that run real
 * containers: image handling and its errors, create/start/inspect, command/args/env/workingDir and
 * `POD_IP`, serving HTTP on the pod IP (host networking), exit codes and reasons, logs, listing by
 * labels, exec and its timeout, stats, stop with a grace period (a process that handles SIGTERM,
 * and one that ignores it and is killed after the grace period), remove, start errors, unique
 * names, and a second runtime instance (an agent restart) seeing the first one's containers.
 *
 * Each test makes its own runtime(s) from the factory, labels every container it creates with a
 * label unique to the run, removes them afterwards (and, at the end, anything left with that
 * label) and closes the runtimes. These are real processes: the suite polls with real time, but
 * no check depends on timing except the grace period, which it measures with generous bounds.
 *
 * The image must speak the *test-http protocol* (what `scripts/build-test-image.sh` builds as
 * `harbormaster/test-http:1`, and `packages/runtime-process/test/fixtures/test-http.mjs`
 * implements for local processes):
 *
 * - its default command serves HTTP on `${POD_IP}:${PORT}`; `GET /healthz` answers 200 `ok`;
 *   it prints a line when it listens;
 * - on SIGTERM it prints `test-http: SIGTERM, exiting` and exits 0; with `IGNORE_SIGTERM=1` it
 *   ignores SIGTERM;
 * - `sh` and `sleep` can be run in the container (`command: ['sh', '-c', ...]`).
 *
 * @example
 * ```ts
 * // packages/runtime-process/src/process-runtime.test.ts
 * import { containerRuntimeConformanceSuite } from '@harbormaster/core/testing';
 * import { processRuntime } from './process-runtime.js';
 *
 * containerRuntimeConformanceSuite('processRuntime', () => processRuntime({ stateDir, images }), { image: 'harbormaster/test-http:1' });
 * ```
 *
 * @module
 */
import { randomBytes, randomInt } from 'node:crypto';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ContainerStartError,
  ImageNeverPullError,
  ImagePullError,
  type ContainerInfo,
  type ContainerRuntime,
  type ContainerSpec,
} from '../runtime/container-runtime.js';
import { waitFor } from './wait-for.js';

/** Options of {@link containerRuntimeConformanceSuite}. */
export interface ContainerRuntimeConformanceOptions {
  /**
   * An image present on the runtime that speaks the test-http protocol (see the module
   * documentation), e.g. `'harbormaster/test-http:1'`.
   */
  readonly image: string;
  /**
   * An image that is not present and cannot be pulled: pulling it must fail quickly.
   * @default 'harbormaster.invalid/absent:0'
   */
  readonly absentImage?: string;
  /**
   * Timeout of each test, in milliseconds.
   * @default 60000
   */
  readonly timeout?: number;
}

/** The label every container of one run of the suite carries. */
const RUN_LABEL = 'harbormaster.test/conformance-run';

/**
 * Register the container runtime conformance tests for one backend.
 *
 * @param name Shown in the test names, e.g. `'dockerRuntime'`.
 * @param factory Returns a new runtime instance on the same backend each time (the same Docker
 *   Engine, the same state directory): a test checks that a second instance sees and controls
 *   the first one's containers. The suite closes every runtime it gets.
 * @param options See {@link ContainerRuntimeConformanceOptions}.
 *
 * @example
 * ```ts
 * containerRuntimeConformanceSuite('dockerRuntime', () => dockerRuntime(), { image: 'harbormaster/test-http:1' });
 * ```
 */
export function containerRuntimeConformanceSuite(
  name: string,
  factory: () => ContainerRuntime | Promise<ContainerRuntime>,
  options: ContainerRuntimeConformanceOptions,
): void {
  const image = options.image;
  const absentImage = options.absentImage ?? 'harbormaster.invalid/absent:0';
  const runId = randomBytes(4).toString('hex');
  const runLabels = { [RUN_LABEL]: runId };
  let sequence = 0;

  describe(`container runtime conformance: ${name}`, { timeout: options.timeout ?? 60_000 }, () => {
    let runtimes: ContainerRuntime[] = [];
    let created: { runtime: ContainerRuntime; id: string }[] = [];
    let runtime: ContainerRuntime;

    /** A new runtime instance, closed after the test. */
    const newRuntime = async (): Promise<ContainerRuntime> => {
      const r = await factory();
      runtimes.push(r);
      return r;
    };

    /**
     * A spec with a unique name, the run's labels, and a pod IP and port of its own (so that the
     * image's server, started, never binds a shared address); `overrides` may add labels and env.
     */
    const spec = (overrides: Partial<ContainerSpec> = {}): ContainerSpec => ({
      name: `hm-conformance-${runId}-${++sequence}`,
      image,
      podIP: randomPodIP(),
      ...overrides,
      env: { PORT: String(randomInt(20_000, 32_000)), ...overrides.env },
      labels: { ...runLabels, ...overrides.labels },
    });

    /** Create a container, remembered for removal after the test. */
    const create = async (s: ContainerSpec, on: ContainerRuntime = runtime): Promise<ContainerInfo> => {
      const info = await on.createContainer(s);
      created.push({ runtime: on, id: info.id });
      return info;
    };

    /** Create and start a container. */
    const run = async (s: ContainerSpec, on: ContainerRuntime = runtime): Promise<ContainerInfo> => {
      const info = await create(s, on);
      await on.startContainer(info.id);
      return info;
    };

    /** Wait until the container has exited; returns its info. */
    const exited = (id: string, on: ContainerRuntime = runtime): Promise<ContainerInfo> =>
      waitFor(`container ${id} exited`, async () => {
        const info = await on.inspectContainer(id);
        return info?.state === 'exited' ? info : undefined;
      });

    /** Start the image's HTTP server on a fresh pod IP and port; resolves once /healthz answers. */
    const serve = async (env: Record<string, string> = {}, on: ContainerRuntime = runtime) => {
      const podIP = randomPodIP();
      const port = randomInt(20_000, 32_000);
      const info = await run(spec({ podIP, env: { PORT: String(port), ...env } }), on);
      const url = `http://${podIP}:${port}/healthz`;
      await waitFor(`${url} answers`, async () => ((await httpGet(url))?.status === 200 ? true : undefined));
      return { info, podIP, port, url };
    };

    beforeEach(async () => {
      runtimes = [];
      created = [];
      runtime = await newRuntime();
    });

    afterEach(async () => {
      for (const { runtime: r, id } of created.reverse()) await r.removeContainer(id).catch(() => undefined);
      for (const r of runtimes) await r.close().catch(() => undefined);
    });

    afterAll(async () => {
      const r = await factory();
      try {
        for (const c of await r.listContainers({ labels: runLabels })) await r.removeContainer(c.id).catch(() => undefined);
      } finally {
        await r.close();
      }
    });

    describe('runtime', () => {
      it('has a name, a version and a capacity', async () => {
        expect(runtime.name).toMatch(/^[a-z][a-z0-9-]*$/);
        expect(await runtime.version()).toMatch(/\S/);
        const capacity = await runtime.capacity();
        expect(capacity.cpu).toBeGreaterThan(0);
        expect(capacity.memoryBytes).toBeGreaterThan(0);
      });
    });

    describe('images', () => {
      it('ensureImage resolves with the id of a present image under IfNotPresent and Never', async () => {
        const { imageId } = await runtime.ensureImage(image, { pullPolicy: 'IfNotPresent' });
        expect(imageId).toMatch(/\S/);
        expect(await runtime.ensureImage(image, { pullPolicy: 'Never' })).toEqual({ imageId });
      });

      it('ensureImage fails with ImageNeverPullError for an absent image under Never', async () => {
        const error = await runtime.ensureImage(absentImage, { pullPolicy: 'Never' }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ImageNeverPullError);
        expect((error as ImageNeverPullError).image).toBe(absentImage);
      });

      it('ensureImage fails with ImagePullError when an absent image cannot be pulled', async () => {
        for (const pullPolicy of ['IfNotPresent', 'Always'] as const) {
          const error = await runtime.ensureImage(absentImage, { pullPolicy }).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(ImagePullError);
          expect(error).not.toBeInstanceOf(ImageNeverPullError);
          expect((error as ImagePullError).image).toBe(absentImage);
          expect((error as Error).message).toMatch(/\S/);
        }
      });

      it('listImages includes the image', async () => {
        const images = await runtime.listImages();
        expect(images.flatMap((i) => i.names)).toContain(image);
        for (const i of images) expect(i.sizeBytes).toBeGreaterThanOrEqual(0);
      });
    });

    describe('lifecycle', () => {
      it('createContainer makes a container that is not running yet', async () => {
        const s = spec({ labels: { app: 'web' } });
        const info = await create(s);
        expect(info).toMatchObject({ name: s.name, image, state: 'created', labels: { ...runLabels, app: 'web' } });
        expect(info.id).toMatch(/\S/);
        expect(info.createdAt).toBeGreaterThan(Date.now() - 60_000);
        expect(await runtime.inspectContainer(info.id)).toMatchObject({ id: info.id, name: s.name, state: 'created' });
      });

      it("startContainer runs the image's default command with POD_IP: it serves HTTP on the pod IP", async () => {
        const before = Date.now();
        const { info, podIP } = await serve();
        const running = await runtime.inspectContainer(info.id);
        expect(running).toMatchObject({ id: info.id, state: 'running' });
        expect(running?.pid).toBeGreaterThan(0);
        expect(running?.startedAt).toBeGreaterThanOrEqual(before - 1000);
        expect(running?.exitCode).toBeUndefined();
        expect((await runtime.exec(info.id, ['sh', '-c', 'echo "$POD_IP"'], { timeoutMs: 10_000 })).stdout.trim()).toBe(podIP);
      });

      it('passes command, args, env and workingDir, and keeps labels', async () => {
        const podIP = randomPodIP();
        const info = await run(
          spec({
            command: ['sh', '-c'],
            args: ['echo "args: $0 $1"; echo "env: $GREETING $POD_IP"; echo "cwd: $(pwd)"', 'first', 'second'],
            env: { GREETING: 'hello world' },
            workingDir: '/tmp',
            podIP,
            labels: { 'example.com/pod': 'web-1' },
          }),
        );
        const done = await exited(info.id);
        expect(done.exitCode).toBe(0);
        expect(done.labels).toEqual({ ...runLabels, 'example.com/pod': 'web-1' });
        const lines = (await runtime.logs(info.id)).trim().split('\n');
        expect(lines).toEqual(['args: first second', `env: hello world ${podIP}`, 'cwd: /tmp']);
      });

      it('reports exit codes: 0 as Completed, others as Error, with start and finish times', async () => {
        const ok = await run(spec({ command: ['sh', '-c', 'exit 0'] }));
        const failed = await run(spec({ command: ['sh', '-c', 'exit 3'] }));
        const [a, b] = await Promise.all([exited(ok.id), exited(failed.id)]);
        expect(a).toMatchObject({ state: 'exited', exitCode: 0, reason: 'Completed' });
        expect(b).toMatchObject({ state: 'exited', exitCode: 3, reason: 'Error' });
        for (const info of [a, b]) {
          expect(info.startedAt).toBeGreaterThan(0);
          expect(info.finishedAt).toBeGreaterThanOrEqual(info.startedAt ?? 0);
          expect(info.pid ?? 0).toBe(0);
        }
      });

      it('fails to start a command that does not exist with ContainerStartError; the container reports StartError', async () => {
        const info = await create(spec({ command: ['/nonexistent/harbormaster-conformance'] }));
        const error = await runtime.startContainer(info.id).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ContainerStartError);
        expect(await runtime.inspectContainer(info.id)).toMatchObject({ state: 'exited', reason: 'StartError' });
        expect((await runtime.inspectContainer(info.id))?.exitCode).toBeGreaterThan(0);
      });

      it('refuses a second container with the same name', async () => {
        const s = spec();
        await create(s);
        const error = await create({ ...s }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ContainerStartError);
      });
    });

    describe('logs', () => {
      it('returns stdout and stderr interleaved, and at most tailLines lines', async () => {
        const info = await run(
          spec({ command: ['sh', '-c', 'for i in 1 2 3 4 5; do echo "line $i"; done; sleep 0.1; echo "to stderr" >&2'] }),
        );
        await exited(info.id);
        expect(await runtime.logs(info.id)).toBe('line 1\nline 2\nline 3\nline 4\nline 5\nto stderr\n');
        expect(await runtime.logs(info.id, { tailLines: 2 })).toBe('line 5\nto stderr\n');
      });
    });

    describe('listContainers', () => {
      it('finds containers by labels, running or not', async () => {
        const mark = randomBytes(3).toString('hex');
        const [a, b, c] = await Promise.all([
          run(spec({ command: ['sh', '-c', 'sleep 60'], labels: { mark, app: 'a', tier: 'x' } })),
          create(spec({ labels: { mark, app: 'a', tier: 'y' } })),
          run(spec({ command: ['sh', '-c', 'exit 0'], labels: { mark, app: 'b' } })),
        ]);
        const ids = async (labels?: Record<string, string>) =>
          (await runtime.listContainers(labels ? { labels } : undefined)).map((i) => i.id).sort();
        expect(await ids({ mark })).toEqual([a.id, b.id, c.id].sort());
        expect(await ids({ mark, app: 'a' })).toEqual([a.id, b.id].sort());
        expect(await ids({ mark, app: 'a', tier: 'y' })).toEqual([b.id]);
        expect(await ids({ mark, app: 'c' })).toEqual([]);
        expect(await ids()).toEqual(expect.arrayContaining([a.id, b.id, c.id]));
        const listed = await runtime.listContainers({ labels: { mark, tier: 'x' } });
        expect(listed).toEqual([expect.objectContaining({ id: a.id, state: 'running', labels: { ...runLabels, mark, app: 'a', tier: 'x' } })]);
      });
    });

    describe('exec', () => {
      it("runs a command in the container with the container's environment and reports its exit code", async () => {
        const podIP = randomPodIP();
        const info = await run(spec({ command: ['sh', '-c', 'sleep 60'], env: { GREETING: 'hi' }, workingDir: '/tmp', podIP }));
        const result = await runtime.exec(info.id, ['sh', '-c', 'echo "out $GREETING $POD_IP $(pwd)"; echo err >&2; exit 3'], {
          timeoutMs: 10_000,
        });
        expect(result).toEqual({ exitCode: 3, stdout: `out hi ${podIP} /tmp\n`, stderr: 'err\n' });
        expect(await runtime.exec(info.id, ['true'], { timeoutMs: 10_000 })).toEqual({ exitCode: 0, stdout: '', stderr: '' });
      });

      it('rejects when the command takes longer than timeoutMs', async () => {
        const info = await run(spec({ command: ['sh', '-c', 'sleep 60'] }));
        const started = Date.now();
        await expect(runtime.exec(info.id, ['sleep', '30'], { timeoutMs: 300 })).rejects.toThrow();
        expect(Date.now() - started).toBeLessThan(10_000);
      });
    });

    describe('stats', () => {
      it('reports CPU time that grows while the container is busy, and its memory working set', async () => {
        const info = await run(spec({ command: ['sh', '-c', 'while :; do :; done'] }));
        const first = await runtime.stats(info.id);
        const second = await waitFor('CPU usage grows', async () => {
          const s = await runtime.stats(info.id);
          return s.cpuUsageNanos > first.cpuUsageNanos ? s : undefined;
        });
        expect(first.cpuUsageNanos).toBeGreaterThanOrEqual(0);
        expect(second.memoryWorkingSetBytes).toBeGreaterThan(0);
        expect(second.timestamp).toBeGreaterThanOrEqual(first.timestamp);
        expect(Math.abs(second.timestamp - Date.now())).toBeLessThan(60_000);
      });
    });

    describe('stopContainer', () => {
      it('sends SIGTERM: a process that handles it exits long before the grace period', async () => {
        const { info, url } = await serve();
        const started = Date.now();
        await runtime.stopContainer(info.id, { gracePeriodSeconds: 30 });
        expect(Date.now() - started).toBeLessThan(10_000);
        expect(await runtime.inspectContainer(info.id)).toMatchObject({ state: 'exited', exitCode: 0, reason: 'Completed' });
        expect(await runtime.logs(info.id)).toContain('test-http: SIGTERM, exiting');
        expect(await httpGet(url)).toBeUndefined();
      });

      it('sends SIGKILL after the grace period to a process that ignores SIGTERM', async () => {
        const { info } = await serve({ IGNORE_SIGTERM: '1' });
        const started = Date.now();
        await runtime.stopContainer(info.id, { gracePeriodSeconds: 2 });
        const elapsed = Date.now() - started;
        expect(elapsed).toBeGreaterThanOrEqual(1900);
        expect(elapsed).toBeLessThan(15_000);
        expect(await runtime.inspectContainer(info.id)).toMatchObject({ state: 'exited', exitCode: 137 });
      });

      it('does nothing to a container that is created or has exited', async () => {
        const fresh = await create(spec());
        await runtime.stopContainer(fresh.id, { gracePeriodSeconds: 1 });
        expect(await runtime.inspectContainer(fresh.id)).toMatchObject({ state: 'created' });
        const done = await run(spec({ command: ['sh', '-c', 'exit 4'] }));
        await exited(done.id);
        await runtime.stopContainer(done.id, { gracePeriodSeconds: 1 });
        expect(await runtime.inspectContainer(done.id)).toMatchObject({ state: 'exited', exitCode: 4 });
      });
    });

    describe('removeContainer', () => {
      it('kills a running container and forgets it; a missing one is no error', async () => {
        const { info, url } = await serve({ IGNORE_SIGTERM: '1' });
        const started = Date.now();
        await runtime.removeContainer(info.id);
        expect(Date.now() - started).toBeLessThan(10_000);
        expect(await runtime.inspectContainer(info.id)).toBeUndefined();
        expect((await runtime.listContainers({ labels: runLabels })).map((i) => i.id)).not.toContain(info.id);
        await waitFor(`${url} stops answering`, async () => ((await httpGet(url)) === undefined ? true : undefined));
        await runtime.removeContainer(info.id);
        const exitedOne = await run(spec({ command: ['sh', '-c', 'exit 0'] }));
        await exited(exitedOne.id);
        await runtime.removeContainer(exitedOne.id);
        expect(await runtime.inspectContainer(exitedOne.id)).toBeUndefined();
      });

      it('inspectContainer of a container that never existed is undefined', async () => {
        expect(await runtime.inspectContainer('0123456789abcdef0123456789abcdef')).toBeUndefined();
      });
    });

    describe('a second runtime instance (an agent restart)', () => {
      it("sees the first one's containers and controls them", async () => {
        const mark = randomBytes(3).toString('hex');
        const { info, url } = await serve({}, runtime);
        const done = await run(spec({ command: ['sh', '-c', 'echo bye; exit 5'], labels: { mark } }));
        await exited(done.id);
        const created = await create(spec({ labels: { mark } }));

        const second = await newRuntime();
        expect(await second.inspectContainer(info.id)).toMatchObject({ id: info.id, name: info.name, state: 'running' });
        expect((await second.listContainers({ labels: { mark } })).map((i) => [i.id, i.state]).sort()).toEqual(
          [
            [done.id, 'exited'],
            [created.id, 'created'],
          ].sort(),
        );
        expect(await second.inspectContainer(done.id)).toMatchObject({ state: 'exited', exitCode: 5 });
        expect(await second.logs(done.id)).toBe('bye\n');
        expect((await second.exec(info.id, ['sh', '-c', 'echo ok'], { timeoutMs: 10_000 })).stdout).toBe('ok\n');
        expect((await second.stats(info.id)).memoryWorkingSetBytes).toBeGreaterThan(0);

        await second.stopContainer(info.id, { gracePeriodSeconds: 30 });
        expect(await runtime.inspectContainer(info.id)).toMatchObject({ state: 'exited', exitCode: 0 });
        expect(await httpGet(url)).toBeUndefined();
        await second.startContainer(created.id);
        await waitFor('the created container runs', async () => (await runtime.inspectContainer(created.id))?.state !== 'created' || undefined);
        await second.removeContainer(info.id);
        expect(await runtime.inspectContainer(info.id)).toBeUndefined();
      });
    });
  });
}

/** A random loopback address outside 127.0.0.0/16, as a pod IP. */
function randomPodIP(): string {
  return `127.${randomInt(100, 200)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
}

/** GET `url` with a short timeout: the response, or `undefined` when nothing answers. */
async function httpGet(url: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return { status: response.status, body: await response.text() };
  } catch {
    return undefined;
  }
}


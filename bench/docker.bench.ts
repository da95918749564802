/**
 * `npm run bench -- docker`: what starting a container costs on the Docker Engine, measured in one
 * run, with the local test image (scripts/build-test-image.sh; its default command is a small
 * HTTP server, each container on a pod IP of its own, host networking).
 *
 * - raw: dockerode `createContainer` + `start`, one container after the other: what the engine
 *   allows; the floor for everything above it.
 * - runtime: `dockerRuntime().createContainer` + `startContainer` (the runtime adds an inspect
 *   after create), interleaved with raw so both see the same engine load.
 * - pod: from `client.create(kinds.Pod, …)` (bound to the node by `spec.nodeName`, so no
 *   scheduler) to a watch event with `status.phase: Running`, through an in-process API server on
 *   the memory store, a manager and the node agent (`nodeAgent` of builtin-controllers) on a
 *   `dockerRuntime`: what Harbormaster adds on top of the engine.
 *
 * The three are interleaved, one container of each per round, so they see the same engine load.
 *
 * Needs a Docker Engine at DOCKER_HOST (else /var/run/docker.sock) with the image. Options (after
 * `--`): `--n <containers per measurement>` (default 20).
 */
import { randomBytes } from 'node:crypto';
import { nodeAgent } from '@harbormaster/builtin-controllers';
import { createApiServer, createManager, kinds } from '@harbormaster/core';
import { checkDocker, dockerRuntime } from '@harbormaster/runtime-docker';
import { memoryStore } from '@harbormaster/store-memory';
import Docker from 'dockerode';
import { percentile, printReport } from './report.js';

const IMAGE = 'harbormaster/test-http:1';
const LABEL = 'harbormaster.bench/docker';
const NODE = 'bench-docker';
/** The runtime owner of the node agent's containers, to remove them all at the end. */
const POD_OWNER = 'bench-pods';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : fallback;
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const round = (x: number): number => Math.round(x * 100) / 100;

export default async function run(): Promise<void> {
  const n = arg('n', 20);
  const check = await checkDocker();
  if (!check.available) throw new Error(`no Docker Engine answers at ${check.endpoint}: ${check.reason ?? ''}`);
  const docker = new Docker();
  const runtime = dockerRuntime({ docker, owner: 'bench' });
  await runtime.ensureImage(IMAGE, { pullPolicy: 'Never' }).catch(() => {
    throw new Error(`the image ${IMAGE} is missing: run scripts/build-test-image.sh`);
  });
  const version = await runtime.version();
  const runId = randomBytes(3).toString('hex');
  let sequence = 0;
  const env = (): { podIP: string; port: string } => {
    sequence++;
    return { podIP: `127.77.${Math.floor(sequence / 250)}.${(sequence % 250) + 1}`, port: '8080' };
  };

  const rawIds: string[] = [];
  const runtimeIds: string[] = [];
  const raw = { create: [] as number[], start: [] as number[], total: [] as number[] };
  const viaRuntime: number[] = [];

  const rawOnce = async (): Promise<void> => {
    const { podIP, port } = env();
    const t0 = performance.now();
    const container = await docker.createContainer({
      name: `hm-bench-raw-${runId}-${sequence}`,
      Image: IMAGE,
      Env: [`POD_IP=${podIP}`, `PORT=${port}`],
      Labels: { [LABEL]: runId },
      HostConfig: { NetworkMode: 'host' },
    });
    const t1 = performance.now();
    await container.start();
    const t2 = performance.now();
    rawIds.push(container.id);
    raw.create.push(t1 - t0);
    raw.start.push(t2 - t1);
    raw.total.push(t2 - t0);
  };
  const runtimeOnce = async (): Promise<void> => {
    const { podIP, port } = env();
    const t0 = performance.now();
    const info = await runtime.createContainer({
      name: `hm-bench-runtime-${runId}-${sequence}`,
      image: IMAGE,
      podIP,
      env: { PORT: port },
      labels: { [LABEL]: runId },
    });
    await runtime.startContainer(info.id);
    viaRuntime.push(performance.now() - t0);
    runtimeIds.push(info.id);
  };

  // The control plane: API server on the memory store, a manager, the node agent on Docker.
  const api = createApiServer({ store: memoryStore() });
  const manager = createManager({ api });
  const podRuntime = dockerRuntime({ docker, owner: POD_OWNER });
  manager.add(nodeAgent(manager, { nodeName: NODE, runtime: podRuntime }));
  const stop = new AbortController();
  const managerDone = manager.start(stop.signal);
  const client = api.client;
  const runningAt = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  const watch = client.watch(kinds.Pod, { namespace: 'default', signal: stop.signal }).subscribe({
    next: (event) => {
      if (event.type === 'BOOKMARK') return;
      const name = event.object.metadata.name ?? '';
      if (event.object.status?.phase === 'Running' && !runningAt.has(name)) {
        runningAt.set(name, performance.now());
        waiters.get(name)?.();
      }
    },
  });
  const viaPods: number[] = [];
  const podOnce = async (): Promise<void> => {
    sequence++;
    const name = `bench-${runId}-${sequence}`;
    const running = new Promise<void>((resolve) => waiters.set(name, resolve));
    const t0 = performance.now();
    await client.create(kinds.Pod, {
      metadata: { name, namespace: 'default' },
      spec: {
        nodeName: NODE,
        containers: [{ name: 'web', image: IMAGE, imagePullPolicy: 'IfNotPresent', env: [{ name: 'PORT', value: '8080' }] }],
      },
    });
    await withTimeout(running, 60_000, `pod ${name} Running`);
    viaPods.push((runningAt.get(name) ?? Number.NaN) - t0);
  };

  try {
    await withTimeout(waitForNode(), 60_000, `Node ${NODE} registered`);
    // Warm up the engine's caches (image layers, containerd shims) outside the measurement.
    await rawOnce();
    await runtimeOnce();
    await podOnce();
    raw.create.length = raw.start.length = raw.total.length = viaRuntime.length = viaPods.length = 0;
    for (let i = 0; i < n; i++) {
      await rawOnce();
      await runtimeOnce();
      await podOnce();
    }
  } finally {
    watch.unsubscribe();
    stop.abort();
    await managerDone.catch(() => undefined);
    const podContainers = await podRuntime.listContainers().catch(() => []);
    await Promise.all(
      [...rawIds, ...runtimeIds, ...podContainers.map((c) => c.id)].map((id) =>
        docker.getContainer(id).remove({ force: true }).catch(() => undefined),
      ),
    );
    await api.close();
  }

  async function waitForNode(): Promise<void> {
    for (;;) {
      const node = await client.get(kinds.Node, { name: NODE }).catch(() => undefined);
      if (node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const rawMs = mean(raw.total);
  const runtimeMs = mean(viaRuntime);
  const podMs = mean(viaPods);
  printReport({
    title: `docker: ${n} containers of ${IMAGE}, created and started one at a time (Docker ${version})`,
    rows: [
      { name: 'raw create+start', value: round(rawMs), unit: 'ms/container', note: 'dockerode createContainer + start' },
      { name: 'raw create', value: round(mean(raw.create)), unit: 'ms/container' },
      { name: 'raw start', value: round(mean(raw.start)), unit: 'ms/container' },
      { name: 'raw p50 / p99', value: `${round(percentile(raw.total, 50))} / ${round(percentile(raw.total, 99))}`, unit: 'ms' },
      { name: 'dockerRuntime create+start', value: round(runtimeMs), unit: 'ms/container', note: `${round(runtimeMs / rawMs)}× raw (adds an inspect)` },
      { name: 'pod creation → Running', value: round(podMs), unit: 'ms/container', note: `${round(podMs / rawMs)}× raw (API, node agent, dockerRuntime)` },
      { name: 'pod p50 / p99', value: `${round(percentile(viaPods, 50))} / ${round(percentile(viaPods, 99))}`, unit: 'ms' },
    ],
    json: {
      n,
      docker_version: version,
      raw_ms_per_container: round(rawMs),
      raw_create_ms: round(mean(raw.create)),
      raw_start_ms: round(mean(raw.start)),
      raw_p50_ms: round(percentile(raw.total, 50)),
      raw_p99_ms: round(percentile(raw.total, 99)),
      runtime_ms_per_container: round(runtimeMs),
      pod_ms_per_container: round(podMs),
      pod_p50_ms: round(percentile(viaPods, 50)),
      pod_p99_ms: round(percentile(viaPods, 99)),
      pod_ratio_to_raw: round(podMs / rawMs),
    },
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

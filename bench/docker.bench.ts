/**
 * `npm run bench -- docker`: what starting a container costs on the Docker Engine, measured in one
 * run, with the local test image (scripts/build-test-image.sh; its default command is a small
 * HTTP server, each container on a pod IP of its own, host networking).
 *
 * - raw: dockerode `createContainer` + `start`, one container after the other: what the engine
 *   allows; the floor for everything above it.
 * - runtime: `dockerRuntime().createContainer` + `startContainer` (the runtime adds an inspect
 *   after create), interleaved with raw so both see the same engine load.
 * - pod: from creating a Pod to its Running status through Harbormaster needs the node agent on a
 *   ContainerRuntime, which is not written yet: the table says so, and the JSON line has no
 *   figure for it.
 *
 * Needs a Docker Engine at DOCKER_HOST (else /var/run/docker.sock) with the image. Options (after
 * `--`): `--n <containers per measurement>` (default 20).
 */
import { randomBytes } from 'node:crypto';
import { checkDocker, dockerRuntime } from '@harbormaster/runtime-docker';
import Docker from 'dockerode';
import { percentile, printReport } from './report.js';

const IMAGE = 'harbormaster/test-http:1';
const LABEL = 'harbormaster.bench/docker';

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

  try {
    // Warm up the engine's caches (image layers, containerd shims) outside the measurement.
    await rawOnce();
    await runtimeOnce();
    raw.create.length = raw.start.length = raw.total.length = viaRuntime.length = 0;
    for (let i = 0; i < n; i++) {
      await rawOnce();
      await runtimeOnce();
    }
  } finally {
    await Promise.all([...rawIds, ...runtimeIds].map((id) => docker.getContainer(id).remove({ force: true }).catch(() => undefined)));
  }

  const rawMs = mean(raw.total);
  const runtimeMs = mean(viaRuntime);
  printReport({
    title: `docker: ${n} containers of ${IMAGE}, created and started one at a time (Docker ${version})`,
    rows: [
      { name: 'raw create+start', value: round(rawMs), unit: 'ms/container', note: 'dockerode createContainer + start' },
      { name: 'raw create', value: round(mean(raw.create)), unit: 'ms/container' },
      { name: 'raw start', value: round(mean(raw.start)), unit: 'ms/container' },
      { name: 'raw p50 / p99', value: `${round(percentile(raw.total, 50))} / ${round(percentile(raw.total, 99))}`, unit: 'ms' },
      { name: 'dockerRuntime create+start', value: round(runtimeMs), unit: 'ms/container', note: `${round(runtimeMs / rawMs)}× raw (adds an inspect)` },
      {
        name: 'pod creation → Running',
        value: 'TODO',
        unit: 'ms/container',
        note: 'needs the node agent on a ContainerRuntime (not written yet); no figure until then',
      },
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
    },
  });
}

/**
 * `npm run demo`: the seed article's storefront on an embedded control plane, running real
 * workloads — on Docker when an engine answers, else as local processes. It shows what the control
 * loop does: pods created and scheduled, one killed and replaced, a rolling update from v2.1 to
 * v3, and a scale-out under real CPU load, then cleans up. It finishes by itself in under a minute.
 *
 * `npm run demo -- --simulated` runs the same story on three simulated nodes (in the manner of
 * kwok): no containers, and the load is reported to the HPA by a metrics source the demo sets.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { staticMetricsSource } from '@harbormaster/builtin-controllers';
import { createControlPlane, type ControlPlane } from '@harbormaster/control-plane';
import { kinds, type ContainerRuntime } from '@harbormaster/core';
import { checkDocker, dockerRuntime } from '@harbormaster/runtime-docker';
import { processRuntime } from '@harbormaster/runtime-process';
import { buildDockerImages } from './docker-images.js';
import { Printer } from './printer.js';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
const server = here('./server.mjs');
const VERSIONS = ['v2.1', 'v3'] as const;

async function chooseRuntime(out: Printer): Promise<{ runtime: ContainerRuntime; what: string }> {
  const docker = await checkDocker({});
  if (docker.available) {
    try {
      await buildDockerImages({ server, versions: VERSIONS, log: (m) => out.note(m) });
      const runtime = dockerRuntime({ owner: 'storefront-demo' });
      return { runtime, what: `Docker ${await runtime.version()}` };
    } catch (e) {
      out.note(`Docker answers but the demo images could not be built (${(e as Error).message}); using local processes`);
    }
  } else {
    out.note(`no Docker Engine (${docker.reason}); running the containers as local processes`);
  }
  const images = Object.fromEntries(VERSIONS.map((v) => [`acme/storefront:${v}`, { command: [process.execPath, server], env: { VERSION: v } }]));
  return { runtime: processRuntime({ images }), what: `local processes (Node ${process.version})` };
}

/** Wait until `check` holds, polling on the real clock; fail after `timeoutMs`. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function readyPods(cp: ControlPlane): Promise<kinds.Pod[]> {
  return (await cp.client.list(kinds.Pod, { labelSelector: 'app=storefront' })).items.filter(
    (p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
}

/** The Service's ready endpoints, as a client behind kube-proxy would reach them. */
async function endpoints(cp: ControlPlane): Promise<string[]> {
  const ep = await cp.client.get(kinds.Endpoints, { name: 'storefront' }).catch(() => undefined);
  return (ep?.subsets ?? []).flatMap((s) => (s.addresses ?? []).flatMap((a) => (s.ports ?? []).map((p) => `http://${a.ip}:${p.port}`)));
}

async function get(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return (await res.text()).trim();
}

const simulated = process.argv.includes('--simulated');
/** With simulated nodes, what the demo tells the HPA the pods' CPU is. */
const simulatedMetrics = staticMetricsSource({ windowMs: 1000 });

/** Ask every endpoint of the Service who it is (real pods), or list them (simulated pods). */
async function show(cp: ControlPlane, out: Printer): Promise<void> {
  for (const url of await endpoints(cp)) {
    if (simulated) out.line(`endpoint ${url} (a simulated pod: nothing listens)`);
    else out.line(`GET ${url} → ${await get(url)}`);
  }
}

/** Simulated load: what the pods' CPU would be, reported to the HPA's metrics source. */
async function simulateLoad(cp: ControlPlane, busy: boolean): Promise<void> {
  const source = simulatedMetrics;
  for (const p of (await cp.client.list(kinds.Pod, { labelSelector: 'app=storefront' })).items) {
    source.setPodMetric({ pod: p.metadata.name ?? '', metric: 'cpu', value: busy ? '400m' : '10m' });
  }
}

async function main(): Promise<void> {
  const out = new Printer();
  out.scene('Starting an embedded control plane');
  // The demo's only speed-up over Kubernetes' defaults: the HPA looks every 3 s, not 15 s.
  const hpa = { syncPeriodMs: 3000 };
  let cp: ControlPlane;
  if (simulated) {
    // Simulated metrics, sampled over a 1 s window (the HPA ignores samples older than a window
    // past a pod's readiness, as Kubernetes does).
    cp = await createControlPlane({ nodes: { nodes: 3, readyDelayMs: 400 }, hpa, hpaMetrics: simulatedMetrics });
    await cp.start();
    out.follow(cp);
    out.line('API server, scheduler and the built-in controllers are running, with 3 simulated nodes (no containers)');
  } else {
    const { runtime, what } = await chooseRuntime(out);
    cp = await createControlPlane({ runtime, nodeAgent: { nodeName: 'local', syncPeriodMs: 250, statsIntervalMs: 1000 }, hpa });
    await cp.start();
    out.follow(cp);
    out.line(`API server, scheduler and the built-in controllers are running; node "local" runs containers on ${what}`);
  }

  try {
    out.scene('kubectl apply -f storefront.yaml -f storefront-hpa.yaml');
    // The storefront with a CPU request and a readiness probe added; the seed's HPA unchanged.
    for (const file of ['../manifests/storefront.yaml', '../../manifests/storefront-hpa.yaml']) {
      for (const r of await cp.client.apply(readFileSync(here(file), 'utf8'))) {
        out.line(`${r.object.kind.toLowerCase()}/${r.object.metadata.name ?? ''} ${r.action}`);
      }
    }
    await until('3 ready pods', async () => (await readyPods(cp)).length === 3);
    await until('3 endpoints', async () => (await endpoints(cp)).length === 3);
    await show(cp, out);
    await out.pause();

    out.scene('A pod dies: the ReplicaSet replaces it');
    const [victim] = await readyPods(cp);
    out.line(`kubectl delete pod ${victim?.metadata.name ?? ''}`);
    await cp.client.delete(kinds.Pod, { namespace: 'default', name: victim?.metadata.name ?? '' });
    await until('a replacement', async () => {
      const ready = await readyPods(cp);
      return ready.length === 3 && !ready.some((p) => p.metadata.uid === victim?.metadata.uid);
    });
    out.line(`3 pods ready again: ${(await readyPods(cp)).map((p) => p.metadata.name ?? '').join(', ')}`);
    await out.pause();

    out.scene('Rolling update: storefront v2.1 → v3 (maxSurge 25%, maxUnavailable 25%)');
    out.line('kubectl set image deployment/storefront storefront=acme/storefront:v3');
    const deployment = await cp.client.get(kinds.Deployment, { name: 'storefront' });
    const containers = deployment.spec.template.spec.containers.map((c) => (c.name === 'storefront' ? { ...c, image: 'acme/storefront:v3' } : c));
    await cp.client.patch(kinds.Deployment, { name: 'storefront' }, { spec: { template: { spec: { containers } } } });
    await until('the rollout', async () => {
      const d = await cp.client.get(kinds.Deployment, { name: 'storefront' });
      const s = d.status;
      // As `kubectl rollout status`: the status speaks of the new template only once the
      // Deployment controller has observed it.
      if ((s?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) return false;
      out.progress(`updated ${s?.updatedReplicas ?? 0}/3, available ${s?.availableReplicas ?? 0}, total ${s?.replicas ?? 0}`);
      return s?.updatedReplicas === 3 && s.availableReplicas === 3 && s.replicas === 3;
    }, 30_000);
    out.endProgress();
    await show(cp, out);
    await out.pause();

    out.scene('Load: the HorizontalPodAutoscaler scales out (target 70% of the 100m CPU request)');
    const stopLoad = new AbortController();
    let requests = 0;
    const load = Array.from({ length: simulated ? 1 : 4 }, async () => {
      while (!stopLoad.signal.aborted) {
        if (simulated) {
          await simulateLoad(cp, true);
          await new Promise((r) => setTimeout(r, 250));
          continue;
        }
        const urls = await endpoints(cp);
        const url = urls[requests % Math.max(1, urls.length)];
        requests++;
        if (url === undefined) await new Promise((r) => setTimeout(r, 100));
        else await get(`${url}/work?ms=25`).catch(() => undefined);
      }
    });
    try {
      await until('a scale-out', async () => {
        const hpa = await cp.client.get(kinds.HorizontalPodAutoscaler, { name: 'storefront-hpa' });
        const cpu = hpa.status?.currentMetrics?.[0]?.resource?.current.averageUtilization;
        const state = `CPU ${cpu === undefined ? '…' : `${cpu}%`} of request; replicas ${hpa.status?.currentReplicas ?? 3} → desired ${hpa.status?.desiredReplicas || (hpa.status?.currentReplicas ?? 3)}`;
        out.progress(`${simulated ? 'simulated load: 400m CPU per pod' : `${requests} requests sent`}; ${state}`, state);
        // The seed's HPA sets no `spec.behavior`: Kubernetes scales it up by at most max(2 × current, 4) per sync.
        return (await readyPods(cp)).length >= 6;
      }, 35_000);
    } finally {
      out.endProgress();
      stopLoad.abort();
      await Promise.all(load);
    }
    out.line(
      `${(await readyPods(cp)).length} pods ready. The seed's HPA sets no behavior, so Kubernetes grows it by at most ` +
        'max(2 × current, 4) replicas per sync, for as long as the load lasts.',
    );
    out.line(
      'The load stops. Without a behavior the HPA keeps the highest recommendation of the last 5 minutes, so it may still ' +
        'finish a scale-up it had begun, and it scales back in only after that stabilization window',
    );
    if (simulated) await simulateLoad(cp, false);
    // Until the HPA has seen the quiet and every pod it asked for is ready: a pod still starting
    // when the cleanup begins would miss its SIGTERM (its server has no handler yet) and be
    // killed only at the end of its 30 s grace period, as on Kubernetes.
    await until('the HPA to settle', async () => {
      const hpa = await cp.client.get(kinds.HorizontalPodAutoscaler, { name: 'storefront-hpa' });
      const d = await cp.client.get(kinds.Deployment, { name: 'storefront' });
      const cpu = hpa.status?.currentMetrics?.[0]?.resource?.current.averageUtilization;
      const ready = (await readyPods(cp)).length;
      const want = d.spec.replicas ?? 1;
      const state = `CPU ${cpu === undefined ? '…' : `${cpu}%`} of request; replicas ${want}, ready ${ready}`;
      out.progress(state, state);
      return cpu !== undefined && cpu < 70 && ready === want && d.status?.replicas === want;
    }, 30_000);
    out.endProgress();
    await out.pause();

    out.scene('Cleaning up');
    await cp.client.delete(kinds.HorizontalPodAutoscaler, { name: 'storefront-hpa' });
    await cp.client.delete(kinds.Deployment, { name: 'storefront' });
    await cp.client.delete(kinds.Service, { name: 'storefront' });
    await until('every pod to go', async () => (await cp.client.list(kinds.Pod)).items.length === 0);
    out.line(simulated ? 'all pods gone from the simulated nodes' : 'all pods gone, their containers stopped and removed');
  } finally {
    out.stop();
    await cp.stop();
  }
  out.done();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

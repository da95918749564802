import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { kinds } from '@harbormaster/core';
import { eventually, FakeClock } from '@harbormaster/core/testing';
import { createControlPlane, type ControlPlane } from '../src/index.js';

const manifest = (name: string) => readFileSync(fileURLToPath(new URL(`../../../examples/manifests/${name}`, import.meta.url)), 'utf8');

let cp: ControlPlane | undefined;
afterEach(async () => {
  await cp?.stop();
  cp = undefined;
});

async function start(nodes = 3): Promise<{ cp: ControlPlane; clock: FakeClock }> {
  const clock = new FakeClock(Date.UTC(2026, 10, 25, 12));
  cp = await createControlPlane({ clock, nodes: { nodes, readyDelayMs: 2000, tickMs: 0 } });
  await cp.start();
  return { cp, clock };
}

const readyPods = async (c: ControlPlane, app: string) =>
  (await c.client.list(kinds.Pod, { namespace: 'default', labelSelector: `app=${app}` })).items.filter(
    (p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'),
  );

describe('the storefront of the seed article, on simulated nodes', () => {
  it('converges: 3 pods scheduled, Running and Ready, the Deployment Available, the Service with 3 endpoints', async () => {
    const { cp, clock } = await start();
    await cp.client.apply(manifest('storefront.yaml'));
    await eventually(async () => (await readyPods(cp, 'storefront')).length === 3, { clock });
    const d = await eventually(async () => {
      const x = await cp.client.get(kinds.Deployment, { name: 'storefront' });
      return x.status?.availableReplicas === 3 ? x : undefined;
    }, { clock });
    expect(d.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
    expect(d.status?.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe('NewReplicaSetAvailable');
    const pods = await readyPods(cp, 'storefront');
    expect(new Set(pods.map((p) => p.spec.nodeName)).size).toBe(3); // spread over the nodes
    for (const p of pods) expect(p.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
    const svc = await cp.client.get(kinds.Service, { name: 'storefront' });
    expect(svc.spec.clusterIP).toMatch(/^10\.(9[6-9]|1[01][0-9])\./);
    const ep = await eventually(async () => {
      const e = await cp.client.get(kinds.Endpoints, { name: 'storefront' }).catch(() => undefined);
      return (e?.subsets?.[0]?.addresses?.length ?? 0) === 3 ? e : undefined;
    }, { clock });
    expect(ep.subsets?.[0]?.ports?.[0]?.port).toBe(8080);
    const events = (await cp.client.list(kinds.Event)).items.map((e) => e.reason);
    expect(events).toEqual(expect.arrayContaining(['ScalingReplicaSet', 'SuccessfulCreate', 'Scheduled']));
  });

  it('replaces a killed pod', async () => {
    const { cp, clock } = await start();
    await cp.client.apply(manifest('storefront.yaml'));
    await eventually(async () => (await readyPods(cp, 'storefront')).length === 3, { clock });
    const [victim] = await readyPods(cp, 'storefront');
    await cp.client.delete(kinds.Pod, { namespace: 'default', name: victim?.metadata.name ?? '' });
    await eventually(async () => {
      const ready = await readyPods(cp, 'storefront');
      return ready.length === 3 && !ready.some((p) => p.metadata.uid === victim?.metadata.uid);
    }, { clock });
  });

  it("recreates a failed node's pods elsewhere after the toleration (300 s)", async () => {
    const { cp, clock } = await start(4);
    await cp.client.apply(manifest('storefront.yaml'));
    await eventually(async () => (await readyPods(cp, 'storefront')).length === 3, { clock });
    const pods = await readyPods(cp, 'storefront');
    const failed = pods[0]?.spec.nodeName ?? '';
    const onFailed = pods.filter((p) => p.spec.nodeName === failed).map((p) => p.metadata.uid);
    const failedAt = clock.now();
    await cp.cluster?.node(failed)?.stop();
    // NotReady after the grace period, then tainted; the pods stay until their toleration runs out.
    await eventually(async () => {
      const n = await cp.client.get(kinds.Node, { name: failed });
      return n.spec.taints?.some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute');
    }, { clock, stepMs: 1000, timeoutMs: 90_000 });
    // The 50 s grace period (Kubernetes 1.32+) counts from the last lease renewal (every 10 s), and
    // the 5 s monitor passes notice it, then taint.
    expect(clock.now() - failedAt).toBeGreaterThanOrEqual(40_000);
    expect(clock.now() - failedAt).toBeLessThan(70_000);
    await clock.advance(200_000);
    expect((await cp.client.list(kinds.Pod)).items.some((p) => onFailed.includes(p.metadata.uid))).toBe(true);
    await eventually(async () => {
      const ready = await readyPods(cp, 'storefront');
      return ready.length === 3 && ready.every((p) => p.spec.nodeName !== failed);
    }, { clock, stepMs: 1000, timeoutMs: 600_000 });
    expect(clock.now() - failedAt).toBeGreaterThanOrEqual(300_000);
  });

  it('the HPA scales storefront from 3 to 15 under high CPU, and back to 3 after the stabilization window', async () => {
    const { cp, clock } = await start(5);
    await cp.client.apply(manifest('storefront.yaml'));
    await cp.client.apply(manifest('storefront-hpa.yaml'));
    // The seed's Deployment sets no CPU request; Utilization needs one, as in Kubernetes.
    await cp.client.patch(kinds.Deployment, { name: 'storefront' }, { spec: { template: { spec: { containers: [{ name: 'storefront', image: 'acme/storefront:v2.1', ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: { requests: { cpu: '100m' } } }] } } } } as never);
    const metrics = cp.metricsSource;
    if (metrics === undefined) throw new Error('expected the static metrics source');
    // Traffic: a steady total CPU demand, spread by the Service over the ready pods (a pod still
    // starting has no sample yet, as with metrics-server). At 1 core against the 100m request and
    // the 70% target the storefront needs ceil(1000m / 70m) = 15 pods. The seed's HPA sets no
    // `spec.behavior`, so Kubernetes grows it by at most max(2 × current, 4) per 15 s sync:
    // 3 → 6 → 12 → 15. After the rush (0.1 cores) it goes back to the minimum, 3, once no
    // recommendation of the last 300 s (the downscale stabilization window) is higher.
    let demand = 1.0;
    const setLoad = async () => {
      const pods = await readyPods(cp, 'storefront');
      for (const p of pods) metrics.setPodMetric({ pod: p.metadata.name ?? '', metric: 'cpu', value: `${Math.round((demand / pods.length) * 1000)}m` });
    };
    const replicas = async () => (await cp.client.get(kinds.Deployment, { name: 'storefront' })).spec.replicas;
    const seen: number[] = [];
    const track = async () => {
      const r = await replicas();
      if (seen.at(-1) !== r) seen.push(r);
      return r;
    };
    await eventually(async () => {
      await setLoad();
      return (await track()) === 15;
    }, { clock, stepMs: 1000, timeoutMs: 300_000 });
    await eventually(async () => (await readyPods(cp, 'storefront')).length === 15, { clock, stepMs: 1000 });
    // It stays at 15 while the demand holds: 67m a pod is 95% of the target, within the tolerance.
    for (let i = 0; i < 60; i++) {
      await setLoad();
      await clock.advance(1000);
    }
    expect(await replicas()).toBe(15);
    expect(seen).toEqual([3, 6, 12, 15]);
    const limited = await cp.client.get(kinds.HorizontalPodAutoscaler, { name: 'storefront-hpa' });
    expect(limited.status?.conditions?.find((c) => c.type === 'ScalingLimited')).toMatchObject({ status: 'False', reason: 'DesiredWithinRange' });
    demand = 0.1;
    const coolAt = clock.now();
    await eventually(async () => {
      await setLoad();
      return (await replicas()) === 3;
    }, { clock, stepMs: 5000, timeoutMs: 900_000 });
    expect(clock.now() - coolAt).toBeGreaterThanOrEqual(300_000);
    await eventually(async () => (await readyPods(cp, 'storefront')).length === 3, { clock, stepMs: 1000 });
    const hpa = await cp.client.get(kinds.HorizontalPodAutoscaler, { name: 'storefront-hpa' });
    expect(hpa.status?.desiredReplicas).toBe(3);
    const rescales = (await cp.client.list(kinds.Event)).items.filter((e) => e.reason === 'SuccessfulRescale').map((e) => e.message);
    expect(rescales.map((m) => m?.match(/^New size: (\d+);/)?.[1])).toEqual(['6', '12', '15', '3']);
    expect(rescales.slice(0, 2)).toEqual([
      'New size: 6; reason: cpu resource utilization (percentage of request) above target',
      'New size: 12; reason: cpu resource utilization (percentage of request) above target',
    ]);
    // Kubernetes words the reason from the metric's own proposal. By the step to 15 the new pods'
    // samples are still inside their first window after readiness and count as 0, so the metric
    // alone proposes no change: the 15 comes from the recommendations in the window, with an empty
    // reason — as kube-controller-manager reports it.
    expect(rescales[2]).toMatch(/^New size: 15; reason: (cpu resource utilization \(percentage of request\) above target)?$/);
    expect(rescales[3]).toBe('New size: 3; reason: All metrics below target');
  });
});

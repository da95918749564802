/**
 * The HPA controller on the seed article's storefront (examples/manifests/storefront.yaml and
 * storefront-hpa.yaml: 3–20 replicas at 70% CPU, no `spec.behavior`), on a fake clock. No
 * Deployment or ReplicaSet controller runs: the tests watch `spec.replicas` of the Deployment and
 * manage the pods themselves, giving the static metrics source each pod's usage.
 *
 * Kubernetes normalizes an HPA without `spec.behavior` differently from one with it
 * (`normalizeDesiredReplicas` against `normalizeDesiredReplicasWithBehaviors` in `horizontal.go`):
 * the seed's HPA grows by at most max(2 × current, 4) per sync; one with a behavior follows its
 * policies (by default max(4 pods, 100%) per 15 s). Both paths are tested.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { controller, formatTime, generationChanged, kinds } from '@harbormaster/core';
import { createTestEnv, flushMicrotasks, type TestEnv } from '@harbormaster/core/testing';
import { memoryStore } from '@harbormaster/store-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { HorizontalPodAutoscalerReconciler, setupHpaController, staticMetricsSource, type MetricsSource, type StaticMetricsSource } from '../src/hpa/index.js';

const manifestsDir = fileURLToPath(new URL('../../../examples/manifests/', import.meta.url));
const manifest = (name: string): string => readFileSync(`${manifestsDir}${name}`, 'utf8');
const deploymentKey = { namespace: 'default', name: 'storefront' };
const hpaKey = { namespace: 'default', name: 'storefront-hpa' };

let env: TestEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

/** Retry `check` while promises settle, without moving the fake clock. */
async function settled<T>(check: () => T | Promise<T>): Promise<T> {
  let last: unknown;
  for (let i = 0; i < 500; i++) {
    try {
      return await check();
    } catch (e) {
      last = e;
      await flushMicrotasks();
    }
  }
  throw last;
}

async function start(): Promise<{ env: TestEnv; metrics: StaticMetricsSource }> {
  env = await createTestEnv({ store: memoryStore() });
  const metrics = staticMetricsSource({ clock: env.clock });
  setupHpaController(env.manager, { metrics });
  await env.start();
  await env.client.apply(manifest('storefront.yaml'));
  return { env, metrics };
}

/** As {@link start}, with the reconciler at hand (its in-memory scaling history) and any metrics source. */
async function startWithReconciler(source?: (metrics: StaticMetricsSource) => MetricsSource): Promise<{
  env: TestEnv;
  metrics: StaticMetricsSource;
  reconciler: HorizontalPodAutoscalerReconciler;
}> {
  env = await createTestEnv({ store: memoryStore() });
  const metrics = staticMetricsSource({ clock: env.clock });
  const reconciler = new HorizontalPodAutoscalerReconciler({ metrics: source?.(metrics) ?? metrics });
  controller(env.manager).named('horizontal-pod-autoscaler').for(kinds.HorizontalPodAutoscaler, { predicates: [generationChanged] }).complete(reconciler);
  await env.start();
  await env.client.apply(manifest('storefront.yaml'));
  return { env, metrics, reconciler };
}

/** The seed's HPA with a `spec.behavior` given, which the API server fills with Kubernetes' defaults. */
const hpaWithBehavior = (behavior = '{}'): string => `${manifest('storefront-hpa.yaml').trimEnd()}\n  behavior: ${behavior}\n`;

interface PodOptions {
  readonly cpuRequest?: string | undefined;
  readonly phase?: kinds.PodPhase;
  readonly ready?: boolean;
}

/** A running, ready storefront pod, started 10 minutes ago (past the cpu initialization period). */
async function createPod(e: TestEnv, name: string, o: PodOptions = {}): Promise<void> {
  const request = 'cpuRequest' in o ? o.cpuRequest : '100m';
  const pod = await e.client.create(kinds.Pod, {
    metadata: { name, namespace: 'default', labels: { app: 'storefront' } },
    spec: {
      containers: [{ name: 'storefront', image: 'acme/storefront:v2.1', ...(request === undefined ? {} : { resources: { requests: { cpu: request } } }) }],
    },
  });
  const started = formatTime(e.clock.now() - 600_000);
  pod.status = {
    phase: o.phase ?? 'Running',
    startTime: started,
    conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: started }],
  };
  await e.client.updateStatus(kinds.Pod, pod);
}

async function replicas(e: TestEnv): Promise<number> {
  return (await e.client.get(kinds.Deployment, deploymentKey)).spec.replicas;
}

async function hpa(e: TestEnv): Promise<kinds.HorizontalPodAutoscaler> {
  return e.client.get(kinds.HorizontalPodAutoscaler, hpaKey);
}

function condition(h: kinds.HorizontalPodAutoscaler, type: string): kinds.HorizontalPodAutoscalerCondition | undefined {
  return h.status?.conditions?.find((c) => c.type === type);
}

async function events(e: TestEnv, reason: string): Promise<string[]> {
  const list = await e.client.list(kinds.Event, { namespace: 'default' });
  return list.items.filter((ev) => ev.reason === reason).map((ev) => ev.message ?? '');
}

/** Advance the clock by one sync period and wait for the Deployment to have `expected` replicas. */
async function syncAndExpect(e: TestEnv, expected: number): Promise<void> {
  await e.clock.advance(15_000);
  await settled(async () => expect(await replicas(e)).toBe(expected));
}

describe('HPA on the storefront', () => {
  it('without spec.behavior, scales 3 → 6 → 12 → 15 (at most max(2 × current, 4) per sync), and back to 3 once the 300 s window holds nothing higher', async () => {
    const { env: e, metrics, reconciler } = await startWithReconciler();
    for (let i = 0; i < 3; i++) {
      await createPod(e, `storefront-${i}`);
      metrics.setPodMetric({ pod: `storefront-${i}`, metric: 'cpu', value: '350m' }); // 350% of the 100m request
    }
    const t0 = e.clock.now();
    await e.client.apply(manifest('storefront-hpa.yaml'));

    // 350% against a 70% target proposes ceil(3 × 5) = 15; Kubernetes' scale-up limit is max(2 × 3, 4) = 6.
    await settled(async () => expect(await replicas(e)).toBe(6));
    let h = await settled(async () => {
      const got = await hpa(e);
      expect(got.status?.currentReplicas).toBe(3);
      return got;
    });
    expect(h.spec.behavior).toBeUndefined();
    expect(h.status?.desiredReplicas).toBe(6);
    expect(h.status?.lastScaleTime).toBe(formatTime(t0));
    expect(h.status?.observedGeneration).toBe(1);
    expect(h.status?.currentMetrics).toEqual([
      { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 350, averageValue: '350m' } } },
    ]);
    expect(condition(h, 'AbleToScale')).toMatchObject({ status: 'True', reason: 'SucceededRescale', message: 'the HPA controller was able to update the target scale to 6' });
    expect(condition(h, 'ScalingActive')).toMatchObject({
      status: 'True',
      reason: 'ValidMetricFound',
      message: 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)',
    });
    expect(condition(h, 'ScalingLimited')).toMatchObject({
      status: 'True',
      reason: 'ScaleUpLimit',
      message: 'the desired replica count is increasing faster than the maximum scale rate',
    });

    // No new pods come (no ReplicaSet controller), so the 3 pods keep proposing 15.
    await e.clock.advance(14_000);
    expect(await replicas(e)).toBe(6);
    await e.clock.advance(1_000);
    await settled(async () => expect(await replicas(e)).toBe(12)); // 2 × 6
    await syncAndExpect(e, 15); // the limit is 24; 15 is what the metric asks
    h = await settled(async () => {
      const got = await hpa(e);
      expect(got.status?.desiredReplicas).toBe(15);
      return got;
    });
    expect(condition(h, 'ScalingLimited')).toMatchObject({ status: 'False', reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' });
    await settled(async () =>
      expect(await events(e, 'SuccessfulRescale')).toEqual([
        'New size: 6; reason: cpu resource utilization (percentage of request) above target',
        'New size: 12; reason: cpu resource utilization (percentage of request) above target',
        'New size: 15; reason: cpu resource utilization (percentage of request) above target',
      ]),
    );
    // Without a behavior there are no policies, and Kubernetes keeps no scale events for them.
    expect(reconciler.historyOf('default/storefront-hpa')?.scaleUpEvents).toEqual([]);
    const lastHigh = e.clock.now(); // t0 + 30 s: the last recommendation of 15

    // The load drops to 10%: the metric proposes 1, held at 15 while a 15 is within the 300 s window.
    for (let i = 0; i < 3; i++) metrics.setPodMetric({ pod: `storefront-${i}`, metric: 'cpu', value: '10m' });
    while (e.clock.now() < lastHigh + 300_000) await syncAndExpect(e, 15);
    h = await settled(async () => {
      const got = await hpa(e);
      expect(condition(got, 'AbleToScale')?.reason).toBe('ScaleDownStabilized');
      return got;
    });
    expect(condition(h, 'AbleToScale')?.message).toBe('recent recommendations were higher than current one, applying the highest recent recommendation');
    expect(h.status?.currentMetrics?.[0]?.resource?.current.averageUtilization).toBe(10);

    // At exactly 300 s the 15 still counts (Kubernetes drops a recommendation once it is before the
    // cutoff); on the next sync it is gone, and the target goes straight to minReplicas.
    await syncAndExpect(e, 3);
    expect(e.clock.now()).toBe(lastHigh + 315_000);
    h = await settled(async () => {
      const got = await hpa(e);
      expect(got.status?.desiredReplicas).toBe(3);
      return got;
    });
    expect(condition(h, 'ScalingLimited')).toMatchObject({
      status: 'True',
      reason: 'TooFewReplicas',
      message: 'the desired replica count is less than the minimum replica count',
    });
    expect(h.status?.lastScaleTime).toBe(formatTime(lastHigh + 315_000));
    await settled(async () => expect(await events(e, 'SuccessfulRescale')).toContain('New size: 3; reason: All metrics below target'));
    expect(reconciler.historyOf('default/storefront-hpa')?.scaleDownEvents).toEqual([]);
  });

  it('with a spec.behavior (defaults filled in), scales 3 → 7 → 14 → 15 as max(4 pods, 100%) per 15 s allows, and back to 3 after the 300 s window', async () => {
    const { env: e, metrics, reconciler } = await startWithReconciler();
    for (let i = 0; i < 3; i++) {
      await createPod(e, `storefront-${i}`);
      metrics.setPodMetric({ pod: `storefront-${i}`, metric: 'cpu', value: '350m' });
    }
    await e.client.apply(hpaWithBehavior());
    // The policies allow 3 + 4 = 7 now.
    await settled(async () => expect(await replicas(e)).toBe(7));
    const h = await settled(async () => {
      const got = await hpa(e);
      expect(got.status?.desiredReplicas).toBe(7);
      return got;
    });
    expect(h.spec.behavior?.scaleUp?.policies).toHaveLength(2);
    expect(condition(h, 'ScalingLimited')).toMatchObject({ status: 'True', reason: 'ScaleUpLimit' });
    await e.clock.advance(14_000);
    expect(await replicas(e)).toBe(7);
    await e.clock.advance(1_000);
    await settled(async () => expect(await replicas(e)).toBe(14)); // 7 + 100%
    await syncAndExpect(e, 15); // 14 + 100% = 28 ≥ 15
    await settled(async () =>
      expect(await events(e, 'SuccessfulRescale')).toEqual([
        'New size: 7; reason: cpu resource utilization (percentage of request) above target',
        'New size: 14; reason: cpu resource utilization (percentage of request) above target',
        'New size: 15; reason: cpu resource utilization (percentage of request) above target',
      ]),
    );
    // The policies count the changes of their period; the +4 of 30 s ago has left its 15 s period,
    // so its entry was reused for the +1.
    expect(reconciler.historyOf('default/storefront-hpa')?.scaleUpEvents.map((ev) => ev.replicaChange)).toEqual([1, 7]);
    const lastHigh = e.clock.now();

    for (let i = 0; i < 3; i++) metrics.setPodMetric({ pod: `storefront-${i}`, metric: 'cpu', value: '10m' });
    while (e.clock.now() < lastHigh + 285_000) await syncAndExpect(e, 15);
    // With a behavior, a recommendation made exactly at the window's start no longer counts.
    await syncAndExpect(e, 3);
    expect(e.clock.now()).toBe(lastHigh + 300_000);
  });

  it('keeps 12 pods at 75% of a 70% target: a ratio of 1.07 is within the 10% tolerance', async () => {
    const { env: e, metrics } = await start();
    await e.client.patch(kinds.Deployment, deploymentKey, { spec: { replicas: 12 } });
    const setLoad = (milli: number): void => {
      for (let i = 0; i < 12; i++) metrics.setPodMetric({ pod: `storefront-${i}`, metric: 'cpu', value: `${milli}m` });
    };
    for (let i = 0; i < 12; i++) await createPod(e, `storefront-${i}`);
    setLoad(75);
    await e.client.apply(manifest('storefront-hpa.yaml'));
    // ceil(12 × 75 / 70) would be 13.
    for (let i = 0; i < 4; i++) await syncAndExpect(e, 12);
    const h = await hpa(e);
    expect(h.status?.currentMetrics?.[0]?.resource?.current.averageUtilization).toBe(75);
    expect(h.status?.desiredReplicas).toBe(12);
    expect(condition(h, 'AbleToScale')?.reason).toBe('ReadyForNewScale');
    expect(condition(h, 'ScalingLimited')?.reason).toBe('DesiredWithinRange');
    // At 80% (a ratio of 1.14) it scales: ceil(12 × 80 / 70) = 14.
    setLoad(80);
    await syncAndExpect(e, 14);
  });

  it('with a spec.behavior, stops at 14 when the same total load spread over 14 pods is within the 10% tolerance', async () => {
    const { env: e, metrics } = await start();
    const totalMilli = 1050; // 350% of one pod's request on 3 pods; 150% on 7; 75% on 14
    const syncPods = async (): Promise<void> => {
      const n = await replicas(e);
      for (let i = 0; i < n; i++) {
        if (!(await e.client.list(kinds.Pod, { namespace: 'default' })).items.some((p) => p.metadata.name === `storefront-${i}`)) {
          await createPod(e, `storefront-${i}`);
        }
        metrics.setPodMetric({ pod: `storefront-${i}`, metric: 'cpu', value: `${Math.floor(totalMilli / n)}m` });
      }
    };
    await syncPods();
    await e.client.apply(hpaWithBehavior());
    await settled(async () => expect(await replicas(e)).toBe(7));
    await syncPods();
    await syncAndExpect(e, 14);
    await syncPods();
    // The recommendations of 15 made before do not matter: with a behavior, only scale-downs are stabilized.
    for (let i = 0; i < 4; i++) await syncAndExpect(e, 14);
    const h = await hpa(e);
    expect(h.status?.currentMetrics?.[0]?.resource?.current.averageUtilization).toBe(75);
    expect(h.status?.desiredReplicas).toBe(14);
    expect(condition(h, 'AbleToScale')?.reason).toBe('ReadyForNewScale');
  });

  it.each([
    // The first sync recorded the 25 it found as a recommendation (recordInitialRecommendation).
    // Without spec.behavior the highest recommendation of the last 300 s wins (stabilizeRecommendation),
    // so, as in Kubernetes, the HPA climbs back at most doubling per sync, and stays there: at 100% of
    // the target the metric proposes the current count.
    { behavior: false, then: [6, 12, 20, 20] },
    // With a behavior, that recommendation only holds scale-downs back: 3 stays.
    { behavior: true, then: [3, 3, 3, 3] },
  ])('brings a target outside minReplicas..maxReplicas back within, whatever the metrics say (behavior: $behavior)', async ({ behavior, then }) => {
    const { env: e, metrics } = await start();
    for (let i = 0; i < 3; i++) {
      await createPod(e, `storefront-${i}`);
      metrics.setPodMetric({ pod: `storefront-${i}`, metric: 'cpu', value: '70m' });
    }
    await e.client.patch(kinds.Deployment, deploymentKey, { spec: { replicas: 25 } });
    await e.client.apply(behavior ? hpaWithBehavior() : manifest('storefront-hpa.yaml'));
    await settled(async () => expect(await replicas(e)).toBe(20));
    await e.client.patch(kinds.Deployment, deploymentKey, { spec: { replicas: 1 } });
    await syncAndExpect(e, 3);
    await settled(async () =>
      expect((await events(e, 'SuccessfulRescale')).slice(0, 2)).toEqual([
        'New size: 20; reason: Current number of replicas above Spec.MaxReplicas',
        'New size: 3; reason: Current number of replicas below Spec.MinReplicas',
      ]),
    );
    for (const expected of then) await syncAndExpect(e, expected);
  });

  it('treats missing and not-ready pods conservatively: no premature scale-up', async () => {
    const { env: e, metrics } = await start();
    await e.client.patch(kinds.Deployment, deploymentKey, { spec: { replicas: 4 } });
    await createPod(e, 'storefront-0');
    await createPod(e, 'storefront-1');
    await createPod(e, 'storefront-2'); // started, but no metrics yet
    await createPod(e, 'storefront-3', { phase: 'Pending', ready: false });
    metrics.setPodMetric({ pod: 'storefront-0', metric: 'cpu', value: '140m' });
    metrics.setPodMetric({ pod: 'storefront-1', metric: 'cpu', value: '140m' });
    metrics.setPodMetric({ pod: 'storefront-3', metric: 'cpu', value: '500m' }); // a Pending pod's sample is not trusted
    await e.client.apply(manifest('storefront-hpa.yaml'));
    // The two measured pods say 200% of target (ratio 2 → 4 × 2 = 8), but counting the missing and
    // the Pending pod at 0% gives 70%: exactly the target, so nothing changes.
    const h = await settled(async () => {
      const got = await hpa(e);
      expect(got.status?.currentReplicas).toBe(4);
      return got;
    });
    expect(h.status?.desiredReplicas).toBe(4);
    expect(h.status?.currentMetrics?.[0]?.resource?.current.averageUtilization).toBe(140);
    expect(await replicas(e)).toBe(4);

    // Once the new pod reports and the Pending one runs, the scale-up happens.
    metrics.setPodMetric({ pod: 'storefront-2', metric: 'cpu', value: '140m' });
    const pending = await e.client.get(kinds.Pod, { namespace: 'default', name: 'storefront-3' });
    pending.status = { ...pending.status, phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: formatTime(e.clock.now() - 600_000) }] };
    await e.client.updateStatus(kinds.Pod, pending);
    metrics.setPodMetric({ pod: 'storefront-3', metric: 'cpu', value: '140m' });
    await syncAndExpect(e, 8);
  });

  it('reports FailedGetResourceMetric when the pods have no cpu request, and keeps the replicas', async () => {
    const { env: e, metrics } = await start();
    for (let i = 0; i < 3; i++) {
      await createPod(e, `storefront-${i}`, { cpuRequest: undefined }); // as the seed Deployment's template: no requests
      metrics.setPodMetric({ pod: `storefront-${i}`, metric: 'cpu', value: '350m' });
    }
    await e.client.apply(manifest('storefront-hpa.yaml'));
    const h = await settled(async () => {
      const got = await hpa(e);
      expect(condition(got, 'ScalingActive')?.status).toBe('False');
      return got;
    });
    expect(condition(h, 'ScalingActive')).toMatchObject({
      reason: 'FailedGetResourceMetric',
      message: expect.stringMatching(
        /^the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container storefront of Pod storefront-\d$/,
      ) as unknown,
    });
    expect(condition(h, 'AbleToScale')).toMatchObject({ status: 'True', reason: 'SucceededGetScale' });
    expect(h.status?.currentReplicas).toBe(3);
    await settled(async () => {
      expect((await events(e, 'FailedGetResourceMetric'))[0]).toMatch(/^failed to get cpu utilization: missing request for cpu/);
      expect((await events(e, 'FailedComputeMetricsReplicas'))[0]).toMatch(
        /^invalid metrics \(1 invalid out of 1\), first error is: failed to get cpu resource metric value: failed to get cpu utilization: missing request/,
      );
    });
    await e.clock.advance(15_000);
    expect(await replicas(e)).toBe(3);
  });

  it('reports FailedGetScale for a missing target and ScalingDisabled for a target at 0 replicas', async () => {
    const { env: e } = await start();
    await e.client.apply(manifest('storefront-hpa.yaml').replace('name: storefront\n', 'name: nope\n'));
    const h = await settled(async () => {
      const got = await hpa(e);
      expect(condition(got, 'AbleToScale')?.status).toBe('False');
      return got;
    });
    expect(condition(h, 'AbleToScale')).toMatchObject({
      reason: 'FailedGetScale',
      message: `the HPA controller was unable to get the target's current scale: deployments.apps "nope" not found`,
    });
    await settled(async () => expect(await events(e, 'FailedGetScale')).toEqual(['deployments.apps "nope" not found']));

    // Point it at the storefront, scaled to zero: autoscaling is off.
    await e.client.patch(kinds.Deployment, deploymentKey, { spec: { replicas: 0 } });
    await e.client.patch(kinds.HorizontalPodAutoscaler, hpaKey, { spec: { scaleTargetRef: { name: 'storefront' } } });
    const off = await settled(async () => {
      const got = await hpa(e);
      expect(condition(got, 'ScalingActive')?.reason).toBe('ScalingDisabled');
      return got;
    });
    expect(condition(off, 'ScalingActive')?.message).toBe('scaling is disabled since the replica count of the target is zero');
    expect(condition(off, 'AbleToScale')?.reason).toBe('SucceededGetScale');
    expect(off.status).toMatchObject({ currentReplicas: 0, desiredReplicas: 0, observedGeneration: 2 });
    await e.clock.advance(15_000);
    expect(await replicas(e)).toBe(0);
  });

  it('scales on External and Object metrics the metrics source serves', async () => {
    const { env: e, metrics } = await start();
    const deployment = await e.client.get(kinds.Deployment, deploymentKey);
    await e.client.updateStatus(kinds.Deployment, { ...deployment, status: { replicas: 3 } });
    for (let i = 0; i < 3; i++) await createPod(e, `storefront-${i}`);
    // The documentation's queue example: 30 ready messages per pod.
    metrics.setExternalMetric({ metric: 'queue_messages_ready', labels: { queue: 'worker_tasks' }, value: '200' });
    metrics.setExternalMetric({ metric: 'queue_messages_ready', labels: { queue: 'other' }, value: '5000' });
    metrics.setObjectMetric({ object: { kind: 'Service', name: 'storefront' }, metric: 'requests-per-second', value: '2k' });
    await e.client.create(kinds.HorizontalPodAutoscaler, {
      metadata: { name: 'storefront-hpa' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'storefront' },
        minReplicas: 1,
        maxReplicas: 10,
        metrics: [
          {
            type: 'External',
            external: {
              metric: { name: 'queue_messages_ready', selector: { matchLabels: { queue: 'worker_tasks' } } },
              target: { type: 'AverageValue', averageValue: '30' },
            },
          },
          {
            type: 'Object',
            object: {
              describedObject: { apiVersion: 'v1', kind: 'Service', name: 'storefront' },
              metric: { name: 'requests-per-second' },
              target: { type: 'Value', value: '1k' },
            },
          },
        ],
      },
    });
    // External: ceil(200 / 30) = 7; Object: 2k / 1k × 3 ready pods = 6. The larger wins, limited
    // to max(2 × 3, 4) = 6 by the scale-up rate of an HPA without a behavior.
    await settled(async () => expect(await replicas(e)).toBe(6));
    const h = await settled(async () => {
      const got = await hpa(e);
      expect(got.status?.currentMetrics).toHaveLength(2);
      return got;
    });
    expect(h.status?.currentMetrics).toEqual([
      {
        type: 'External',
        external: { metric: { name: 'queue_messages_ready', selector: { matchLabels: { queue: 'worker_tasks' } } }, current: { averageValue: '66667m' } },
      },
      {
        type: 'Object',
        object: {
          describedObject: { apiVersion: 'v1', kind: 'Service', name: 'storefront' },
          metric: { name: 'requests-per-second' },
          current: { value: '2k' },
        },
      },
    ]);
    expect(condition(h, 'ScalingLimited')).toMatchObject({ status: 'True', reason: 'ScaleUpLimit' });
    await settled(async () =>
      expect(await events(e, 'SuccessfulRescale')).toEqual(['New size: 6; reason: external metric queue_messages_ready(queue=worker_tasks) above target']),
    );
  });

  it('writes the metrics it just computed when it cannot scale on them, not the previous ones', async () => {
    // A metrics source whose external metric fails while `broken` is set.
    let broken = false;
    const { env: e, metrics } = await startWithReconciler((m) => ({
      podMetrics: (q) => m.podMetrics(q),
      externalMetrics: async (q) => {
        if (broken) throw new Error('the external metrics adapter is down');
        return m.externalMetrics(q);
      },
    }));
    const deployment = await e.client.get(kinds.Deployment, deploymentKey);
    await e.client.updateStatus(kinds.Deployment, { ...deployment, status: { replicas: 3 } });
    for (let i = 0; i < 3; i++) {
      await createPod(e, `storefront-${i}`);
      metrics.setPodMetric({ pod: `storefront-${i}`, metric: 'cpu', value: '70m' });
    }
    metrics.setExternalMetric({ metric: 'queue_messages_ready', value: '90' });
    await e.client.create(kinds.HorizontalPodAutoscaler, {
      metadata: { name: 'storefront-hpa', namespace: 'default' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'storefront' },
        minReplicas: 1,
        maxReplicas: 10,
        metrics: [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
          { type: 'External', external: { metric: { name: 'queue_messages_ready' }, target: { type: 'AverageValue', averageValue: '30' } } },
        ],
      },
    });
    const cpu = (utilization: number) => ({ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: utilization, averageValue: `${utilization}m` } } });
    await settled(async () => expect((await hpa(e)).status?.currentMetrics).toEqual([cpu(70), { type: 'External', external: { metric: { name: 'queue_messages_ready' }, current: { averageValue: '30' } } }]));

    // The adapter goes down and the cpu falls: one metric is invalid and the other would scale down,
    // so Kubernetes does not scale, and reports the cpu it just measured.
    broken = true;
    for (let i = 0; i < 3; i++) metrics.setPodMetric({ pod: `storefront-${i}`, metric: 'cpu', value: '20m' });
    await e.clock.advance(15_000);
    const h = await settled(async () => {
      const got = await hpa(e);
      expect(condition(got, 'ScalingActive')?.status).toBe('False');
      return got;
    });
    expect(condition(h, 'ScalingActive')?.reason).toBe('FailedGetExternalMetric');
    expect(h.status?.currentMetrics).toEqual([cpu(20)]);
    expect(await replicas(e)).toBe(3);
  });

  it('scales on a Pods metric with the behavior the HPA asks for: one pod per minute down, no window', async () => {
    const { env: e, metrics } = await start();
    await e.client.patch(kinds.Deployment, deploymentKey, { spec: { replicas: 5 } });
    for (let i = 0; i < 5; i++) {
      await createPod(e, `storefront-${i}`);
      metrics.setPodMetric({ pod: `storefront-${i}`, metric: 'packets-per-second', value: '200' });
    }
    await e.client.create(kinds.HorizontalPodAutoscaler, {
      metadata: { name: 'storefront-hpa', namespace: 'default' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'storefront' },
        minReplicas: 1,
        maxReplicas: 10,
        metrics: [{ type: 'Pods', pods: { metric: { name: 'packets-per-second' }, target: { type: 'AverageValue', averageValue: '1k' } } }],
        behavior: { scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } },
      },
    });
    // 200 per pod against 1k: ceil(5 × 0.2) = 1, one pod per 60 s.
    await settled(async () => expect(await replicas(e)).toBe(4));
    const h = await settled(async () => {
      const got = await hpa(e);
      expect(got.status?.desiredReplicas).toBe(4);
      return got;
    });
    expect(h.status?.currentMetrics).toEqual([{ type: 'Pods', pods: { metric: { name: 'packets-per-second' }, current: { averageValue: '200' } } }]);
    expect(condition(h, 'ScalingLimited')).toMatchObject({ status: 'True', reason: 'ScaleDownLimit' });
    for (let i = 0; i < 3; i++) await syncAndExpect(e, 4);
    await syncAndExpect(e, 3); // 60 s after the first step
  });
});

/**
 * The node agent on a real container runtime, end to end through `createControlPlane`: the same
 * scenarios for every runtime (Docker, local processes), each on a control plane of its own on
 * the real clock, with back-off and sync periods shortened so that each waits a few seconds:
 *
 * 1. a Deployment of test-http behind a Service: its pods run, each on a loopback pod IP of its
 *    own where it really serves HTTP, and readiness gates the Endpoints both ways;
 * 2. a crashing container restarts after 0, 1, 2, 4, 4 s (initial 1 s, max 4 s) and shows
 *    CrashLoopBackOff, its restartCount and the last exit code;
 * 3. a failing liveness probe gets the container killed and restarted;
 * 4. deleting a pod stops its containers with SIGTERM, SIGKILLs one that ignores it only after the
 *    grace period, and removes them;
 * 5. a restarted agent adopts its containers (same ids, same restartCount, same pod IP) and
 *    removes those of pods deleted while it was down;
 * 6. an image that cannot be pulled gives ErrImagePull, then ImagePullBackOff;
 * 7. container CPU stats reach the HPA through the control plane's default metrics source;
 * 8. a command that cannot start leaves the container waiting (RunContainerError, then
 *    CrashLoopBackOff) and is retried under the crash back-off, its attempts exited with
 *    StartError and exit code 128;
 * 9. (runtimes whose containers share the host's filesystem) an exec preStop hook runs before
 *    SIGTERM, within the grace period.
 *
 * A runtime's test file supplies a {@link RuntimeHarness} and calls {@link nodeAgentScenarios}.
 *
 * @module
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createApiServer,
  delay,
  jsonLogger,
  kinds,
  parseQuantity,
  systemClock,
  type Client,
  type ContainerInfo,
  type ContainerRuntime,
  type InputOf,
  type LogLevel,
  type Store,
} from '@harbormaster/core';
import { waitFor } from '@harbormaster/core/testing';
import { memoryStore } from '@harbormaster/store-memory';
import { createControlPlane, type ControlPlane } from '../../src/index.js';

/** What the scenarios need to know about one runtime. */
export interface RuntimeHarness {
  /** Shown in the test names: `docker`, `process`. */
  readonly name: string;
  /**
   * A new runtime instance on the same backend state (the same engine and owner, the same state
   * directory), as an agent gets after a restart.
   */
  runtime(): ContainerRuntime;
  /** An image on this runtime that speaks the test-http protocol (scripts/build-test-image.sh). */
  readonly image: string;
  /** An image that is not present and cannot be pulled. */
  readonly absentImage: string;
  /**
   * The first of the pod subnets (second octet of 127.x.y.z) this runtime's tests use, one per
   * test: runtimes tested at the same time share the host's network, so each needs its own.
   */
  readonly firstPodSubnet: number;
  /** Make a test-http container's `/healthz` pass again after `/cgi-bin/fail`. */
  heal(target: { readonly runtime: ContainerRuntime; readonly containerId: string; readonly podIP: string }): Promise<void>;
  /** Whether containers see the host's files (so a hook can leave a file the test reads). @default false */
  readonly sharesHostFilesystem?: boolean;
}

/** The agent's timings for these tests: everything that waits, shortened. */
const NODE_AGENT = {
  crashBackoff: { initialMs: 1000, maxMs: 4000 },
  imagePullBackoff: { initialMs: 1000, maxMs: 4000 },
  syncPeriodMs: 200,
  statsIntervalMs: 1000,
} as const;

const PORT = 8080;
/** How much longer than its back-off a restart may take: the runtime's time to create and start a container. */
const RUNTIME_SLACK_MS = 2500;
const POD_UID_LABEL = 'harbormaster.io/pod-uid';
const ATTEMPT_LABEL = 'harbormaster.io/restart-count';

type PodSpecInput = NonNullable<InputOf<typeof kinds.Pod>['spec']>;
type ContainerInput = PodSpecInput['containers'][number];

/** Register the scenarios for one runtime. */
export function nodeAgentScenarios(harness: RuntimeHarness): void {
  describe(`node agent on the ${harness.name} runtime`, { timeout: 60_000 }, () => {
    let planes: ControlPlane[] = [];
    let subnet = harness.firstPodSubnet;

    /** A control plane with a node agent on a new instance of the runtime, started. */
    const start = async (options: { store?: Store; podSubnet?: number } = {}): Promise<ControlPlane & { podSubnet: number }> => {
      const podSubnet = options.podSubnet ?? subnet++;
      const level = process.env.HM_TEST_LOG as LogLevel | undefined;
      const cp = await createControlPlane({
        runtime: harness.runtime(),
        nodeAgent: { ...NODE_AGENT, podSubnet },
        hpa: { syncPeriodMs: 1000 },
        ...(options.store === undefined ? {} : { store: options.store }),
        ...(level === undefined ? {} : { logger: jsonLogger({ level }) }),
      });
      planes.push(cp);
      await cp.start();
      return Object.assign(cp, { podSubnet });
    };

    afterEach(async () => {
      for (const cp of planes.reverse()) await cp.stop().catch(() => undefined);
      planes = [];
      // Containers outlive their agent by design: remove what the test left.
      const runtime = harness.runtime();
      try {
        for (const c of await runtime.listContainers({ labels: { 'harbormaster.io/node': 'local' } })) await runtime.removeContainer(c.id);
      } finally {
        await runtime.close();
      }
    });

    const container = (overrides: Partial<ContainerInput> = {}): ContainerInput => ({
      name: 'web',
      image: harness.image,
      ports: [{ name: 'http', containerPort: PORT }],
      ...overrides,
    });

    it('runs a Deployment whose pods serve HTTP on pod IPs of their own, with readiness gating the Endpoints both ways', async () => {
      const cp = await start();
      const { client } = cp;
      const node = await waitFor('the node is Ready', async () => {
        const n = await client.get(kinds.Node, { name: 'local' }).catch(() => undefined);
        return n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true ? n : undefined;
      });
      expect(node.status?.nodeInfo?.containerRuntimeVersion).toMatch(new RegExp(`^${harness.name}://\\S`));
      expect(parseQuantity(node.status?.capacity?.['cpu'] ?? 0)).toBeGreaterThan(0);
      await client.create(kinds.Deployment, {
        metadata: { name: 'web' },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: {
              containers: [container({ readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1, failureThreshold: 1 } })],
            },
          },
        },
      });
      await client.create(kinds.Service, { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: PORT }] } });

      const pods = await waitFor('3 web pods Running and Ready', async () => {
        const ready = (await listPods(client, 'app=web')).filter((p) => p.status?.phase === 'Running' && isReady(p));
        return ready.length === 3 ? ready : undefined;
      });
      const ips = pods.map((p) => p.status?.podIP ?? '');
      expect(new Set(ips).size).toBe(3);
      for (const ip of ips) expect(ip).toMatch(new RegExp(`^127\\.${cp.podSubnet}\\.\\d+\\.\\d+$`));
      for (const ip of ips) expect(await httpGet(`http://${ip}:${PORT}/healthz`)).toEqual({ status: 200, body: 'ok\n' });
      const endpoints = await waitFor('the Endpoints list the 3 pods', async () => {
        const subset = (await client.get(kinds.Endpoints, { namespace: 'default', name: 'web' }).catch(() => undefined))?.subsets?.[0];
        return addressesOf(subset?.addresses).length === 3 ? subset : undefined;
      });
      expect(addressesOf(endpoints.addresses)).toEqual([...ips].sort());
      expect(endpoints.ports).toEqual([expect.objectContaining({ port: PORT })]);

      // One pod's health fails: it leaves the ready addresses (its container keeps running), the others stay.
      const [sick, ...well] = pods;
      const sickIP = sick?.status?.podIP ?? '';
      expect((await httpGet(`http://${sickIP}:${PORT}/cgi-bin/fail`))?.status).toBe(200);
      expect((await httpGet(`http://${sickIP}:${PORT}/healthz`))?.status).toBe(404);
      const degraded = await waitFor('the failing pod is a not-ready address', async () => {
        const subset = (await client.get(kinds.Endpoints, { namespace: 'default', name: 'web' })).subsets?.[0];
        return addressesOf(subset?.notReadyAddresses).includes(sickIP) ? subset : undefined;
      });
      expect(addressesOf(degraded.addresses)).toEqual(well.map((p) => p.status?.podIP ?? '').sort());
      expect(addressesOf(degraded.notReadyAddresses)).toEqual([sickIP]);
      const unready = await getPod(client, sick?.metadata.name ?? '');
      expect(unready.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady' });
      expect(unready.status?.containerStatuses?.[0]).toMatchObject({ ready: false, restartCount: 0, state: { running: {} } });
      for (const p of well) expect((await httpGet(`http://${p.status?.podIP ?? ''}:${PORT}/healthz`))?.status).toBe(200);

      // Healthy again: back among the ready addresses, same container.
      await harness.heal({ runtime: cp.runtime as ContainerRuntime, containerId: bareId(containerIdOf(unready)), podIP: sickIP });
      const healed = await waitFor('all 3 pods are ready addresses again', async () => {
        const subset = (await client.get(kinds.Endpoints, { namespace: 'default', name: 'web' })).subsets?.[0];
        return addressesOf(subset?.addresses).length === 3 ? subset : undefined;
      });
      expect(addressesOf(healed.addresses)).toEqual([...ips].sort());
      expect(healed.notReadyAddresses ?? []).toEqual([]);
      expect(containerIdOf(await getPod(client, sick?.metadata.name ?? ''))).toBe(containerIdOf(unready));
      const deployment = await waitFor('the Deployment is available', async () => {
        const d = await client.get(kinds.Deployment, { namespace: 'default', name: 'web' });
        return d.status?.availableReplicas === 3 ? d : undefined;
      });
      expect(deployment.status?.readyReplicas).toBe(3);
    });

    it('backs off a crashing container 0, 1, 2, 4, 4 s apart and shows CrashLoopBackOff with restartCount and the exit code', async () => {
      const cp = await start();
      const { client } = cp;
      const runtime = cp.runtime as ContainerRuntime;
      const created = await client.create(kinds.Pod, {
        metadata: { name: 'crasher', labels: { app: 'crasher' } },
        spec: { containers: [container({ name: 'app', command: ['sh', '-c', 'echo crashing; exit 3'] })] },
      });
      // The runtime keeps only the last two attempts: watch them all go by, with their times in ms.
      // (A container that exits at once may be seen exited before its start is recorded: wait for that.)
      const attempts = new Map<number, ContainerInfo>();
      await waitFor('6 attempts have run', async () => {
        for (const c of await runtime.listContainers({ labels: { [POD_UID_LABEL]: created.metadata.uid ?? '' } })) {
          if (c.state === 'exited' && c.startedAt !== undefined) attempts.set(Number(c.labels[ATTEMPT_LABEL]), c);
        }
        return attempts.size >= 6 ? true : undefined;
      }, { timeoutMs: 40_000, stepMs: 25 });
      const runs = [...attempts.entries()].sort(([a], [b]) => a - b).map(([, c]) => c);
      expect(runs.map((c) => Number(c.labels[ATTEMPT_LABEL]))).toEqual([0, 1, 2, 3, 4, 5].slice(0, runs.length));
      for (const c of runs) expect(c).toMatchObject({ exitCode: 3, reason: 'Error' });
      // The pause between an exit and the next start is the back-off (the first restart is at once):
      // never shorter, and longer only by the time the runtime takes to create and start a
      // container (Docker: a few hundred ms, up to two seconds on a busy machine).
      const pauses = runs.slice(1).map((c, i) => (c.startedAt ?? 0) - (runs[i]?.finishedAt ?? 0));
      const expected = [0, 1000, 2000, 4000, 4000];
      pauses.slice(0, 5).forEach((pause, i) => {
        expect(pause, `pause ${i + 1} of ${JSON.stringify(pauses)}`).toBeGreaterThanOrEqual((expected[i] ?? 0) - 50);
        expect(pause, `pause ${i + 1} of ${JSON.stringify(pauses)}`).toBeLessThan((expected[i] ?? 0) + RUNTIME_SLACK_MS);
      });

      const status = await waitFor('CrashLoopBackOff', async () => {
        const s = (await getPod(client, 'crasher')).status?.containerStatuses?.[0];
        return s?.state?.waiting?.reason === 'CrashLoopBackOff' && (s.restartCount ?? 0) >= 5 ? s : undefined;
      });
      expect(status.state?.waiting?.message).toMatch(/^back-off 4s restarting failed container=app pod=crasher_default/);
      expect(status.lastState?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
      // Its times are the runtime's, to the second, as Kubernetes writes them.
      const last = attempts.get(status.restartCount ?? -1);
      expect(Date.parse(status.lastState?.terminated?.startedAt ?? '')).toBe(Math.floor((last?.startedAt ?? 0) / 1000) * 1000);
      expect(Date.parse(status.lastState?.terminated?.finishedAt ?? '')).toBe(Math.floor((last?.finishedAt ?? 0) / 1000) * 1000);
      const pod = await getPod(client, 'crasher');
      expect(pod.status?.phase).toBe('Running');
      expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
      expect(await reasonsFor(client, 'crasher')).toEqual(expect.arrayContaining(['Created', 'Started', 'BackOff']));
    });

    it('restarts a container whose liveness probe fails', async () => {
      const cp = await start();
      const { client } = cp;
      await client.create(kinds.Pod, {
        metadata: { name: 'live', labels: { app: 'live' } },
        spec: {
          terminationGracePeriodSeconds: 5,
          containers: [container({ livenessProbe: { httpGet: { path: '/healthz', port: PORT }, periodSeconds: 1, failureThreshold: 2 } })],
        },
      });
      const running = await waitFor('the pod runs', async () => {
        const p = await getPod(client, 'live');
        return p.status?.containerStatuses?.[0]?.state?.running !== undefined ? p : undefined;
      });
      const ip = running.status?.podIP ?? '';
      const first = containerIdOf(running);
      await delay(systemClock, 2500); // a healthy container is left alone
      expect((await getPod(client, 'live')).status?.containerStatuses?.[0]).toMatchObject({ restartCount: 0, containerID: first });

      expect((await httpGet(`http://${ip}:${PORT}/cgi-bin/fail`))?.status).toBe(200);
      const restarted = await waitFor('the container is restarted', async () => {
        const p = await getPod(client, 'live');
        const s = p.status?.containerStatuses?.[0];
        return s?.restartCount === 1 && s.state?.running !== undefined ? p : undefined;
      });
      const status = restarted.status?.containerStatuses?.[0];
      expect(status?.containerID).not.toBe(first);
      expect(status?.lastState?.terminated).toMatchObject({ containerID: first });
      expect(restarted.status?.podIP).toBe(ip);
      // The new container is healthy, and stays.
      await waitFor('the new container serves', async () => ((await httpGet(`http://${ip}:${PORT}/healthz`))?.status === 200 ? true : undefined));
      await delay(systemClock, 2500);
      expect((await getPod(client, 'live')).status?.containerStatuses?.[0]?.restartCount).toBe(1);
      const events = (await client.list(kinds.Event, { namespace: 'default' })).items
        .filter((e) => e.involvedObject.name === 'live')
        .map((e) => `${e.reason ?? ''}: ${e.message ?? ''}`);
      expect(events).toContain('Killing: Container web failed liveness probe, will be restarted');
      expect(events.some((e) => e.startsWith('Unhealthy: Liveness probe failed: HTTP probe failed with statuscode: 404'))).toBe(true);
    });

    it('stops a deleted pod with SIGTERM, SIGKILLs a container that ignores it only after the grace period, and removes the containers', async () => {
      const cp = await start();
      const { client } = cp;
      const runtime = cp.runtime as ContainerRuntime;
      const grace = 3;
      await client.create(kinds.Pod, { metadata: { name: 'polite' }, spec: { containers: [container()] } });
      await client.create(kinds.Pod, {
        metadata: { name: 'stubborn' },
        spec: { terminationGracePeriodSeconds: grace, containers: [container({ env: [{ name: 'IGNORE_SIGTERM', value: '1' }] })] },
      });
      const serving = (name: string): Promise<kinds.Pod> =>
        waitFor(`${name} serves`, async () => {
          const p = await getPod(client, name);
          const ip = p.status?.podIP;
          return ip !== undefined && (await httpGet(`http://${ip}:${PORT}/healthz`))?.status === 200 ? p : undefined;
        });
      const [polite, stubborn] = await Promise.all([serving('polite'), serving('stubborn')]);
      const politeId = bareId(containerIdOf(polite));
      const stubbornId = bareId(containerIdOf(stubborn));

      const deletedAt = Date.now();
      await client.delete(kinds.Pod, { namespace: 'default', name: 'polite' });
      await client.delete(kinds.Pod, { namespace: 'default', name: 'stubborn' });
      // polite (grace 30 s) exits on SIGTERM at once; stubborn runs on until the grace period is over.
      const stopped = new Map<string, number>();
      await waitFor('both containers have stopped', async () => {
        for (const id of [politeId, stubbornId]) {
          if (!stopped.has(id) && (await runtime.inspectContainer(id))?.state !== 'running') stopped.set(id, Date.now() - deletedAt);
        }
        return stopped.size === 2 ? true : undefined;
      }, { stepMs: 25, timeoutMs: 20_000 });
      expect(stopped.get(politeId)).toBeLessThan(2500);
      expect(stopped.get(stubbornId)).toBeGreaterThanOrEqual(grace * 1000 - 100);
      expect(stopped.get(stubbornId)).toBeLessThan(grace * 1000 + 3000);

      // Then the containers are removed and the pods deleted for good.
      for (const p of [polite, stubborn]) {
        await waitFor(`${p.metadata.name ?? ''} is gone`, async () => ((await client.get(kinds.Pod, { namespace: 'default', name: p.metadata.name ?? '' }).catch(() => undefined)) === undefined ? true : undefined));
        expect(await runtime.listContainers({ labels: { [POD_UID_LABEL]: p.metadata.uid ?? '' } })).toEqual([]);
      }
      expect(await runtime.inspectContainer(stubbornId)).toBeUndefined();
      expect(await httpGet(`http://${stubborn.status?.podIP ?? ''}:${PORT}/healthz`)).toBeUndefined();
      expect(await reasonsFor(client, 'stubborn')).toContain('Killing');
    });

    it('after a restart of the agent adopts its containers and removes those of pods deleted meanwhile', async () => {
      const store = memoryStore();
      try {
        const podSubnet = subnet++;
        const first = await start({ store, podSubnet });
        const readiness = { httpGet: { path: '/healthz', port: PORT }, periodSeconds: 1 };
        await first.client.create(kinds.Pod, { metadata: { name: 'keeper' }, spec: { containers: [container({ readinessProbe: readiness })] } });
        await first.client.create(kinds.Pod, { metadata: { name: 'doomed' }, spec: { containers: [container()] } });
        const doomed = await waitFor('doomed runs', async () => {
          const p = await getPod(first.client, 'doomed');
          return p.status?.containerStatuses?.[0]?.state?.running !== undefined ? p : undefined;
        });
        const ready = await waitFor('keeper is ready', async () => {
          const p = await getPod(first.client, 'keeper');
          return isReady(p) ? p : undefined;
        });
        // One crash first, so that there is a restartCount to keep.
        const ip = ready.status?.podIP ?? '';
        await httpGet(`http://${ip}:${PORT}/cgi-bin/crash?7`);
        const before = await waitFor('keeper restarted once and is ready', async () => {
          const p = await getPod(first.client, 'keeper');
          return p.status?.containerStatuses?.[0]?.restartCount === 1 && isReady(p) ? p : undefined;
        });
        const keeperStatus = before.status?.containerStatuses?.[0];
        expect(keeperStatus?.lastState?.terminated?.exitCode).toBe(7);

        // The agent goes away; its containers do not.
        await first.stop();
        planes = planes.filter((cp) => cp !== first);
        const runtime = harness.runtime();
        try {
          expect((await runtime.inspectContainer(bareId(keeperStatus?.containerID ?? '')))?.state).toBe('running');
          expect((await httpGet(`http://${ip}:${PORT}/healthz`))?.status).toBe(200);
          // While it is down: a pod is deleted for good, another one is created.
          const api = createApiServer({ store });
          await api.ready();
          await api.client.delete(kinds.Pod, { namespace: 'default', name: 'doomed' }, { gracePeriodSeconds: 0 });
          await api.client.create(kinds.Pod, { metadata: { name: 'newcomer' }, spec: { containers: [container({ readinessProbe: readiness })] } });
          await api.close();

          const second = await start({ store, podSubnet });
          const { client } = second;
          await waitFor("doomed's container is removed", async () =>
            (await runtime.listContainers({ labels: { [POD_UID_LABEL]: doomed.metadata.uid ?? '' } })).length === 0 ? true : undefined,
          );
          const newcomer = await waitFor('newcomer is ready', async () => {
            const p = await getPod(client, 'newcomer');
            return isReady(p) ? p : undefined;
          });
          const after = await waitFor('keeper is ready again', async () => {
            const p = await getPod(client, 'keeper');
            return isReady(p) ? p : undefined;
          });
          expect(after.status?.podIP).toBe(ip);
          expect(after.status?.containerStatuses?.[0]).toMatchObject({
            containerID: keeperStatus?.containerID,
            restartCount: 1,
            lastState: { terminated: { exitCode: 7 } },
            state: { running: { startedAt: keeperStatus?.state?.running?.startedAt } },
          });
          // The pod created meanwhile got an address of its own, not the adopted pod's.
          expect(newcomer.status?.podIP).not.toBe(ip);
          expect((await httpGet(`http://${newcomer.status?.podIP ?? ''}:${PORT}/healthz`))?.status).toBe(200);
          expect((await httpGet(`http://${ip}:${PORT}/healthz`))?.status).toBe(200);
          const keeperContainers = await runtime.listContainers({ labels: { [POD_UID_LABEL]: before.metadata.uid ?? '' } });
          expect(keeperContainers.map((c) => [c.labels[ATTEMPT_LABEL], c.state]).sort()).toEqual([
            ['0', 'exited'],
            ['1', 'running'],
          ]);
        } finally {
          await runtime.close();
        }
      } finally {
        for (const cp of planes.splice(0).reverse()) await cp.stop().catch(() => undefined);
        await store.close();
      }
    });

    it('reports ErrImagePull, then ImagePullBackOff, for an image that cannot be pulled', async () => {
      const cp = await start();
      const { client } = cp;
      await client.create(kinds.Pod, {
        metadata: { name: 'absent' },
        spec: { containers: [container({ image: harness.absentImage, imagePullPolicy: 'IfNotPresent' })] },
      });
      const seen: string[] = [];
      await waitFor('ErrImagePull, then ImagePullBackOff, then ErrImagePull again', async () => {
        const reason = (await getPod(client, 'absent')).status?.containerStatuses?.[0]?.state?.waiting?.reason;
        if (reason !== undefined && seen.at(-1) !== reason) seen.push(reason);
        return seen.length >= 3 ? true : undefined;
      }, { stepMs: 25 });
      expect(seen.slice(0, 3)).toEqual(['ErrImagePull', 'ImagePullBackOff', 'ErrImagePull']);
      const pod = await getPod(client, 'absent');
      expect(pod.status?.phase).toBe('Pending');
      expect(pod.status?.containerStatuses?.[0]).toMatchObject({ ready: false, restartCount: 0, image: harness.absentImage });
      const events = (await client.list(kinds.Event, { namespace: 'default' })).items.filter((e) => e.involvedObject.name === 'absent');
      expect(events.map((e) => e.message)).toContain('Error: ErrImagePull');
      expect(events.some((e) => e.message?.startsWith(`Failed to pull image "${harness.absentImage}"`))).toBe(true);
    });

    it('retries a command that cannot start under the crash back-off: RunContainerError, then CrashLoopBackOff, each attempt a StartError (128)', async () => {
      const cp = await start();
      const { client } = cp;
      const runtime = cp.runtime as ContainerRuntime;
      const created = await client.create(kinds.Pod, {
        metadata: { name: 'unstartable' },
        spec: { containers: [container({ name: 'app', command: ['/nonexistent/harbormaster-no-such-command'] })] },
      });
      const uid = created.metadata.uid ?? '';
      const attempts = new Map<number, ContainerInfo>();
      const reasons = new Set<string>();
      await waitFor('4 attempts have failed to start', async () => {
        for (const c of await runtime.listContainers({ labels: { [POD_UID_LABEL]: uid } })) {
          if (c.state === 'exited') attempts.set(Number(c.labels[ATTEMPT_LABEL]), c);
        }
        const reason = (await getPod(client, 'unstartable')).status?.containerStatuses?.[0]?.state?.waiting?.reason;
        if (reason !== undefined) reasons.add(reason);
        return attempts.size >= 4 ? true : undefined;
      }, { timeoutMs: 30_000, stepMs: 25 });
      const runs = [...attempts.entries()].sort(([a], [b]) => a - b).map(([, c]) => c);
      expect(runs.map((c) => Number(c.labels[ATTEMPT_LABEL]))).toEqual([0, 1, 2, 3].slice(0, runs.length));
      for (const c of runs) {
        expect(c).toMatchObject({ state: 'exited', exitCode: 128, reason: 'StartError' });
        expect(c.finishedAt).toBeGreaterThanOrEqual(c.createdAt ?? Infinity);
      }
      // From a failed start to the next attempt: the next sync (0 s of back-off), then 1, 2 s.
      const pauses = runs.slice(1).map((c, i) => (c.createdAt ?? 0) - (runs[i]?.finishedAt ?? 0));
      const expected = [0, 1000, 2000];
      pauses.slice(0, 3).forEach((pause, i) => {
        expect(pause, `pause ${i + 1} of ${JSON.stringify(pauses)}`).toBeGreaterThanOrEqual((expected[i] ?? 0) - 50);
        expect(pause, `pause ${i + 1} of ${JSON.stringify(pauses)}`).toBeLessThan((expected[i] ?? 0) + RUNTIME_SLACK_MS);
      });
      expect([...reasons]).toEqual(expect.arrayContaining(['RunContainerError', 'CrashLoopBackOff']));

      const status = await waitFor('CrashLoopBackOff', async () => {
        const s = (await getPod(client, 'unstartable')).status?.containerStatuses?.[0];
        return s?.state?.waiting?.reason === 'CrashLoopBackOff' && (s.restartCount ?? 0) >= 3 ? s : undefined;
      });
      expect(status.state?.waiting?.message).toMatch(new RegExp(`^back-off [124]s restarting failed container=app pod=unstartable_default\\(${uid}\\)$`));
      expect(status.lastState?.terminated).toMatchObject({ exitCode: 128, reason: 'StartError', message: expect.stringContaining('harbormaster-no-such-command') as string });
      const pod = await getPod(client, 'unstartable');
      expect(pod.status?.phase).toBe('Running');
      expect(pod.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', message: 'containers with unready status: [app]' });
      const events = (await client.list(kinds.Event, { namespace: 'default' })).items.filter((e) => e.involvedObject.name === 'unstartable');
      expect(events.some((e) => e.reason === 'Failed' && e.message?.startsWith('Error: cannot start container') === true)).toBe(true);
      expect(events.map((e) => `${e.reason ?? ''}: ${e.message ?? ''}`)).toContain(`BackOff: Back-off restarting failed container app in pod unstartable_default(${uid})`);
    });

    // The hook leaves a file the test reads, so the scenario exists only for runtimes whose
    // containers share the host's filesystem (local processes); for the others it is not
    // defined, rather than skipped.
    if (harness.sharesHostFilesystem === true) it('runs an exec preStop hook before SIGTERM, within the grace period', async () => {
      const cp = await start();
      const { client } = cp;
      const runtime = cp.runtime as ContainerRuntime;
      const dir = mkdtempSync(join(tmpdir(), 'hm-prestop-'));
      try {
        const marker = join(dir, 'prestop');
        // The hook notes when it ran, takes a second, and notes when it was done.
        const hook = `date +%s%3N >> ${marker}; sleep 1; date +%s%3N >> ${marker}`;
        await client.create(kinds.Pod, {
          metadata: { name: 'drained' },
          spec: { terminationGracePeriodSeconds: 10, containers: [container({ lifecycle: { preStop: { exec: { command: ['sh', '-c', hook] } } } })] },
        });
        const running = await waitFor('drained serves', async () => {
          const p = await getPod(client, 'drained');
          const ip = p.status?.podIP;
          return ip !== undefined && (await httpGet(`http://${ip}:${PORT}/healthz`))?.status === 200 ? p : undefined;
        });
        const id = bareId(containerIdOf(running));
        // The agent removes the container as soon as it has exited, maybe before a poll sees
        // it: keep its last state as the agent removes it.
        let removed: ContainerInfo | undefined;
        const remove = runtime.removeContainer.bind(runtime);
        Object.assign(runtime, {
          removeContainer: async (cid: string): Promise<void> => {
            if (cid === id) removed = await runtime.inspectContainer(cid);
            await remove(cid);
          },
        });
        const deletedAt = Date.now();
        await client.delete(kinds.Pod, { namespace: 'default', name: 'drained' });
        const exited = await waitFor('the container has stopped', async () => {
          const c = removed ?? (await runtime.inspectContainer(id));
          return c?.state === 'exited' ? c : undefined;
        }, { stepMs: 25 });
        const [hookStart, hookEnd] = readFileSync(marker, 'utf8').trim().split('\n').map(Number);
        expect(hookStart).toBeGreaterThanOrEqual(deletedAt - 50);
        expect(hookEnd).toBeGreaterThanOrEqual((hookStart ?? 0) + 1000);
        // SIGTERM only after the hook: the server exits 0 on it, well within the 10 s.
        expect(exited.finishedAt).toBeGreaterThanOrEqual((hookEnd ?? Infinity) - 5);
        expect(exited).toMatchObject({ exitCode: 0 });
        expect((exited.finishedAt ?? 0) - deletedAt).toBeLessThan(10_000);
        await waitFor('drained is gone', async () => ((await client.get(kinds.Pod, { namespace: 'default', name: 'drained' }).catch(() => undefined)) === undefined ? true : undefined));
        const reasons = await reasonsFor(client, 'drained');
        expect(reasons).toContain('Killing');
        expect(reasons).not.toContain('FailedPreStopHook');
      } finally {
        Reflect.deleteProperty(runtime, 'removeContainer');
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("feeds container CPU usage to the HPA through the control plane's default metrics source", async () => {
      const cp = await start();
      const { client } = cp;
      await client.create(kinds.Deployment, {
        metadata: { name: 'burner' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'burner' } },
          template: {
            metadata: { labels: { app: 'burner' } },
            spec: {
              containers: [
                container({
                  name: 'burn',
                  command: ['sh', '-c', 'while :; do :; done'],
                  resources: { requests: { cpu: '100m' }, limits: { cpu: '500m' } },
                }),
              ],
            },
          },
        },
      });
      await client.create(kinds.HorizontalPodAutoscaler, {
        metadata: { name: 'burner' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'burner' },
          minReplicas: 1,
          maxReplicas: 1,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
        },
      });
      const current = await waitFor('the HPA reports CPU usage', async () => {
        const hpa = await client.get(kinds.HorizontalPodAutoscaler, { namespace: 'default', name: 'burner' });
        const m = hpa.status?.currentMetrics?.[0]?.resource?.current;
        return m?.averageValue !== undefined && parseQuantity(m.averageValue) > 0 ? m : undefined;
      }, { timeoutMs: 30_000 });
      // A busy loop uses a good part of a core (up to its 0.5 limit where the runtime enforces one).
      expect(parseQuantity(current.averageValue ?? 0)).toBeGreaterThan(0.05);
      expect(current.averageUtilization).toBeGreaterThan(50);
    });
  });
}

// ------------------------------------------------------------------------------------------------


/** GET `url` with a short timeout: status and body, or `undefined` when nothing answers. */
export async function httpGet(url: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return { status: response.status, body: await response.text() };
  } catch {
    return undefined;
  }
}

const getPod = (client: Client, name: string) => client.get(kinds.Pod, { namespace: 'default', name });

async function listPods(client: Client, selector: string): Promise<kinds.Pod[]> {
  return (await client.list(kinds.Pod, { namespace: 'default', labelSelector: selector })).items.filter((p) => !p.metadata.deletionTimestamp);
}

function isReady(p: kinds.Pod): boolean {
  return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

/** The containerID of a pod's first container (`<runtime>://<id>`). */
function containerIdOf(p: kinds.Pod): string {
  return p.status?.containerStatuses?.[0]?.containerID ?? '';
}

/** The runtime's id in a containerID. */
function bareId(containerID: string): string {
  return containerID.replace(/^[a-z-]+:\/\//, '');
}

function addressesOf(addresses: readonly { readonly ip: string }[] | undefined): string[] {
  return (addresses ?? []).map((a) => a.ip).sort();
}

async function reasonsFor(client: Client, name: string): Promise<string[]> {
  return (await client.list(kinds.Event, { namespace: 'default' })).items.filter((e) => e.involvedObject.name === name).map((e) => e.reason ?? '');
}

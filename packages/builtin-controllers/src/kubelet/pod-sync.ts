/**
 * Syncing one pod with its containers, as the kubelet's `SyncPod` does: init containers one at a
 * time, then the app containers; image presence with pull back-off; create and start with the
 * resolved environment; restart policies with CrashLoopBackOff; liveness failures restart;
 * graceful termination; and the pod's status (phase, conditions, containerStatuses with
 * restartCount, state and lastState) computed from what the runtime reports.
 *
 * @module
 * @internal
 */
import {
  ContainerStartError,
  formatTime,
  ImageNeverPullError,
  ImagePullError,
  ignoreNotFound,
  isConflict,
  isNotFound,
  jsonEqual,
  kinds,
  type Client,
  type Clock,
  type ContainerInfo,
  type ContainerRuntime,
  type ContainerSpec,
  type EventRecorder,
  type Logger,
  type PullPolicy,
} from '@harbormaster/core';
import type { Backoff } from './backoff.js';
import { ContainerConfigError, containerEnv, expand } from './container-env.js';
import type { PodIpAllocator } from './pod-ips.js';
import type { ProbeManager } from './probes.js';

/** Labels the agent puts on every container it runs. */
export const LABELS = {
  node: 'harbormaster.io/node',
  podUid: 'harbormaster.io/pod-uid',
  podNamespace: 'harbormaster.io/pod-namespace',
  podName: 'harbormaster.io/pod-name',
  container: 'harbormaster.io/container',
  init: 'harbormaster.io/init-container',
  attempt: 'harbormaster.io/restart-count',
} as const;

/** A container ran this long without failing: its crash back-off is forgotten. */
const BACKOFF_RESET_MS = 10 * 60_000;

/** Why a container is waiting, kept between syncs. */
interface Waiting {
  readonly reason: string;
  readonly message?: string;
}

/** What the agent keeps about one pod between syncs. */
export interface PodRecord {
  readonly uid: string;
  podIP: string;
  startTime: string;
  readonly waiting: Map<string, Waiting>;
  /** Containers killed by the agent itself (failed liveness), by container id, with the reason. */
  readonly killed: Map<string, string>;
}

/** What {@link syncPod} needs from the agent. */
export interface SyncDeps {
  readonly nodeName: string;
  readonly hostIP: string;
  readonly client: Client;
  readonly runtime: ContainerRuntime;
  readonly clock: Clock;
  readonly log: Logger;
  readonly recorder: EventRecorder;
  readonly probes: ProbeManager;
  readonly crashBackoff: Backoff;
  readonly pullBackoff: Backoff;
  readonly ips: PodIpAllocator;
  readonly records: Map<string, PodRecord>;
  /** How often to look at a pod with live containers again. */
  readonly syncPeriodMs: number;
}

const attemptOf = (c: ContainerInfo): number => Number(c.labels[LABELS.attempt] ?? '0');

/** Containers of a pod, by container name, newest attempt first. */
function byName(containers: readonly ContainerInfo[]): Map<string, ContainerInfo[]> {
  const out = new Map<string, ContainerInfo[]>();
  for (const c of containers) {
    const name = c.labels[LABELS.container] ?? '';
    const list = out.get(name) ?? [];
    list.push(c);
    out.set(name, list);
  }
  for (const list of out.values()) list.sort((a, b) => attemptOf(b) - attemptOf(a));
  return out;
}

function pullPolicy(c: kinds.Container): PullPolicy {
  return c.imagePullPolicy ?? (c.image?.endsWith(':latest') || !/:[^/]+$/.test(c.image ?? '') ? 'Always' : 'IfNotPresent');
}

function parseCpu(q: string | number | undefined): number | undefined {
  if (q === undefined) return undefined;
  if (typeof q === 'number') return q;
  return q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q);
}

const binarySuffixes: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, K: 1e3, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

function parseBytes(q: string | number | undefined): number | undefined {
  if (q === undefined) return undefined;
  if (typeof q === 'number') return q;
  const m = /^([0-9.e+-]+)([A-Za-z]*)$/.exec(q);
  if (m === null) return undefined;
  return Number(m[1]) * (binarySuffixes[m[2] ?? ''] ?? 1);
}

function isTerminal(pod: kinds.Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** Sync one pod. Returns how long until it should be looked at again (undefined: only on change). */
export async function syncPod(deps: SyncDeps, pod: kinds.Pod): Promise<number | undefined> {
  const uid = pod.metadata.uid ?? '';
  const containers = await deps.runtime.listContainers({ labels: { [LABELS.podUid]: uid } });
  if (pod.metadata.deletionTimestamp) {
    await terminatePod(deps, pod, containers);
    return undefined;
  }
  if (isTerminal(pod)) {
    await stopAll(deps, pod, containers, (pod.spec.terminationGracePeriodSeconds ?? 30));
    deps.probes.stopPod(uid);
    return undefined;
  }
  const rec = record(deps, pod);
  const named = byName(containers);
  let requeue = deps.syncPeriodMs;
  const soon = (ms: number): void => {
    requeue = Math.max(1, Math.min(requeue, ms));
  };

  // Init containers, one at a time, in order.
  let initialized = true;
  let initFailed = false;
  for (const c of pod.spec.initContainers ?? []) {
    const latest = named.get(c.name)?.[0];
    if (latest?.state === 'exited' && latest.exitCode === 0) continue;
    initialized = false;
    if (latest?.state === 'running') break;
    if (latest?.state === 'exited') {
      if (pod.spec.restartPolicy === 'Never') {
        initFailed = true;
        break;
      }
      const wait = crashLoop(deps, pod, rec, c, latest);
      if (wait > 0) {
        soon(wait);
        break;
      }
    }
    soon(await startContainer(deps, pod, rec, c, { init: true, attempt: latest === undefined ? 0 : attemptOf(latest) + 1 }));
    break;
  }

  // App containers.
  if (initialized) {
    for (const c of pod.spec.containers) {
      const list = named.get(c.name) ?? [];
      const latest = list[0];
      if (latest?.state === 'running') {
        deps.probes.ensure({ podUid: uid, podIP: rec.podIP, containerId: latest.id, container: c });
        const unhealthy = deps.probes.unhealthy(latest.id);
        if (unhealthy !== undefined) {
          const what = unhealthy === 'liveness' ? 'liveness' : 'startup';
          deps.recorder.event(pod, 'Normal', 'Killing', `Container ${c.name} failed ${what} probe, will be restarted`);
          rec.killed.set(latest.id, 'Error');
          deps.probes.stopContainer(latest.id);
          await deps.runtime.stopContainer(latest.id, { gracePeriodSeconds: pod.spec.terminationGracePeriodSeconds ?? 30 });
          soon(1);
        }
        continue;
      }
      if (latest?.state === 'created') {
        // Created but never started (an agent restart in between): start it now.
        await deps.runtime.startContainer(latest.id).catch(() => undefined);
        soon(1);
        continue;
      }
      if (latest?.state === 'exited') {
        deps.probes.stopContainer(latest.id);
        const policy = pod.spec.restartPolicy ?? 'Always';
        const restart = policy === 'Always' || (policy === 'OnFailure' && latest.exitCode !== 0);
        if (!restart) continue;
        const wait = crashLoop(deps, pod, rec, c, latest);
        if (wait > 0) {
          soon(wait);
          continue;
        }
      }
      soon(await startContainer(deps, pod, rec, c, { init: false, attempt: latest === undefined ? 0 : attemptOf(latest) + 1 }));
    }
    // Keep only the newest two attempts of each container (the current one and the one before, for lastState).
    for (const list of named.values()) {
      for (const old of list.slice(2)) await deps.runtime.removeContainer(old.id).catch(() => undefined);
    }
  }

  const fresh = await deps.runtime.listContainers({ labels: { [LABELS.podUid]: uid } });
  const status = podStatus(deps, pod, rec, byName(fresh), initFailed);
  await writeStatus(deps, pod, status);
  return isTerminalPhase(status.phase) ? undefined : requeue;
}

function isTerminalPhase(phase: string | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

/**
 * After the agent's restart, before any pod is synced: the pods still bound here keep their IPs
 * (a pod's IP never changes), so take them back before a new pod is given one.
 */
export function keepPodIPs(deps: SyncDeps, pods: readonly kinds.Pod[]): void {
  for (const pod of pods) if (pod.status?.podIP !== undefined && !isTerminal(pod)) record(deps, pod);
}

function record(deps: SyncDeps, pod: kinds.Pod): PodRecord {
  const uid = pod.metadata.uid ?? '';
  let rec = deps.records.get(uid);
  if (rec === undefined) {
    const known = pod.status?.podIP;
    let podIP: string;
    if (known !== undefined && deps.ips.owns(known)) {
      deps.ips.reserve(known);
      podIP = known;
    } else {
      podIP = deps.ips.allocate();
    }
    rec = { uid, podIP, startTime: pod.status?.startTime ?? formatTime(deps.clock.now()), waiting: new Map(), killed: new Map() };
    deps.records.set(uid, rec);
  }
  return rec;
}

/**
 * The crash back-off of an exited container, as the kubelet's `doBackOff`: returns how long to
 * wait before restarting it (0: restart now, and the next failure waits longer).
 */
function crashLoop(deps: SyncDeps, pod: kinds.Pod, rec: PodRecord, c: kinds.Container, exited: ContainerInfo): number {
  const key = `${rec.uid}/${c.name}`;
  const finishedAt = exited.finishedAt ?? deps.clock.now();
  if (exited.startedAt !== undefined && finishedAt - exited.startedAt >= BACKOFF_RESET_MS) deps.crashBackoff.reset(key);
  if (deps.crashBackoff.inBackoffSince(key, finishedAt)) {
    const delay = deps.crashBackoff.delayOf(key);
    const message = `back-off ${Math.round(delay / 1000)}s restarting failed container=${c.name} pod=${pod.metadata.name ?? ''}_${pod.metadata.namespace ?? ''}(${rec.uid})`;
    if (rec.waiting.get(c.name)?.reason !== 'CrashLoopBackOff') {
      deps.recorder.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
    }
    rec.waiting.set(c.name, { reason: 'CrashLoopBackOff', message });
    return Math.max(1, finishedAt + delay - deps.clock.now());
  }
  deps.crashBackoff.next(key, finishedAt);
  return 0;
}

/** Pull (if needed), create and start one container. Returns when to look again. */
async function startContainer(
  deps: SyncDeps,
  pod: kinds.Pod,
  rec: PodRecord,
  c: kinds.Container,
  how: { init: boolean; attempt: number },
): Promise<number> {
  const image = c.image ?? '';
  const pullKey = `${rec.uid}/${c.name}/pull`;
  const policy = pullPolicy(c);
  const remaining = deps.pullBackoff.remaining(pullKey);
  if (remaining > 0) {
    rec.waiting.set(c.name, { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` });
    return remaining;
  }
  try {
    await deps.runtime.ensureImage(image, { pullPolicy: policy });
    if (deps.pullBackoff.has(pullKey) || rec.waiting.get(c.name)?.reason !== 'ContainerCreating') {
      deps.recorder.event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
    }
    deps.pullBackoff.reset(pullKey);
  } catch (e) {
    if (!(e instanceof ImagePullError)) throw e;
    const delay = deps.pullBackoff.next(pullKey);
    const reason = e instanceof ImageNeverPullError ? 'ErrImageNeverPull' : 'ErrImagePull';
    rec.waiting.set(c.name, { reason, message: e.message });
    deps.recorder.event(pod, 'Warning', 'Failed', `Failed to pull image "${image}": ${e.message}`);
    deps.recorder.event(pod, 'Warning', 'Failed', `Error: ${reason}`);
    return delay;
  }

  let env: Map<string, string>;
  try {
    env = await containerEnv(deps.client, { ...pod, status: { ...pod.status, podIP: rec.podIP, hostIP: deps.hostIP } }, c);
  } catch (e) {
    if (!(e instanceof ContainerConfigError)) throw e;
    rec.waiting.set(c.name, { reason: 'CreateContainerConfigError', message: e.message });
    deps.recorder.event(pod, 'Warning', 'Failed', `Error: ${e.message}`);
    return deps.syncPeriodMs;
  }
  const limits = c.resources.limits ?? {};
  const requests = c.resources.requests ?? {};
  const cpuLimit = parseCpu(limits['cpu']);
  const cpuRequest = parseCpu(requests['cpu']);
  const memoryLimit = parseBytes(limits['memory']);
  const spec: ContainerSpec = {
    name: `hm_${pod.metadata.namespace ?? 'default'}_${pod.metadata.name ?? ''}_${c.name}_${rec.uid.slice(0, 8)}_${how.attempt}`,
    image,
    ...(c.command === undefined ? {} : { command: c.command.map((x) => expand(x, env)) }),
    ...(c.args === undefined ? {} : { args: c.args.map((x) => expand(x, env)) }),
    // The container's hostname is the pod's name in Kubernetes; with host networking it is
    // passed as HOSTNAME instead.
    env: { HOSTNAME: pod.metadata.name ?? '', ...Object.fromEntries(env) },
    ...(c.workingDir === undefined ? {} : { workingDir: c.workingDir }),
    labels: {
      [LABELS.node]: deps.nodeName,
      [LABELS.podUid]: rec.uid,
      [LABELS.podNamespace]: pod.metadata.namespace ?? 'default',
      [LABELS.podName]: pod.metadata.name ?? '',
      [LABELS.container]: c.name,
      [LABELS.attempt]: String(how.attempt),
      ...(how.init ? { [LABELS.init]: 'true' } : {}),
    },
    resources: {
      ...(cpuLimit === undefined ? {} : { cpuLimit }),
      ...(cpuRequest === undefined ? {} : { cpuRequest }),
      ...(memoryLimit === undefined ? {} : { memoryLimit }),
    },
    ports: (c.ports ?? []).map((p) => ({ containerPort: p.containerPort, ...(p.protocol === undefined ? {} : { protocol: p.protocol }), ...(p.hostPort === undefined ? {} : { hostPort: p.hostPort }) })),
    podIP: rec.podIP,
    ...(c.tty === undefined ? {} : { tty: c.tty }),
  };
  try {
    const created = await deps.runtime.createContainer(spec);
    deps.recorder.event(pod, 'Normal', 'Created', `Created container ${c.name}`);
    await deps.runtime.startContainer(created.id);
    deps.recorder.event(pod, 'Normal', 'Started', `Started container ${c.name}`);
    rec.waiting.delete(c.name);
  } catch (e) {
    if (!(e instanceof ContainerStartError)) throw e;
    rec.waiting.set(c.name, { reason: 'RunContainerError', message: e.message });
    deps.recorder.event(pod, 'Warning', 'Failed', `Error: ${e.message}`);
    deps.crashBackoff.next(`${rec.uid}/${c.name}`);
    return deps.crashBackoff.remaining(`${rec.uid}/${c.name}`);
  }
  return deps.syncPeriodMs;
}

async function stopAll(deps: SyncDeps, pod: kinds.Pod, containers: readonly ContainerInfo[], graceSeconds: number): Promise<void> {
  await Promise.all(
    containers
      .filter((c) => c.state === 'running')
      .map(async (c) => {
        deps.probes.stopContainer(c.id);
        deps.recorder.event(pod, 'Normal', 'Killing', `Stopping container ${c.labels[LABELS.container] ?? ''}`);
        await deps.runtime.stopContainer(c.id, { gracePeriodSeconds: graceSeconds });
      }),
  );
}

/** A pod being deleted: stop its containers with its grace period, remove them, then delete the pod for good. */
async function terminatePod(deps: SyncDeps, pod: kinds.Pod, containers: readonly ContainerInfo[]): Promise<void> {
  const uid = pod.metadata.uid ?? '';
  const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
  await stopAll(deps, pod, containers, grace);
  await removePodContainers(deps, uid, containers);
  try {
    await deps.client.delete(kinds.Pod, { namespace: pod.metadata.namespace, name: pod.metadata.name ?? '' }, { gracePeriodSeconds: 0, preconditions: { uid } });
  } catch (e) {
    if (!isNotFound(e) && !isConflict(e)) throw e;
  }
}

/** Remove a pod's containers and forget everything about it. */
export async function removePodContainers(deps: SyncDeps, uid: string, containers: readonly ContainerInfo[]): Promise<void> {
  deps.probes.stopPod(uid);
  for (const c of containers) await deps.runtime.removeContainer(c.id);
  const rec = deps.records.get(uid);
  if (rec !== undefined) deps.ips.release(rec.podIP);
  deps.records.delete(uid);
  deps.crashBackoff.resetPrefix(`${uid}/`);
  deps.pullBackoff.resetPrefix(`${uid}/`);
}

function time(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : formatTime(ms);
}

function terminated(deps: SyncDeps, rec: PodRecord, c: ContainerInfo): NonNullable<kinds.ContainerState['terminated']> {
  const killedReason = rec.killed.get(c.id);
  const exitCode = c.exitCode ?? 0;
  const reason = killedReason ?? c.reason ?? (exitCode === 0 ? 'Completed' : 'Error');
  return {
    exitCode,
    reason,
    ...(time(c.startedAt) === undefined ? {} : { startedAt: time(c.startedAt) }),
    ...(time(c.finishedAt) === undefined ? {} : { finishedAt: time(c.finishedAt) }),
    containerID: `${deps.runtime.name}://${c.id}`,
  };
}

type ContainerStatus = kinds.ContainerStatus;

function containerStatus(deps: SyncDeps, pod: kinds.Pod, rec: PodRecord, c: kinds.Container, list: readonly ContainerInfo[]): ContainerStatus {
  const latest = list[0];
  const previous = list[1];
  const waiting = rec.waiting.get(c.name);
  const base = {
    name: c.name,
    image: c.image ?? '',
    imageID: latest?.imageId ?? '',
    restartCount: latest === undefined ? 0 : attemptOf(latest),
  };
  if (latest === undefined) {
    return { ...base, ready: false, started: false, state: { waiting: waiting ?? { reason: 'ContainerCreating' } } };
  }
  const containerID = `${deps.runtime.name}://${latest.id}`;
  if (latest.state === 'running') {
    return {
      ...base,
      containerID,
      ready: deps.probes.ready(latest.id, c),
      started: deps.probes.started(latest.id, c),
      state: { running: { ...(time(latest.startedAt) === undefined ? {} : { startedAt: time(latest.startedAt) }) } },
      ...(previous?.state === 'exited' ? { lastState: { terminated: terminated(deps, rec, previous) } } : {}),
    };
  }
  if (latest.state === 'exited') {
    // Waiting to be restarted (back-off) shows as waiting, with the exit as lastState.
    if (waiting !== undefined && (pod.spec.restartPolicy ?? 'Always') !== 'Never') {
      return { ...base, containerID, ready: false, started: false, state: { waiting }, lastState: { terminated: terminated(deps, rec, latest) } };
    }
    return {
      ...base,
      containerID,
      ready: false,
      started: false,
      state: { terminated: terminated(deps, rec, latest) },
      ...(previous?.state === 'exited' ? { lastState: { terminated: terminated(deps, rec, previous) } } : {}),
    };
  }
  return { ...base, containerID, ready: false, started: false, state: { waiting: waiting ?? { reason: 'ContainerCreating' } } };
}

/** The phase, as the kubelet's `getPhase`. */
function phaseOf(pod: kinds.Pod, statuses: readonly ContainerStatus[], initialized: boolean, initFailed: boolean): kinds.PodPhase {
  if (initFailed) return 'Failed';
  if (!initialized) return 'Pending';
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of statuses) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++; // restarting after an exit
      else waiting++;
    }
  }
  const policy = pod.spec.restartPolicy ?? 'Always';
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running'; // OnFailure: failed containers restart
  }
  return 'Pending';
}

function condition(
  current: readonly kinds.PodCondition[],
  type: string,
  status: 'True' | 'False',
  now: string,
  reason?: string,
): kinds.PodCondition {
  const old = current.find((c) => c.type === type);
  return {
    type,
    status,
    lastTransitionTime: old?.status === status && old.lastTransitionTime !== undefined ? old.lastTransitionTime : now,
    ...(reason === undefined ? {} : { reason }),
  };
}

function podStatus(deps: SyncDeps, pod: kinds.Pod, rec: PodRecord, named: Map<string, ContainerInfo[]>, initFailed: boolean): kinds.PodStatus {
  const now = formatTime(deps.clock.now());
  const initStatuses = (pod.spec.initContainers ?? []).map((c) => containerStatus(deps, pod, rec, c, named.get(c.name) ?? []));
  const initialized = initStatuses.every((s) => s.state?.terminated?.exitCode === 0);
  const statuses = pod.spec.containers.map((c) => containerStatus(deps, pod, rec, c, named.get(c.name) ?? []));
  const phase = phaseOf(pod, statuses, initialized, initFailed);
  const containersReady = statuses.every((s) => s.ready);
  const gatesReady = (pod.spec.readinessGates ?? []).every(
    (g) => pod.status?.conditions?.find((c) => c.type === g.conditionType)?.status === 'True',
  );
  const terminal = isTerminalPhase(phase);
  const current = pod.status?.conditions ?? [];
  const owned = new Set(['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready']);
  const conditions: kinds.PodCondition[] = [
    condition(current, 'PodReadyToStartContainers', terminal ? 'False' : 'True', now),
    condition(current, 'Initialized', initialized ? 'True' : 'False', now, initialized ? undefined : 'ContainersNotInitialized'),
    condition(current, 'Ready', containersReady && gatesReady && !terminal ? 'True' : 'False', now, containersReady && gatesReady && !terminal ? undefined : terminal ? 'PodCompleted' : 'ContainersNotReady'),
    condition(current, 'ContainersReady', containersReady && !terminal ? 'True' : 'False', now, containersReady && !terminal ? undefined : terminal ? 'PodCompleted' : 'ContainersNotReady'),
    ...current.filter((c) => !owned.has(c.type)),
  ];
  return {
    ...(pod.status ?? {}),
    phase,
    conditions,
    hostIP: deps.hostIP,
    hostIPs: [{ ip: deps.hostIP }],
    podIP: rec.podIP,
    podIPs: [{ ip: rec.podIP }],
    startTime: rec.startTime,
    ...(initStatuses.length > 0 ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: statuses,
  };
}

async function writeStatus(deps: SyncDeps, pod: kinds.Pod, status: kinds.PodStatus): Promise<void> {
  if (jsonEqual(pod.status, status)) return;
  // Unconditional: the agent owns the status of its pods, and keeps the conditions others set.
  const metadata = { ...pod.metadata };
  delete metadata.resourceVersion;
  await deps.client
    .updateStatus(kinds.Pod, { ...pod, metadata, status })
    .catch(ignoreNotFound);
}

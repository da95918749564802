/**
 * Syncing one pod with its containers, as the kubelet's `SyncPod` does: init containers one at a
 * time, then the app containers; image presence with pull back-off; create and start with the
 * resolved environment; postStart hooks; restart policies with CrashLoopBackOff (start failures
 * included); liveness and startup failures restart; graceful termination with preStop hooks; and
 * the pod's status (phase, conditions with Kubernetes' reasons and messages, containerStatuses
 * with restartCount, state and lastState) computed from what the runtime reports.
 *
 * Stops and postStart hooks run in the background ({@link ContainerTasks}), so that a pod taking
 * its grace period to stop never holds up the others; each brings its pod back to the queue when
 * it ends.
 *
 * @module
 * @internal
 */
import {
  ContainerStartError,
  delay,
  formatTime,
  formatDuration,
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
import type { ContainerTasks } from './container-tasks.js';
import { formatPod } from './format.js';
import { runLifecycleHook } from './lifecycle-hooks.js';
import type { PodIpAllocator } from './pod-ips.js';
import type { ProbeManager, Prober } from './probes.js';

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
/** The least time a container gets between SIGTERM and SIGKILL (the kubelet's `minimumGracePeriodInSeconds`). */
const MIN_GRACE_SECONDS = 2;
/**
 * How long a postStart hook may run. Kubernetes sets no bound (the container stays `Waiting`
 * until the hook returns); a bound keeps a hung hook from holding its task for ever.
 */
const POST_START_TIMEOUT_MS = 10 * 60_000;

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
  /**
   * When the agent first saw a container exited, for a runtime that reports no finish time (the
   * crash back-off counts from it), by container id.
   */
  readonly exitSeen: Map<string, number>;
  /** Why a container could not start, by container id: its terminated state's message. */
  readonly startErrors: Map<string, string>;
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
  /** How HTTP lifecycle hooks reach containers. */
  readonly prober: Prober;
  /** Stops and postStart hooks running in the background. */
  readonly tasks: ContainerTasks;
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
    const podIP = pod.status?.podIP ?? '';
    for (const c of containers.filter((x) => x.state === 'running')) {
      killContainer(deps, pod, c, { graceSeconds: pod.spec.terminationGracePeriodSeconds ?? 30, podIP });
    }
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
        // Being stopped, or its postStart hook runs: the task brings the pod back when it ends.
        if (deps.tasks.has('stop', latest.id) || deps.tasks.has('postStart', latest.id)) continue;
        deps.probes.ensure({ podUid: uid, podIP: rec.podIP, containerId: latest.id, container: c });
        const unhealthy = deps.probes.unhealthy(latest.id);
        if (unhealthy !== undefined) {
          // As the kubelet's setTerminationGracePeriod: the probe's own grace period, else the pod's.
          const probe = unhealthy === 'liveness' ? c.livenessProbe : c.startupProbe;
          rec.killed.set(latest.id, 'Error');
          killContainer(deps, pod, latest, {
            graceSeconds: probe?.terminationGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30,
            message: `Container ${c.name} failed ${unhealthy} probe, will be restarted`,
            podIP: rec.podIP,
          });
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
  noteContainers(deps, rec, fresh);
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
    rec = {
      uid,
      podIP,
      startTime: pod.status?.startTime ?? formatTime(deps.clock.now()),
      waiting: new Map(),
      killed: new Map(),
      exitSeen: new Map(),
      startErrors: new Map(),
    };
    deps.records.set(uid, rec);
  }
  return rec;
}

/**
 * Keep the record in step with the pod's containers: note when an exit without a finish time was
 * first seen, and forget what it keeps about containers that are gone.
 */
function noteContainers(deps: SyncDeps, rec: PodRecord, containers: readonly ContainerInfo[]): void {
  for (const c of containers) if (c.state === 'exited') finishedAtOf(deps, rec, c);
  const ids = new Set(containers.map((c) => c.id));
  for (const map of [rec.killed, rec.exitSeen, rec.startErrors]) {
    for (const id of [...map.keys()]) if (!ids.has(id)) map.delete(id);
  }
}

/**
 * When an exited container finished: the runtime's time, else (a runtime that reports none, as
 * Docker's engine after a failed start) when the agent first saw it exited. Never "now" on every
 * sync: a back-off counted from now would never end.
 */
function finishedAtOf(deps: SyncDeps, rec: PodRecord, exited: ContainerInfo): number {
  if (exited.finishedAt !== undefined) return exited.finishedAt;
  let seen = rec.exitSeen.get(exited.id);
  if (seen === undefined) {
    seen = deps.clock.now();
    rec.exitSeen.set(exited.id, seen);
  }
  return seen;
}

/**
 * The crash back-off of an exited container, as the kubelet's `doBackOff`: returns how long to
 * wait before restarting it (0: restart now, and the next failure waits longer).
 */
function crashLoop(deps: SyncDeps, pod: kinds.Pod, rec: PodRecord, c: kinds.Container, exited: ContainerInfo): number {
  const key = `${rec.uid}/${c.name}`;
  const finishedAt = finishedAtOf(deps, rec, exited);
  if (exited.startedAt !== undefined && finishedAt - exited.startedAt >= BACKOFF_RESET_MS) deps.crashBackoff.reset(key);
  if (deps.crashBackoff.inBackoffSince(key, finishedAt)) {
    const delay = deps.crashBackoff.delayOf(key);
    const message = `back-off ${formatDuration(delay)} restarting failed container=${c.name} pod=${formatPod(pod)}`;
    if (rec.waiting.get(c.name)?.reason !== 'CrashLoopBackOff') {
      deps.recorder.event(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${formatPod(pod)}`);
    }
    rec.waiting.set(c.name, { reason: 'CrashLoopBackOff', message });
    return Math.max(1, finishedAt + delay - deps.clock.now());
  }
  deps.crashBackoff.next(key, finishedAt);
  return 0;
}

/**
 * Make the container's image present as the kubelet's image manager does (`EnsureImageExists`):
 * no pull when the policy says the present image will do (`Container image "…" already present on
 * machine`), else a pull (`Pulling image`, then `Successfully pulled image "…" in 1.2s`) unless it
 * is backing off from a failed one. Returns undefined when the image is there, else when to look
 * again.
 */
async function ensureImage(deps: SyncDeps, pod: kinds.Pod, rec: PodRecord, c: kinds.Container): Promise<number | undefined> {
  const image = c.image ?? '';
  const policy = pullPolicy(c);
  let present: boolean;
  try {
    await deps.runtime.ensureImage(image, { pullPolicy: 'Never' });
    present = true;
  } catch (e) {
    if (!(e instanceof ImagePullError)) throw e;
    present = false;
  }
  if (policy === 'Never' || (policy === 'IfNotPresent' && present)) {
    if (present) {
      deps.recorder.event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
      return undefined;
    }
    // No back-off: the image may appear any time (Kubernetes looks again at every sync).
    const message = `Container image "${image}" is not present with pull policy of Never`;
    if (rec.waiting.get(c.name)?.reason !== 'ErrImageNeverPull') {
      deps.recorder.event(pod, 'Warning', 'ErrImageNeverPull', message);
      deps.recorder.event(pod, 'Warning', 'Failed', 'Error: ErrImageNeverPull');
    }
    rec.waiting.set(c.name, { reason: 'ErrImageNeverPull', message });
    return deps.syncPeriodMs;
  }
  const key = `${rec.uid}/${c.name}/pull`;
  const remaining = deps.pullBackoff.remaining(key);
  if (remaining > 0) {
    const message = `Back-off pulling image "${image}"`;
    if (rec.waiting.get(c.name)?.reason !== 'ImagePullBackOff') {
      deps.recorder.event(pod, 'Normal', 'BackOff', message);
      deps.recorder.event(pod, 'Warning', 'Failed', 'Error: ImagePullBackOff');
    }
    rec.waiting.set(c.name, { reason: 'ImagePullBackOff', message });
    return remaining;
  }
  deps.recorder.event(pod, 'Normal', 'Pulling', `Pulling image "${image}"`);
  const started = deps.clock.now();
  try {
    await deps.runtime.ensureImage(image, { pullPolicy: policy });
  } catch (e) {
    if (!(e instanceof ImagePullError)) throw e;
    const delay = deps.pullBackoff.next(key);
    rec.waiting.set(c.name, { reason: 'ErrImagePull', message: e.message });
    const failed = e.message.startsWith(`Failed to pull image "${image}"`) ? e.message : `Failed to pull image "${image}": ${e.message}`;
    deps.recorder.event(pod, 'Warning', 'Failed', failed);
    deps.recorder.event(pod, 'Warning', 'Failed', 'Error: ErrImagePull');
    return delay;
  }
  // Truncated to the millisecond, as the kubelet does; no pull queue here, so no time spent waiting.
  const took = formatDuration(Math.floor(deps.clock.now() - started));
  deps.recorder.event(pod, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${took} (${took} including waiting)`);
  deps.pullBackoff.reset(key);
  return undefined;
}

/** Pull (if needed), create and start one container, then run its postStart hook. Returns when to look again. */
async function startContainer(
  deps: SyncDeps,
  pod: kinds.Pod,
  rec: PodRecord,
  c: kinds.Container,
  how: { init: boolean; attempt: number },
): Promise<number> {
  const again = await ensureImage(deps, pod, rec, c);
  if (again !== undefined) return again;

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
    image: c.image ?? '',
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
  let created: ContainerInfo;
  try {
    created = await deps.runtime.createContainer(spec);
  } catch (e) {
    if (!(e instanceof ContainerStartError)) throw e;
    // No container to count a restart on: back off on a key of its own.
    rec.waiting.set(c.name, { reason: 'CreateContainerError', message: e.message });
    deps.recorder.event(pod, 'Warning', 'Failed', `Error: ${e.message}`);
    const key = `${rec.uid}/${c.name}/create`;
    deps.crashBackoff.next(key);
    return deps.crashBackoff.remaining(key);
  }
  deps.recorder.event(pod, 'Normal', 'Created', `Created container ${c.name}`);
  try {
    await deps.runtime.startContainer(created.id);
  } catch (e) {
    if (!(e instanceof ContainerStartError)) throw e;
    // The container exists and has exited (StartError): the next sync restarts it under the
    // crash back-off, as it would a crashed one.
    rec.waiting.set(c.name, { reason: 'RunContainerError', message: e.message });
    rec.startErrors.set(created.id, e.message);
    deps.recorder.event(pod, 'Warning', 'Failed', `Error: ${e.message}`);
    return deps.syncPeriodMs;
  }
  deps.recorder.event(pod, 'Normal', 'Started', `Started container ${c.name}`);
  rec.waiting.delete(c.name);
  const postStart = c.lifecycle?.postStart;
  if (postStart !== undefined) runPostStart(deps, pod, rec, c, created, postStart);
  return deps.syncPeriodMs;
}

/**
 * Run a container's postStart hook in the background, as the kubelet's `startContainer` does
 * after the start: until it returns the container shows as waiting and is not probed; if it fails,
 * a `FailedPostStartHook` event, and the container is killed (then restarted under the crash
 * back-off, waiting with reason `PostStartHookError`).
 */
function runPostStart(deps: SyncDeps, pod: kinds.Pod, rec: PodRecord, c: kinds.Container, info: ContainerInfo, hook: kinds.LifecycleHandler): void {
  deps.tasks.start('postStart', rec.uid, info.id, async (signal) => {
    const result = await runLifecycleHook(deps, { pod, podIP: rec.podIP, container: c, containerId: info.id }, hook, { timeoutMs: POST_START_TIMEOUT_MS, signal });
    if (result.outcome === 'ok' || signal.aborted || deps.tasks.has('stop', info.id)) return;
    const message = result.outcome === 'failed' ? result.message : `PostStart hook for Container ${JSON.stringify(c.name)} in Pod ${JSON.stringify(formatPod(pod))} did not finish in ${formatDuration(POST_START_TIMEOUT_MS)}`;
    deps.log.warn({ pod: formatPod(pod), container: c.name, message }, 'postStart hook failed');
    deps.recorder.event(pod, 'Warning', 'FailedPostStartHook', message);
    rec.waiting.set(c.name, { reason: 'PostStartHookError', message });
    killContainer(deps, pod, info, { graceSeconds: pod.spec.terminationGracePeriodSeconds ?? 30, message: 'FailedPostStartHook', podIP: rec.podIP });
  });
}

/** The spec of the container (init or app) of this name. */
function containerSpecOf(pod: kinds.Pod, name: string): kinds.Container | undefined {
  return pod.spec.containers.find((c) => c.name === name) ?? pod.spec.initContainers?.find((c) => c.name === name);
}

/**
 * Stop a container in the background, as the kubelet's `killContainer`: a `Killing` event, the
 * preStop hook (if any) within the grace period (`FailedPreStopHook` if it fails; termination
 * goes on), then SIGTERM with what is left of the grace period, at least 2 s, then SIGKILL. A
 * container already being stopped is left to that stop. Its end brings the pod back to the queue.
 */
function killContainer(deps: SyncDeps, pod: kinds.Pod, info: ContainerInfo, options: { graceSeconds: number; message?: string; podIP: string }): void {
  const name = info.labels[LABELS.container] ?? '';
  const spec = containerSpecOf(pod, name);
  deps.probes.stopContainer(info.id);
  deps.tasks.start('stop', pod.metadata.uid ?? '', info.id, async (signal) => {
    deps.recorder.event(pod, 'Normal', 'Killing', options.message ?? `Stopping container ${name}`);
    let grace = options.graceSeconds;
    const preStop = spec?.lifecycle?.preStop;
    if (spec !== undefined && preStop !== undefined && grace > 0) {
      const started = deps.clock.now();
      const result = await runLifecycleHook(deps, { pod, podIP: options.podIP, container: spec, containerId: info.id }, preStop, { timeoutMs: grace * 1000, signal });
      // The agent is stopping: the container is left as it is (a restarted agent adopts it).
      if (signal.aborted) return;
      if (result.outcome === 'failed') {
        deps.log.warn({ pod: formatPod(pod), container: name, message: result.message }, 'preStop hook failed');
        // Without the hook's message, as the kubelet: it could hold secrets.
        deps.recorder.event(pod, 'Warning', 'FailedPreStopHook', 'PreStopHook failed');
      }
      grace -= Math.floor((deps.clock.now() - started) / 1000);
    }
    try {
      // If the agent stops meanwhile, the runtime finishes the stop on its own; nobody waits.
      await unlessAborted(deps.runtime.stopContainer(info.id, { gracePeriodSeconds: Math.max(grace, MIN_GRACE_SECONDS) }), signal);
    } catch (e) {
      // The pod comes back when the task ends: try again a sync period later, not at once.
      await delay(deps.clock, deps.syncPeriodMs, signal);
      throw e;
    }
  });
}

/**
 * Wait for `work`, or only until `signal` aborts (then `work` goes on unwatched, its failure
 * ignored).
 */
async function unlessAborted(work: Promise<unknown>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return;
  }
  let onAbort = (): void => undefined;
  const aborted = new Promise<void>((resolve) => {
    onAbort = () => {
      work.catch(() => undefined);
      resolve();
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * A pod being deleted: stop its containers with its grace period (in the background), and once
 * none runs, remove them and delete the pod for good.
 */
async function terminatePod(deps: SyncDeps, pod: kinds.Pod, containers: readonly ContainerInfo[]): Promise<void> {
  const uid = pod.metadata.uid ?? '';
  const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
  const podIP = deps.records.get(uid)?.podIP ?? pod.status?.podIP ?? '';
  const running = containers.filter((c) => c.state === 'running');
  for (const c of running) killContainer(deps, pod, c, { graceSeconds: grace, podIP });
  // Each stop brings the pod back when it ends.
  if (running.length > 0) return;
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
  const message = rec.startErrors.get(c.id);
  const finishedAt = c.finishedAt ?? rec.exitSeen.get(c.id);
  return {
    exitCode,
    reason,
    ...(message === undefined ? {} : { message }),
    ...(time(c.startedAt) === undefined ? {} : { startedAt: time(c.startedAt) }),
    ...(time(finishedAt) === undefined ? {} : { finishedAt: time(finishedAt) }),
    containerID: `${deps.runtime.name}://${c.id}`,
  };
}

type ContainerStatus = kinds.ContainerStatus;

function containerStatus(
  deps: SyncDeps,
  pod: kinds.Pod,
  rec: PodRecord,
  c: kinds.Container,
  list: readonly ContainerInfo[],
  how: { readonly init: boolean; readonly initialized: boolean },
): ContainerStatus {
  const latest = list[0];
  const previous = list[1];
  const waiting = rec.waiting.get(c.name);
  const base = {
    name: c.name,
    image: c.image ?? '',
    imageID: latest?.imageId ?? '',
    restartCount: latest === undefined ? 0 : attemptOf(latest),
  };
  const lastState = previous?.state === 'exited' ? { lastState: { terminated: terminated(deps, rec, previous) } } : {};
  if (latest === undefined) {
    const reason = !how.init && !how.initialized ? 'PodInitializing' : 'ContainerCreating';
    return { ...base, ready: false, started: false, state: { waiting: waiting ?? { reason } } };
  }
  const containerID = `${deps.runtime.name}://${latest.id}`;
  if (latest.state === 'running') {
    // Until its postStart hook returns, a container is not running yet (as the kubelet reports it).
    if (deps.tasks.has('postStart', latest.id)) {
      return { ...base, ready: false, started: false, state: { waiting: { reason: 'ContainerCreating' } }, ...lastState };
    }
    const stopping = deps.tasks.has('stop', latest.id);
    return {
      ...base,
      containerID,
      // A running init container is not ready: it is ready once it has completed.
      ready: !how.init && !stopping && deps.probes.ready(latest.id, c),
      started: deps.probes.started(latest.id, c),
      state: { running: { ...(time(latest.startedAt) === undefined ? {} : { startedAt: time(latest.startedAt) }) } },
      ...lastState,
    };
  }
  if (latest.state === 'exited') {
    // Waiting to be restarted (back-off) shows as waiting, with the exit as lastState.
    if (waiting !== undefined && (pod.spec.restartPolicy ?? 'Always') !== 'Never') {
      return { ...base, containerID, ready: false, started: false, state: { waiting }, lastState: { terminated: terminated(deps, rec, latest) } };
    }
    // An init container that completed is ready, as the kubelet reports it.
    const succeeded = how.init && latest.exitCode === 0;
    return { ...base, containerID, ready: succeeded, started: false, state: { terminated: terminated(deps, rec, latest) }, ...lastState };
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

/** A condition as the kubelet computes it, before its transition time is set. */
interface Computed {
  readonly status: 'True' | 'False';
  readonly reason?: string;
  readonly message?: string;
}

function condition(current: readonly kinds.PodCondition[], type: string, computed: Computed, now: string): kinds.PodCondition {
  const old = current.find((c) => c.type === type);
  return {
    type,
    status: computed.status,
    lastTransitionTime: old?.status === computed.status && old.lastTransitionTime !== undefined ? old.lastTransitionTime : now,
    ...(computed.reason === undefined ? {} : { reason: computed.reason }),
    ...(computed.message === undefined ? {} : { message: computed.message }),
  };
}

/** Go's `%s` of a `[]string`: `[a b]`. */
const goList = (names: readonly string[]): string => `[${names.join(' ')}]`;

/** `ContainersReady`, as the kubelet's `GenerateContainersReadyCondition`. */
function containersReadyCondition(pod: kinds.Pod, statuses: readonly ContainerStatus[], phase: kinds.PodPhase): Computed {
  if (phase === 'Succeeded') return { status: 'False', reason: 'PodCompleted' };
  if (phase === 'Failed') return { status: 'False', reason: 'PodFailed' };
  const unready = pod.spec.containers.filter((c) => statuses.find((s) => s.name === c.name)?.ready !== true).map((c) => c.name);
  if (unready.length > 0) return { status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: ${goList(unready)}` };
  return { status: 'True' };
}

/** `Ready`, as the kubelet's `GeneratePodReadyCondition`: containers ready, and every readiness gate's condition True. */
function readyCondition(pod: kinds.Pod, containersReady: Computed, conditions: readonly kinds.PodCondition[]): Computed {
  if (containersReady.status !== 'True') return containersReady;
  const messages: string[] = [];
  for (const gate of pod.spec.readinessGates ?? []) {
    const c = conditions.find((x) => x.type === gate.conditionType);
    if (c === undefined) messages.push(`corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`);
    else if (c.status !== 'True') messages.push(`the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}`);
  }
  if (messages.length > 0) return { status: 'False', reason: 'ReadinessGatesNotReady', message: messages.join(', ') };
  return { status: 'True' };
}

/** `Initialized`, as the kubelet's `GeneratePodInitializedCondition`. */
function initializedCondition(pod: kinds.Pod, initStatuses: readonly ContainerStatus[], statuses: readonly ContainerStatus[], phase: kinds.PodPhase): Computed {
  if (phase === 'Succeeded') return { status: 'True', reason: 'PodCompleted' };
  // A regular container that has started means the pod was initialized before.
  if (statuses.some((s) => s.state?.running !== undefined || s.state?.terminated !== undefined || s.lastState?.terminated !== undefined)) return { status: 'True' };
  const incomplete = (pod.spec.initContainers ?? []).filter((c) => initStatuses.find((s) => s.name === c.name)?.ready !== true).map((c) => c.name);
  if (incomplete.length > 0) return { status: 'False', reason: 'ContainersNotInitialized', message: `containers with incomplete status: ${goList(incomplete)}` };
  return { status: 'True' };
}

function podStatus(deps: SyncDeps, pod: kinds.Pod, rec: PodRecord, named: Map<string, ContainerInfo[]>, initFailed: boolean): kinds.PodStatus {
  const now = formatTime(deps.clock.now());
  const initStatuses = (pod.spec.initContainers ?? []).map((c) => containerStatus(deps, pod, rec, c, named.get(c.name) ?? [], { init: true, initialized: false }));
  const initialized = initStatuses.every((s) => s.state?.terminated?.exitCode === 0);
  const statuses = pod.spec.containers.map((c) => containerStatus(deps, pod, rec, c, named.get(c.name) ?? [], { init: false, initialized }));
  const phase = phaseOf(pod, statuses, initialized, initFailed);
  const current = pod.status?.conditions ?? [];
  const containersReady = containersReadyCondition(pod, statuses, phase);
  const owned = new Set(['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready']);
  const conditions: kinds.PodCondition[] = [
    condition(current, 'PodReadyToStartContainers', { status: isTerminalPhase(phase) ? 'False' : 'True' }, now),
    condition(current, 'Initialized', initializedCondition(pod, initStatuses, statuses, phase), now),
    condition(current, 'Ready', readyCondition(pod, containersReady, current), now),
    condition(current, 'ContainersReady', containersReady, now),
    ...current.filter((c) => !owned.has(c.type)),
  ];
  // A pod this node runs was scheduled, whoever bound it (the kubelet's generateAPIPodStatus).
  if (!conditions.some((c) => c.type === 'PodScheduled')) conditions.push({ type: 'PodScheduled', status: 'True', lastTransitionTime: now });
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

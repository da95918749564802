/**
 * The agent of one simulated node: what a kubelet does, minus the containers (in the manner of
 * kwok). It registers the Node, renews its Lease, reports status, and plays the lifecycle of the
 * pods bound to it by writing their status: Pending → Running → Ready, container exits and
 * restarts with CrashLoopBackOff, and the final delete of pods being deleted.
 *
 * Internal: {@link simulatedNode} and {@link simulatedCluster} are the public entry points.
 *
 * @module
 */
import {
  delay,
  formatMicroTime,
  formatTime,
  isAlreadyExists,
  isConflict,
  isNotFound,
  kinds,
  type Client,
  type Clock,
  type Logger,
  type ObjectKey,
} from '@harbormaster/core';
import { AddressRange } from './address-range.js';
import type { PodHub, PodListener } from './pod-hub.js';
import type { Ticket, TickScheduler } from './tick-scheduler.js';

/** The namespace of node Leases. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** Marks Nodes made by a simulated node. */
export const SIMULATED_NODE_ANNOTATION = 'harbormaster.dev/simulated-node';

/** How the containers of one pod behave; every field overrides the node's default. */
export interface PodBehavior {
  /** From the pod being seen on the node to its containers running. */
  readonly startupDelayMs?: number;
  /** From the containers running to the pod being Ready. */
  readonly readyDelayMs?: number;
  /** The containers run but never pass readiness: the pod stays Running and not Ready. */
  readonly neverReady?: boolean;
  /** The containers exit after running this long (and restart as `restartPolicy` says). */
  readonly exitAfterMs?: number;
  /** The exit code when they exit. @default 1 */
  readonly exitCode?: number;
  /** From the pod's `deletionTimestamp` to the node deleting it for good. */
  readonly deletionDelayMs?: number;
}

/** A node's resources: quantities such as `cpu: '4'`, `memory: '16Gi'`, `pods: 110`. */
export interface NodeCapacity {
  /** CPU, in cores or as a quantity (`'4'`, `'3500m'`). */
  readonly cpu?: string | number;
  /** Memory, in bytes or as a quantity (`'16Gi'`). */
  readonly memory?: string | number;
  /** The most pods the node runs. */
  readonly pods?: string | number;
  readonly [resource: string]: string | number | undefined;
}

/** Everything an agent needs, with defaults applied. */
export interface SimulatedNodeAgentConfig {
  readonly name: string;
  readonly client: Client;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly capacity: NodeCapacity;
  readonly allocatable: NodeCapacity | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly taints: readonly kinds.Taint[];
  readonly startupDelayMs: number;
  readonly readyDelayMs: number;
  readonly deletionDelayMs: number;
  readonly leaseRenewMs: number;
  readonly leaseDurationSeconds: number;
  readonly statusReportMs: number;
  readonly podCIDR: string;
  readonly internalIP: string;
  readonly podBehavior: ((pod: kinds.Pod) => PodBehavior | undefined) | undefined;
  /** Where the agent's timers go (shared by the nodes of a cluster). */
  readonly scheduler: TickScheduler;
}

type Stage = 'pending' | 'running' | 'backoff' | 'done' | 'terminating';

interface Termination {
  readonly exitCode: number;
  readonly startedAt: number;
  readonly finishedAt: number;
}

/** What the agent knows about one pod bound to it. */
interface PodRecord {
  readonly uid: string;
  readonly key: ObjectKey;
  readonly name: string;
  readonly spec: kinds.PodSpec;
  readonly behavior: PodBehavior;
  readonly scheduledAt: number | undefined;
  stage: Stage;
  timer: Ticket | undefined;
  ip: string | undefined;
  startTime: number;
  startedAt: number;
  readySince: number | undefined;
  notReadySince: number;
  restarts: number;
  failures: number;
  lastTermination: Termination | undefined;
  /** Status writes happen one at a time, in order. */
  writes: Promise<void>;
}

const BACKOFF_INITIAL_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;
const BACKOFF_RESET_MS = 600_000;

function quantities(capacity: NodeCapacity): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(capacity)) if (v !== undefined) out[k] = String(v);
  return out;
}

/** Runs one simulated node. See the module documentation. */
export class SimulatedNodeAgent implements PodListener {
  readonly config: SimulatedNodeAgentConfig;
  readonly #pods = new Map<string, PodRecord>();
  readonly #timers = new Set<Ticket>();
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #log: Logger;
  #addresses: AddressRange;
  #running = false;
  #nodeUid: string | undefined;
  #readySince = 0;

  constructor(config: SimulatedNodeAgentConfig) {
    this.config = config;
    this.#addresses = new AddressRange(config.podCIDR);
    this.#log = config.logger.child({ node: config.name });
  }

  get running(): boolean {
    return this.#running;
  }

  /**
   * Register the node, then heartbeat and run its pods until `signal` aborts. Resolves once every
   * timer is cleared and every write in flight has settled.
   */
  async run(signal: AbortSignal, hub: PodHub): Promise<void> {
    if (this.#running) throw new Error(`simulated node ${this.config.name} is running already`);
    this.#running = true;
    this.#addresses = new AddressRange(this.config.podCIDR);
    let unlisten: (() => void) | undefined;
    try {
      if (!(await this.#register(signal))) return;
      await this.#renewLease();
      if (signal.aborted) return;
      unlisten = hub.listen(this.config.name, this);
      for (const pod of hub.podsOn(this.config.name)) this.podChanged(pod);
      this.#every(this.config.leaseRenewMs, () => this.#renewLease());
      this.#every(this.config.statusReportMs, () => this.#reportStatus());
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      this.#running = false;
      unlisten?.();
      for (const t of this.#timers) this.config.scheduler.cancel(t);
      this.#timers.clear();
      for (const rec of this.#pods.values()) if (rec.timer !== undefined) this.config.scheduler.cancel(rec.timer);
      this.#pods.clear();
      while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
    }
  }

  /** Make the containers of a pod on this node exit now. Returns false if the node does not run that pod. */
  crashContainer(pod: ObjectKey, exitCode = 1): boolean {
    const rec = this.#pods.get(`${pod.namespace ?? 'default'}/${pod.name}`);
    if (rec === undefined || rec.stage !== 'running') return false;
    this.#exit(rec, exitCode);
    return true;
  }

  // ------------------------------------------------------------------ pods

  podChanged(pod: kinds.Pod): void {
    if (!this.#running) return;
    const key = `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name ?? ''}`;
    let rec = this.#pods.get(key);
    if (rec !== undefined && rec.uid !== pod.metadata.uid) {
      this.#forget(key, rec);
      rec = undefined;
    }
    if (pod.metadata.deletionTimestamp) {
      this.#terminate(rec ?? this.#track(key, pod, 'terminating'));
      return;
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      if (rec !== undefined && rec.stage !== 'done') this.#forget(key, rec);
      return;
    }
    if (rec !== undefined) return;
    rec = this.#track(key, pod, 'pending');
    if (phase === 'Running') this.#resume(rec, pod);
    else this.#schedule(rec, rec.behavior.startupDelayMs ?? this.config.startupDelayMs, () => this.#start(rec));
  }

  podDeleted(pod: kinds.Pod): void {
    const key = `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name ?? ''}`;
    const rec = this.#pods.get(key);
    if (rec !== undefined && rec.uid === pod.metadata.uid) this.#forget(key, rec);
  }

  #track(key: string, pod: kinds.Pod, stage: Stage): PodRecord {
    const now = this.config.clock.now();
    const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'True')?.lastTransitionTime;
    const startTime = pod.status?.startTime ? Date.parse(pod.status.startTime) : now;
    const rec: PodRecord = {
      uid: pod.metadata.uid ?? '',
      key: { namespace: pod.metadata.namespace, name: pod.metadata.name ?? '' },
      name: pod.metadata.name ?? '',
      spec: pod.spec,
      behavior: this.config.podBehavior?.(pod) ?? {},
      scheduledAt: scheduled ? Date.parse(scheduled) : undefined,
      stage,
      timer: undefined,
      ip: undefined,
      startTime: Number.isNaN(startTime) ? now : startTime,
      startedAt: now,
      readySince: undefined,
      notReadySince: now,
      restarts: 0,
      failures: 0,
      lastTermination: undefined,
      writes: Promise.resolve(),
    };
    const ip = pod.status?.podIP;
    if (ip && this.#addresses.reserve(ip)) rec.ip = ip;
    this.#pods.set(key, rec);
    return rec;
  }

  /** A pod that was Running before this agent started (the node restarted): carry on from its status. */
  #resume(rec: PodRecord, pod: kinds.Pod): void {
    rec.stage = 'running';
    const status = pod.status?.containerStatuses?.[0];
    rec.restarts = status?.restartCount ?? 0;
    const started = status?.state?.running?.startedAt;
    if (started) rec.startedAt = Date.parse(started);
    const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status === 'True' && ready.lastTransitionTime) {
      rec.readySince = Date.parse(ready.lastTransitionTime);
    } else if (!rec.behavior.neverReady) {
      this.#schedule(rec, rec.behavior.readyDelayMs ?? this.config.readyDelayMs, () => this.#becomeReady(rec));
    }
    if (rec.ip === undefined) rec.ip = this.#addresses.allocate();
    this.#write(rec);
  }

  #start(rec: PodRecord): void {
    const now = this.config.clock.now();
    rec.ip ??= this.#addresses.allocate();
    if (rec.ip === undefined) this.#log.warn({ pod: rec.name }, 'no pod IP left in the node range');
    rec.stage = 'running';
    rec.startedAt = now;
    rec.readySince = undefined;
    const readyDelay = rec.behavior.readyDelayMs ?? this.config.readyDelayMs;
    if (!rec.behavior.neverReady) {
      if (readyDelay <= 0) rec.readySince = now;
      else this.#schedule(rec, readyDelay, () => this.#becomeReady(rec));
    }
    this.#write(rec);
    const exitAfter = rec.behavior.exitAfterMs;
    if (exitAfter !== undefined) {
      // Exiting takes precedence over becoming ready only if it comes first.
      const exit = (): void => this.#exit(rec, rec.behavior.exitCode ?? 1);
      if (rec.readySince === undefined && !rec.behavior.neverReady && readyDelay > 0 && readyDelay < exitAfter) {
        this.#schedule(rec, readyDelay, () => {
          this.#becomeReady(rec);
          this.#schedule(rec, exitAfter - readyDelay, exit);
        });
      } else {
        this.#schedule(rec, exitAfter, exit);
      }
    }
  }

  #becomeReady(rec: PodRecord): void {
    if (rec.stage !== 'running') return;
    rec.readySince = this.config.clock.now();
    this.#write(rec);
  }

  #exit(rec: PodRecord, exitCode: number): void {
    const now = this.config.clock.now();
    this.#clearTimer(rec);
    rec.lastTermination = { exitCode, startedAt: rec.startedAt, finishedAt: now };
    rec.readySince = undefined;
    rec.notReadySince = now;
    const policy = rec.spec.restartPolicy;
    const restart = policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
    if (!restart) {
      rec.stage = 'done';
      this.#write(rec);
      if (rec.ip !== undefined) this.#addresses.release(rec.ip);
      return;
    }
    if (now - rec.startedAt >= BACKOFF_RESET_MS) rec.failures = 0;
    rec.failures++;
    rec.stage = 'backoff';
    this.#write(rec);
    const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** (rec.failures - 1));
    this.#schedule(rec, backoff, () => {
      rec.restarts++;
      this.#start(rec);
    });
  }

  #terminate(rec: PodRecord): void {
    if (rec.stage === 'terminating' && rec.timer !== undefined) return;
    this.#clearTimer(rec);
    rec.stage = 'terminating';
    const wait = rec.behavior.deletionDelayMs ?? this.config.deletionDelayMs;
    this.#schedule(rec, wait, () => {
      this.#track$(
        this.config.client.delete(kinds.Pod, rec.key, { gracePeriodSeconds: 0, preconditions: { uid: rec.uid } }).catch((e: unknown) => {
          if (!isNotFound(e) && !isConflict(e)) this.#log.warn({ err: e, pod: rec.name }, 'could not finish deleting a pod');
        }),
      );
    });
  }

  #forget(key: string, rec: PodRecord): void {
    this.#clearTimer(rec);
    if (rec.ip !== undefined) this.#addresses.release(rec.ip);
    this.#pods.delete(key);
  }

  #schedule(rec: PodRecord, ms: number, fn: () => void): void {
    this.#clearTimer(rec);
    const ticket = this.config.scheduler.schedule(ms, () => {
      this.#timers.delete(ticket);
      if (rec.timer === ticket) rec.timer = undefined;
      if (this.#running) fn();
    });
    rec.timer = ticket;
    this.#timers.add(ticket);
  }

  #clearTimer(rec: PodRecord): void {
    if (rec.timer === undefined) return;
    this.config.scheduler.cancel(rec.timer);
    this.#timers.delete(rec.timer);
    rec.timer = undefined;
  }

  #track$<T>(p: Promise<T>): void {
    this.#inflight.add(p);
    void p.finally(() => this.#inflight.delete(p));
  }

  /** Write the pod's status as the record says, after any earlier write of the same pod. */
  #write(rec: PodRecord): void {
    const status = this.#podStatus(rec);
    const write = rec.writes.then(async () => {
      try {
        await this.config.client.patch(kinds.Pod, rec.key, { metadata: { uid: rec.uid }, status }, { subresource: 'status' });
      } catch (e) {
        if (isNotFound(e) || isConflict(e)) {
          const key = `${rec.key.namespace ?? 'default'}/${rec.name}`;
          if (this.#pods.get(key) === rec) this.#forget(key, rec);
          return;
        }
        this.#log.warn({ err: e, pod: rec.name }, 'could not write pod status');
      }
    });
    rec.writes = write;
    this.#track$(write);
  }

  #podStatus(rec: PodRecord): kinds.PodStatus {
    const t = formatTime;
    const now = this.config.clock.now();
    const running = rec.stage === 'running';
    const ready = running && rec.readySince !== undefined;
    const done = rec.stage === 'done';
    const exitCode = rec.lastTermination?.exitCode ?? 0;
    const names = rec.spec.containers.map((c) => c.name);
    const notReady = { reason: done ? 'PodCompleted' : 'ContainersNotReady', message: done ? '' : `containers with unready status: [${names.join(' ')}]` };
    const readyCondition = (type: string): kinds.PodCondition => ({
      type,
      status: ready ? 'True' : 'False',
      lastProbeTime: null,
      lastTransitionTime: t(ready ? (rec.readySince ?? now) : rec.notReadySince),
      ...(ready ? {} : done ? { reason: notReady.reason } : notReady),
    });
    const terminated = (term: Termination | undefined, containerID: string) =>
      term === undefined
        ? undefined
        : {
            terminated: {
              exitCode: term.exitCode,
              reason: term.exitCode === 0 ? 'Completed' : 'Error',
              startedAt: t(term.startedAt),
              finishedAt: t(term.finishedAt),
              containerID,
            },
          };
    const containerStatuses: kinds.ContainerStatus[] = rec.spec.containers.map((c) => {
      const containerID = `simulated://${rec.uid.slice(0, 8)}-${c.name}-${rec.restarts}`;
      const previousID = `simulated://${rec.uid.slice(0, 8)}-${c.name}-${Math.max(0, rec.restarts - 1)}`;
      const image = c.image ?? '';
      const state: kinds.ContainerState = running
        ? { running: { startedAt: t(rec.startedAt) } }
        : done
          ? (terminated(rec.lastTermination, containerID) ?? {})
          : rec.stage === 'backoff'
            ? {
                waiting: {
                  reason: 'CrashLoopBackOff',
                  message: `back-off ${Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** (rec.failures - 1)) / 1000}s restarting failed container=${c.name} pod=${rec.name}_${rec.key.namespace ?? 'default'}(${rec.uid})`,
                },
              }
            : { waiting: { reason: 'ContainerCreating' } };
      const last = rec.stage === 'backoff' || (running && rec.restarts > 0) ? terminated(rec.lastTermination, rec.stage === 'backoff' ? containerID : previousID) : undefined;
      return {
        name: c.name,
        image,
        imageID: `simulated://${image}`,
        ...(running || rec.stage === 'backoff' || done ? { containerID } : {}),
        ready,
        restartCount: rec.restarts,
        started: running,
        state,
        lastState: last ?? {},
      };
    });
    const initContainerStatuses: kinds.ContainerStatus[] = (rec.spec.initContainers ?? []).map((c) => {
      const sidecar = c.restartPolicy === 'Always';
      return {
        name: c.name,
        image: c.image ?? '',
        imageID: `simulated://${c.image ?? ''}`,
        containerID: `simulated://${rec.uid.slice(0, 8)}-${c.name}-0`,
        ready: sidecar && running,
        restartCount: 0,
        started: sidecar && running,
        state: sidecar && running ? { running: { startedAt: t(rec.startTime) } } : { terminated: { exitCode: 0, reason: 'Completed', startedAt: t(rec.startTime), finishedAt: t(rec.startTime) } },
        lastState: {},
      };
    });
    const ip = rec.ip;
    return {
      phase: done ? (exitCode === 0 ? 'Succeeded' : 'Failed') : 'Running',
      conditions: [
        { type: 'PodReadyToStartContainers', status: done ? 'False' : 'True', lastProbeTime: null, lastTransitionTime: t(rec.startTime) },
        { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: t(rec.startTime), ...(done ? { reason: 'PodCompleted' } : {}) },
        readyCondition('Ready'),
        readyCondition('ContainersReady'),
        { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: t(rec.scheduledAt ?? rec.startTime) },
      ],
      hostIP: this.config.internalIP,
      hostIPs: [{ ip: this.config.internalIP }],
      ...(ip === undefined ? {} : { podIP: ip, podIPs: [{ ip }] }),
      startTime: t(rec.startTime),
      ...(initContainerStatuses.length > 0 ? { initContainerStatuses } : {}),
      containerStatuses,
    };
  }

  // ------------------------------------------------------------------ node and lease

  #every(ms: number, fn: () => Promise<void>): void {
    if (!(ms > 0)) return;
    const tick = (): void => {
      const ticket = this.config.scheduler.schedule(ms, () => {
        this.#timers.delete(ticket);
        if (!this.#running) return;
        const p = fn().finally(() => {
          if (this.#running) tick();
        });
        this.#track$(p);
      });
      this.#timers.add(ticket);
    };
    tick();
  }

  #nodeStatus(now: number): kinds.NodeStatus {
    const t = formatTime;
    const cond = (type: string, status: 'True' | 'False', reason: string, message: string): kinds.NodeCondition => ({
      type,
      status,
      lastHeartbeatTime: t(now),
      lastTransitionTime: t(this.#readySince),
      reason,
      message,
    });
    return {
      capacity: quantities(this.config.capacity),
      allocatable: quantities(this.config.allocatable ?? this.config.capacity),
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        { type: 'InternalIP', address: this.config.internalIP },
        { type: 'Hostname', address: this.config.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: '',
        osImage: 'Harbormaster simulated node',
        containerRuntimeVersion: 'simulated://1.0.0',
        kubeletVersion: 'v1.33.0-simulated',
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    };
  }

  /** Create the Node, or take over an existing one (a restarted node). Retries until `signal` aborts. */
  async #register(signal: AbortSignal): Promise<boolean> {
    const { client, name } = this.config;
    const labels = { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', ...this.config.labels };
    const annotations = { [SIMULATED_NODE_ANNOTATION]: 'true', 'node.alpha.kubernetes.io/ttl': '0', ...this.config.annotations };
    for (let attempt = 0; !signal.aborted; attempt++) {
      const now = this.config.clock.now();
      this.#readySince = now;
      try {
        try {
          const node = await client.create(kinds.Node, {
            metadata: { name, labels, annotations },
            spec: {
              podCIDR: this.#addresses.cidr,
              podCIDRs: [this.#addresses.cidr],
              providerID: `simulated://${name}`,
              ...(this.config.taints.length > 0 ? { taints: this.config.taints.map((x) => ({ ...x })) } : {}),
            },
            status: this.#nodeStatus(now),
          });
          this.#nodeUid = node.metadata.uid;
        } catch (e) {
          if (!isAlreadyExists(e)) throw e;
          // Registered before: keep the spec (taints belong to the node lifecycle controller now), refresh labels and status.
          const node = await client.patch(kinds.Node, { name }, { metadata: { labels, annotations } });
          this.#nodeUid = node.metadata.uid;
          await client.patch(kinds.Node, { name }, { status: this.#nodeStatus(now) }, { subresource: 'status' });
        }
        return true;
      } catch (e) {
        const wait = Math.min(7000, 500 * 2 ** attempt);
        this.#log.warn({ err: e, retryInMs: wait }, 'could not register the node; retrying');
        await delay(this.config.clock, wait, signal);
      }
    }
    return false;
  }

  async #reportStatus(): Promise<void> {
    try {
      await this.config.client.patch(kinds.Node, { name: this.config.name }, { status: this.#nodeStatus(this.config.clock.now()) }, { subresource: 'status' });
    } catch (e) {
      this.#log.warn({ err: e }, 'could not report the node status');
    }
  }

  async #renewLease(): Promise<void> {
    const { client, name } = this.config;
    const spec = {
      holderIdentity: name,
      leaseDurationSeconds: this.config.leaseDurationSeconds,
      renewTime: formatMicroTime(this.config.clock.now()),
    };
    const ownerReferences = this.#nodeUid === undefined ? [] : [{ apiVersion: 'v1', kind: 'Node', name, uid: this.#nodeUid }];
    try {
      await client.patch(kinds.Lease, { namespace: NODE_LEASE_NAMESPACE, name }, { metadata: { ownerReferences }, spec });
    } catch (e) {
      if (!isNotFound(e)) {
        this.#log.warn({ err: e }, 'could not renew the node lease');
        return;
      }
      try {
        await client.create(kinds.Lease, { metadata: { name, namespace: NODE_LEASE_NAMESPACE, ownerReferences }, spec });
      } catch (err) {
        if (!isAlreadyExists(err)) this.#log.warn({ err }, 'could not create the node lease');
      }
    }
  }
}

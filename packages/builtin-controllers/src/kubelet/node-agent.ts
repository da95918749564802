/**
 * The node agent: Harbormaster's kubelet. It runs the pods bound to its node on a real
 * {@link ContainerRuntime} (`@harbormaster/runtime-docker` or `@harbormaster/runtime-process`).
 *
 * - Registers its Node with the runtime's real capacity (CPU and memory), addresses, node info and
 *   images, keeps its Ready condition, and renews its Lease in `kube-node-lease` every 10 s.
 * - Watches the pods bound to it and syncs each one: image presence (`ErrImagePull`, then
 *   `ImagePullBackOff`, 10 s doubling to 300 s), create and start with env, command and args,
 *   ports and resources; restartPolicy Always, OnFailure and Never with CrashLoopBackOff (10 s
 *   doubling to 300 s, forgotten after 10 minutes running; a container that cannot start backs off
 *   the same way, as `RunContainerError`); startup, liveness and readiness probes (httpGet,
 *   tcpSocket, exec); postStart and preStop hooks (exec, httpGet, sleep); graceful termination
 *   (preStop, SIGTERM, the grace period, then SIGKILL) before it deletes the pod for good; the
 *   pod's phase, conditions (with Kubernetes' reasons and messages) and containerStatuses.
 * - Stops and postStart hooks run in the background, one at a time per container, so that pods
 *   taking their grace period to stop never keep a new pod from starting.
 * - Finds its containers by label after a restart of its own: adopts those of pods it still has
 *   (which keep their pod IPs), and removes orphans.
 *
 * Every pod gets its own loopback address (`127.<subnet>.x.y`) as its pod IP, passed to its
 * containers as `POD_IP`; the probes and the Endpoints use it.
 *
 * @example
 * ```ts
 * import { dockerRuntime } from '@harbormaster/runtime-docker';
 *
 * manager.add(nodeAgent(manager, { nodeName: 'local', runtime: dockerRuntime() }));
 * await manager.start(signal);
 * ```
 *
 * @module
 */
import { arch, hostname, platform } from 'node:os';
import {
  Controller,
  delay,
  formatMicroTime,
  formatTime,
  Informer,
  informerSource,
  isAlreadyExists,
  isNotFound,
  jsonEqual,
  kinds,
  requestForObject,
  type ContainerRuntime,
  type Logger,
  type Manager,
  type Request,
  type Runnable,
} from '@harbormaster/core';
import { Backoff } from './backoff.js';
import { ContainerStatsSampler, type PodUsage } from './container-metrics.js';
import { ContainerTasks } from './container-tasks.js';
import { PodIpAllocator, subnetFor } from './pod-ips.js';
import { keepPodIPs, LABELS, removePodContainers, syncPod, type PodRecord, type SyncDeps } from './pod-sync.js';
import { networkProber, ProbeManager, type Prober } from './probes.js';

/** Options of {@link nodeAgent}. */
export interface NodeAgentOptions {
  /** The Node's name. */
  readonly nodeName: string;
  /** Where containers run. */
  readonly runtime: ContainerRuntime;
  /** The second octet of the pods' loopback addresses (1–254). @default a hash of the node name */
  readonly podSubnet?: number;
  /** Extra labels for the Node. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Taints for the Node. */
  readonly taints?: readonly kinds.Taint[];
  /** The most pods the node accepts (its `pods` capacity). @default 110 */
  readonly maxPods?: number;
  /** How often the Lease is renewed. @default 10000 */
  readonly leaseRenewMs?: number;
  /** The Lease's duration. @default 40 */
  readonly leaseDurationSeconds?: number;
  /** How often the Node's status is reported. @default 10000 */
  readonly statusUpdateMs?: number;
  /** How often a pod with live containers is looked at again (the kubelet's PLEG relist). @default 1000 */
  readonly syncPeriodMs?: number;
  /** How often container CPU and memory are sampled (for the HPA). @default 10000 */
  readonly statsIntervalMs?: number;
  /** How many pods are synced at once. @default 4 */
  readonly workers?: number;
  /** How probes and HTTP lifecycle hooks reach containers. @default real HTTP and TCP from this process */
  readonly prober?: Prober;
  /** Crash-loop back-off. @default 10 s doubling to 300 s */
  readonly crashBackoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Image pull back-off. @default 10 s doubling to 300 s */
  readonly imagePullBackoff?: { readonly initialMs?: number; readonly maxMs?: number };
}

const HOST_IP = '127.0.0.1';

/** The node agent as a runnable; see the module documentation. */
export class NodeAgent implements Runnable {
  /** The runnable's name in the manager: `node-agent/<nodeName>`. */
  readonly name: string;
  readonly needLeaderElection = false;
  readonly #manager: Manager;
  readonly #options: NodeAgentOptions;
  readonly #log: Logger;
  readonly #records = new Map<string, PodRecord>();
  readonly #sampler: ContainerStatsSampler;
  #started = false;

  constructor(manager: Manager, options: NodeAgentOptions) {
    this.#manager = manager;
    this.#options = options;
    this.name = `node-agent/${options.nodeName}`;
    this.#log = manager.logger.child({ node: options.nodeName });
    this.#sampler = new ContainerStatsSampler({ runtime: options.runtime, clock: manager.clock, logger: this.#log, labels: { [LABELS.node]: options.nodeName } });
  }

  /** CPU and memory of this node's pods, from the last two samples of their containers' stats. */
  podUsage(): PodUsage[] {
    return this.#sampler.pods();
  }

  /** Run until `signal` aborts. Containers keep running (a restarted agent adopts them). */
  async start(signal: AbortSignal): Promise<void> {
    if (this.#started) throw new Error(`${this.name} is started already`);
    this.#started = true;
    const m = this.#manager;
    const o = this.#options;
    const clock = m.clock;
    const recorder = m.recorderFor('kubelet');
    const informer = new Informer({ client: m.client, kind: kinds.Pod, fieldSelector: `spec.nodeName=${o.nodeName}`, clock, logger: this.#log });
    const byUid = new Map<string, Request>();
    informer.addEventHandler({
      onAdd: (p) => byUid.set(p.metadata.uid ?? '', requestForObject(p)[0] ?? { name: '' }),
      onDelete: (p) => byUid.delete(p.metadata.uid ?? ''),
    });
    // Probes bring a pod back to the controller's queue (made below) when a result changes.
    const enqueue = { to: (_request: Request): void => undefined };
    const prober = o.prober ?? networkProber;
    const probes = new ProbeManager({
      clock,
      runtime: o.runtime,
      prober,
      onChange: (uid, kind, outcome) => {
        const request = byUid.get(uid);
        if (request === undefined) return;
        if (!outcome.success) {
          const pod = informer.cache.get(request);
          const what = kind === 'readiness' ? 'Readiness' : kind === 'liveness' ? 'Liveness' : 'Startup';
          if (pod !== undefined) recorder.event(pod, 'Warning', 'Unhealthy', `${what} probe failed: ${outcome.message ?? ''}`);
        }
        enqueue.to(request);
      },
    });
    // Stops and postStart hooks run beside the syncs; each brings its pod back when it ends.
    const background = new ContainerTasks({
      log: this.#log,
      onDone: (uid) => {
        const request = byUid.get(uid);
        if (request !== undefined && !signal.aborted) enqueue.to(request);
      },
    });
    const deps: SyncDeps = {
      nodeName: o.nodeName,
      hostIP: HOST_IP,
      client: m.client,
      runtime: o.runtime,
      clock,
      log: this.#log,
      recorder,
      probes,
      prober,
      tasks: background,
      crashBackoff: new Backoff(clock, o.crashBackoff),
      pullBackoff: new Backoff(clock, o.imagePullBackoff),
      ips: new PodIpAllocator(o.podSubnet ?? subnetFor(o.nodeName)),
      records: this.#records,
      syncPeriodMs: o.syncPeriodMs ?? 1000,
    };
    const controller = new Controller({
      name: this.name,
      client: m.client,
      cache: m.cache,
      recorder,
      clock,
      logger: this.#log,
      metrics: m.metrics,
      maxConcurrentReconciles: o.workers ?? 4,
      needLeaderElection: false,
      reconciler: {
        reconcile: async (request) => {
          const pod = informer.cache.get(request);
          if (pod === undefined) {
            await this.#cleanUpGonePod(deps, request);
            return undefined;
          }
          const again = await syncPod(deps, pod);
          return again === undefined ? undefined : { requeueAfter: again };
        },
      },
    });
    enqueue.to = (request) => controller.enqueue(request);
    // The agent writes its pods' status itself: only changes made by others (spec, deletion,
    // metadata) bring a pod back to its queue; the periodic sync does the rest.
    controller.watch(
      informerSource(informer, {
        map: requestForObject,
        predicates: [
          {
            update: (o, n) =>
              o.metadata.deletionTimestamp !== n.metadata.deletionTimestamp ||
              o.metadata.uid !== n.metadata.uid ||
              !jsonEqual(o.spec, n.spec) ||
              !jsonEqual(o.metadata.labels, n.metadata.labels) ||
              !jsonEqual(o.metadata.annotations, n.metadata.annotations),
          },
        ],
      }),
    );

    const tasks: Promise<void>[] = [];
    try {
      await this.#register();
      await this.#renewLease();
      tasks.push(informer.start(signal));
      if (!(await informer.waitForSync(signal))) return;
      await this.#adoptOrRemove(deps, informer);
      tasks.push(controller.start(signal));
      tasks.push(this.#every(signal, o.leaseRenewMs ?? 10_000, () => this.#renewLease()));
      tasks.push(this.#every(signal, o.statusUpdateMs ?? 10_000, () => this.#reportStatus()));
      tasks.push(this.#every(signal, o.statsIntervalMs ?? 10_000, () => this.#sampler.sample()));
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      await Promise.all(tasks);
      await background.drain();
      probes.stopAll();
    }
  }

  /** Containers of pods that are gone from the API: stop and remove them. */
  async #cleanUpGonePod(deps: SyncDeps, request: Request): Promise<void> {
    const containers = await deps.runtime.listContainers({
      labels: { [LABELS.node]: this.#options.nodeName, [LABELS.podNamespace]: request.namespace ?? 'default', [LABELS.podName]: request.name },
    });
    const uids = new Set(containers.map((c) => c.labels[LABELS.podUid] ?? ''));
    for (const uid of uids) {
      const own = containers.filter((c) => c.labels[LABELS.podUid] === uid);
      await Promise.all(own.filter((c) => c.state === 'running').map((c) => deps.runtime.stopContainer(c.id, { gracePeriodSeconds: 0 })));
      await removePodContainers(deps, uid, own);
    }
  }

  /** After a (re)start: keep the containers of pods still bound here, remove the others. */
  async #adoptOrRemove(deps: SyncDeps, informer: Informer<typeof kinds.Pod>): Promise<void> {
    const containers = await deps.runtime.listContainers({ labels: { [LABELS.node]: this.#options.nodeName } });
    const pods = informer.cache.list();
    keepPodIPs(deps, pods);
    const live = new Set(pods.map((p) => p.metadata.uid ?? ''));
    const orphans = containers.filter((c) => !live.has(c.labels[LABELS.podUid] ?? ''));
    for (const c of orphans) {
      if (c.state === 'running') await deps.runtime.stopContainer(c.id, { gracePeriodSeconds: 0 });
      await deps.runtime.removeContainer(c.id);
    }
    const adopted = containers.length - orphans.length;
    if (containers.length > 0) this.#log.info({ adopted, removed: orphans.length }, 'found containers from an earlier run');
  }

  async #every(signal: AbortSignal, ms: number, fn: () => Promise<void>): Promise<void> {
    while (!signal.aborted) {
      await delay(this.#manager.clock, ms, signal);
      if (signal.aborted) return;
      try {
        await fn();
      } catch (e) {
        this.#log.warn({ err: e }, 'periodic node update failed');
      }
    }
  }

  async #nodeStatus(): Promise<kinds.NodeStatus> {
    const o = this.#options;
    const runtime = o.runtime;
    const [capacity, version, images] = await Promise.all([runtime.capacity(), runtime.version(), runtime.listImages()]);
    const resources = {
      cpu: String(capacity.cpu),
      memory: `${Math.floor(capacity.memoryBytes / 1024)}Ki`,
      pods: String(o.maxPods ?? 110),
    };
    const now = formatTime(this.#manager.clock.now());
    return {
      capacity: resources,
      allocatable: resources,
      conditions: [
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available', lastHeartbeatTime: now, lastTransitionTime: now },
        { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure', lastHeartbeatTime: now, lastTransitionTime: now },
        { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available', lastHeartbeatTime: now, lastTransitionTime: now },
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now },
      ],
      addresses: [
        { type: 'InternalIP', address: HOST_IP },
        { type: 'Hostname', address: o.nodeName },
      ],
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: '',
        osImage: `${platform()} (${hostname()})`,
        containerRuntimeVersion: `${runtime.name}://${version}`,
        kubeletVersion: 'harbormaster',
        kubeProxyVersion: '',
        operatingSystem: platform(),
        architecture: arch() === 'x64' ? 'amd64' : arch(),
      },
      images: images.slice(0, 50).map((i) => ({ names: [...i.names], sizeBytes: i.sizeBytes })),
    };
  }

  async #register(): Promise<void> {
    const o = this.#options;
    const client = this.#manager.client;
    const status = await this.#nodeStatus();
    const labels = {
      'kubernetes.io/hostname': o.nodeName,
      'kubernetes.io/os': platform(),
      'kubernetes.io/arch': arch() === 'x64' ? 'amd64' : arch(),
      ...o.labels,
    };
    try {
      await client.create(kinds.Node, {
        metadata: { name: o.nodeName, labels },
        spec: { ...(o.taints === undefined ? {} : { taints: [...o.taints] }) },
        status,
      });
      return;
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    // Registered before: bring labels up to date and report status again.
    const node = await client.patch(kinds.Node, { name: o.nodeName }, { metadata: { labels }, ...(o.taints === undefined ? {} : { spec: { taints: [...o.taints] } }) });
    await client.updateStatus(kinds.Node, { ...node, status });
  }

  async #reportStatus(): Promise<void> {
    const client = this.#manager.client;
    const node = await client.get(kinds.Node, { name: this.#options.nodeName });
    const status = await this.#nodeStatus();
    // Keep lastTransitionTime of conditions whose status did not change.
    const before = node.status?.conditions ?? [];
    status.conditions = (status.conditions ?? []).map((c) => {
      const old = before.find((b) => b.type === c.type);
      return old?.status === c.status && old.lastTransitionTime !== undefined ? { ...c, lastTransitionTime: old.lastTransitionTime } : c;
    });
    await client.updateStatus(kinds.Node, { ...node, status });
  }

  async #renewLease(): Promise<void> {
    const client = this.#manager.client;
    const o = this.#options;
    const now = formatMicroTime(this.#manager.clock.now());
    const key = { namespace: 'kube-node-lease', name: o.nodeName };
    try {
      const lease = await client.get(kinds.Lease, key);
      await client.update(kinds.Lease, { ...lease, spec: { ...lease.spec, holderIdentity: o.nodeName, leaseDurationSeconds: o.leaseDurationSeconds ?? 40, renewTime: now } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
      const node = await client.get(kinds.Node, { name: o.nodeName });
      await client.create(kinds.Lease, {
        metadata: {
          ...key,
          ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: o.nodeName, uid: node.metadata.uid ?? '' }],
        },
        spec: { holderIdentity: o.nodeName, leaseDurationSeconds: o.leaseDurationSeconds ?? 40, renewTime: now, acquireTime: now },
      });
    }
  }
}

/** A node agent for `manager`; add it with `manager.add(...)`. */
export function nodeAgent(manager: Manager, options: NodeAgentOptions): NodeAgent {
  return new NodeAgent(manager, options);
}

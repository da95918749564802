/**
 * Container CPU and memory, sampled from the container runtime, as the HPA's
 * {@link MetricsSource}: the part metrics-server plays in Kubernetes. Each node agent samples its
 * running containers' stats on the clock; CPU is the rate between two samples (cores), memory the
 * working set (bytes); a pod's usage is the sum of its containers'. Pods are matched by uid, so a
 * pod created again under an old pod's name never gets the old pod's usage.
 *
 * @module
 */
import { kinds, type Client, type Clock, type ContainerRuntime, type Logger } from '@harbormaster/core';
import type { MetricsSource, PodMetric, PodMetricsQuery } from '../hpa/metrics-source.js';

interface Sample {
  readonly at: number;
  readonly cpuNanos: number;
  readonly memory: number;
}

interface ContainerUsage {
  readonly podUid: string;
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  previous?: Sample;
  latest?: Sample;
}

/** The usage of one pod, summed over its containers. */
export interface PodUsage {
  /** The pod's uid: a pod created again under an old pod's name is another pod. */
  readonly podUid: string;
  /** The pod's namespace. */
  readonly namespace: string;
  /** The pod's name. */
  readonly pod: string;
  /** CPU in cores. */
  readonly cpu: number;
  /** Working set memory in bytes. */
  readonly memory: number;
  /** Per container: cores and bytes. */
  readonly containers: ReadonlyMap<string, { readonly cpu: number; readonly memory: number }>;
  /** When the usage was sampled (the oldest latest sample of its containers), in clock milliseconds; metrics-server's `timestamp`. */
  readonly timestamp: number;
  /** The time between the two samples the CPU rate comes from; metrics-server's `window`. */
  readonly windowMs: number;
}

/** Samples the stats of the containers one runtime runs. */
export class ContainerStatsSampler {
  readonly #runtime: ContainerRuntime;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #labels: Readonly<Record<string, string>>;
  readonly #usage = new Map<string, ContainerUsage>();

  constructor(options: { runtime: ContainerRuntime; clock: Clock; logger: Logger; labels: Readonly<Record<string, string>> }) {
    this.#runtime = options.runtime;
    this.#clock = options.clock;
    this.#log = options.logger;
    this.#labels = options.labels;
  }

  /** Take one sample of every running container with this sampler's labels. */
  async sample(): Promise<void> {
    const running = (await this.#runtime.listContainers({ labels: this.#labels })).filter((c) => c.state === 'running');
    const seen = new Set<string>();
    await Promise.all(
      running.map(async (c) => {
        seen.add(c.id);
        try {
          const stats = await this.#runtime.stats(c.id);
          let u = this.#usage.get(c.id);
          if (u === undefined) {
            u = {
              podUid: c.labels['harbormaster.io/pod-uid'] ?? '',
              namespace: c.labels['harbormaster.io/pod-namespace'] ?? 'default',
              pod: c.labels['harbormaster.io/pod-name'] ?? '',
              container: c.labels['harbormaster.io/container'] ?? '',
            };
            this.#usage.set(c.id, u);
          }
          if (u.latest !== undefined) u.previous = u.latest;
          u.latest = { at: this.#clock.now(), cpuNanos: stats.cpuUsageNanos, memory: stats.memoryWorkingSetBytes };
        } catch (e) {
          this.#log.debug({ err: e, container: c.id }, 'could not read container stats');
        }
      }),
    );
    for (const id of [...this.#usage.keys()]) if (!seen.has(id)) this.#usage.delete(id);
  }

  /** Current usage of every pod with at least two samples of each running container. */
  pods(): PodUsage[] {
    const byPod = new Map<string, { podUid: string; namespace: string; pod: string; containers: Map<string, { cpu: number; memory: number }>; timestamp: number; windowMs: number }>();
    for (const u of this.#usage.values()) {
      if (u.previous === undefined || u.latest === undefined || u.latest.at <= u.previous.at) continue;
      const windowMs = u.latest.at - u.previous.at;
      const cpu = Math.max(0, (u.latest.cpuNanos - u.previous.cpuNanos) / 1e6 / windowMs);
      let p = byPod.get(u.podUid);
      if (p === undefined) {
        p = { podUid: u.podUid, namespace: u.namespace, pod: u.pod, containers: new Map(), timestamp: u.latest.at, windowMs };
        byPod.set(u.podUid, p);
      }
      p.containers.set(u.container, { cpu, memory: u.latest.memory });
      p.timestamp = Math.min(p.timestamp, u.latest.at);
    }
    return [...byPod.values()].map((p) => {
      let cpu = 0;
      let memory = 0;
      for (const c of p.containers.values()) {
        cpu += c.cpu;
        memory += c.memory;
      }
      return { podUid: p.podUid, namespace: p.namespace, pod: p.pod, cpu, memory, containers: p.containers, timestamp: p.timestamp, windowMs: p.windowMs };
    });
  }
}

/**
 * A {@link MetricsSource} serving Resource metrics (`cpu`, `memory`) from the container stats that
 * node agents sample. Pods and custom metrics are not served (as without a custom metrics
 * adapter).
 *
 * @example
 * ```ts
 * const agent = nodeAgent(manager, { nodeName: 'local', runtime });
 * setupHpaController(manager, { metrics: containerMetricsSource({ agents: [agent], client: manager.client }) });
 * ```
 */
export function containerMetricsSource(options: {
  /** Where the samples come from: objects with `podUsage()` (node agents). */
  readonly agents: readonly { podUsage(): readonly PodUsage[] }[];
  /** Reads pod labels to match the selector. */
  readonly client: Client;
}): MetricsSource {
  return {
    async podMetrics(query: PodMetricsQuery): Promise<PodMetric[]> {
      if (query.type !== 'Resource' || (query.metric !== 'cpu' && query.metric !== 'memory')) {
        throw new Error(`no metrics source serves ${query.type} metric "${query.metric}" (container stats give cpu and memory)`);
      }
      const pods = (await options.client.list(kinds.Pod, { namespace: query.namespace, labelSelector: query.selector })).items;
      // By uid, not name: a pod deleted and created again under its name must not get the old one's usage.
      const wanted = new Set(pods.map((p) => p.metadata.uid ?? ''));
      const out: PodMetric[] = [];
      for (const agent of options.agents) {
        for (const u of agent.podUsage()) {
          if (u.namespace !== query.namespace || !wanted.has(u.podUid)) continue;
          const c = query.container === undefined ? undefined : u.containers.get(query.container);
          if (query.container !== undefined && c === undefined) continue;
          const value = query.metric === 'cpu' ? (c?.cpu ?? u.cpu) : (c?.memory ?? u.memory);
          out.push({ pod: u.pod, value, timestamp: u.timestamp, windowMs: u.windowMs });
        }
      }
      return out;
    },
  };
}

/**
 * Where the HPA controller reads metrics: the {@link MetricsSource} plugin interface, and
 * {@link staticMetricsSource}, an in-memory source for tests and demos.
 *
 * A metrics source plays the part of Kubernetes' three metrics APIs:
 * - `podMetrics` with `type: 'Resource'` is `metrics.k8s.io` (per-pod CPU and memory usage, as
 *   metrics-server serves it from the kubelets' container stats); with `type: 'Pods'` it is
 *   `custom.metrics.k8s.io` for pods (a per-pod custom metric such as requests per second);
 * - `objectMetric` is `custom.metrics.k8s.io` for one described object;
 * - `externalMetrics` is `external.metrics.k8s.io`.
 *
 * Values are plain numbers in the metric's base unit: cores for `cpu` (0.25 = `250m`), bytes for
 * `memory`, the raw value for custom metrics. The controller turns them into milli-units and
 * computes as Kubernetes does.
 *
 * A container runtime's stats (`ContainerRuntime.stats`) will feed a real source later; any object
 * with these methods works.
 *
 * @module
 */
import { parseQuantity, systemClock, type Clock, type Labels, type Quantity, type Selector, type kinds } from '@harbormaster/core';

/** One pod's sample of a metric (`metricsclient.PodMetric`). */
export interface PodMetric {
  /** The pod's name. */
  readonly pod: string;
  /** The value in the metric's base unit (cores for `cpu`, bytes for `memory`). */
  readonly value: number;
  /** When the sample was taken, in milliseconds since the epoch. */
  readonly timestamp: number;
  /** The window the sample averages over, in milliseconds. */
  readonly windowMs: number;
}

/** What {@link MetricsSource.podMetrics} is asked for. */
export interface PodMetricsQuery {
  /** The HorizontalPodAutoscaler's namespace, where the pods are. */
  readonly namespace: string;
  /** The pods of the scale target. */
  readonly selector: Selector;
  /** `cpu` or `memory` for Resource metrics; the metric's name for Pods metrics. */
  readonly metric: 'cpu' | 'memory' | (string & {});
  /** `Resource` (metrics.k8s.io) or `Pods` (a custom per-pod metric). */
  readonly type: 'Resource' | 'Pods';
  /** Only this container's usage (ContainerResource metrics). */
  readonly container?: string | undefined;
  /** The metric's own label selector (`pods.metric.selector`). */
  readonly metricSelector?: Selector | undefined;
}

/** One sample of an object or external metric. */
export interface MetricSample {
  /** The value in the metric's base unit. */
  readonly value: number;
  /** When the sample was taken, in milliseconds since the epoch. */
  readonly timestamp: number;
}

/** What {@link MetricsSource.objectMetric} is asked for. */
export interface ObjectMetricQuery {
  /** The HorizontalPodAutoscaler's namespace, where the object is. */
  readonly namespace: string;
  /** The object the metric describes (`object.describedObject`). */
  readonly object: kinds.CrossVersionObjectReference;
  /** The metric's name (`object.metric.name`). */
  readonly metric: string;
  /** The metric's own label selector (`object.metric.selector`). */
  readonly metricSelector?: Selector | undefined;
}

/** What {@link MetricsSource.externalMetrics} is asked for. */
export interface ExternalMetricQuery {
  /** The HorizontalPodAutoscaler's namespace. */
  readonly namespace: string;
  /** The metric's name (`external.metric.name`). */
  readonly metric: string;
  /** Which series of the metric (`external.metric.selector`); the empty selector takes all. */
  readonly metricSelector: Selector;
}

/**
 * The metrics the HPA controller scales on. Only `podMetrics` is required; without
 * `objectMetric` or `externalMetrics`, Object and External metrics fail with
 * `FailedGetObjectMetric` / `FailedGetExternalMetric`, as they do in Kubernetes without a
 * custom or external metrics adapter.
 *
 * A pod missing from the answer counts as a pod without metrics (treated conservatively).
 * Throw to report that the metrics are unavailable.
 */
export interface MetricsSource {
  /** Per-pod samples of a resource or custom metric for the pods matching `selector`. */
  podMetrics(query: PodMetricsQuery): Promise<PodMetric[]>;
  /** The value of a metric describing one object. */
  objectMetric?(query: ObjectMetricQuery): Promise<MetricSample>;
  /** Every series of an external metric matching the selector. */
  externalMetrics?(query: ExternalMetricQuery): Promise<MetricSample[]>;
}

/** Options of {@link staticMetricsSource}. */
export interface StaticMetricsSourceOptions {
  /** Stamps samples that were set without a timestamp, at the time they are read. @default systemClock */
  readonly clock?: Clock;
  /** The window every pod sample reports. @default 30000 */
  readonly windowMs?: number;
}

/** A {@link MetricsSource} whose values the caller sets. */
export interface StaticMetricsSource extends Required<MetricsSource> {
  /**
   * Set a pod's usage of `metric`. With `container`, set that container's usage; the pod's usage
   * is then the sum of its containers' (unless a pod-level value is set too).
   */
  setPodMetric(options: {
    readonly namespace?: string;
    readonly pod: string;
    readonly metric: string;
    readonly value: Quantity;
    readonly container?: string;
    /** @default the clock's time when read */
    readonly timestamp?: number;
  }): void;
  /** Forget a pod's samples: of one metric, or all of them. */
  deletePodMetric(options: { readonly namespace?: string; readonly pod: string; readonly metric?: string }): void;
  /** Set the value of a metric describing an object. */
  setObjectMetric(options: {
    readonly namespace?: string;
    readonly object: { readonly kind: string; readonly name: string; readonly apiVersion?: string };
    readonly metric: string;
    readonly value: Quantity;
  }): void;
  /** Set one series of an external metric; series are told apart by their labels. */
  setExternalMetric(options: {
    readonly namespace?: string;
    readonly metric: string;
    readonly value: Quantity;
    readonly labels?: Readonly<Record<string, string>>;
  }): void;
  /** Forget everything. */
  clear(): void;
}

interface PodSamples {
  total?: number;
  readonly containers: Map<string, number>;
  timestamp?: number;
}

/**
 * A metrics source answering from values set in memory: for tests, demos and examples.
 *
 * @example
 * ```ts
 * const metrics = staticMetricsSource({ clock });
 * setupHpaController(manager, { metrics });
 * for (const pod of ['web-1', 'web-2', 'web-3']) metrics.setPodMetric({ pod, metric: 'cpu', value: '450m' });
 * ```
 */
export function staticMetricsSource(options: StaticMetricsSourceOptions = {}): StaticMetricsSource {
  const clock = options.clock ?? systemClock;
  const windowMs = options.windowMs ?? 30_000;
  /** `namespace/pod` → metric → samples. */
  const pods = new Map<string, Map<string, PodSamples>>();
  /** `namespace/kind/name/metric` → sample. */
  const objects = new Map<string, MetricSample & { stamped: boolean }>();
  /** `namespace/metric` → label string → series. */
  const external = new Map<string, Map<string, { value: number; labels: Readonly<Record<string, string>> }>>();

  const podKey = (namespace: string | undefined, pod: string): string => `${namespace ?? 'default'}/${pod}`;
  const objectKey = (namespace: string | undefined, kind: string, name: string, metric: string): string =>
    `${namespace ?? 'default'}/${kind}/${name}/${metric}`;

  return {
    async podMetrics(query) {
      const out: PodMetric[] = [];
      const prefix = `${query.namespace}/`;
      const now = clock.now();
      for (const [key, metrics] of pods) {
        if (!key.startsWith(prefix)) continue;
        const samples = metrics.get(query.metric);
        if (samples === undefined) continue;
        let value: number | undefined;
        if (query.container !== undefined) value = samples.containers.get(query.container);
        else if (samples.total !== undefined) value = samples.total;
        else if (samples.containers.size > 0) value = [...samples.containers.values()].reduce((a, b) => a + b, 0);
        if (value === undefined) continue;
        out.push({ pod: key.slice(prefix.length), value, timestamp: samples.timestamp ?? now, windowMs });
      }
      return out;
    },
    async objectMetric(query) {
      const sample = objects.get(objectKey(query.namespace, query.object.kind, query.object.name, query.metric));
      if (sample === undefined) {
        throw new Error(`no metric ${query.metric} for ${query.object.kind} ${query.namespace}/${query.object.name}`);
      }
      return { value: sample.value, timestamp: sample.stamped ? sample.timestamp : clock.now() };
    },
    async externalMetrics(query) {
      const series = external.get(`${query.namespace}/${query.metric}`);
      if (series === undefined) throw new Error(`no external metric ${query.metric} in namespace ${query.namespace}`);
      const now = clock.now();
      return [...series.values()]
        .filter((s) => query.metricSelector.matches(s.labels as Labels))
        .map((s) => ({ value: s.value, timestamp: now }));
    },
    setPodMetric(o) {
      const key = podKey(o.namespace, o.pod);
      let metrics = pods.get(key);
      if (metrics === undefined) pods.set(key, (metrics = new Map<string, PodSamples>()));
      let samples = metrics.get(o.metric);
      if (samples === undefined) metrics.set(o.metric, (samples = { containers: new Map() }));
      const value = parseQuantity(o.value);
      if (o.container === undefined) samples.total = value;
      else samples.containers.set(o.container, value);
      if (o.timestamp === undefined) delete samples.timestamp;
      else samples.timestamp = o.timestamp;
    },
    deletePodMetric(o) {
      const key = podKey(o.namespace, o.pod);
      if (o.metric === undefined) pods.delete(key);
      else pods.get(key)?.delete(o.metric);
    },
    setObjectMetric(o) {
      objects.set(objectKey(o.namespace, o.object.kind, o.object.name, o.metric), {
        value: parseQuantity(o.value),
        timestamp: 0,
        stamped: false,
      });
    },
    setExternalMetric(o) {
      const key = `${o.namespace ?? 'default'}/${o.metric}`;
      let series = external.get(key);
      if (series === undefined) external.set(key, (series = new Map<string, { value: number; labels: Readonly<Record<string, string>> }>()));
      const labels = o.labels ?? {};
      const id = Object.keys(labels)
        .sort()
        .map((k) => `${k}=${labels[k] ?? ''}`)
        .join(',');
      series.set(id, { value: parseQuantity(o.value), labels });
    },
    clear() {
      pods.clear();
      objects.clear();
      external.clear();
    },
  };
}

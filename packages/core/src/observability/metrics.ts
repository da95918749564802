/**
 * Metrics. The machinery records reconcile totals, errors and durations and work queue depth and
 * latency through a small {@link Metrics} interface, with controller-runtime's metric names. By
 * default nothing is recorded; {@link prometheusMetrics} records into prom-client (an optional
 * peer: pass the module you installed, so core never imports it).
 *
 * @example
 * ```ts
 * import * as promClient from 'prom-client';
 * const metrics = prometheusMetrics({ promClient });
 * const manager = createManager({ api, metrics });
 * // later: await promClient.register.metrics()
 * ```
 *
 * @module
 */

/** Label values of one series. */
export type MetricLabels = Record<string, string>;

/** A monotonically increasing count. */
export interface Counter {
  /** Add `value` (default 1) to the series with these labels. */
  inc(labels: MetricLabels, value?: number): void;
}

/** A value that goes up and down. */
export interface Gauge {
  /** Set the series with these labels to `value`. */
  set(labels: MetricLabels, value: number): void;
  /** Add `value` (default 1) to the series with these labels. */
  inc(labels: MetricLabels, value?: number): void;
  /** Subtract `value` (default 1) from the series with these labels. */
  dec(labels: MetricLabels, value?: number): void;
}

/** A distribution of observed values (seconds, for durations). */
export interface Histogram {
  /** Record one observation of `value` in the series with these labels. */
  observe(labels: MetricLabels, value: number): void;
}

/** What the machinery records. Each member is one metric family. */
export interface Metrics {
  /** `controller_runtime_reconcile_total{controller,result}`; result is success, error, requeue, requeue_after. */
  readonly reconcileTotal: Counter;
  /** `controller_runtime_reconcile_errors_total{controller}`. */
  readonly reconcileErrors: Counter;
  /** `controller_runtime_terminal_reconcile_errors_total{controller}`. */
  readonly terminalReconcileErrors: Counter;
  /** `controller_runtime_reconcile_time_seconds{controller}`. */
  readonly reconcileTime: Histogram;
  /** `controller_runtime_active_workers{controller}`. */
  readonly activeWorkers: Gauge;
  /** `workqueue_depth{name}`. */
  readonly queueDepth: Gauge;
  /** `workqueue_adds_total{name}`. */
  readonly queueAdds: Counter;
  /** `workqueue_retries_total{name}`. */
  readonly queueRetries: Counter;
  /** `workqueue_queue_duration_seconds{name}`: how long an item waits in the queue. */
  readonly queueLatency: Histogram;
  /** `workqueue_work_duration_seconds{name}`: how long processing an item takes. */
  readonly workDuration: Histogram;
}

const noopCounter: Counter = { inc: () => undefined };
const noopGauge: Gauge = { set: () => undefined, inc: () => undefined, dec: () => undefined };
const noopHistogram: Histogram = { observe: () => undefined };

/** Metrics that record nothing: the default. */
export const noopMetrics: Metrics = {
  reconcileTotal: noopCounter,
  reconcileErrors: noopCounter,
  terminalReconcileErrors: noopCounter,
  reconcileTime: noopHistogram,
  activeWorkers: noopGauge,
  queueDepth: noopGauge,
  queueAdds: noopCounter,
  queueRetries: noopCounter,
  queueLatency: noopHistogram,
  workDuration: noopHistogram,
};

/** The parts of prom-client that {@link prometheusMetrics} uses; `R` is its Registry type. */
export interface PromClientLike<R = unknown> {
  /** prom-client's `Counter` class. */
  Counter: new (config: { name: string; help: string; labelNames: string[]; registers?: R[] }) => {
    inc(labels: MetricLabels, value?: number): void;
  };
  /** prom-client's `Gauge` class. */
  Gauge: new (config: { name: string; help: string; labelNames: string[]; registers?: R[] }) => {
    set(labels: MetricLabels, value: number): void;
    inc(labels: MetricLabels, value?: number): void;
    dec(labels: MetricLabels, value?: number): void;
  };
  /** prom-client's `Histogram` class. */
  Histogram: new (config: { name: string; help: string; labelNames: string[]; buckets?: number[]; registers?: R[] }) => {
    observe(labels: MetricLabels, value: number): void;
  };
}

/** Options of {@link prometheusMetrics}. */
export interface PrometheusMetricsOptions<R = unknown> {
  /** The prom-client module (`import * as promClient from 'prom-client'`). */
  readonly promClient: PromClientLike<R>;
  /** A prom-client Registry to register with. @default prom-client's global registry */
  readonly registry?: R;
}

const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Metrics recorded into prom-client, with controller-runtime's names. */
export function prometheusMetrics<R>(options: PrometheusMetricsOptions<R>): Metrics {
  const { promClient } = options;
  const registers = options.registry === undefined ? {} : { registers: [options.registry] };
  const counter = (name: string, help: string, labelNames: string[]): Counter => new promClient.Counter({ name, help, labelNames, ...registers });
  const gauge = (name: string, help: string, labelNames: string[]): Gauge => new promClient.Gauge({ name, help, labelNames, ...registers });
  const histogram = (name: string, help: string, labelNames: string[]): Histogram =>
    new promClient.Histogram({ name, help, labelNames, buckets: durationBuckets, ...registers });
  return {
    reconcileTotal: counter('controller_runtime_reconcile_total', 'Total number of reconciliations per controller', ['controller', 'result']),
    reconcileErrors: counter('controller_runtime_reconcile_errors_total', 'Total number of reconciliation errors per controller', ['controller']),
    terminalReconcileErrors: counter(
      'controller_runtime_terminal_reconcile_errors_total',
      'Total number of terminal reconciliation errors per controller',
      ['controller'],
    ),
    reconcileTime: histogram('controller_runtime_reconcile_time_seconds', 'Length of time per reconciliation per controller', ['controller']),
    activeWorkers: gauge('controller_runtime_active_workers', 'Number of currently used workers per controller', ['controller']),
    queueDepth: gauge('workqueue_depth', 'Current depth of workqueue', ['name']),
    queueAdds: counter('workqueue_adds_total', 'Total number of adds handled by workqueue', ['name']),
    queueRetries: counter('workqueue_retries_total', 'Total number of retries handled by workqueue', ['name']),
    queueLatency: histogram('workqueue_queue_duration_seconds', 'How long in seconds an item stays in workqueue before being requested', ['name']),
    workDuration: histogram('workqueue_work_duration_seconds', 'How long in seconds processing an item from workqueue takes', ['name']),
  };
}

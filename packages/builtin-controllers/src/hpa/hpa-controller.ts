/**
 * The HorizontalPodAutoscaler controller (autoscaling/v2), after Kubernetes' `horizontal.go`.
 *
 * Every sync period (15 s by default, on the injected clock) each HPA:
 * 1. reads its target's scale through the target kind's scale subresource paths (condition
 *    `AbleToScale`: `SucceededGetScale`, or `FailedGetScale` with a Warning event);
 * 2. if the target has 0 replicas, does nothing (`ScalingActive=False`, `ScalingDisabled`); if it
 *    is outside `minReplicas`..`maxReplicas`, brings it back within;
 * 3. otherwise asks the {@link MetricsSource} for each metric and proposes
 *    ceil(current × value / target) with the replica calculator (tolerance 0.1, conservative
 *    treatment of missing and unready pods); the largest proposal wins (`ScalingActive=True`,
 *    `ValidMetricFound`; or `False` with `FailedGetResourceMetric`, `FailedGetPodsMetric`, …);
 * 4. normalizes the proposal, on one of Kubernetes' two paths (see `scaling-behavior.ts`):
 *    - without `spec.behavior` (the seed's HPA): the highest recommendation of the last 300 s
 *      (the downscale stabilization window), then at most max(2 × current, 4) replicas per sync
 *      up, and min/max — 3 → 6 → 12 → 15 under a steady load wanting 15;
 *    - with `spec.behavior`: the scale-up (0 s) and scale-down (300 s) stabilization windows, then
 *      the behavior's policies (by default up max(4 pods, 100%) per 15 s, down 100% per 15 s),
 *      then min/max
 *
 *    and says so in `AbleToScale` (`ScaleUpStabilized`/`ScaleDownStabilized`/`ReadyForNewScale`)
 *    and `ScalingLimited` (`ScaleUpLimit`, `ScaleDownLimit`, `TooManyReplicas`, `TooFewReplicas`,
 *    `DesiredWithinRange`);
 * 5. writes the new count to the target (`SucceededRescale` and a `SuccessfulRescale` event
 *    "New size: 6; reason: cpu resource utilization (percentage of request) above target", or
 *    `FailedUpdateScale` and `FailedRescale`); with `spec.behavior`, records the change for the
 *    policies' periods;
 * 6. writes status: `currentReplicas`, `desiredReplicas`, `currentMetrics`, `lastScaleTime`,
 *    `conditions`, `observedGeneration` — only when it changed.
 *
 * Pods are read from the shared cache; the target is read fresh through the client.
 *
 * @module
 */
import {
  controller,
  formatQuantity,
  formatTime,
  generationChanged,
  isApiError,
  kinds,
  KindRegistry,
  builtinKinds,
  labelSelectorFromObject,
  parseLabelSelector,
  parseQuantity,
  requestKey,
  type Controller,
  type KubeObject,
  type Manager,
  type ReconcileContext,
  type Reconciler,
  type Request,
  type Result,
  type Selector,
  jsonEqual,
} from '@harbormaster/core';
import type { MetricsSource } from './metrics-source.js';
import {
  DEFAULT_TOLERANCE,
  ReplicaCalculationError,
  perPodTotalReplicas,
  plainMetricReplicas,
  resourceReplicas,
  toMilli,
  usageRatioReplicas,
  type CalculatorContext,
  type PodSamples,
  type Tolerances,
} from './replica-calculator.js';
import { patchAtPath, readScale, resolveScaleTargetKind, type KindLookup, type Scale } from './scale-target.js';
import { ScalingHistory, type EffectiveScalingRules } from './scaling-behavior.js';

type HPA = kinds.HorizontalPodAutoscaler;
type HPAStatus = NonNullable<HPA['status']>;
type ConditionType = 'AbleToScale' | 'ScalingActive' | 'ScalingLimited';

/** Options of the HPA controller ({@link setupHpaController}, {@link HorizontalPodAutoscalerReconciler}). */
export interface HpaControllerOptions {
  /** Where metrics come from. */
  readonly metrics: MetricsSource;
  /**
   * The kinds an HPA may scale, looked up by `scaleTargetRef`. Pass `api.registry` so that custom
   * resources with a scale subresource can be targets. @default the built-in kinds
   */
  readonly kinds?: KindLookup;
  /** How often each HPA is synced (`--horizontal-pod-autoscaler-sync-period`). @default 15000 */
  readonly syncPeriodMs?: number;
  /** The tolerance of the metric ratio when the HPA's behavior sets none. @default 0.1 */
  readonly tolerance?: number;
  /** How long after a pod starts its cpu samples are checked against its readiness. @default 300000 */
  readonly cpuInitializationPeriodMs?: number;
  /** How long after a pod starts a not-Ready pod counts as never ready. @default 30000 */
  readonly delayOfInitialReadinessStatusMs?: number;
  /**
   * The controller's downscale stabilization window (`--horizontal-pod-autoscaler-downscale-stabilization`):
   * for an HPA without `spec.behavior`, and one whose `behavior.scaleDown` sets no window. @default 300000
   */
  readonly downscaleStabilizationWindowMs?: number;
}

/**
 * A metric that could not be computed: the condition reason (and Warning event), the detail the
 * condition and event report, and the message that wraps it for `FailedComputeMetricsReplicas`.
 */
class MetricError extends Error {
  override readonly name = 'MetricError';
  constructor(
    readonly reason: string,
    readonly detail: string,
    message: string,
  ) {
    super(message);
  }
}

type MetricValueStatus = NonNullable<kinds.MetricStatus['resource']>['current'];

interface MetricProposal {
  readonly replicas: number;
  readonly name: string;
  readonly status: kinds.MetricStatus;
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A milli-value as Kubernetes writes it (`resource.NewMilliQuantity(v, DecimalSI)`): `350m`, `2k`. */
function milliQuantity(milli: number): string {
  return formatQuantity(milli / 1000);
}

/**
 * Reconciles HorizontalPodAutoscalers; see the module documentation. Keeps each HPA's
 * recommendations and scale events in memory, as Kubernetes' controller does.
 *
 * @example
 * ```ts
 * const reconciler = new HorizontalPodAutoscalerReconciler({ metrics: staticMetricsSource({ clock }) });
 * controller(manager).named('horizontal-pod-autoscaler').for(kinds.HorizontalPodAutoscaler).complete(reconciler);
 * ```
 */
export class HorizontalPodAutoscalerReconciler implements Reconciler {
  readonly #metrics: MetricsSource;
  readonly #kinds: KindLookup;
  readonly #syncPeriodMs: number;
  readonly #tolerance: number;
  readonly #cpuInitializationPeriodMs: number;
  readonly #delayOfInitialReadinessStatusMs: number;
  readonly #downscaleStabilizationWindowMs: number;
  readonly #histories = new Map<string, { readonly uid: string; readonly history: ScalingHistory }>();

  constructor(options: HpaControllerOptions) {
    this.#metrics = options.metrics;
    this.#kinds = options.kinds ?? new KindRegistry(builtinKinds);
    this.#syncPeriodMs = options.syncPeriodMs ?? 15_000;
    this.#tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
    this.#cpuInitializationPeriodMs = options.cpuInitializationPeriodMs ?? 300_000;
    this.#delayOfInitialReadinessStatusMs = options.delayOfInitialReadinessStatusMs ?? 30_000;
    this.#downscaleStabilizationWindowMs = options.downscaleStabilizationWindowMs ?? 300_000;
  }

  /** The scaling history of an HPA (`namespace/name`), if it has one: for tests and diagnostics. */
  historyOf(key: string): ScalingHistory | undefined {
    return this.#histories.get(key)?.history;
  }

  async reconcile(request: Request, ctx: ReconcileContext): Promise<Result> {
    const key = requestKey(request);
    const cached = await ctx.cache.get(kinds.HorizontalPodAutoscaler, request);
    if (cached === undefined) {
      this.#histories.delete(key);
      return undefined;
    }
    const uid = cached.metadata.uid ?? '';
    let entry = this.#histories.get(key);
    if (entry === undefined || entry.uid !== uid) this.#histories.set(key, (entry = { uid, history: new ScalingHistory() }));
    await new AutoscalerSync(this.#config(), structuredClone<HPA>(cached), entry.history, ctx).run();
    return { requeueAfter: this.#syncPeriodMs };
  }

  #config(): SyncConfig {
    return {
      metrics: this.#metrics,
      kinds: this.#kinds,
      tolerance: this.#tolerance,
      cpuInitializationPeriodMs: this.#cpuInitializationPeriodMs,
      delayOfInitialReadinessStatusMs: this.#delayOfInitialReadinessStatusMs,
      downscaleStabilizationWindowMs: this.#downscaleStabilizationWindowMs,
    };
  }
}

interface SyncConfig {
  readonly metrics: MetricsSource;
  readonly kinds: KindLookup;
  readonly tolerance: number;
  readonly cpuInitializationPeriodMs: number;
  readonly delayOfInitialReadinessStatusMs: number;
  readonly downscaleStabilizationWindowMs: number;
}

/** One sync of one HPA (`reconcileAutoscaler`). */
class AutoscalerSync {
  readonly #config: SyncConfig;
  readonly #hpa: HPA;
  readonly #original: HPAStatus | undefined;
  readonly #history: ScalingHistory;
  readonly #ctx: ReconcileContext;
  readonly #now: number;
  readonly #namespace: string;

  constructor(config: SyncConfig, hpa: HPA, history: ScalingHistory, ctx: ReconcileContext) {
    this.#config = config;
    this.#hpa = hpa;
    this.#original = structuredClone(hpa.status);
    this.#history = history;
    this.#ctx = ctx;
    this.#now = ctx.clock.now();
    this.#namespace = hpa.metadata.namespace ?? 'default';
  }

  async run(): Promise<void> {
    const hpa = this.#hpa;
    const ref = hpa.spec.scaleTargetRef;
    const reference = `${ref.kind}/${this.#namespace}/${ref.name}`;
    const kind = resolveScaleTargetKind(this.#config.kinds, ref);
    if (kind === undefined) return this.#failGetScale(`no matches for kind "${ref.kind}" in version "${ref.apiVersion ?? ''}"`);
    const scaleSubresource = kind.subresources.scale;
    if (scaleSubresource === undefined) return this.#failGetScale(`${kind.plural} has no scale subresource`);
    let target: KubeObject;
    let scale: Scale;
    try {
      target = (await this.#ctx.client.get(kind, { namespace: this.#namespace, name: ref.name })) as KubeObject;
      scale = readScale(scaleSubresource, target);
    } catch (e) {
      if (!isApiError(e)) throw e;
      return this.#failGetScale(e.message);
    }
    this.#setCondition('AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale");
    const currentReplicas = scale.specReplicas;
    this.#history.recordInitialRecommendation(currentReplicas, this.#now);

    const minReplicas = hpa.spec.minReplicas;
    let desiredReplicas = 0;
    let rescaleReason = '';
    let rescale = true;
    let metricStatuses: kinds.MetricStatus[] | undefined;

    if (scale.specReplicas === 0 && minReplicas !== 0) {
      // Autoscaling is disabled for a target scaled to zero.
      desiredReplicas = 0;
      rescale = false;
      this.#setCondition('ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero');
    } else if (currentReplicas > hpa.spec.maxReplicas) {
      rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
      desiredReplicas = hpa.spec.maxReplicas;
    } else if (currentReplicas < minReplicas) {
      rescaleReason = 'Current number of replicas below Spec.MinReplicas';
      desiredReplicas = minReplicas;
    } else {
      const computed = await this.#computeReplicasForMetrics(scale);
      metricStatuses = computed.statuses;
      if (computed.replicas === -1) {
        // The metrics just computed, not the previous ones (`setCurrentReplicasAndMetricsInStatus`).
        this.#setStatus({ currentReplicas, desiredReplicas: hpa.status?.desiredReplicas ?? 0, metrics: computed.statuses, rescale: false });
        await this.#updateStatusIfNeeded();
        const message = computed.error ?? 'unable to compute the replica count';
        this.#ctx.recorder.event(hpa, 'Warning', 'FailedComputeMetricsReplicas', message);
        this.#ctx.log.info({ reference, err: message }, 'failed to compute desired number of replicas based on listed metrics');
        return;
      }
      let rescaleMetric = '';
      if (computed.replicas > desiredReplicas) {
        desiredReplicas = computed.replicas;
        rescaleMetric = computed.metric;
      }
      if (desiredReplicas > currentReplicas) rescaleReason = `${rescaleMetric} above target`;
      if (desiredReplicas < currentReplicas) rescaleReason = 'All metrics below target';
      desiredReplicas = this.#normalize(currentReplicas, desiredReplicas, minReplicas);
      rescale = desiredReplicas !== currentReplicas;
    }

    if (rescale) {
      try {
        await this.#ctx.client.patch(kind, { namespace: this.#namespace, name: ref.name }, {
          ...patchAtPath(scaleSubresource.specReplicasPath, desiredReplicas),
          metadata: { resourceVersion: target.metadata.resourceVersion },
        });
      } catch (e) {
        if (!isApiError(e)) throw e;
        this.#ctx.recorder.event(hpa, 'Warning', 'FailedRescale', `New size: ${desiredReplicas}; reason: ${rescaleReason}; error: ${e.message}`);
        this.#setCondition('AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${e.message}`);
        this.#setStatus({ currentReplicas, desiredReplicas: hpa.status?.desiredReplicas ?? 0, metrics: metricStatuses, rescale: false });
        await this.#updateStatusIfNeeded();
        return;
      }
      this.#setCondition('AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desiredReplicas}`);
      this.#ctx.recorder.event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desiredReplicas}; reason: ${rescaleReason}`);
      // Without a behavior there are no policies to count them for (`storeScaleEvent`).
      if (hpa.spec.behavior !== undefined) this.#history.recordScaleEvent({ ...this.#behavior(), from: currentReplicas, to: desiredReplicas, now: this.#now });
      this.#ctx.log.info({ reference, currentReplicas, desiredReplicas, reason: rescaleReason }, 'successfully rescaled');
    } else {
      desiredReplicas = currentReplicas;
    }
    this.#setStatus({ currentReplicas, desiredReplicas, metrics: metricStatuses, rescale });
    await this.#updateStatusIfNeeded();
  }

  async #failGetScale(message: string): Promise<void> {
    this.#ctx.recorder.event(this.#hpa, 'Warning', 'FailedGetScale', message);
    this.#setCondition('AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${message}`);
    await this.#updateStatusIfNeeded();
  }

  #setCondition(type: ConditionType, status: 'True' | 'False', reason: string, message: string): void {
    const status0: HPAStatus = (this.#hpa.status ??= { desiredReplicas: 0 });
    const conditions = (status0.conditions ??= []);
    let existing = conditions.find((c) => c.type === type);
    if (existing === undefined) {
      existing = { type, status };
      conditions.push(existing);
      existing.lastTransitionTime = formatTime(this.#now);
    } else if (existing.status !== status) {
      existing.lastTransitionTime = formatTime(this.#now);
    }
    existing.status = status;
    existing.reason = reason;
    existing.message = message;
  }

  #setStatus(options: { currentReplicas: number; desiredReplicas: number; metrics: kinds.MetricStatus[] | undefined; rescale: boolean }): void {
    const previous = this.#hpa.status;
    const status: HPAStatus = {
      currentReplicas: options.currentReplicas,
      desiredReplicas: options.desiredReplicas,
    };
    if (this.#hpa.metadata.generation !== undefined) status.observedGeneration = this.#hpa.metadata.generation;
    const lastScaleTime = options.rescale ? formatTime(this.#now) : previous?.lastScaleTime;
    if (lastScaleTime !== undefined) status.lastScaleTime = lastScaleTime;
    if (options.metrics !== undefined) status.currentMetrics = options.metrics;
    if (previous?.conditions !== undefined) status.conditions = previous.conditions;
    this.#hpa.status = status;
  }

  async #updateStatusIfNeeded(): Promise<void> {
    if (jsonEqual(this.#original, this.#hpa.status)) return;
    await this.#ctx.client.updateStatus(kinds.HorizontalPodAutoscaler, this.#hpa);
  }

  #tolerances(): Tolerances {
    const b = this.#hpa.spec.behavior;
    const parse = (q: string | number | undefined): number => (q === undefined ? this.#config.tolerance : parseQuantity(q));
    return { scaleUp: parse(b?.scaleUp?.tolerance), scaleDown: parse(b?.scaleDown?.tolerance) };
  }

  #behavior(): { scaleUp: EffectiveScalingRules; scaleDown: EffectiveScalingRules } {
    const effective = kinds.effectiveHPABehavior(this.#hpa.spec.behavior);
    const rules = (r: kinds.HPAScalingRules, window: number): EffectiveScalingRules => ({
      stabilizationWindowSeconds: r.stabilizationWindowSeconds ?? window,
      selectPolicy: r.selectPolicy ?? 'Max',
      policies: r.policies ?? [],
    });
    const downWindow =
      this.#hpa.spec.behavior?.scaleDown?.stabilizationWindowSeconds ?? Math.round(this.#config.downscaleStabilizationWindowMs / 1000);
    return { scaleUp: rules(effective.scaleUp, 0), scaleDown: { ...rules(effective.scaleDown, downWindow), stabilizationWindowSeconds: downWindow } };
  }

  /** `normalizeDesiredReplicas` for an HPA without `spec.behavior`, else `normalizeDesiredReplicasWithBehaviors`. */
  #normalize(currentReplicas: number, desiredReplicas: number, minReplicas: number): number {
    const common = { minReplicas, maxReplicas: this.#hpa.spec.maxReplicas, currentReplicas, desiredReplicas, now: this.#now };
    const result =
      this.#hpa.spec.behavior === undefined
        ? this.#history.normalizeWithoutBehavior({ ...common, downscaleStabilizationWindowSeconds: this.#config.downscaleStabilizationWindowMs / 1000 })
        : this.#history.normalize({ ...this.#behavior(), ...common });
    for (const c of result.conditions) this.#setCondition(c.type, c.status, c.reason, c.message);
    return result.replicas;
  }

  // ------------------------------------------------------------------ metrics

  async #computeReplicasForMetrics(
    scale: Scale,
  ): Promise<{ replicas: number; metric: string; statuses: kinds.MetricStatus[] | undefined; error?: string }> {
    const hpa = this.#hpa;
    if (scale.selector === '') {
      const message = 'selector is required';
      this.#ctx.recorder.event(hpa, 'Warning', 'SelectorRequired', message);
      this.#setCondition('ScalingActive', 'False', 'InvalidSelector', "the HPA target's scale is missing a selector");
      return { replicas: -1, metric: '', statuses: undefined, error: message };
    }
    let selector: Selector;
    try {
      selector = parseLabelSelector(scale.selector);
    } catch (e) {
      const message = `couldn't convert selector into a corresponding internal selector object: ${errorMessage(e)}`;
      this.#ctx.recorder.event(hpa, 'Warning', 'InvalidSelector', message);
      this.#setCondition('ScalingActive', 'False', 'InvalidSelector', message);
      return { replicas: -1, metric: '', statuses: undefined, error: message };
    }
    const pods = await this.#ctx.cache.list(kinds.Pod, { namespace: this.#namespace, labelSelector: selector });

    const specs = hpa.spec.metrics;
    // Kubernetes keeps one entry per metric spec, a zero-valued MetricStatus (`type: ""`) for a
    // metric that failed; the core kind's schema refuses an empty type, so a failed metric has no entry.
    const statuses: kinds.MetricStatus[] = [];
    let replicas = 0;
    let metric = '';
    let invalidCount = 0;
    let firstError: MetricError | undefined;
    for (const spec of specs) {
      try {
        const proposal = await this.#computeReplicasForMetric(spec, scale, selector, pods);
        statuses.push(proposal.status);
        if (replicas === 0 || proposal.replicas > replicas) {
          replicas = proposal.replicas;
          metric = proposal.name;
        }
      } catch (e) {
        if (!(e instanceof MetricError)) throw e;
        firstError ??= e;
        invalidCount++;
      }
    }
    const error = firstError === undefined ? undefined : `invalid metrics (${invalidCount} invalid out of ${specs.length}), first error is: ${firstError.message}`;
    if (specs.length === 0) {
      this.#setCondition('ScalingActive', 'False', 'InvalidMetricSourceType', 'the HPA was unable to compute the replica count: no metrics are specified');
      return { replicas: -1, metric: '', statuses, error: 'no metrics are specified' };
    }
    if (firstError !== undefined && (invalidCount >= specs.length || replicas < scale.specReplicas)) {
      this.#setCondition('ScalingActive', 'False', firstError.reason, `the HPA was unable to compute the replica count: ${firstError.detail}`);
      return { replicas: -1, metric: '', statuses, ...(error === undefined ? {} : { error }) };
    }
    this.#setCondition('ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${metric}`);
    return { replicas, metric, statuses, ...(error === undefined ? {} : { error }) };
  }

  /** Fail a metric as Kubernetes does: a Warning event with `detail`, the condition message from `detail`, and an error wrapping it. */
  #metricError(reason: string, detail: string, wrapped: string): MetricError {
    this.#ctx.recorder.event(this.#hpa, 'Warning', reason, detail);
    return new MetricError(reason, detail, wrapped);
  }

  #calculatorContext(): CalculatorContext {
    return {
      tolerances: this.#tolerances(),
      now: this.#now,
      cpuInitializationPeriodMs: this.#config.cpuInitializationPeriodMs,
      delayOfInitialReadinessStatusMs: this.#config.delayOfInitialReadinessStatusMs,
    };
  }

  async #podSamples(query: Parameters<MetricsSource['podMetrics']>[0], pods: readonly kinds.Pod[]): Promise<PodSamples> {
    const names = new Set(pods.map((p) => p.metadata.name ?? ''));
    const samples: PodSamples = new Map();
    // Only the selected pods count, as they would in a metrics API queried with the selector.
    for (const m of await this.#config.metrics.podMetrics(query)) {
      if (names.has(m.pod)) samples.set(m.pod, { value: toMilli(m.value), timestamp: m.timestamp, windowMs: m.windowMs });
    }
    return samples;
  }

  async #computeReplicasForMetric(spec: kinds.MetricSpec, scale: Scale, selector: Selector, pods: kinds.Pod[]): Promise<MetricProposal> {
    switch (spec.type) {
      case 'Resource':
      case 'ContainerResource': {
        const source = spec.type === 'Resource' ? spec.resource : spec.containerResource;
        const reason = spec.type === 'Resource' ? 'FailedGetResourceMetric' : 'FailedGetContainerResourceMetric';
        const container = spec.type === 'ContainerResource' ? spec.containerResource?.container : undefined;
        if (source === undefined) throw this.#metricError(reason, 'the metric source is not set', 'the metric source is not set');
        const outer = (detail: string): string =>
          spec.type === 'Resource'
            ? `failed to get ${source.name} resource metric value: ${detail}`
            : `failed to get ${container ?? ''} container metric value: ${detail}`;
        let proposal: { replicas: number; name: string; current: MetricValueStatus };
        try {
          proposal = await this.#resourceMetric({ name: source.name, target: source.target, container, scale, selector, pods });
        } catch (e) {
          throw this.#wrap(e, reason, outer);
        }
        const status: kinds.MetricStatus =
          spec.type === 'Resource'
            ? { type: 'Resource', resource: { name: source.name, current: proposal.current } }
            : { type: 'ContainerResource', containerResource: { name: source.name, container: container ?? '', current: proposal.current } };
        return { replicas: proposal.replicas, name: proposal.name, status };
      }
      case 'Pods': {
        const source = spec.pods;
        if (source === undefined) throw this.#metricError('FailedGetPodsMetric', 'the metric source is not set', 'the metric source is not set');
        try {
          const averageValue = source.target.averageValue;
          if (averageValue === undefined) throw new SourceError('invalid pods metric source: an average value target was not set');
          const metricSelector = source.metric.selector === undefined ? undefined : labelSelectorFromObject(source.metric.selector);
          const samples = await this.#fetch(`unable to get metric ${source.metric.name}`, () =>
            this.#podSamples({ namespace: this.#namespace, selector, metric: source.metric.name, type: 'Pods', metricSelector }, pods),
          );
          const p = plainMetricReplicas({
            currentReplicas: scale.specReplicas,
            targetUsage: toMilli(parseQuantity(averageValue)),
            resource: undefined,
            pods,
            samples,
            context: this.#calculatorContext(),
          });
          return {
            replicas: p.replicas,
            name: `pods metric ${source.metric.name}`,
            status: { type: 'Pods', pods: { metric: source.metric, current: { averageValue: milliQuantity(p.rawValue) } } },
          };
        } catch (e) {
          throw this.#wrap(e, 'FailedGetPodsMetric', (m) => `failed to get pods metric value: ${m}`);
        }
      }
      case 'Object': {
        const source = spec.object;
        if (source === undefined) throw this.#metricError('FailedGetObjectMetric', 'the metric source is not set', 'the metric source is not set');
        try {
          const objectMetric = this.#config.metrics.objectMetric?.bind(this.#config.metrics);
          const described = source.describedObject;
          const what = `unable to get metric ${source.metric.name}: ${described.kind} on ${this.#namespace} ${described.name}`;
          if (objectMetric === undefined) throw new SourceError(`${what}/the metrics source serves no object metrics`);
          const metricSelector = source.metric.selector === undefined ? undefined : labelSelectorFromObject(source.metric.selector);
          const sample = await this.#fetch(what, () =>
            objectMetric({ namespace: this.#namespace, object: described, metric: source.metric.name, metricSelector }),
          );
          const usage = toMilli(sample.value);
          const tolerances = this.#tolerances();
          const identifier = { describedObject: described, metric: source.metric };
          if (source.target.type === 'Value' && source.target.value !== undefined) {
            const target = toMilli(parseQuantity(source.target.value));
            const replicas = usageRatioReplicas({ currentReplicas: scale.specReplicas, ratio: usage / target, pods, tolerances });
            return {
              replicas,
              name: `${described.kind} metric ${source.metric.name}`,
              status: { type: 'Object', object: { ...identifier, current: { value: milliQuantity(usage) } } },
            };
          }
          if (source.target.type === 'AverageValue' && source.target.averageValue !== undefined) {
            const targetAverage = toMilli(parseQuantity(source.target.averageValue));
            const p = perPodTotalReplicas({ statusReplicas: scale.statusReplicas, total: usage, targetAverage, tolerances });
            return {
              replicas: p.replicas,
              name: `${described.kind} metric ${source.metric.name}`,
              status: { type: 'Object', object: { ...identifier, current: { averageValue: milliQuantity(p.average) } } },
            };
          }
          throw new SourceError('invalid object metric source: neither a value target nor an average value target was set');
        } catch (e) {
          throw this.#wrap(e, 'FailedGetObjectMetric', (m) => `failed to get object metric value: ${m}`);
        }
      }
      case 'External': {
        const source = spec.external;
        if (source === undefined) throw this.#metricError('FailedGetExternalMetric', 'the metric source is not set', 'the metric source is not set');
        try {
          const externalMetrics = this.#config.metrics.externalMetrics?.bind(this.#config.metrics);
          const selectorText = source.metric.selector === undefined ? '' : labelSelectorFromObject(source.metric.selector).toString();
          const what = `unable to get external metric ${this.#namespace}/${source.metric.name}/${selectorText}`;
          if (externalMetrics === undefined) throw new SourceError(`${what}: the metrics source serves no external metrics`);
          const metricSelector = source.metric.selector === undefined ? parseLabelSelector('') : labelSelectorFromObject(source.metric.selector);
          const samples = await this.#fetch(what, () => externalMetrics({ namespace: this.#namespace, metric: source.metric.name, metricSelector }));
          const total = samples.reduce((sum, s) => sum + toMilli(s.value), 0);
          const tolerances = this.#tolerances();
          const name = `external metric ${source.metric.name}${selectorText === '' ? '' : `(${selectorText})`}`;
          if (source.target.averageValue !== undefined) {
            const targetAverage = toMilli(parseQuantity(source.target.averageValue));
            const p = perPodTotalReplicas({ statusReplicas: scale.statusReplicas, total, targetAverage, tolerances });
            return { replicas: p.replicas, name, status: { type: 'External', external: { metric: source.metric, current: { averageValue: milliQuantity(p.average) } } } };
          }
          if (source.target.value !== undefined) {
            const target = toMilli(parseQuantity(source.target.value));
            const replicas = usageRatioReplicas({ currentReplicas: scale.specReplicas, ratio: total / target, pods, tolerances });
            return { replicas, name, status: { type: 'External', external: { metric: source.metric, current: { value: milliQuantity(total) } } } };
          }
          throw new SourceError('invalid external metric source: neither a value target nor an average value target was set');
        } catch (e) {
          throw this.#wrap(e, 'FailedGetExternalMetric', (m) => `failed to get ${source.metric.name} external metric: ${m}`);
        }
      }
    }
  }

  /** Turn a calculation or source failure into a {@link MetricError}; rethrow anything else. */
  #wrap(e: unknown, reason: string, outer: (message: string) => string): unknown {
    if (e instanceof MetricError) return e;
    if (e instanceof ReplicaCalculationError || e instanceof SourceError || isApiError(e) || e instanceof RangeError) {
      const message = errorMessage(e);
      return this.#metricError(reason, message, outer(message));
    }
    return e;
  }

  /** Ask the metrics source; its failure becomes a {@link SourceError} prefixed with `what`. */
  async #fetch<T>(what: string, fetch: () => Promise<T>): Promise<T> {
    try {
      return await fetch();
    } catch (e) {
      throw new SourceError(`${what}: ${errorMessage(e)}`);
    }
  }

  async #resourceMetric(options: {
    name: string;
    target: kinds.MetricTarget;
    container: string | undefined;
    scale: Scale;
    selector: Selector;
    pods: kinds.Pod[];
  }): Promise<{ replicas: number; name: string; current: MetricValueStatus }> {
    const { name, target, container, scale, selector, pods } = options;
    const samples = await this.#fetch(`unable to get metrics for resource ${name}`, () =>
      this.#podSamples({ namespace: this.#namespace, selector, metric: name, type: 'Resource', container }, pods),
    );
    const context = this.#calculatorContext();
    if (target.averageValue !== undefined) {
      try {
        const p = plainMetricReplicas({
          currentReplicas: scale.specReplicas,
          targetUsage: toMilli(parseQuantity(target.averageValue)),
          resource: name,
          pods,
          samples,
          context,
        });
        return { replicas: p.replicas, name: `${name} resource`, current: { averageValue: milliQuantity(p.rawValue) } };
      } catch (e) {
        if (e instanceof ReplicaCalculationError) throw new ReplicaCalculationError(`failed to get ${name} usage: ${e.message}`);
        throw e;
      }
    }
    if (target.averageUtilization === undefined) {
      throw new SourceError('invalid resource metric source: neither an average utilization target nor an average value (usage) target was set');
    }
    try {
      const p = resourceReplicas({ currentReplicas: scale.specReplicas, targetUtilization: target.averageUtilization, resource: name, container, pods, samples, context });
      const metricName =
        container === undefined
          ? `${name} resource utilization (percentage of request)`
          : `${name} container resource utilization (percentage of request)`;
      return {
        replicas: p.replicas,
        name: metricName,
        current: { averageUtilization: p.utilization ?? 0, averageValue: milliQuantity(p.rawValue) },
      };
    } catch (e) {
      if (e instanceof ReplicaCalculationError) throw new ReplicaCalculationError(`failed to get ${name} utilization: ${e.message}`);
      throw e;
    }
  }
}

/** The metrics source failed or cannot serve a metric. */
class SourceError extends Error {
  override readonly name = 'SourceError';
}

/**
 * Run the HPA controller on `manager`: reconcile every HorizontalPodAutoscaler at once when it
 * is created or its spec changes, and every sync period after. Returns the controller.
 *
 * @example
 * ```ts
 * import { createManager } from '@harbormaster/core';
 * import { setupHpaController, staticMetricsSource } from '@harbormaster/builtin-controllers';
 *
 * const manager = createManager({ api });
 * const metrics = staticMetricsSource({ clock: api.clock });
 * setupHpaController(manager, { metrics, kinds: api.registry });
 * await manager.start(signal);
 * ```
 */
export function setupHpaController(manager: Manager, options: HpaControllerOptions): Controller {
  return controller(manager)
    .named('horizontal-pod-autoscaler')
    .for(kinds.HorizontalPodAutoscaler, { predicates: [generationChanged] })
    .complete(new HorizontalPodAutoscalerReconciler(options));
}

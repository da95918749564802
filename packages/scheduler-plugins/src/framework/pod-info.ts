/**
 * A pod with what the scheduler computes from it once: its requests (actual and non-zero), its
 * host ports and its inter-pod (anti-)affinity terms compiled to selectors
 * (kube-scheduler's `PodInfo`). Pods from the informer are frozen, so a PodInfo never changes;
 * an updated pod gets a new one.
 *
 * @module
 */
import { everything, nothing, type kinds, type Labels, type Selector } from '@harbormaster/core';
import { compileSelector, labelKeyRequirements, withRequirements } from '../helpers/selectors.js';
import { stateKey, type CycleState } from './cycle-state.js';
import { podNonZeroRequests, podRequests, type Resource } from './resources.js';

/** A host port a pod uses: protocol, host IP (`0.0.0.0` when unset) and port. */
export interface HostPort {
  /** The container port's `protocol`: `TCP` (the default), `UDP` or `SCTP`. */
  readonly protocol: string;
  /** The container port's `hostIP`; `0.0.0.0` (every address) when unset. */
  readonly hostIP: string;
  /** The container port's `hostPort`. */
  readonly port: number;
}

/**
 * An inter-pod (anti-)affinity term, compiled: a pod matches when it is in one of `namespaces`
 * (or in a namespace whose labels match `namespaceSelector`) and its labels match `selector`.
 */
export class AffinityTerm {
  constructor(
    /** The term's `namespaces`; the pod's own namespace when neither they nor `namespaceSelector` are given. */
    readonly namespaces: ReadonlySet<string>,
    /** The term's `labelSelector`, with the `matchLabelKeys` and `mismatchLabelKeys` requirements added. */
    readonly selector: Selector,
    /** The node label whose value is the topology domain, e.g. `topology.kubernetes.io/zone`. */
    readonly topologyKey: string,
    /** The term's `namespaceSelector`: namespaces whose labels match also count; matches nothing when absent. */
    readonly namespaceSelector: Selector,
  ) {}

  /** Whether `pod` matches the term; `nsLabels` are the labels of the pod's namespace. */
  matches(pod: kinds.Pod, nsLabels: Labels): boolean {
    if (this.namespaces.has(pod.metadata.namespace ?? '') || (!this.namespaceSelector.nothing && this.namespaceSelector.matches(nsLabels))) {
      return this.selector.matches(pod.metadata.labels);
    }
    return false;
  }

  /** A copy with the namespaces matching the namespace selector folded into `namespaces`. */
  withNamespaces(extra: Iterable<string>): AffinityTerm {
    const ns = new Set(this.namespaces);
    for (const n of extra) ns.add(n);
    return new AffinityTerm(ns, this.selector, this.topologyKey, nothing);
  }
}

/** An affinity term with a weight (`preferredDuringSchedulingIgnoredDuringExecution`). */
export interface WeightedAffinityTerm {
  /** The term (`podAffinityTerm`). */
  readonly term: AffinityTerm;
  /** How much a node in a matching domain adds to the score (1–100). */
  readonly weight: number;
}

function compileTerm(pod: kinds.Pod, term: kinds.PodAffinityTerm): AffinityTerm {
  const labels = pod.metadata.labels;
  let selector = compileSelector(term.labelSelector);
  if (!selector.nothing) {
    selector = withRequirements(selector, [
      ...labelKeyRequirements(term.matchLabelKeys, labels, 'In'),
      ...labelKeyRequirements(term.mismatchLabelKeys, labels, 'NotIn'),
    ]);
  }
  const namespaces = new Set(term.namespaces ?? []);
  if (namespaces.size === 0 && term.namespaceSelector === undefined) namespaces.add(pod.metadata.namespace ?? 'default');
  const nsSelector = term.namespaceSelector === undefined ? nothing : compileSelector(term.namespaceSelector);
  return new AffinityTerm(namespaces, selector, term.topologyKey, nsSelector.empty ? everything : nsSelector);
}

/**
 * A pod and what the scheduler precomputes from it.
 *
 * @example
 * ```ts
 * const pi = PodInfo.of(pod);
 * pi.requests.milliCPU; // 250 for a pod requesting 250m
 * pi.priority;          // spec.priority, 0 when unset
 * ```
 */
export class PodInfo {
  /** The pod. */
  readonly pod: kinds.Pod;
  /** `namespace/name`. */
  readonly key: string;
  /** The pod's `metadata.uid`; its key when it has none. */
  readonly uid: string;
  /** `spec.priority`, 0 when unset. */
  readonly priority: number;
  /** The requests the pod is accounted for on a node. */
  readonly requests: Resource;
  /** CPU (millicores) and memory (bytes) with the defaults for containers that request none. */
  readonly nonZeroMilliCPU: number;
  /** Memory in bytes, with the default for containers that request none. */
  readonly nonZeroMemory: number;
  /** The host ports its containers and sidecars ask for. */
  readonly hostPorts: readonly HostPort[];
  /** `affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution`, compiled. */
  readonly requiredAffinityTerms: readonly AffinityTerm[];
  /** `affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution`, compiled. */
  readonly requiredAntiAffinityTerms: readonly AffinityTerm[];
  /** `affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution`, compiled. */
  readonly preferredAffinityTerms: readonly WeightedAffinityTerm[];
  /** `affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution`, compiled. */
  readonly preferredAntiAffinityTerms: readonly WeightedAffinityTerm[];

  private constructor(pod: kinds.Pod, from?: PodInfo) {
    this.pod = pod;
    this.key = `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
    this.uid = pod.metadata.uid ?? this.key;
    this.priority = pod.spec.priority ?? 0;
    if (from !== undefined) {
      this.requests = from.requests;
      this.nonZeroMilliCPU = from.nonZeroMilliCPU;
      this.nonZeroMemory = from.nonZeroMemory;
      this.hostPorts = from.hostPorts;
      this.requiredAffinityTerms = from.requiredAffinityTerms;
      this.requiredAntiAffinityTerms = from.requiredAntiAffinityTerms;
      this.preferredAffinityTerms = from.preferredAffinityTerms;
      this.preferredAntiAffinityTerms = from.preferredAntiAffinityTerms;
      return;
    }
    const spec = pod.spec;
    this.requests = podRequests(spec);
    const nz = podNonZeroRequests(spec);
    this.nonZeroMilliCPU = nz.milliCPU;
    this.nonZeroMemory = nz.memory;
    this.hostPorts = hostPortsOf(spec);
    const a = spec.affinity;
    this.requiredAffinityTerms = (a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => compileTerm(pod, t));
    this.requiredAntiAffinityTerms = (a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => compileTerm(pod, t));
    this.preferredAffinityTerms = (a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => ({
      term: compileTerm(pod, t.podAffinityTerm),
      weight: t.weight,
    }));
    this.preferredAntiAffinityTerms = (a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => ({
      term: compileTerm(pod, t.podAffinityTerm),
      weight: t.weight,
    }));
  }

  /** The PodInfo of `pod`. */
  static of(pod: kinds.Pod): PodInfo {
    return new PodInfo(pod);
  }

  /**
   * The PodInfo of a new version of the same pod. A pod's spec cannot change in what a PodInfo
   * is computed from (requests, ports, affinity, priority are immutable; only images,
   * tolerations, gates and deadlines may change, and `nodeName` once), so when the labels are the
   * same the computed parts are shared instead of recomputed.
   */
  update(pod: kinds.Pod): PodInfo {
    const old = this.pod;
    if (pod.metadata.uid === old.metadata.uid && sameLabels(pod.metadata.labels, old.metadata.labels)) return new PodInfo(pod, this);
    return new PodInfo(pod);
  }

  /** The same computed parts for a copy of the pod (e.g. the pod with `spec.nodeName` set). */
  withPod(pod: kinds.Pod): PodInfo {
    return new PodInfo(pod, this);
  }

  /** Whether the pod has inter-pod affinity or anti-affinity of any kind. */
  get hasAffinity(): boolean {
    const a = this.pod.spec.affinity;
    return a !== undefined && (a.podAffinity !== undefined || a.podAntiAffinity !== undefined);
  }

  /** Whether the pod has required anti-affinity terms. */
  get hasRequiredAntiAffinity(): boolean {
    return this.requiredAntiAffinityTerms.length > 0;
  }
}

function sameLabels(a: Labels, b: Labels): boolean {
  if (a === b) return true;
  const ka = a === undefined ? [] : Object.keys(a);
  const kb = b === undefined ? [] : Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (a?.[k] !== b?.[k]) return false;
  return true;
}

/** The host ports of a pod's containers and sidecars (`hostPort > 0`). */
export function hostPortsOf(spec: Pick<kinds.PodSpec, 'containers' | 'initContainers'>): HostPort[] {
  const out: HostPort[] = [];
  const add = (c: kinds.Container): void => {
    for (const p of c.ports ?? []) {
      if (p.hostPort === undefined || p.hostPort <= 0) continue;
      out.push({ protocol: p.protocol || 'TCP', hostIP: p.hostIP === undefined || p.hostIP === '' ? '0.0.0.0' : p.hostIP, port: p.hostPort });
    }
  };
  for (const c of spec.initContainers ?? []) if (c.restartPolicy === 'Always') add(c);
  for (const c of spec.containers) add(c);
  return out;
}

/** The priority of a pod (`spec.priority`, 0 when unset). */
export function podPriority(pod: kinds.Pod): number {
  return pod.spec.priority ?? 0;
}

/** Whether `pod` matches every term (the incoming pod's own required affinity, for the first pod of a group). */
export function podMatchesAllAffinityTerms(terms: readonly AffinityTerm[], pod: kinds.Pod): boolean {
  if (terms.length === 0) return false;
  for (const t of terms) if (!t.matches(pod, undefined)) return false;
  return true;
}


/** Where the scheduler keeps the PodInfo of the pod being scheduled, for plugins to reuse. */
export const podInfoKey = stateKey<PodInfo>('PodInfo');

/** The PodInfo of the pod of this cycle (computed once by the scheduler), or a new one. */
export function podInfoOf(state: CycleState, pod: kinds.Pod): PodInfo {
  const pi = state.read(podInfoKey);
  return pi !== undefined && pi.pod === pod ? pi : PodInfo.of(pod);
}

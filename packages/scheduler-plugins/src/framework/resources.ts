/**
 * Resource arithmetic in Kubernetes' integer units: CPU in millicores, memory and storage in
 * bytes, and the pod requests the scheduler accounts for (`resourcehelper.PodRequests`):
 *
 * - the sum of the regular containers' requests;
 * - init containers run one at a time, so each counts with the sidecars (init containers with
 *   `restartPolicy: Always`) started before it, and the pod needs the larger of that peak and the
 *   regular containers plus all sidecars;
 * - pod-level `resources.requests` (cpu, memory, hugepages) replace the containers' sum;
 * - `overhead` (from the RuntimeClass) is added on top.
 *
 * For scoring, a container that sets no CPU or memory request counts as 100m CPU and 200 MiB
 * ("non-zero" requests), so that many best-effort pods do not all land on one node.
 *
 * @module
 */
import { parseQuantity, type kinds } from '@harbormaster/core';

/** The CPU a container without a CPU request counts as when scoring (millicores). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
/** The memory a container without a memory request counts as when scoring (bytes). */
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

type Quantity = string | number;
type ResourceList = Readonly<Record<string, Quantity>>;

const quantityCache = new Map<Quantity, number>();

/** The value of a quantity in base units, memoized (manifests repeat the same few strings). */
export function quantityValue(q: Quantity): number {
  let v = quantityCache.get(q);
  if (v === undefined) {
    try {
      v = parseQuantity(q);
    } catch {
      v = 0;
    }
    if (quantityCache.size > 10_000) quantityCache.clear();
    quantityCache.set(q, v);
  }
  return v;
}

/** `Math.ceil` that forgives floating-point noise (`0.1 * 1000` is 100, not 101). */
function ceilTolerant(v: number): number {
  const r = Math.round(v);
  if (Math.abs(v - r) <= 1e-9 * Math.max(1, Math.abs(v))) return r;
  return Math.ceil(v);
}

/** A quantity in milli-units, rounded up (`Quantity.MilliValue()`). */
export function milliValue(q: Quantity): number {
  return ceilTolerant(quantityValue(q) * 1000);
}

/** A quantity in whole units, rounded up (`Quantity.Value()`). */
export function intValue(q: Quantity): number {
  return ceilTolerant(quantityValue(q));
}

/** Whether a resource is a scalar one (extended, hugepages, attachable volumes, prefixed native). */
export function isScalarResourceName(name: string): boolean {
  if (name.startsWith('hugepages-') || name.startsWith('attachable-volumes-')) return true;
  return name.includes('/') && !name.startsWith('requests.');
}

/** Whether a resource is an extended resource (`example.com/gpu`), not in `kubernetes.io/`. */
export function isExtendedResourceName(name: string): boolean {
  if (!name.includes('/') || name.startsWith('requests.')) return false;
  const domain = name.slice(0, name.indexOf('/'));
  return domain !== 'kubernetes.io' && !domain.endsWith('.kubernetes.io');
}

/** A set of resource amounts (`framework.Resource`): CPU in millicores, the rest in units. */
export class Resource {
  /** CPU, in millicores (`cpu: 1500m` is 1500). */
  milliCPU = 0;
  /** Memory, in bytes. */
  memory = 0;
  /** Local ephemeral storage (`ephemeral-storage`), in bytes. */
  ephemeralStorage = 0;
  /** From the node's `pods` allocatable. */
  allowedPodNumber = 0;
  /** Extended and other scalar resources. */
  scalar: Map<string, number> | undefined;

  /** A Resource from a ResourceList (a node's allocatable, a pod's overhead). */
  static fromList(list: ResourceList | undefined): Resource {
    const r = new Resource();
    if (list !== undefined) r.addList(list);
    return r;
  }

  /** Add a ResourceList. */
  addList(list: ResourceList): void {
    for (const name in list) {
      const q = list[name];
      if (q === undefined) continue;
      this.addNamed(name, name === 'cpu' ? milliValue(q) : intValue(q));
    }
  }

  /** Add `amount` of `name` (CPU in millicores). */
  addNamed(name: string, amount: number): void {
    switch (name) {
      case 'cpu':
        this.milliCPU += amount;
        break;
      case 'memory':
        this.memory += amount;
        break;
      case 'ephemeral-storage':
        this.ephemeralStorage += amount;
        break;
      case 'pods':
        this.allowedPodNumber += amount;
        break;
      default:
        if (isScalarResourceName(name)) {
          this.scalar ??= new Map();
          this.scalar.set(name, (this.scalar.get(name) ?? 0) + amount);
        }
    }
  }

  /** The amount of `name` (CPU in millicores). */
  get(name: string): number {
    switch (name) {
      case 'cpu':
        return this.milliCPU;
      case 'memory':
        return this.memory;
      case 'ephemeral-storage':
        return this.ephemeralStorage;
      case 'pods':
        return this.allowedPodNumber;
      default:
        return this.scalar?.get(name) ?? 0;
    }
  }

  /** Add (`sign` 1) or subtract (`sign` -1) another Resource, pods excepted. */
  add(other: Resource, sign = 1): void {
    this.milliCPU += sign * other.milliCPU;
    this.memory += sign * other.memory;
    this.ephemeralStorage += sign * other.ephemeralStorage;
    if (other.scalar !== undefined) {
      this.scalar ??= new Map();
      for (const [k, v] of other.scalar) this.scalar.set(k, (this.scalar.get(k) ?? 0) + sign * v);
    }
  }

  /** A copy. */
  clone(): Resource {
    const r = new Resource();
    r.milliCPU = this.milliCPU;
    r.memory = this.memory;
    r.ephemeralStorage = this.ephemeralStorage;
    r.allowedPodNumber = this.allowedPodNumber;
    if (this.scalar !== undefined) r.scalar = new Map(this.scalar);
    return r;
  }

  /** Whether every amount is zero. */
  isZero(): boolean {
    if (this.milliCPU !== 0 || this.memory !== 0 || this.ephemeralStorage !== 0) return false;
    if (this.scalar !== undefined) for (const v of this.scalar.values()) if (v !== 0) return false;
    return true;
  }
}

/** Requests as a map of resource name to amount (CPU in millicores). */
type Amounts = Map<string, number>;

function amountsOf(list: ResourceList | undefined, defaults: boolean): Amounts {
  const out: Amounts = new Map();
  if (list !== undefined) for (const name in list) {
    const q = list[name];
    if (q !== undefined) out.set(name, name === 'cpu' ? milliValue(q) : intValue(q));
  }
  if (defaults) {
    if (!out.has('cpu')) out.set('cpu', DEFAULT_MILLI_CPU_REQUEST);
    if (!out.has('memory')) out.set('memory', DEFAULT_MEMORY_REQUEST);
  }
  return out;
}

function addInto(into: Amounts, from: Amounts): void {
  for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + v);
}

function maxInto(into: Amounts, from: Amounts): void {
  for (const [k, v] of from) if (v > (into.get(k) ?? 0)) into.set(k, v);
}

const POD_LEVEL_RESOURCES = (name: string): boolean => name === 'cpu' || name === 'memory' || name.startsWith('hugepages-');

/**
 * The requests of a pod spec, per resource (CPU in millicores), as Kubernetes computes them for
 * scheduling. With `nonZero`, containers without a CPU or memory request count the defaults.
 */
export function podRequestAmounts(spec: Pick<kinds.PodSpec, 'containers' | 'initContainers' | 'overhead' | 'resources'>, nonZero = false): Amounts {
  const reqs: Amounts = new Map();
  for (const c of spec.containers) addInto(reqs, amountsOf(c.resources.requests, nonZero));
  const sidecars: Amounts = new Map();
  const initPeak: Amounts = new Map();
  for (const c of spec.initContainers ?? []) {
    const own = amountsOf(c.resources.requests, nonZero);
    if (c.restartPolicy === 'Always') {
      addInto(reqs, own);
      addInto(sidecars, own);
      maxInto(initPeak, sidecars);
    } else {
      const withSidecars: Amounts = new Map(own);
      addInto(withSidecars, sidecars);
      maxInto(initPeak, withSidecars);
    }
  }
  maxInto(reqs, initPeak);
  const podLevel = spec.resources?.requests;
  if (podLevel !== undefined) {
    for (const name in podLevel) {
      const q = podLevel[name];
      if (q === undefined || !POD_LEVEL_RESOURCES(name)) continue;
      reqs.set(name, name === 'cpu' ? milliValue(q) : intValue(q));
    }
  }
  if (spec.overhead !== undefined) addInto(reqs, amountsOf(spec.overhead, false));
  return reqs;
}

/** The requests of a pod spec as a {@link Resource}. */
export function podRequests(spec: Pick<kinds.PodSpec, 'containers' | 'initContainers' | 'overhead' | 'resources'>): Resource {
  const r = new Resource();
  for (const [name, amount] of podRequestAmounts(spec)) r.addNamed(name, amount);
  return r;
}

/** The non-zero CPU (millicores) and memory (bytes) requests of a pod spec, for scoring. */
export function podNonZeroRequests(spec: Pick<kinds.PodSpec, 'containers' | 'initContainers' | 'overhead' | 'resources'>): {
  readonly milliCPU: number;
  readonly memory: number;
} {
  const a = podRequestAmounts(spec, true);
  return { milliCPU: a.get('cpu') ?? 0, memory: a.get('memory') ?? 0 };
}

/**
 * ClusterIP allocation for Services, as Kubernetes' API server does it
 * (`pkg/registry/core/service/ipallocator`), as an admission plugin plus a repair controller.
 *
 * The {@link ServiceIPAllocator} is a mutating admission plugin: on create, a Service (other than
 * `ExternalName`) without `spec.clusterIP` gets a free address of the range (default
 * `10.96.0.0/12`, the network and broadcast addresses excluded); a requested address is honoured
 * if it is free and in the range and refused with 422 Invalid otherwise; `clusterIP: None` makes
 * a headless Service. `spec.clusterIPs` mirrors `spec.clusterIP`. On update an unset clusterIP
 * keeps the allocated one, and a changed one is refused ("may not change once set"). Like
 * Kubernetes, dynamic allocations come from the upper part of the range (above 16 to 256
 * addresses kept for requested ones), at a random free address.
 *
 * The allocation table lives in memory. {@link ServiceIPRepairController} keeps it true: it
 * releases an address when its Service is deleted, and every `intervalMs` (3 min) it reconciles
 * the table with the Services that exist, as Kubernetes' repair loop does: addresses of Services
 * not in the table are added (Warning `ClusterIPNotAllocated`), duplicates and addresses outside
 * the range are reported (`ClusterIPAlreadyAllocated`, `ClusterIPOutOfRange`), and addresses
 * that no Service holds are released after three passes (a create that failed after admission).
 *
 * @example
 * ```ts
 * const api = createApiServer({ store: memoryStore() });
 * const ips = serviceIPAllocator({ range: '10.0.0.0/16', client: api.client });
 * api.admission.add(ips);
 * setupServiceIPRepairController(manager, { allocator: ips });
 * const svc = await api.client.create(kinds.Service, { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } });
 * svc.spec.clusterIP; // e.g. '10.0.113.7'
 * ```
 *
 * @module
 */
import {
  InvalidError,
  delay,
  formatTime,
  isNotFound,
  kinds,
  type AdmissionPlugin,
  type AdmissionRequest,
  type Client,
  type Clock,
  type FieldCause,
  type KubeObject,
  type Manager,
  type Runnable,
} from '@harbormaster/core';
import { cidrContains, formatIpv4, parseIpv4, parseIpv4Cidr, type Ipv4Cidr } from './cidr.js';

/** The default Service ClusterIP range (kube-apiserver's `--service-cluster-ip-range` in kubeadm). */
export const DEFAULT_SERVICE_CIDR = '10.96.0.0/12';

/** Options of {@link serviceIPAllocator}. */
export interface ServiceIPAllocatorOptions {
  /** The IPv4 range to allocate from. @default '10.96.0.0/12' */
  readonly range?: string;
  /**
   * A client to read the Services that exist: the table is filled from them before the first
   * allocation, and an address held by a Service that is gone is reused. Pass `api.client`; the
   * repair controller provides one if you do not.
   */
  readonly client?: Client;
  /** The clock that times allocations not yet seen stored. @default the repair controller's (the manager's) clock, `Date.now` until it attaches */
  readonly clock?: Clock;
  /** The source of randomness for picking addresses. @default Math.random */
  readonly random?: () => number;
}

interface Allocation {
  /** `namespace/name` of the Service. */
  owner: string;
  /** Whether the Service has been seen stored with this address. */
  confirmed: boolean;
  /** When it was allocated (clock ms). */
  since: number;
  /** Repair passes in a row that found no Service holding it. */
  leakedPasses: number;
}

type ServiceLike = KubeObject & { spec?: { type?: string | undefined; clusterIP?: string | undefined; clusterIPs?: string[] | undefined } | undefined };

/** How long an allocation not yet seen stored protects its address from a Service that is not its owner. */
const PENDING_GRACE_MS = 60_000;

function isService(req: AdmissionRequest): boolean {
  return req.kind.group === '' && req.kind.kind === 'Service' && req.subresource === undefined;
}

function keyOf(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

function invalidClusterIP(ip: string, detail: string, field = 'spec.clusterIPs'): InvalidError {
  const cause: FieldCause = { field, type: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify([ip])}: ${detail}` };
  return new InvalidError({ kind: 'Service', causes: [cause] });
}

/**
 * The ClusterIP allocator: an {@link AdmissionPlugin} (name `ServiceClusterIPAllocator`) holding
 * the allocation table. Create one with {@link serviceIPAllocator}.
 */
export class ServiceIPAllocator implements AdmissionPlugin {
  readonly name = 'ServiceClusterIPAllocator';
  /** The range addresses come from. */
  readonly range: Ipv4Cidr;
  readonly #first: number;
  readonly #usable: number;
  readonly #dynamicOffset: number;
  readonly #random: () => number;
  #clock: Clock | undefined;
  #client: Client | undefined;
  #loaded: Promise<void> | undefined;
  /** Allocations by ordinal (address − first usable address). */
  readonly #table = new Map<number, Allocation>();

  constructor(options: ServiceIPAllocatorOptions = {}) {
    this.range = parseIpv4Cidr(options.range ?? DEFAULT_SERVICE_CIDR);
    // The network and broadcast addresses are never handed out.
    const reserveEnds = this.range.size > 2;
    this.#first = this.range.base + (reserveEnds ? 1 : 0);
    this.#usable = this.range.size - (reserveEnds ? 2 : 0);
    // Kubernetes' calculateRangeOffset: a lower band kept for requested addresses.
    this.#dynamicOffset = this.#usable < 16 ? 0 : Math.min(Math.max(16, Math.floor(this.#usable / 16)), 256);
    this.#random = options.random ?? Math.random;
    this.#client = options.client;
    this.#clock = options.clock;
  }

  /** Use this client (and clock) if none was given. The repair controller calls it. */
  attach(options: { client: Client; clock: Clock }): void {
    this.#client ??= options.client;
    this.#clock ??= options.clock;
  }

  /** How many addresses are allocated. */
  get allocatedCount(): number {
    return this.#table.size;
  }

  /** How many addresses the range can hand out. */
  get capacity(): number {
    return this.#usable;
  }

  /** The Service (`namespace/name`) an address is allocated to, if any. */
  ownerOf(ip: string): string | undefined {
    const ordinal = this.#ordinal(ip);
    return ordinal === undefined ? undefined : this.#table.get(ordinal)?.owner;
  }

  /** Every allocation: address → `namespace/name`. */
  allocations(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [ordinal, a] of [...this.#table].sort((x, y) => x[0] - y[0])) out.set(formatIpv4(this.#first + ordinal), a.owner);
    return out;
  }

  /** Whether `ip` lies in the range (and is not its network or broadcast address). */
  contains(ip: string): boolean {
    return this.#ordinal(ip) !== undefined;
  }

  /** Release `ip` (if `owner` is given, only if it is allocated to that Service). Returns whether it was released. */
  release(ip: string, owner?: string): boolean {
    const ordinal = this.#ordinal(ip);
    if (ordinal === undefined) return false;
    const a = this.#table.get(ordinal);
    if (a === undefined || (owner !== undefined && a.owner !== owner)) return false;
    this.#table.delete(ordinal);
    return true;
  }

  // ---------------------------------------------------------------- admission

  async mutate(req: AdmissionRequest): Promise<void> {
    if (!isService(req)) return;
    const svc = req.object as ServiceLike;
    const spec = (svc.spec ??= {});
    const owner = keyOf(svc);
    await this.#load();
    if (spec.type === 'ExternalName') return;
    const old = req.operation === 'UPDATE' ? (req.oldObject as ServiceLike | undefined)?.spec : undefined;
    const oldIP = old?.type === 'ExternalName' ? undefined : old?.clusterIP || undefined;
    const requested = spec.clusterIP || spec.clusterIPs?.[0] || undefined;

    if (req.operation === 'UPDATE' && oldIP !== undefined) {
      if (requested === undefined) {
        // Kubernetes keeps the allocated values when an update leaves them out.
        spec.clusterIP = oldIP;
        spec.clusterIPs = [...(old?.clusterIPs ?? [oldIP])];
        return;
      }
      if (requested !== oldIP) throw invalidClusterIP(requested, 'may not change once set', 'spec.clusterIPs[0]');
      spec.clusterIP = oldIP;
      spec.clusterIPs = [oldIP];
      return;
    }
    if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return;
    if (requested === 'None') {
      spec.clusterIP = 'None';
      spec.clusterIPs = ['None'];
      return;
    }
    const ip = requested === undefined ? this.#allocateNext(owner, req.dryRun) : await this.#allocateRequested(requested, owner, req.dryRun);
    spec.clusterIP = ip;
    spec.clusterIPs = [ip];
  }

  /** Fill the table from the Services that exist, once, before the first allocation. */
  #load(): Promise<void> {
    const client = this.#client;
    if (client === undefined) return Promise.resolve();
    this.#loaded ??= (async () => {
      const list = await client.list(kinds.Service);
      for (const svc of list.items) this.observe(svc);
    })().catch((e: unknown) => {
      this.#loaded = undefined;
      throw e;
    });
    return this.#loaded;
  }

  #now(): number {
    return this.#clock?.now() ?? Date.now();
  }

  #ordinal(ip: string): number | undefined {
    const n = parseIpv4(ip);
    if (n === undefined || !cidrContains(this.range, n)) return undefined;
    const ordinal = n - this.#first;
    return ordinal >= 0 && ordinal < this.#usable ? ordinal : undefined;
  }

  #allocateNext(owner: string, dryRun: boolean): string {
    // Kubernetes' randomScanStrategyWithOffset: the upper band first, then the lower one.
    const pick = (from: number, to: number): number | undefined => {
      const span = to - from;
      if (span <= 0) return undefined;
      const start = Math.floor(this.#random() * span);
      for (let i = 0; i < span; i++) {
        const ordinal = from + ((start + i) % span);
        if (!this.#table.has(ordinal)) return ordinal;
      }
      return undefined;
    };
    const ordinal = pick(this.#dynamicOffset, this.#usable) ?? pick(0, this.#dynamicOffset);
    if (ordinal === undefined) {
      throw new InvalidError({
        kind: 'Service',
        causes: [{ field: 'spec.clusterIPs', type: 'FieldValueInvalid', message: `failed to allocate a serviceIP: range is full` }],
      });
    }
    if (!dryRun) this.#table.set(ordinal, { owner, confirmed: false, since: this.#now(), leakedPasses: 0 });
    return formatIpv4(this.#first + ordinal);
  }

  async #allocateRequested(ip: string, owner: string, dryRun: boolean): Promise<string> {
    if (parseIpv4(ip) === undefined) {
      throw invalidClusterIP(ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)', 'spec.clusterIPs[0]');
    }
    const ordinal = this.#ordinal(ip);
    if (ordinal === undefined) {
      throw invalidClusterIP(ip, `failed to allocate IP ${ip}: provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.range.cidr}`);
    }
    const existing = this.#table.get(ordinal);
    if (existing !== undefined && existing.owner !== owner && (await this.#stillHeld(existing, ip))) {
      throw invalidClusterIP(ip, `failed to allocate IP ${ip}: provided IP is already allocated`);
    }
    if (!dryRun) this.#table.set(ordinal, { owner, confirmed: false, since: this.#now(), leakedPasses: 0 });
    return ip;
  }

  /** Whether an allocation still holds its address (its Service exists with it, or may be being created). */
  async #stillHeld(a: Allocation, ip: string): Promise<boolean> {
    const client = this.#client;
    if (client === undefined) return true;
    const slash = a.owner.indexOf('/');
    try {
      const svc = await client.get(kinds.Service, { namespace: a.owner.slice(0, slash), name: a.owner.slice(slash + 1) });
      return svc.spec.clusterIP === ip || (svc.spec.clusterIPs ?? []).includes(ip);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      // Not stored (yet): a create in flight keeps its address for a while.
      return !a.confirmed && this.#now() - a.since < PENDING_GRACE_MS;
    }
  }

  // ---------------------------------------------------------------- repair

  /**
   * A Service was seen stored with its address: an allocation made for it (or for a create of
   * another Service that failed) is now confirmed. Addresses missing from the table are left to
   * the repair pass, which reports them.
   */
  confirm(svc: ServiceLike): void {
    const ordinal = this.#ordinal(svc.spec?.clusterIP ?? '');
    if (ordinal === undefined || svc.spec?.type === 'ExternalName') return;
    const a = this.#table.get(ordinal);
    if (a === undefined || (a.confirmed && a.owner !== keyOf(svc))) return;
    a.owner = keyOf(svc);
    a.confirmed = true;
    a.leakedPasses = 0;
  }

  /**
   * Record a stored Service's address. Returns what was wrong, if anything: `NotAllocated` (it
   * was missing from the table: added now), `AlreadyAllocated` (another Service holds it),
   * `OutOfRange`, `NotValid`.
   */
  observe(svc: ServiceLike): 'NotAllocated' | 'AlreadyAllocated' | 'OutOfRange' | 'NotValid' | undefined {
    const ip = svc.spec?.clusterIP;
    if (!ip || ip === 'None' || svc.spec?.type === 'ExternalName') return undefined;
    if (parseIpv4(ip) === undefined) return 'NotValid';
    const ordinal = this.#ordinal(ip);
    if (ordinal === undefined) return 'OutOfRange';
    const owner = keyOf(svc);
    const a = this.#table.get(ordinal);
    if (a === undefined) {
      this.#table.set(ordinal, { owner, confirmed: true, since: this.#now(), leakedPasses: 0 });
      return 'NotAllocated';
    }
    if (a.owner !== owner) {
      if (a.confirmed) return 'AlreadyAllocated';
      // The pending allocation was someone else's failed create: the stored Service wins.
      a.owner = owner;
    }
    a.confirmed = true;
    a.leakedPasses = 0;
    return undefined;
  }

  /**
   * One pass of the repair loop over the Services that exist: returns the problems found (for
   * Events) and releases addresses no Service has held for `leakPasses` passes in a row.
   */
  repair(services: readonly ServiceLike[], leakPasses = 3): { service: ServiceLike; problem: 'NotAllocated' | 'AlreadyAllocated' | 'OutOfRange' | 'NotValid' }[] {
    const problems: { service: ServiceLike; problem: 'NotAllocated' | 'AlreadyAllocated' | 'OutOfRange' | 'NotValid' }[] = [];
    const held = new Set<number>();
    for (const svc of services) {
      const problem = this.observe(svc);
      if (problem !== undefined) problems.push({ service: svc, problem });
      const ordinal = this.#ordinal(svc.spec?.clusterIP ?? '');
      if (ordinal !== undefined && svc.spec?.type !== 'ExternalName') held.add(ordinal);
    }
    for (const [ordinal, a] of [...this.#table]) {
      if (held.has(ordinal)) continue;
      a.leakedPasses++;
      if (a.leakedPasses >= leakPasses) this.#table.delete(ordinal);
    }
    return problems;
  }
}

/**
 * Create the ClusterIP allocator. Add it to the API's admission chain and run
 * {@link setupServiceIPRepairController} beside it.
 *
 * @example
 * ```ts
 * const ips = serviceIPAllocator({ range: '10.96.0.0/12', client: api.client });
 * api.admission.add(ips);
 * ```
 */
export function serviceIPAllocator(options: ServiceIPAllocatorOptions = {}): ServiceIPAllocator {
  return new ServiceIPAllocator(options);
}

/** Options of {@link setupServiceIPRepairController}. */
export interface ServiceIPRepairOptions {
  /** The allocator registered on the API. */
  readonly allocator: ServiceIPAllocator;
  /** How often to reconcile the table with the Services that exist. @default 180000 (3 min, as kube-apiserver) */
  readonly intervalMs?: number;
}

/**
 * Keeps a {@link ServiceIPAllocator}'s table true: releases addresses of deleted Services, and
 * periodically repairs the table from the Services that exist, with Kubernetes' Warning Events.
 * Runs on every manager (not only the leader), since each API server holds its own table.
 */
export class ServiceIPRepairController implements Runnable {
  /** The runnable's name in the manager, after kube-apiserver's repair loop: `ipallocator-repair-controller`. */
  readonly name = 'ipallocator-repair-controller';
  readonly needLeaderElection = false;
  readonly #manager: Manager;
  readonly #allocator: ServiceIPAllocator;
  readonly #intervalMs: number;

  constructor(manager: Manager, options: ServiceIPRepairOptions) {
    this.#manager = manager;
    this.#allocator = options.allocator;
    this.#intervalMs = options.intervalMs ?? 180_000;
    options.allocator.attach({ client: manager.client, clock: manager.clock });
    const informer = manager.informers.informerFor(kinds.Service);
    informer.addEventHandler({
      onAdd: (svc) => this.#allocator.confirm(svc),
      onUpdate: (old, svc) => {
        const before = old.spec.clusterIP;
        if (before && before !== svc.spec.clusterIP) this.#allocator.release(before, keyOf(old));
        this.#allocator.confirm(svc);
      },
      onDelete: (svc) => {
        if (svc.spec.clusterIP) this.#allocator.release(svc.spec.clusterIP, keyOf(svc));
      },
    });
  }

  /** One repair pass now. */
  async repairOnce(): Promise<void> {
    const services = await this.#manager.cache.list(kinds.Service);
    const recorder = this.#manager.recorderFor(this.name);
    const cidr = this.#allocator.range.cidr;
    for (const { service, problem } of this.#allocator.repair(services)) {
      const ip = service.spec?.clusterIP ?? '';
      switch (problem) {
        case 'NotAllocated':
          recorder.event(service, 'Warning', 'ClusterIPNotAllocated', `Cluster IP [IPv4]:${ip} is not allocated; repairing`);
          break;
        case 'AlreadyAllocated':
          recorder.event(service, 'Warning', 'ClusterIPAlreadyAllocated', `Cluster IP [IPv4]:${ip} was assigned to multiple services; please recreate service`);
          break;
        case 'OutOfRange':
          recorder.event(service, 'Warning', 'ClusterIPOutOfRange', `Cluster IP [IPv4]:${ip} is not within the configured Service CIDR ${cidr}; please recreate service`);
          break;
        case 'NotValid':
          recorder.event(service, 'Warning', 'ClusterIPNotValid', `Cluster IP ${ip} is not a valid IP; please recreate service`);
          break;
      }
    }
    this.#manager.logger.debug({ allocated: this.#allocator.allocatedCount, at: formatTime(this.#manager.clock.now()) }, 'service ClusterIP repair pass');
  }

  async start(signal: AbortSignal): Promise<void> {
    const informer = this.#manager.informers.informerFor(kinds.Service);
    if (!(await informer.waitForSync(signal))) return;
    while (!signal.aborted) {
      try {
        await this.repairOnce();
      } catch (e) {
        if (signal.aborted) return;
        this.#manager.logger.warn({ err: e }, 'service ClusterIP repair failed; retrying at the next interval');
      }
      await delay(this.#manager.clock, this.#intervalMs, signal);
    }
  }
}

/**
 * Run the repair controller of `options.allocator` on `manager`.
 *
 * @example
 * ```ts
 * const ips = serviceIPAllocator();
 * api.admission.add(ips);
 * setupServiceIPRepairController(manager, { allocator: ips });
 * ```
 */
export function setupServiceIPRepairController(manager: Manager, options: ServiceIPRepairOptions): ServiceIPRepairController {
  const c = new ServiceIPRepairController(manager, options);
  manager.add(c);
  return c;
}

/**
 * Leader election on a `coordination.k8s.io/v1` Lease, with client-go's algorithm and defaults:
 * lease duration 15 s, renew deadline 10 s, retry period 2 s.
 *
 * A candidate tries to take the Lease every retry period. It may take it when nobody holds it or
 * when the holder has not renewed it for a whole lease duration, measured on the candidate's own
 * clock from the moment it last saw the Lease change (so clock skew between processes does not
 * matter). The leader renews every retry period; if it cannot renew within the renew deadline it
 * stops leading. Every write is a compare-and-swap on the Lease's resourceVersion, so two
 * candidates can never both win. On a clean stop the leader releases the Lease (holder emptied,
 * duration 1 s) so a successor takes over at once.
 *
 * @example
 * ```ts
 * const elector = new LeaderElector({ client, clock, identity: 'worker-1', leaseName: 'my-controllers' });
 * await elector.run(signal, {
 *   onStartedLeading: async (leading) => { await runControllers(leading); },
 * });
 * ```
 *
 * @module
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { systemClock, delay, formatMicroTime, type Clock } from '../clock/clock.js';
import type { Client } from '../api/client.js';
import { isAlreadyExists, isConflict, isNotFound } from '../errors.js';
import * as kinds from '../kinds/index.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import { jsonEqual } from '../util/json.js';

/** Options of {@link LeaderElector}. */
export interface LeaderElectionOptions {
  /** The Lease's name, shared by every candidate of one group. */
  readonly leaseName: string;
  /** The Lease's namespace. @default 'kube-system' */
  readonly namespace?: string;
  /** This candidate's identity. @default `<hostname>_<random uuid>` */
  readonly identity?: string;
  /** How long a Lease holds without renewal. @default 15000 */
  readonly leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it gives up leading. @default 10000 */
  readonly renewDeadlineMs?: number;
  /** How often candidates try to take, and the leader to renew, the Lease. @default 2000 */
  readonly retryPeriodMs?: number;
  /** Release the Lease on a clean stop so a successor need not wait. @default true */
  readonly releaseOnCancel?: boolean;
}

/** What the elector calls as leadership comes and goes. */
export interface LeaderCallbacks {
  /** Called on becoming leader; `leading` aborts when leadership ends. Awaited before `run` resolves. */
  onStartedLeading(leading: AbortSignal): Promise<void> | void;
  /** Called after leadership ended (lost or released). */
  onStoppedLeading?(): void;
  /** Called whenever the observed leader changes (including to this candidate). */
  onNewLeader?(identity: string): void;
}

/** Why a leader stopped leading. */
export class LeaderElectionLostError extends Error {
  /** Always `LeaderElectionLostError`. */
  override readonly name: string = 'LeaderElectionLostError';
}

type LeaseRecord = kinds.Lease['spec'];

/** One candidate for leadership. */
export class LeaderElector {
  /** This candidate's identity, written to the Lease's `spec.holderIdentity` while it leads. */
  readonly identity: string;
  readonly #client: Client;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #key: { namespace: string; name: string };
  readonly #leaseMs: number;
  readonly #renewMs: number;
  readonly #retryMs: number;
  readonly #release: boolean;
  #observed: LeaseRecord | undefined;
  #observedAt = 0;
  #resourceVersion: string | undefined;
  #leader = false;
  #lastLeader = '';

  constructor(options: LeaderElectionOptions & { client: Client; clock?: Clock; logger?: Logger }) {
    this.#client = options.client;
    this.#clock = options.clock ?? systemClock;
    this.identity = options.identity ?? `${hostname()}_${randomUUID()}`;
    this.#key = { namespace: options.namespace ?? 'kube-system', name: options.leaseName };
    this.#leaseMs = options.leaseDurationMs ?? 15_000;
    this.#renewMs = options.renewDeadlineMs ?? 10_000;
    this.#retryMs = options.retryPeriodMs ?? 2_000;
    this.#release = options.releaseOnCancel ?? true;
    if (!(this.#leaseMs > this.#renewMs)) throw new Error('leaseDurationMs must be greater than renewDeadlineMs');
    if (!(this.#renewMs > this.#retryMs)) throw new Error('renewDeadlineMs must be greater than retryPeriodMs');
    this.#log = (options.logger ?? silentLogger).child({ lease: `${this.#key.namespace}/${this.#key.name}`, identity: this.identity });
  }

  /** Whether this candidate leads right now. */
  isLeader(): boolean {
    return this.#leader;
  }

  /**
   * Campaign until elected, lead until leadership is lost or `signal` aborts, then return.
   * Resolves after `onStartedLeading` has returned and the Lease is released (on a clean stop).
   * @throws {@link LeaderElectionLostError} when renewal failed for longer than the renew deadline.
   */
  async run(signal: AbortSignal, callbacks: LeaderCallbacks): Promise<void> {
    if (!(await this.#acquire(signal, callbacks))) return;
    const leading = new AbortController();
    const stopLeading = (): void => leading.abort(signal.reason);
    signal.addEventListener('abort', stopLeading, { once: true });
    this.#leader = true;
    this.#log.info({}, 'became leader');
    let work: Promise<void>;
    try {
      work = Promise.resolve(callbacks.onStartedLeading(leading.signal));
    } catch (e) {
      work = Promise.reject(e);
    }
    // If the leader's work ends by itself, stop renewing too.
    const workDone = work.then(
      () => leading.abort(),
      () => leading.abort(),
    );
    let lost: LeaderElectionLostError | undefined;
    try {
      lost = await this.#renewLoop(leading.signal);
      if (lost) leading.abort(lost);
      await work;
    } finally {
      await workDone;
      signal.removeEventListener('abort', stopLeading);
      this.#leader = false;
      if (lost === undefined && this.#release) await this.#releaseLease();
      this.#log.info({ lost: lost !== undefined }, 'stopped leading');
      callbacks.onStoppedLeading?.();
    }
    if (lost) throw lost;
  }

  async #acquire(signal: AbortSignal, callbacks: LeaderCallbacks): Promise<boolean> {
    this.#log.debug({}, 'campaigning');
    while (!signal.aborted) {
      if (await this.#tryAcquireOrRenew(callbacks)) return true;
      await delay(this.#clock, this.#retryMs, signal);
    }
    return false;
  }

  /** Renew every retry period; return an error when renewal has failed for the whole renew deadline. */
  async #renewLoop(leading: AbortSignal): Promise<LeaderElectionLostError | undefined> {
    let lastRenew = this.#clock.now();
    while (!leading.aborted) {
      await delay(this.#clock, this.#retryMs, leading);
      if (leading.aborted) return undefined;
      if (await this.#tryAcquireOrRenew(undefined)) {
        lastRenew = this.#clock.now();
        continue;
      }
      if (this.#clock.now() - lastRenew >= this.#renewMs) {
        this.#log.error({}, 'failed to renew the lease within the renew deadline');
        return new LeaderElectionLostError(`lease ${this.#key.namespace}/${this.#key.name} lost by ${this.identity}`);
      }
    }
    return undefined;
  }

  async #tryAcquireOrRenew(callbacks: LeaderCallbacks | undefined): Promise<boolean> {
    const now = this.#clock.now();
    const desired: LeaseRecord = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.max(1, Math.round(this.#leaseMs / 1000)),
      acquireTime: formatMicroTime(now),
      renewTime: formatMicroTime(now),
      leaseTransitions: 0,
    };
    let lease: kinds.Lease;
    try {
      lease = await this.#client.get(kinds.Lease, this.#key);
    } catch (e) {
      if (!isNotFound(e)) {
        this.#log.warn({ err: e }, 'could not read the lease');
        return false;
      }
      try {
        const created = await this.#client.create(kinds.Lease, { metadata: { ...this.#key }, spec: desired });
        this.#observe(created, callbacks);
        return true;
      } catch (err) {
        if (!isAlreadyExists(err)) this.#log.warn({ err }, 'could not create the lease');
        return false;
      }
    }
    this.#observe(lease, callbacks);
    const current = lease.spec;
    const holder = current.holderIdentity ?? '';
    const heldByOther = holder !== '' && holder !== this.identity;
    const durationMs = (current.leaseDurationSeconds ?? 0) * 1000;
    if (heldByOther && this.#observedAt + durationMs > now) return false;
    const next: LeaseRecord = {
      ...desired,
      acquireTime: holder === this.identity && current.acquireTime ? current.acquireTime : desired.acquireTime,
      leaseTransitions: (current.leaseTransitions ?? 0) + (holder === this.identity ? 0 : 1),
    };
    try {
      const updated = await this.#client.update(kinds.Lease, { ...lease, spec: next });
      this.#observe(updated, callbacks);
      return true;
    } catch (e) {
      if (!isConflict(e)) this.#log.warn({ err: e }, 'could not update the lease');
      return false;
    }
  }

  #observe(lease: kinds.Lease, callbacks: LeaderCallbacks | undefined): void {
    if (!jsonEqual(lease.spec, this.#observed)) {
      this.#observed = lease.spec;
      this.#observedAt = this.#clock.now();
    }
    this.#resourceVersion = lease.metadata.resourceVersion;
    const holder = lease.spec.holderIdentity ?? '';
    if (holder !== this.#lastLeader) {
      this.#lastLeader = holder;
      if (holder !== '') callbacks?.onNewLeader?.(holder);
    }
  }

  async #releaseLease(): Promise<void> {
    if (this.#observed?.holderIdentity !== this.identity || this.#resourceVersion === undefined) return;
    const now = formatMicroTime(this.#clock.now());
    try {
      await this.#client.update(kinds.Lease, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { ...this.#key, resourceVersion: this.#resourceVersion },
        spec: { ...this.#observed, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now },
      });
    } catch (e) {
      this.#log.warn({ err: e }, 'could not release the lease');
    }
  }
}

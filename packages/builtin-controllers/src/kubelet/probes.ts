/**
 * Container probes, as the kubelet runs them: startup, liveness and readiness probes with
 * `httpGet`, `tcpSocket` and `exec` handlers, `initialDelaySeconds`, `periodSeconds`,
 * `timeoutSeconds`, `successThreshold` and `failureThreshold`, each on its own timer of the
 * injected clock. Until a startup probe succeeds the other probes do not run; readiness starts
 * false and liveness starts true, as in Kubernetes. A change of result calls `onChange` so the pod
 * is synced at once (a failed liveness probe gets the container restarted).
 *
 * @module
 * @internal
 */
import { connect } from 'node:net';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Clock, ContainerRuntime, TimerHandle, kinds } from '@harbormaster/core';

/** How a probe talks to a container; replace it in tests. */
export interface Prober {
  /** GET `url`; success is a status in [200, 400). */
  http(url: string, options: { readonly headers: Readonly<Record<string, string>>; readonly timeoutMs: number }): Promise<ProbeOutcome>;
  /** Open a TCP connection. */
  tcp(host: string, port: number, options: { readonly timeoutMs: number }): Promise<ProbeOutcome>;
}

/** The result of one probe. */
export interface ProbeOutcome {
  /** Whether the probe passed (for an HTTP GET, a status from 200 to 399; for TCP, a connection). */
  readonly success: boolean;
  /** Why it failed, for Events (`Liveness probe failed: …`). */
  readonly message?: string;
  /** The HTTP status an HTTP GET got, if it got an answer at all (an HTTP lifecycle hook only fails without one). */
  readonly statusCode?: number;
}

/** The prober for real containers: HTTP(S) and TCP from this process. */
export const networkProber: Prober = {
  http(url, options) {
    return new Promise((resolve) => {
      const make = url.startsWith('https:') ? httpsRequest : request;
      const req = make(url, { method: 'GET', headers: { 'User-Agent': 'harbormaster-probe/1', ...options.headers }, timeout: options.timeoutMs, rejectUnauthorized: false }, (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        resolve(code >= 200 && code < 400 ? { success: true, statusCode: code } : { success: false, statusCode: code, message: `HTTP probe failed with statuscode: ${code}` });
      });
      req.on('timeout', () => {
        req.destroy();
        resolve({ success: false, message: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
      });
      req.on('error', (e) => resolve({ success: false, message: `Get "${url}": ${e.message}` }));
      req.end();
    });
  },
  tcp(host, port, options) {
    return new Promise((resolve) => {
      const socket = connect({ host, port, timeout: options.timeoutMs });
      socket.once('connect', () => {
        socket.destroy();
        resolve({ success: true });
      });
      socket.once('timeout', () => {
        socket.destroy();
        resolve({ success: false, message: `dial tcp ${host}:${port}: i/o timeout` });
      });
      socket.once('error', (e) => resolve({ success: false, message: `dial tcp ${host}:${port}: ${e.message}` }));
    });
  },
};

/** Which probe. */
export type ProbeKind = 'startup' | 'liveness' | 'readiness';

interface Worker {
  readonly kind: ProbeKind;
  readonly probe: kinds.Probe;
  timer: TimerHandle | undefined;
  successes: number;
  failures: number;
  result: boolean;
  running: boolean;
}

interface ContainerProbes {
  readonly podUid: string;
  readonly containerId: string;
  readonly workers: Worker[];
  stopped: boolean;
}

/** What a probe needs to know about its container. */
export interface ProbeTarget {
  readonly podUid: string;
  readonly podIP: string;
  readonly containerId: string;
  readonly container: kinds.Container;
}

/** Runs the probes of every container of a node. */
export class ProbeManager {
  readonly #clock: Clock;
  readonly #runtime: ContainerRuntime;
  readonly #prober: Prober;
  readonly #onChange: (podUid: string, kind: ProbeKind, outcome: ProbeOutcome) => void;
  readonly #containers = new Map<string, ContainerProbes>();

  constructor(options: {
    clock: Clock;
    runtime: ContainerRuntime;
    prober: Prober;
    onChange: (podUid: string, kind: ProbeKind, outcome: ProbeOutcome) => void;
  }) {
    this.#clock = options.clock;
    this.#runtime = options.runtime;
    this.#prober = options.prober;
    this.#onChange = options.onChange;
  }

  /** Start probing a running container (once per container id). */
  ensure(target: ProbeTarget): void {
    if (this.#containers.has(target.containerId)) return;
    const c = target.container;
    const workers: Worker[] = [];
    const add = (kind: ProbeKind, probe: kinds.Probe | undefined): void => {
      if (probe !== undefined) workers.push({ kind, probe, timer: undefined, successes: 0, failures: 0, result: kind === 'liveness', running: false });
    };
    add('startup', c.startupProbe);
    add('liveness', c.livenessProbe);
    add('readiness', c.readinessProbe);
    const entry: ContainerProbes = { podUid: target.podUid, containerId: target.containerId, workers, stopped: false };
    this.#containers.set(target.containerId, entry);
    for (const w of workers) this.#schedule(entry, w, target, (w.probe.initialDelaySeconds ?? 0) * 1000);
  }

  /** Whether the container has started: its startup probe succeeded (or it has none). */
  started(containerId: string, container: kinds.Container): boolean {
    if (container.startupProbe === undefined) return true;
    return this.#worker(containerId, 'startup')?.result ?? false;
  }

  /** Whether the container is ready: started, and its readiness probe succeeded (or it has none). */
  ready(containerId: string, container: kinds.Container): boolean {
    if (!this.started(containerId, container)) return false;
    if (container.readinessProbe === undefined) return true;
    return this.#worker(containerId, 'readiness')?.result ?? false;
  }

  /** Whether the container's liveness or startup probe has failed past its threshold. */
  unhealthy(containerId: string): 'liveness' | 'startup' | undefined {
    const startup = this.#worker(containerId, 'startup');
    if (startup !== undefined && !startup.result && startup.failures >= (startup.probe.failureThreshold ?? 3)) return 'startup';
    const liveness = this.#worker(containerId, 'liveness');
    if (liveness !== undefined && !liveness.result) return 'liveness';
    return undefined;
  }

  /** Stop probing one container. */
  stopContainer(containerId: string): void {
    const entry = this.#containers.get(containerId);
    if (entry === undefined) return;
    entry.stopped = true;
    for (const w of entry.workers) if (w.timer !== undefined) this.#clock.clearTimeout(w.timer);
    this.#containers.delete(containerId);
  }

  /** Stop probing every container of a pod. */
  stopPod(podUid: string): void {
    for (const entry of [...this.#containers.values()]) if (entry.podUid === podUid) this.stopContainer(entry.containerId);
  }

  /** Stop everything. */
  stopAll(): void {
    for (const id of [...this.#containers.keys()]) this.stopContainer(id);
  }

  /** Containers being probed. */
  containerIds(): string[] {
    return [...this.#containers.keys()];
  }

  #worker(containerId: string, kind: ProbeKind): Worker | undefined {
    return this.#containers.get(containerId)?.workers.find((w) => w.kind === kind);
  }

  #schedule(entry: ContainerProbes, w: Worker, target: ProbeTarget, delayMs: number): void {
    if (entry.stopped) return;
    w.timer = this.#clock.setTimeout(() => {
      w.timer = undefined;
      void this.#run(entry, w, target);
    }, delayMs);
  }

  async #run(entry: ContainerProbes, w: Worker, target: ProbeTarget): Promise<void> {
    const period = (w.probe.periodSeconds ?? 10) * 1000;
    // Liveness and readiness wait for the startup probe.
    const startup = entry.workers.find((x) => x.kind === 'startup');
    if (w.kind !== 'startup' && startup !== undefined && !startup.result) {
      this.#schedule(entry, w, target, period);
      return;
    }
    // A succeeded startup probe is done.
    if (w.kind === 'startup' && w.result) return;
    let outcome: ProbeOutcome;
    try {
      outcome = await this.#probe(w.probe, target);
    } catch (e) {
      outcome = { success: false, message: e instanceof Error ? e.message : String(e) };
    }
    if (entry.stopped) return;
    const before = w.result;
    if (outcome.success) {
      w.failures = 0;
      w.successes++;
      if (w.successes >= (w.kind === 'readiness' ? (w.probe.successThreshold ?? 1) : 1)) w.result = true;
    } else {
      w.successes = 0;
      w.failures++;
      if (w.failures >= (w.probe.failureThreshold ?? 3)) w.result = false;
    }
    const startupGaveUp = w.kind === 'startup' && !w.result && w.failures >= (w.probe.failureThreshold ?? 3);
    if (w.result !== before || startupGaveUp) this.#onChange(entry.podUid, w.kind, outcome);
    else if (!outcome.success && w.kind === 'liveness') this.#onChange(entry.podUid, w.kind, outcome);
    this.#schedule(entry, w, target, period);
  }

  #probe(probe: kinds.Probe, target: ProbeTarget): Promise<ProbeOutcome> {
    const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
    if (probe.httpGet) {
      const { url, headers } = httpGetRequest(probe.httpGet, target.container, target.podIP);
      return this.#prober.http(url, { headers, timeoutMs });
    }
    if (probe.tcpSocket) return this.#prober.tcp(probe.tcpSocket.host ?? target.podIP, resolvePort(probe.tcpSocket.port, target.container), { timeoutMs });
    if (probe.exec) {
      return this.#runtime.exec(target.containerId, probe.exec.command ?? [], { timeoutMs }).then((r) =>
        r.exitCode === 0 ? { success: true } : { success: false, message: `command ${JSON.stringify(probe.exec?.command ?? [])} exited with ${r.exitCode}: ${(r.stdout + r.stderr).trim()}` },
      );
    }
    return Promise.resolve({ success: false, message: 'the probe has no handler (grpc probes are not supported)' });
  }
}

/** A port number, or the number of the container's port of that name (the kubelet's `resolvePort`). */
export function resolvePort(port: number | string, container: kinds.Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((x) => x.name === port)?.containerPort;
  if (named === undefined) throw new Error(`port "${port}" is not a named port of container ${container.name}`);
  return named;
}

/** The URL and headers of an HTTP GET action (a probe's or a lifecycle hook's); the host defaults to the pod IP. */
export function httpGetRequest(action: kinds.HTTPGetAction, container: kinds.Container, podIP: string): { url: string; headers: Record<string, string> } {
  const scheme = (action.scheme ?? 'HTTP').toLowerCase();
  const host = action.host ?? podIP;
  const path = action.path ?? '/';
  const headers: Record<string, string> = {};
  for (const header of action.httpHeaders ?? []) headers[header.name] = header.value;
  return { url: `${scheme}://${host}:${resolvePort(action.port, container)}${path.startsWith('/') ? path : `/${path}`}`, headers };
}

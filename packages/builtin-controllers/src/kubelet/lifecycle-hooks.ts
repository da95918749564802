/**
 * Container lifecycle hooks (`lifecycle.postStart`, `lifecycle.preStop`), run as the kubelet's
 * handler runner runs them:
 *
 * - `exec`: the command in the container; it fails on a non-zero exit code (or when it cannot run);
 * - `httpGet`: a GET to the pod IP (or `host`) on the port, named or numbered; it fails only when
 *   no HTTP answer comes at all — any status code, even 500, is a success, as in Kubernetes;
 * - `sleep`: waits on the clock;
 * - `tcpSocket`: not supported as a hook (Kubernetes keeps the field for compatibility only): fails.
 *
 * A handler that has not finished by its deadline is left to run on; the caller goes on (a preStop
 * hook may use up the grace period, never more).
 *
 * @module
 * @internal
 */
import { delay, type Clock, type ContainerRuntime, type kinds } from '@harbormaster/core';
import { formatPod } from './format.js';
import { httpGetRequest, type Prober } from './probes.js';

/** What running a hook needs. */
export interface HookDeps {
  readonly runtime: ContainerRuntime;
  readonly prober: Prober;
  readonly clock: Clock;
}

/** The container a hook runs for. */
export interface HookTarget {
  readonly pod: kinds.Pod;
  readonly podIP: string;
  readonly container: kinds.Container;
  readonly containerId: string;
}

/** How a hook ended: `ok`, `failed` (with Kubernetes' message), or still running at its deadline. */
export type HookResult = { readonly outcome: 'ok' } | { readonly outcome: 'failed'; readonly message: string } | { readonly outcome: 'timedOut' };

/**
 * Run `handler` for `target`, waiting at most `timeoutMs` (of the clock), or until `signal`
 * aborts; either way ends as `timedOut` and leaves no timer behind.
 */
export async function runLifecycleHook(
  deps: HookDeps,
  target: HookTarget,
  handler: kinds.LifecycleHandler,
  options: { readonly timeoutMs: number; readonly signal?: AbortSignal },
): Promise<HookResult> {
  const { timeoutMs, signal } = options;
  // Ends the deadline, and a sleep action, when the race is over or `signal` aborts (as timedOut).
  const done = new AbortController();
  const onAbort = (): void => done.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted === true) done.abort();
  const deadline = delay(deps.clock, Math.max(0, timeoutMs), done.signal).then((): HookResult => ({ outcome: 'timedOut' }));
  try {
    return await Promise.race([run(deps, target, handler, { timeoutMs, done: done.signal }), deadline]);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    done.abort();
  }
}

async function run(
  deps: HookDeps,
  target: HookTarget,
  handler: kinds.LifecycleHandler,
  { timeoutMs, done }: { readonly timeoutMs: number; readonly done: AbortSignal },
): Promise<HookResult> {
  const { container, pod } = target;
  const where = `for Container ${JSON.stringify(container.name)} in Pod ${JSON.stringify(formatPod(pod))}`;
  if (handler.exec !== undefined) {
    const command = handler.exec.command ?? [];
    try {
      const r = await deps.runtime.exec(target.containerId, command, { timeoutMs: Math.max(1, timeoutMs) });
      if (r.exitCode === 0) return { outcome: 'ok' };
      // The CRI's error for a non-zero exit, and the output, as the kubelet quotes them.
      const error = `command '${command.join(' ')}' exited with ${r.exitCode}: ${r.stderr}`;
      return { outcome: 'failed', message: `Exec lifecycle hook ([${command.join(' ')}]) ${where} failed - error: ${error}, message: ${JSON.stringify(r.stdout + r.stderr)}` };
    } catch (e) {
      return { outcome: 'failed', message: `Exec lifecycle hook ([${command.join(' ')}]) ${where} failed - error: ${errorMessage(e)}, message: ""` };
    }
  }
  if (handler.httpGet !== undefined) {
    const path = handler.httpGet.path ?? '/';
    try {
      const { url, headers } = httpGetRequest(handler.httpGet, container, target.podIP);
      const answer = await deps.prober.http(url, { headers: { 'User-Agent': 'kube-lifecycle/harbormaster', ...headers }, timeoutMs: Math.max(1, timeoutMs) });
      if (answer.success || answer.statusCode !== undefined) return { outcome: 'ok' };
      return { outcome: 'failed', message: `HTTP lifecycle hook (${path}) ${where} failed - error: ${answer.message ?? 'no answer'}` };
    } catch (e) {
      return { outcome: 'failed', message: `HTTP lifecycle hook (${path}) ${where} failed - error: ${errorMessage(e)}` };
    }
  }
  if (handler.sleep !== undefined) {
    const seconds = handler.sleep.seconds;
    await delay(deps.clock, seconds * 1000, done);
    return { outcome: 'ok' };
  }
  const kind = handler.tcpSocket !== undefined ? 'tcpSocket is not supported as a lifecycle hook' : 'no action is set';
  return { outcome: 'failed', message: `Cannot run handler: invalid handler: ${kind}` };
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

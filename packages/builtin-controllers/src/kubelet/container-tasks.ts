/**
 * Work on a container that runs beside its pod's sync, as the kubelet's per-pod workers do it: a
 * graceful stop (preStop hook, SIGTERM, the grace period, SIGKILL) or a postStart hook can take
 * minutes, and must not hold one of the node's few sync workers while other pods wait to start.
 *
 * One task of a kind runs per container at a time (a container is never stopped twice at once);
 * when a task ends, however it ends, its pod is synced again through `onDone`. When the node agent
 * stops, {@link ContainerTasks.drain} aborts every task's signal (cutting hooks and retry waits
 * short; a container's stop already asked of the runtime is left to the runtime) and waits for
 * the tasks to end, so nothing of the agent runs after it has stopped.
 *
 * @module
 * @internal
 */
import type { Logger } from '@harbormaster/core';

/** What a task does: stop a container, or run its postStart hook. */
export type ContainerTaskKind = 'stop' | 'postStart';

/** Background tasks on containers, by pod. */
export class ContainerTasks {
  readonly #onDone: (podUid: string) => void;
  readonly #log: Logger;
  /** Running tasks by `<kind>/<container id>`, with their pod's uid. */
  readonly #running = new Map<string, string>();
  /** The promises of the running tasks, for {@link ContainerTasks.drain}. */
  readonly #promises = new Set<Promise<void>>();
  readonly #stop = new AbortController();

  constructor(options: { readonly onDone: (podUid: string) => void; readonly log: Logger }) {
    this.#onDone = options.onDone;
    this.#log = options.log;
  }

  /**
   * Run `work` in the background unless a task of this kind already runs for the container, or
   * the tasks are being drained. `work` gets a signal that aborts when they are. Returns whether
   * it was started.
   */
  start(kind: ContainerTaskKind, podUid: string, containerId: string, work: (signal: AbortSignal) => Promise<void>): boolean {
    const key = `${kind}/${containerId}`;
    const signal = this.#stop.signal;
    if (this.#running.has(key) || signal.aborted) return false;
    this.#running.set(key, podUid);
    const promise = (async () => {
      try {
        await work(signal);
      } catch (e) {
        if (!signal.aborted) this.#log.warn({ err: e, podUid, containerId, task: kind }, 'container task failed');
      } finally {
        this.#running.delete(key);
        if (!signal.aborted) this.#onDone(podUid);
      }
    })();
    this.#promises.add(promise);
    void promise.finally(() => this.#promises.delete(promise));
    return true;
  }

  /** Abort every task's signal, start no more, and wait until every task has ended. */
  async drain(): Promise<void> {
    this.#stop.abort();
    await Promise.all([...this.#promises]);
  }

  /** Whether a task of `kind` runs for the container. */
  has(kind: ContainerTaskKind, containerId: string): boolean {
    return this.#running.has(`${kind}/${containerId}`);
  }

  /** How many tasks run for a pod. */
  countFor(podUid: string): number {
    let n = 0;
    for (const uid of this.#running.values()) if (uid === podUid) n++;
    return n;
  }
}

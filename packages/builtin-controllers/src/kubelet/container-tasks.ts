/**
 * Work on a container that runs beside its pod's sync, as the kubelet's per-pod workers do it: a
 * graceful stop (preStop hook, SIGTERM, the grace period, SIGKILL) or a postStart hook can take
 * minutes, and must not hold one of the node's few sync workers while other pods wait to start.
 *
 * One task of a kind runs per container at a time (a container is never stopped twice at once);
 * when a task ends, however it ends, its pod is synced again through `onDone`.
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

  constructor(options: { readonly onDone: (podUid: string) => void; readonly log: Logger }) {
    this.#onDone = options.onDone;
    this.#log = options.log;
  }

  /**
   * Run `work` in the background unless a task of this kind already runs for the container.
   * Returns whether it was started.
   */
  start(kind: ContainerTaskKind, podUid: string, containerId: string, work: () => Promise<void>): boolean {
    const key = `${kind}/${containerId}`;
    if (this.#running.has(key)) return false;
    this.#running.set(key, podUid);
    void (async () => {
      try {
        await work();
      } catch (e) {
        this.#log.warn({ err: e, podUid, containerId, task: kind }, 'container task failed');
      } finally {
        this.#running.delete(key);
        this.#onDone(podUid);
      }
    })();
    return true;
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

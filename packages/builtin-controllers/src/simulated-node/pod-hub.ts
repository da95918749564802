/**
 * One pod watch for many simulated nodes: a pod informer (the manager's shared one, or a private
 * one that watches only bound pods) with an index by `spec.nodeName`, whose events are handed to
 * the node each pod is bound to. A thousand simulated nodes cost one watch, not a thousand.
 *
 * @module
 */
import { Informer, kinds, type CacheReader, type Client, type Clock, type InformerFactory, type Logger } from '@harbormaster/core';

/** The index of pods by `spec.nodeName` the hub adds to the pod informer. */
export const POD_NODE_NAME_INDEX = 'simulated-node:spec.nodeName';

/** What a node agent receives from the hub. */
export interface PodListener {
  /** A pod bound to the node was added or changed. */
  podChanged(pod: kinds.Pod): void;
  /** A pod bound to the node was deleted (its last state). */
  podDeleted(pod: kinds.Pod): void;
}

/** Options of {@link PodHub}. */
export interface PodHubOptions {
  readonly client: Client;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Share this factory's pod informer (a manager's `informers`) instead of watching on our own. */
  readonly informers?: InformerFactory | undefined;
  /** For a private informer: watch only the pods of this node (one node), else every bound pod. */
  readonly nodeName?: string | undefined;
}

/** Routes pod events to node agents by `spec.nodeName`. */
export class PodHub {
  readonly #informer: Informer<typeof kinds.Pod>;
  readonly #owned: boolean;
  readonly #listeners = new Map<string, PodListener>();
  readonly #unregister: () => void;

  constructor(options: PodHubOptions) {
    const byNode = { [POD_NODE_NAME_INDEX]: (pod: kinds.Pod) => (pod.spec.nodeName ? [pod.spec.nodeName] : []) };
    if (options.informers !== undefined) {
      const existing = options.informers.existing(kinds.Pod);
      const informer = existing ?? options.informers.informerFor(kinds.Pod, { indexers: byNode });
      if (existing !== undefined) addIndexOnce(informer, byNode);
      this.#informer = informer;
      this.#owned = false;
    } else {
      this.#informer = new Informer({
        client: options.client,
        kind: kinds.Pod,
        clock: options.clock,
        logger: options.logger,
        fieldSelector: options.nodeName === undefined ? 'spec.nodeName!=' : `spec.nodeName=${options.nodeName}`,
        indexers: byNode,
      });
      this.#owned = true;
    }
    this.#unregister = this.#informer.addEventHandler({
      onAdd: (pod) => this.#listeners.get(pod.spec.nodeName ?? '')?.podChanged(pod),
      onUpdate: (oldPod, pod) => {
        if (oldPod.spec.nodeName && oldPod.spec.nodeName !== pod.spec.nodeName) this.#listeners.get(oldPod.spec.nodeName)?.podDeleted(oldPod);
        this.#listeners.get(pod.spec.nodeName ?? '')?.podChanged(pod);
      },
      onDelete: (pod) => this.#listeners.get(pod.spec.nodeName ?? '')?.podDeleted(pod),
    });
  }

  /** The pod cache. */
  get pods(): CacheReader<kinds.Pod> {
    return this.#informer.cache;
  }

  /** Whether the pod cache has synced. */
  hasSynced(): boolean {
    return this.#informer.hasSynced();
  }

  /** Resolves true once the pod cache has synced, false if `signal` aborts first. */
  waitForSync(signal: AbortSignal): Promise<boolean> {
    return this.#informer.waitForSync(signal);
  }

  /** The pods bound to `nodeName`. */
  podsOn(nodeName: string): kinds.Pod[] {
    return this.#informer.cache.byIndex(POD_NODE_NAME_INDEX, nodeName);
  }

  /**
   * Route the events of pods bound to `nodeName` to `listener` until the returned function is
   * called.
   * @throws Error if another listener has that node.
   */
  listen(nodeName: string, listener: PodListener): () => void {
    if (this.#listeners.has(nodeName)) throw new Error(`simulated node ${nodeName} is running already`);
    this.#listeners.set(nodeName, listener);
    return () => {
      if (this.#listeners.get(nodeName) === listener) this.#listeners.delete(nodeName);
    };
  }

  /** Run the private informer (a shared one runs with its factory) until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    try {
      if (this.#owned) await this.#informer.start(signal);
      else
        await new Promise<void>((resolve) => {
          if (signal.aborted) resolve();
          else signal.addEventListener('abort', () => resolve(), { once: true });
        });
    } finally {
      this.#unregister();
    }
  }
}

/** Add the by-node index to a shared informer unless an earlier hub did. */
function addIndexOnce(informer: Informer<typeof kinds.Pod>, indexers: Record<string, (pod: kinds.Pod) => string[]>): void {
  for (const [name, fn] of Object.entries(indexers)) {
    try {
      informer.addIndex(name, fn);
    } catch {
      // Added by another hub on the same informer: the same function.
    }
  }
}

/**
 * The taint eviction controller: deletes pods from nodes with `NoExecute` taints they do not
 * tolerate, as Kubernetes' `pkg/controller/tainteviction` (formerly the node lifecycle
 * controller's taint manager) does.
 *
 * For each pod bound to a node with `NoExecute` taints:
 * - if a taint is not tolerated, the pod is deleted at once;
 * - if every taint is tolerated, the pod is deleted after the smallest `tolerationSeconds` of
 *   the tolerations used, counted from when the controller first saw it so exposed (never if
 *   no used toleration sets `tolerationSeconds`); a scheduled deletion is kept when the taints
 *   change, unless they go away or become tolerated forever, which cancels it.
 *
 * Deleting means: a `DisruptionTarget` condition (reason `DeletionByTaintManager`) on the pod's
 * status, then a delete with the pod's own grace period, with a Normal `TaintManagerEviction`
 * Event "Marking for deletion Pod <namespace>/<name>"; a cancelled deletion records
 * "Cancelling deletion of Pod <namespace>/<name>". Pods already being deleted are left alone.
 *
 * @example
 * ```ts
 * setupTaintEvictionController(manager);
 * ```
 *
 * @module
 */
import {
  controller,
  formatTime,
  isNotFound,
  kinds,
  type Controller,
  type Manager,
  type ReconcileContext,
  type Reconciler,
  type Request,
  type Result,
} from '@harbormaster/core';
import { podsByNode } from './pods-by-node.js';
import { matchingTolerations, minTolerationSeconds } from './taints.js';

/** Options of {@link setupTaintEvictionController}. */
export interface TaintEvictionControllerOptions {
  /** How many nodes may be processed at once. @default 8 (Kubernetes' UpdateWorkerSize) */
  readonly workers?: number;
}

interface ScheduledEviction {
  readonly uid: string;
  readonly nodeName: string;
  /** When the controller first saw the pod exposed (clock ms). */
  readonly createdAt: number;
  /** When to delete it (clock ms). */
  readonly fireAt: number;
}

function noExecuteTaints(node: kinds.Node | undefined): kinds.Taint[] {
  return (node?.spec.taints ?? []).filter((t) => t.effect === 'NoExecute');
}

function podKey(pod: kinds.Pod): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

/** Evicts pods from nodes with NoExecute taints. Reconciles nodes; see the module documentation. */
export class TaintEvictionReconciler implements Reconciler {
  readonly #podsOn: (nodeName: string) => kinds.Pod[];
  /** Scheduled deletions by pod key (Kubernetes' timed worker queue). */
  readonly #scheduled = new Map<string, ScheduledEviction>();

  constructor(options: { podsOnNode: (nodeName: string) => kinds.Pod[] }) {
    this.#podsOn = options.podsOnNode;
  }

  /** The scheduled deletion time (clock ms) of a pod, if any. For tests and debugging. */
  scheduledDeletion(pod: { namespace: string; name: string }): number | undefined {
    return this.#scheduled.get(`${pod.namespace}/${pod.name}`)?.fireAt;
  }

  async reconcile(request: Request, ctx: ReconcileContext): Promise<Result> {
    const nodeName = request.name;
    const node = await ctx.cache.get(kinds.Node, { name: nodeName });
    const taints = noExecuteTaints(node);
    const now = ctx.clock.now();
    const seen = new Set<string>();
    let next = Number.POSITIVE_INFINITY;
    for (const pod of this.#podsOn(nodeName)) {
      const key = podKey(pod);
      if (pod.metadata.deletionTimestamp) {
        this.#scheduled.delete(key);
        continue;
      }
      seen.add(key);
      if (taints.length === 0) {
        this.#cancel(pod, ctx);
        continue;
      }
      const { allTolerated, used } = matchingTolerations(taints, pod.spec.tolerations ?? []);
      if (!allTolerated) {
        ctx.log.debug({ pod: key }, 'not all NoExecute taints are tolerated: deleting the pod now');
        this.#cancel(pod, ctx);
        await this.#evict(pod, ctx);
        continue;
      }
      const seconds = minTolerationSeconds(used);
      if (seconds === undefined) {
        this.#cancel(pod, ctx);
        continue;
      }
      let scheduled = this.#scheduled.get(key);
      if (scheduled === undefined || scheduled.uid !== pod.metadata.uid) {
        scheduled = { uid: pod.metadata.uid ?? '', nodeName, createdAt: now, fireAt: now + seconds * 1000 };
        this.#scheduled.set(key, scheduled);
      }
      if (scheduled.fireAt <= now) {
        this.#scheduled.delete(key);
        await this.#evict(pod, ctx);
      } else {
        next = Math.min(next, scheduled.fireAt);
      }
    }
    // Pods that left the node (deleted, or never there any more): their deletions are off.
    for (const [key, s] of this.#scheduled) {
      if (s.nodeName !== nodeName || seen.has(key)) continue;
      this.#scheduled.delete(key);
      const [namespace = '', name = ''] = key.split('/');
      ctx.recorder.event(
        { apiVersion: 'v1', kind: 'Pod', metadata: { namespace, name, uid: s.uid } },
        'Normal',
        'TaintManagerEviction',
        `Cancelling deletion of Pod ${key}`,
      );
    }
    return Number.isFinite(next) ? { requeueAfter: next - now } : undefined;
  }

  #cancel(pod: kinds.Pod, ctx: ReconcileContext): void {
    const key = podKey(pod);
    if (!this.#scheduled.delete(key)) return;
    ctx.recorder.event(pod, 'Normal', 'TaintManagerEviction', `Cancelling deletion of Pod ${key}`);
  }

  /** Kubernetes' addConditionAndDeletePod. */
  async #evict(pod: kinds.Pod, ctx: ReconcileContext): Promise<void> {
    const key = { namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name ?? '' };
    ctx.recorder.event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key.namespace}/${key.name}`);
    try {
      const live = await ctx.client.get(kinds.Pod, key);
      if (live.metadata.uid !== pod.metadata.uid) return;
      const conditions = live.status?.conditions ?? [];
      const existing = conditions.find((c) => c.type === 'DisruptionTarget');
      if (existing?.status !== 'True' || existing.reason !== 'DeletionByTaintManager') {
        const condition: kinds.PodCondition = {
          type: 'DisruptionTarget',
          status: 'True',
          reason: 'DeletionByTaintManager',
          message: 'Taint manager: deleting due to NoExecute taint',
          lastTransitionTime: formatTime(ctx.clock.now()),
        };
        live.status = { ...live.status, conditions: [...conditions.filter((c) => c.type !== 'DisruptionTarget'), condition] };
        await ctx.client.updateStatus(kinds.Pod, live);
      }
      await ctx.client.delete(kinds.Pod, key, { preconditions: { uid: pod.metadata.uid } });
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
  }
}

/**
 * Add the taint eviction controller to `manager`. It reconciles Nodes whose `NoExecute` taints
 * change, and is woken by pods bound to them or whose tolerations change.
 *
 * @example
 * ```ts
 * api.admission.add(defaultTolerationSeconds());
 * setupTaintEvictionController(manager);
 * ```
 */
export function setupTaintEvictionController(manager: Manager, options: TaintEvictionControllerOptions = {}): Controller {
  const reconciler = new TaintEvictionReconciler({ podsOnNode: podsByNode(manager) });
  const noExecuteChanged = (a: kinds.Node, b: kinds.Node): boolean => JSON.stringify(noExecuteTaints(a)) !== JSON.stringify(noExecuteTaints(b));
  return controller(manager)
    .named('taint-eviction-controller')
    .for(kinds.Node, { predicates: [{ update: noExecuteChanged }] })
    .watches(kinds.Pod, (pod) => (pod.spec.nodeName ? { name: pod.spec.nodeName } : undefined), {
      predicates: [
        {
          update: (a, b) => a.spec.nodeName !== b.spec.nodeName || JSON.stringify(a.spec.tolerations ?? []) !== JSON.stringify(b.spec.tolerations ?? []),
        },
      ],
    })
    .withOptions({ maxConcurrentReconciles: options.workers ?? 8 })
    .complete(reconciler);
}

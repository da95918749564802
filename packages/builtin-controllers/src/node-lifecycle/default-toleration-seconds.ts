/**
 * The `DefaultTolerationSeconds` admission plugin, as Kubernetes'
 * `plugin/pkg/admission/defaulttolerationseconds`: every pod that does not already tolerate the
 * `node.kubernetes.io/not-ready:NoExecute` (or `unreachable:NoExecute`) taint gets a toleration
 * for it with `tolerationSeconds: 300`. A pod on a node that stops responding is then evicted
 * five minutes after the node is tainted, rather than at once.
 *
 * A toleration with an empty key (or the taint's key) and an empty effect (or `NoExecute`)
 * counts as already tolerating. The plugin runs on pod creates and updates, not on the status
 * subresource.
 *
 * @example
 * ```ts
 * api.admission.add(defaultTolerationSeconds());
 * const pod = await api.client.create(kinds.Pod, { metadata: { name: 'web' }, spec: { containers: [{ name: 'web', image: 'nginx' }] } });
 * pod.spec.tolerations;
 * // [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
 * //  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }]
 * ```
 *
 * @module
 */
import type { AdmissionPlugin, kinds } from '@harbormaster/core';
import { TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE } from './taints.js';

/** Options of {@link defaultTolerationSeconds}. */
export interface DefaultTolerationSecondsOptions {
  /** `tolerationSeconds` of the added not-ready toleration (`--default-not-ready-toleration-seconds`). @default 300 */
  readonly notReadyTolerationSeconds?: number;
  /** `tolerationSeconds` of the added unreachable toleration (`--default-unreachable-toleration-seconds`). @default 300 */
  readonly unreachableTolerationSeconds?: number;
}

function tolerates(tolerations: readonly kinds.Toleration[], key: string): boolean {
  return tolerations.some((t) => (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect));
}

/**
 * The `DefaultTolerationSeconds` admission plugin. Add it to the API's admission chain.
 *
 * @example
 * ```ts
 * api.admission.add(defaultTolerationSeconds({ notReadyTolerationSeconds: 60 }));
 * ```
 */
export function defaultTolerationSeconds(options: DefaultTolerationSecondsOptions = {}): AdmissionPlugin {
  const notReady = options.notReadyTolerationSeconds ?? 300;
  const unreachable = options.unreachableTolerationSeconds ?? 300;
  return {
    name: 'DefaultTolerationSeconds',
    mutate(req) {
      if (req.kind.group !== '' || req.kind.kind !== 'Pod' || req.subresource !== undefined) return;
      if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return;
      const pod = req.object as kinds.Pod;
      if (pod.spec === undefined) return;
      const tolerations = pod.spec.tolerations ?? [];
      const add: kinds.Toleration[] = [];
      if (!tolerates(tolerations, TAINT_NODE_NOT_READY)) {
        add.push({ key: TAINT_NODE_NOT_READY, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: notReady });
      }
      if (!tolerates(tolerations, TAINT_NODE_UNREACHABLE)) {
        add.push({ key: TAINT_NODE_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: unreachable });
      }
      if (add.length > 0) pod.spec.tolerations = [...tolerations, ...add];
    },
  };
}

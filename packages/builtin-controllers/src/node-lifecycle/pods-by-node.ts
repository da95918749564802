/**
 * An index of the shared Pod cache by `spec.nodeName`, for the controllers that act on all the
 * pods of a node.
 *
 * @module
 */
import { kinds, type Manager } from '@harbormaster/core';

/** The name of the index (private to these controllers, so another index cannot shadow it). */
export const PODS_BY_NODE_INDEX = 'builtin-controllers/pods-by-node';

/** The pods bound to a node, from the shared cache. Adds the index on first use. */
export function podsByNode(manager: Manager): (nodeName: string) => kinds.Pod[] {
  const informer = manager.informers.informerFor(kinds.Pod);
  try {
    informer.addIndex(PODS_BY_NODE_INDEX, (pod) => (pod.spec.nodeName ? [pod.spec.nodeName] : []));
  } catch {
    // Added already by another of these controllers.
  }
  return (nodeName) => informer.cache.byIndex(PODS_BY_NODE_INDEX, nodeName);
}

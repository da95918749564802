/**
 * A TEST FAKE, not a scheduler: binds every unbound pod to the next Ready, schedulable node in
 * name order, round-robin. No filters, no scores, no capacity checks. The real scheduler lives in
 * `@harbormaster/scheduler-plugins`; the workload tests only need pods to land somewhere.
 */
import { controller, isConflict, isNotFound, kinds, type Controller, type Manager } from '@harbormaster/core';

function nodeReady(node: kinds.Node): boolean {
  return !node.spec.unschedulable && node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

/** Add the test binder (`test-binder`) to a manager. */
export function setupTestBinder(manager: Manager): Controller {
  let next = 0;
  const pods = manager.informers.informerFor(kinds.Pod);
  return controller(manager)
    .named('test-binder')
    .for(kinds.Pod)
    // A node becoming ready may unblock every waiting pod.
    .watches(kinds.Node, () =>
      pods.cache
        .list({ filter: (p) => !p.spec.nodeName && !p.metadata.deletionTimestamp })
        .map((p) => ({ namespace: p.metadata.namespace, name: p.metadata.name ?? '' })),
    )
    .complete(async (request, ctx) => {
      const pod = await ctx.cache.get(kinds.Pod, request);
      if (pod === undefined || pod.spec.nodeName || pod.metadata.deletionTimestamp) return;
      const nodes = (await ctx.cache.list(kinds.Node)).filter(nodeReady).sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
      const node = nodes[next++ % Math.max(1, nodes.length)];
      if (node === undefined) return;
      try {
        await ctx.client.patch(kinds.Pod, request, { metadata: { uid: pod.metadata.uid }, spec: { nodeName: node.metadata.name } });
      } catch (e) {
        if (!isNotFound(e) && !isConflict(e)) throw e;
      }
    });
}

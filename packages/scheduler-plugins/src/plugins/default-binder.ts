/**
 * DefaultBinder (Bind): binds the pod the way Kubernetes' binding subresource does, in two writes
 * since Harbormaster has no binding subresource: `spec.nodeName` set once (a merge patch guarded
 * by the pod's uid; the API refuses to move a bound pod), then the condition `PodScheduled=True`
 * through the status subresource.
 *
 * @module
 */
import { kinds } from '@harbormaster/core';
import type { CycleState } from '../framework/cycle-state.js';
import type { BindPlugin, Handle, PluginFactory } from '../framework/interface.js';
import type { PluginStatus } from '../framework/status.js';
import { patchPodStatus } from '../helpers/pod-status.js';
import { names } from './names.js';

/** Bind `pod` to `nodeName`: set `spec.nodeName`, then `PodScheduled=True`. */
export async function bindPod(options: { readonly handle: Pick<Handle, 'client' | 'clock'>; readonly pod: kinds.Pod; readonly nodeName: string }): Promise<kinds.Pod> {
  const { handle, pod, nodeName } = options;
  const key = { namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name ?? '' };
  const bound = await handle.client.patch(kinds.Pod, key, { metadata: { uid: pod.metadata.uid }, spec: { nodeName } });
  const scheduled = await patchPodStatus({ client: handle.client, clock: handle.clock, pod: bound, condition: { type: 'PodScheduled', status: 'True' } });
  return scheduled ?? bound;
}

/** The DefaultBinder plugin. */
export const defaultBinder: PluginFactory = ({ handle }: { handle: Handle }): BindPlugin => ({
  name: names.DefaultBinder,
  async bind(_state: CycleState, pod: kinds.Pod, nodeName: string): Promise<PluginStatus> {
    await bindPod({ handle, pod, nodeName });
    return undefined;
  },
});

/**
 * DefaultBinder (Bind): binds the pod through the API's binding subresource (`client.bind`), which
 * sets `spec.nodeName` and the condition `PodScheduled=True` in one write, guarded by the pod's
 * uid; the API refuses to move a bound pod.
 *
 * @module
 */
import type { kinds } from '@harbormaster/core';
import type { CycleState } from '../framework/cycle-state.js';
import type { BindPlugin, Handle, PluginFactory } from '../framework/interface.js';
import type { PluginStatus } from '../framework/status.js';
import { names } from './names.js';

/** Bind `pod` to `nodeName`: `spec.nodeName` and `PodScheduled=True`, in one write. */
export async function bindPod(options: { readonly handle: Pick<Handle, 'client' | 'clock'>; readonly pod: kinds.Pod; readonly nodeName: string }): Promise<kinds.Pod> {
  const { handle, pod, nodeName } = options;
  const key = { namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name ?? '' };
  return handle.client.bind(key, { nodeName, uid: pod.metadata.uid });
}

/** The DefaultBinder plugin. */
export const defaultBinder: PluginFactory = ({ handle }: { handle: Handle }): BindPlugin => ({
  name: names.DefaultBinder,
  async bind(_state: CycleState, pod: kinds.Pod, nodeName: string): Promise<PluginStatus> {
    await bindPod({ handle, pod, nodeName });
    return undefined;
  },
});

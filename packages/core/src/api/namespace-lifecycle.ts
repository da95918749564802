/**
 * The `NamespaceLifecycle` admission plugin, as in Kubernetes: an object can be created only in
 * a namespace that exists and is not being terminated, and the system namespaces cannot be
 * deleted.
 *
 * @module
 */
import { ForbiddenError, NotFoundError } from '../errors.js';
import type { KubeObject } from '../meta/object-meta.js';
import type { AdmissionPlugin } from './admission.js';

/** Namespaces that cannot be deleted. */
export const IMMORTAL_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public'];

/**
 * Build the plugin; `getNamespace` reads a Namespace object (or `undefined`). Its refusals read as
 * Kubernetes' do: `namespaces "team-a" not found`,
 * `configmaps "settings" is forbidden: unable to create new content in namespace team-a because it is being terminated`,
 * `namespaces "default" is forbidden: this namespace may not be deleted`.
 */
export function namespaceLifecycle(deps: {
  getNamespace(name: string): Promise<KubeObject | undefined>;
}): AdmissionPlugin {
  return {
    name: 'NamespaceLifecycle',
    async validate(req) {
      if (req.operation === 'DELETE' && req.kind.group === '' && req.kind.kind === 'Namespace') {
        const name = req.object.metadata.name ?? '';
        if (IMMORTAL_NAMESPACES.includes(name))
          throw ForbiddenError.forObject({ group: '', kind: 'namespaces', name }, 'this namespace may not be deleted');
        return;
      }
      if (req.operation !== 'CREATE' || !req.kind.namespaced) return;
      const name = req.object.metadata.namespace;
      if (name === undefined) return;
      const ns = await deps.getNamespace(name);
      if (ns === undefined) throw new NotFoundError({ group: '', kind: 'namespaces', name });
      if (ns.metadata.deletionTimestamp) {
        throw ForbiddenError.forObject(
          { group: req.kind.group, kind: req.kind.plural, name: req.object.metadata.name ?? '', namespace: name },
          `unable to create new content in namespace ${name} because it is being terminated`,
        );
      }
    },
  };
}

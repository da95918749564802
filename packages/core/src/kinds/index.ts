/**
 * The built-in kinds, with Kubernetes' field names and defaults. Each name is both a value (the
 * {@link KindDefinition} to pass to the client and the controller builder) and a type (the
 * object type inferred from the kind's schema).
 *
 * @example
 * ```ts
 * import { kinds } from '@harbormaster/core';
 *
 * const cm: kinds.ConfigMap = await client.get(kinds.ConfigMap, { namespace: 'default', name: 'settings' });
 * ```
 *
 * @module
 */
export { ConfigMap } from './core/config-map.js';

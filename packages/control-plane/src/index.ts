/**
 * `@harbormaster/control-plane`: an embedded Kubernetes control plane in one call.
 * See {@link createControlPlane}.
 *
 * @packageDocumentation
 */
export { createControlPlane } from './control-plane.js';
export type { ControlPlane, ControlPlaneOptions, RuntimeChoice } from './control-plane.js';

/**
 * `@harbormaster/runtime-docker`: the ContainerRuntime on a Docker Engine (dockerode), with host
 * networking, Kubernetes' pull policies, and the kubelet's resource and stats conventions. See
 * {@link dockerRuntime}.
 *
 * @example
 * ```ts
 * import { dockerRuntime, isDockerAvailable } from '@harbormaster/runtime-docker';
 *
 * if (await isDockerAvailable()) {
 *   const runtime = dockerRuntime({ owner: 'node-1' });
 *   console.log(await runtime.version(), await runtime.capacity());
 * }
 * ```
 *
 * @packageDocumentation
 */
export { dockerRuntime } from './docker-runtime.js';
export type { DockerRuntimeOptions } from './docker-runtime.js';
export { dockerRuntimeModule } from './docker-runtime-module.js';
export { isDockerAvailable, checkDocker } from './docker-available.js';
export type { DockerAvailableOptions, DockerAvailability } from './docker-available.js';

/**
 * `@harbormaster/runtime-process`: the ContainerRuntime that runs containers as local processes
 * (in the manner of Nomad's raw_exec driver), for machines without Docker and for fast tests.
 * Images are named commands from an image map, or `process://<absolute path of an executable>`.
 * See {@link processRuntime}.
 *
 * @example
 * ```ts
 * import { processRuntime } from '@harbormaster/runtime-process';
 *
 * const runtime = processRuntime({
 *   stateDir: '/var/lib/harbormaster/node-1',
 *   images: { 'acme/web:1': { command: ['node', 'server.js'], workingDir: '/srv/web' } },
 * });
 * ```
 *
 * @packageDocumentation
 */
export { processRuntime } from './process-runtime.js';
export type { ProcessRuntimeOptions } from './process-runtime.js';
export { processRuntimeModule } from './process-runtime-module.js';
export { PROCESS_IMAGE_PREFIX } from './process-image.js';
export type { ProcessImage } from './process-image.js';

import { ContainerModule, TOKENS } from '@harbormaster/core';
import { dockerRuntime, type DockerRuntimeOptions } from './docker-runtime.js';

/**
 * The ContainerModule of `@harbormaster/runtime-docker`: binds the container runtime
 * (`TOKENS.ContainerRuntime`) to one
 * {@link dockerRuntime}, closed when the container unbinds it.
 *
 * @example
 * ```ts
 * container.loadSync(memoryStoreModule(), dockerRuntimeModule({ owner: 'node-1' }), coreModule());
 * ```
 */
export function dockerRuntimeModule(options: DockerRuntimeOptions = {}): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.ContainerRuntime)
      .toDynamicValue(() => dockerRuntime(options))
      .inSingletonScope()
      .onDeactivation((runtime) => runtime.close());
  });
}

import { ContainerModule, type ContainerRuntime, type ServiceIdentifier } from '@harbormaster/core';
import { dockerRuntime, type DockerRuntimeOptions } from './docker-runtime.js';

/**
 * The service identifier of the container runtime. It is meant to become `TOKENS.ContainerRuntime`
 * in `@harbormaster/core`; until then it is declared here with the same global symbol, so a
 * container resolves it with `Symbol.for('harbormaster.ContainerRuntime')` either way.
 */
const CONTAINER_RUNTIME = Symbol.for('harbormaster.ContainerRuntime') as ServiceIdentifier<ContainerRuntime>;

/**
 * The ContainerModule of `@harbormaster/runtime-docker`: binds the container runtime
 * (`Symbol.for('harbormaster.ContainerRuntime')`, to be `TOKENS.ContainerRuntime`) to one
 * {@link dockerRuntime}, closed when the container unbinds it.
 *
 * @example
 * ```ts
 * container.loadSync(memoryStoreModule(), dockerRuntimeModule({ owner: 'node-1' }), coreModule());
 * ```
 */
export function dockerRuntimeModule(options: DockerRuntimeOptions = {}): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(CONTAINER_RUNTIME)
      .toDynamicValue(() => dockerRuntime(options))
      .inSingletonScope()
      .onDeactivation((runtime) => runtime.close());
  });
}

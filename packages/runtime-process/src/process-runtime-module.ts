import { ContainerModule, type ContainerRuntime, type ServiceIdentifier } from '@harbormaster/core';
import { processRuntime, type ProcessRuntimeOptions } from './process-runtime.js';

/**
 * The service identifier of the container runtime. It is meant to become `TOKENS.ContainerRuntime`
 * in `@harbormaster/core`; until then it is declared here with the same global symbol, so a
 * container resolves it with `Symbol.for('harbormaster.ContainerRuntime')` either way.
 */
const CONTAINER_RUNTIME = Symbol.for('harbormaster.ContainerRuntime') as ServiceIdentifier<ContainerRuntime>;

/**
 * The ContainerModule of `@harbormaster/runtime-process`: binds the container runtime
 * (`Symbol.for('harbormaster.ContainerRuntime')`, to be `TOKENS.ContainerRuntime`) to one
 * {@link processRuntime}, closed when the container unbinds it.
 *
 * @example
 * ```ts
 * container.loadSync(memoryStoreModule(), processRuntimeModule({ stateDir: '/var/lib/harbormaster/node-1', images }), coreModule());
 * ```
 */
export function processRuntimeModule(options: ProcessRuntimeOptions = {}): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(CONTAINER_RUNTIME)
      .toDynamicValue(() => processRuntime(options))
      .inSingletonScope()
      .onDeactivation((runtime) => runtime.close());
  });
}

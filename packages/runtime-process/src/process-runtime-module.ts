import { ContainerModule, TOKENS } from '@harbormaster/core';
import { processRuntime, type ProcessRuntimeOptions } from './process-runtime.js';

/**
 * The ContainerModule of `@harbormaster/runtime-process`: binds the container runtime
 * (`TOKENS.ContainerRuntime`) to one
 * {@link processRuntime}, closed when the container unbinds it.
 *
 * @example
 * ```ts
 * container.loadSync(memoryStoreModule(), processRuntimeModule({ stateDir: '/var/lib/harbormaster/node-1', images }), coreModule());
 * ```
 */
export function processRuntimeModule(options: ProcessRuntimeOptions = {}): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.ContainerRuntime)
      .toDynamicValue(() => processRuntime(options))
      .inSingletonScope()
      .onDeactivation((runtime) => runtime.close());
  });
}

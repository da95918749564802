import type { AnyKind } from './kind.js';
import * as all from './index.js';

function isKind(value: unknown): value is AnyKind {
  return (
    typeof value === 'object' &&
    value !== null &&
    'apiVersion' in value &&
    'plural' in value &&
    'schema' in value &&
    'strategy' in value
  );
}

/** Every built-in kind, in a stable order. */
export const builtinKinds: readonly AnyKind[] = Object.values(all).filter(isKind);

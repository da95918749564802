import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { 'index': 'src/index.ts', 'testing/index': 'src/testing/index.ts' },
  format: ['esm', 'cjs'],
  // Share the code of both entries in chunks, for CJS too (esbuild splits only ESM by default):
  // otherwise dist/testing/index.cjs carries its own copy of core, and an error thrown by a
  // store built on `@harbormaster/core` fails `instanceof` in the `./testing` conformance suite.
  splitting: true,
  // Declarations come from tsc, file by file (scripts/emit-declarations.mjs), not from tsup.
  dts: false,
  tsconfig: 'tsconfig.build.json',
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
});

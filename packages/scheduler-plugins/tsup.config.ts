import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { 'index': 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: {
    compilerOptions: {
      composite: false,
      // Type-check against core's sources: core's bundled declarations currently export the kinds
      // (`kinds.Pod`, …) as types only, so `kinds.Pod` as a value does not type-check against them.
      // `@harbormaster/core` stays an external import in the emitted declarations.
      baseUrl: '.',
      rootDir: '../..',
      paths: { '@harbormaster/core': ['../core/src/index.ts'] },
    },
  },
  tsconfig: 'tsconfig.build.json',
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
});

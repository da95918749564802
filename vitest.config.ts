import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

// Tests run against the TypeScript sources, not the built packages.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@harbormaster\/core\/testing$/, replacement: src('./packages/core/src/testing/index.ts') },
      { find: /^@harbormaster\/([a-z-]+)$/, replacement: src('./packages/$1/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/src/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    typecheck: { enabled: false },
  },
});

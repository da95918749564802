#!/usr/bin/env node
// Declarations for a package, emitted by tsc file by file (not bundled), for both module systems:
// dist/types/**/*.d.ts for `import`, and dist/cjs-types/**/*.d.cts for `require` (the same files,
// with relative specifiers pointing at .cjs so TypeScript reads them as CommonJS).
//
// Why not tsup's bundled declarations: rollup-plugin-dts turns `export * as kinds` into a
// `declare namespace` that loses one meaning of names that are both a value and a type
// (`kinds.Pod`), and with code splitting it even declares type-only names as values.
//
// Usage (from a package directory): node ../../scripts/emit-declarations.mjs
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const types = 'dist/types';
const cjsTypes = 'dist/cjs-types';
rmSync(types, { recursive: true, force: true });
rmSync(cjsTypes, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [tsc, '-p', 'tsconfig.build.json', '--noEmit', 'false', '--declaration', '--emitDeclarationOnly', '--declarationMap', 'false', '--sourceMap', 'false', '--outDir', types],
  { stdio: 'inherit' },
);

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

let count = 0;
for (const file of files(types)) {
  if (!file.endsWith('.d.ts')) continue;
  const target = join(cjsTypes, relative(types, file)).replace(/\.d\.ts$/, '.d.cts');
  mkdirSync(dirname(target), { recursive: true });
  const text = readFileSync(file, 'utf8').replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]+)\.js\2/g, '$1$2$3.cjs$2');
  writeFileSync(target, text);
  count++;
}
console.log(`emit-declarations: ${count} declaration files in ${types} and ${cjsTypes}`);

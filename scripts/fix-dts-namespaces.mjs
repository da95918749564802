#!/usr/bin/env node
// rollup-plugin-dts (used by tsup for bundled declarations) turns `export * as ns` into a
// `declare namespace ns { export { … } }` block, but for a name that is both a value and a type
// (`kinds.Pod`: the KindDefinition and the object type) it emits only the type alias
// (`type ns_Pod = Pod;` … `type ns_Pod as Pod`), so `kinds.Pod` as a value does not type-check
// for users of the built package. This script adds the missing value declaration
// (`declare const ns_Pod: typeof Pod;`) and exports both meanings.
//
// Usage: node scripts/fix-dts-namespaces.mjs <dist dir>
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return /\.d\.c?ts$/.test(name) ? [path] : [];
  });
}

const dir = process.argv[2];
if (!dir) {
  console.error('usage: fix-dts-namespaces.mjs <dist dir>');
  process.exit(2);
}
let fixed = 0;
for (const file of files(dir)) {
  const text = readFileSync(file, 'utf8');
  const isValue = (name) => new RegExp(`^declare (const|function|class|let|var) ${name}\\b`, 'm').test(text);
  const out = text.replace(/^declare namespace (\w+) \{\n  export \{ ([^\n]*) \};\n\}/gm, (block, ns, list) => {
    const added = [];
    const entries = list.split(', ').map((entry) => {
      const m = /^type (\w+) as (\w+)$/.exec(entry);
      if (!m) return entry;
      const [, local, exported] = m;
      const alias = new RegExp(`^type ${local}(<[^=]*>)? = (\\w+)(<[^;]*>)?;$`, 'm').exec(text);
      const original = alias?.[2];
      if (original === undefined || !isValue(original) || new RegExp(`^declare const ${local}\\b`, 'm').test(text)) return entry;
      added.push(`declare const ${local}: typeof ${original};`);
      fixed++;
      return `${local} as ${exported}`;
    });
    return `${added.join('\n')}${added.length > 0 ? '\n' : ''}declare namespace ${ns} {\n  export { ${entries.join(', ')} };\n}`;
  });
  if (out !== text) writeFileSync(file, out);
}
console.log(`fix-dts-namespaces: ${fixed} value exports restored in ${dir}`);

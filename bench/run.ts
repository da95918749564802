/**
 * `npm run bench -- <name>`: runs the benchmark in `bench/<name>.bench.ts`.
 *
 * A benchmark file exports `default async function run(): Promise<void>` and prints its result
 * with `printReport` from `./report.js` (a table, then one JSON line, last). Arguments after the
 * name stay in `process.argv.slice(3)` for the benchmark to read. `@harbormaster/*` resolve to
 * the packages' TypeScript sources through the `paths` of the root tsconfig.json (tsx reads it
 * when run from the repository root, as `npm run bench` does), so no build is needed.
 *
 * An unknown or missing name prints the available benchmarks and exits 1; a benchmark that
 * throws exits 1; otherwise the process exits 0 once `run()` resolves, even if the benchmark
 * left a timer or a handle open.
 */
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The benchmarks the project plans, in the order they are listed. */
const PLANNED = ['api', 'reconcile', 'sqlite', 'scheduler', 'deployment', 'docker'] as const;
const SUFFIX = '.bench.ts';
const benchDir = fileURLToPath(new URL('.', import.meta.url));

type BenchmarkModule = { default?: unknown };

function available(): string[] {
  const present = readdirSync(benchDir)
    .filter((file) => file.endsWith(SUFFIX))
    .map((file) => file.slice(0, -SUFFIX.length));
  const planned: readonly string[] = PLANNED;
  return [...planned.filter((n) => present.includes(n)), ...present.filter((n) => !planned.includes(n)).sort()];
}

function usage(problem: string): never {
  const names = available();
  const missing = PLANNED.filter((n) => !names.includes(n));
  console.error(problem);
  console.error('');
  console.error('usage: npm run bench -- <name>');
  console.error(`available benchmarks: ${names.length > 0 ? names.join(', ') : '(none yet)'}`);
  if (missing.length > 0) console.error(`planned, not written yet: ${missing.join(', ')}`);
  process.exit(1);
}

async function main(): Promise<void> {
  const name = process.argv[2];
  if (name === undefined || name === '' || name.startsWith('-')) usage('No benchmark named.');
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) usage(`Unknown benchmark "${name}".`);
  const file = new URL(`${name}${SUFFIX}`, pathToFileURL(benchDir));
  if (!existsSync(file)) usage(`Unknown benchmark "${name}": there is no bench/${name}${SUFFIX}.`);

  const module = (await import(file.href)) as BenchmarkModule;
  const run = module.default;
  if (typeof run !== 'function') {
    console.error(`bench/${name}${SUFFIX} must export \`default async function run(): Promise<void>\`.`);
    process.exit(1);
  }
  await (run as () => Promise<void>)();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

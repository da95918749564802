#!/usr/bin/env node
/**
 * Checks what users will install: for every package under packages/, after `npm run build`,
 *
 * - publint (strict: an error or a warning fails; suggestions are printed only), on the files
 *   `npm pack` would publish;
 * - @arethetypeswrong/cli (`attw --pack`, profile `node16`: the ESM and CJS halves of each entry
 *   point must both resolve to their own types under `node16` and `bundler` resolution). Every
 *   subpath in the package's `exports` (`.`, `./testing`, ...) must be among those checked.
 *
 * The `node10` resolution (TypeScript's legacy `moduleResolution: "node"`) is not checked: it
 * ignores `exports`, so it cannot see subpaths such as `@harbormaster/core/testing`.
 *
 * Usage: node scripts/check-packages.mjs [package-dir-name ...]   (default: all of packages/)
 * Exits 1 with a summary if any check fails.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const attwBin = join(root, 'node_modules', '.bin', 'attw');
const ATTW_PROFILE = 'node16';
/** Resolution kinds that the `node16` profile ignores. */
const IGNORED_RESOLUTIONS = new Set(['node10']);

/** @param {string} dir */
function readPackageJson(dir) {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
}

/**
 * The subpaths a package promises in `exports` (not `./package.json`, not blocked `null` ones,
 * not patterns).
 * @param {Record<string, unknown>} pkg
 * @returns {string[]}
 */
function exportedSubpaths(pkg) {
  const exports = pkg.exports;
  if (exports === undefined || exports === null) return ['.'];
  if (typeof exports === 'string' || Array.isArray(exports)) return ['.'];
  const keys = Object.keys(exports);
  if (!keys.some((k) => k.startsWith('.'))) return ['.']; // conditions only: the root entry
  return keys.filter(
    (k) => k !== './package.json' && !k.includes('*') && /** @type {Record<string, unknown>} */ (exports)[k] !== null,
  );
}

/**
 * @param {string} dir
 * @returns {Promise<{ ok: boolean, lines: string[] }>}
 */
async function checkPublint(dir) {
  const { messages, pkg } = await publint({ pkgDir: dir, level: 'suggestion', strict: true, pack: 'npm' });
  const lines = [];
  let ok = true;
  for (const message of messages) {
    if (message.type !== 'suggestion') ok = false;
    lines.push(`  publint ${message.type}: ${formatMessage(message, pkg, { color: false }) ?? message.code}`);
  }
  return { ok, lines };
}

/**
 * @param {string} dir
 * @param {string[]} subpaths
 * @returns {Promise<{ ok: boolean, lines: string[] }>}
 */
async function checkTypes(dir, subpaths) {
  let stdout;
  let exitCode = 0;
  try {
    ({ stdout } = await run(attwBin, ['--pack', dir, '--profile', ATTW_PROFILE, '--format', 'json'], {
      cwd: root,
      maxBuffer: 256 * 1024 * 1024,
    }));
  } catch (error) {
    const e = /** @type {{ stdout?: string, stderr?: string, code?: number }} */ (error);
    exitCode = typeof e.code === 'number' ? e.code : 1;
    stdout = e.stdout ?? '';
    if (!stdout.trim().startsWith('{')) {
      return { ok: false, lines: [`  attw failed to run: ${(e.stderr ?? String(error)).trim()}`] };
    }
  }
  const report = JSON.parse(stdout);
  const lines = [];
  let ok = exitCode === 0;
  const analysed = Object.keys(report.analysis?.entrypoints ?? {});
  for (const subpath of subpaths) {
    if (!analysed.includes(subpath)) {
      ok = false;
      lines.push(`  attw: entry point "${subpath}" from package.json exports was not analysed`);
    }
  }
  const problems = Object.values(report.problems ?? report.analysis?.problems ?? {}).flat();
  for (const problem of problems) {
    if (problem.resolutionKind !== undefined && IGNORED_RESOLUTIONS.has(problem.resolutionKind)) continue;
    ok = false;
    const where = [problem.entrypoint, problem.resolutionKind].filter(Boolean).join(' ');
    lines.push(`  attw ${problem.kind}${where ? ` (${where})` : ''}`);
  }
  if (!ok && lines.length === 0) lines.push(`  attw exited with code ${exitCode}`);
  if (ok) lines.push(`  attw ok for ${analysed.filter((s) => s !== './package.json').join(', ')}`);
  return { ok, lines };
}

/**
 * @param {string} dir
 * @returns {Promise<{ name: string, ok: boolean, lines: string[] }>}
 */
async function checkPackage(dir) {
  const pkg = readPackageJson(dir);
  const name = pkg.name ?? relative(root, dir);
  const subpaths = exportedSubpaths(pkg);
  const missing = ['main', 'types']
    .map((field) => pkg[field])
    .filter((file) => typeof file === 'string' && !existsSync(join(dir, file)));
  if (missing.length > 0) {
    return { name, ok: false, lines: [`  not built: ${missing.join(', ')} missing (run \`npm run build\` first)`] };
  }
  const [lint, types] = await Promise.all([checkPublint(dir), checkTypes(dir, subpaths)]);
  return { name, ok: lint.ok && types.ok, lines: [...lint.lines, ...types.lines] };
}

/**
 * Runs `fn` over `items`, at most `limit` at a time, keeping the order of results.
 * @template T, R
 * @param {T[]} items
 * @param {number} limit
 * @param {(item: T) => Promise<R>} fn
 * @returns {Promise<R[]>}
 */
async function mapLimit(items, limit, fn) {
  /** @type {R[]} */
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(/** @type {T} */ (items[i]));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

async function main() {
  const packagesDir = join(root, 'packages');
  const only = process.argv.slice(2);
  const dirs = readdirSync(packagesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(packagesDir, d.name, 'package.json')))
    .filter((d) => only.length === 0 || only.includes(d.name))
    .map((d) => join(packagesDir, d.name))
    .filter((dir) => readPackageJson(dir).private !== true);
  if (dirs.length === 0) {
    console.error(`check-packages: no package found${only.length > 0 ? ` for ${only.join(', ')}` : ''}`);
    process.exit(1);
  }

  const started = performance.now();
  const results = await mapLimit(dirs, Math.max(1, availableParallelism()), async (dir) => {
    try {
      return await checkPackage(dir);
    } catch (error) {
      return { name: relative(root, dir), ok: false, lines: [`  check crashed: ${String(error)}`] };
    }
  });

  for (const result of results) {
    console.log(`${result.ok ? 'ok  ' : 'FAIL'} ${result.name}`);
    for (const line of result.lines) console.log(line);
  }
  const failed = results.filter((r) => !r.ok);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log('');
  if (failed.length > 0) {
    console.log(
      `check-packages: ${failed.length} of ${results.length} packages failed (${failed.map((r) => r.name).join(', ')}) in ${seconds} s`,
    );
    process.exit(1);
  }
  console.log(`check-packages: all ${results.length} packages pass publint and attw (${ATTW_PROFILE}) in ${seconds} s`);
}

await main();

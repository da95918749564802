/**
 * Runs `fixtures/child.ts` in other processes. The fixture is bundled once per test file with
 * esbuild (the bundler tsup uses), so a child starts in a fraction of a second with plain `node`;
 * better-sqlite3 stays external, imported by its absolute path.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll } from 'vitest';
import type { ChildTask } from './fixtures/child.js';

const require = createRequire(import.meta.url);
let script: Promise<string> | undefined;
let directory: string | undefined;

// Registered while the test file is collected: a hook registered from inside a test would not run.
afterAll(() => {
  if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  directory = undefined;
  script = undefined;
});

/** The bundled child program (built on first use, removed after the test file). */
export function childScript(): Promise<string> {
  script ??= (async () => {
    directory = mkdtempSync(join(tmpdir(), 'hm-store-sqlite-child-'));
    const outfile = join(directory, 'child.mjs');
    await build({
      entryPoints: [fileURLToPath(new URL('./fixtures/child.ts', import.meta.url))],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      tsconfig: fileURLToPath(new URL('../../../tsconfig.json', import.meta.url)),
      logLevel: 'error',
      plugins: [
        {
          name: 'native-better-sqlite3',
          setup(b) {
            b.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: require.resolve('better-sqlite3'), external: true }));
          },
        },
      ],
    });
    return outfile;
  })();
  return script;
}

/** Start a child on `task`; its stdout is piped. */
export async function spawnChild(task: ChildTask): Promise<ChildProcess> {
  return spawn(process.execPath, [await childScript(), JSON.stringify(task)], { stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Complete lines of stdout (a line cut by a kill is left out). */
  readonly lines: string[];
  readonly stderr: string;
}

/** Wait for `child` to exit and its output to close. `onLine` sees each stdout line as it comes. */
export function finished(child: ChildProcess, onLine?: (line: string) => void): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    let stderr = '';
    const lines: string[] = [];
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        onLine?.(line);
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, lines, stderr }));
  });
}

/** Run a child to completion; fails unless it exits with 0. */
export async function runChild(task: ChildTask): Promise<ChildResult> {
  const result = await finished(await spawnChild(task));
  if (result.code !== 0) throw new Error(`child ${task.mode} exited with ${result.code ?? result.signal}: ${result.stderr}`);
  return result;
}

/**
 * Temporary database files for tests: each call names a new file in one directory per test file,
 * removed with everything in it (the `-wal` and `-shm` companions too) after the file's tests.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

let directory: string | undefined;

// Registered while the test file is collected: a hook registered from inside a test would not run.
afterAll(() => {
  if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  directory = undefined;
});

/** A path for a new database file; the directory it is in is removed after the test file. */
export function tempDatabase(name = `${randomUUID()}.db`): string {
  directory ??= mkdtempSync(join(tmpdir(), 'hm-store-sqlite-'));
  return join(directory, name);
}

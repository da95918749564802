/**
 * Temporary database files for tests: each call names a new file in one directory per test file,
 * removed with its `-wal` and `-shm` companions after the file's tests.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

let directory: string | undefined;

/** A path for a new database file; the directory it is in is removed after the test file. */
export function tempDatabase(name = `${randomUUID()}.db`): string {
  if (directory === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'hm-store-sqlite-'));
    directory = dir;
    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });
  }
  return join(directory, name);
}

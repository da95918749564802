import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lastLines, tailFile } from './tail.js';

const dir = mkdtempSync(join(tmpdir(), 'hm-tail-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tailFile', () => {
  it('returns the last lines, with or without a final newline, and all of a short file', async () => {
    const path = join(dir, 'short');
    writeFileSync(path, 'a\nb\nc\n');
    expect(await tailFile(path, 2)).toBe('b\nc\n');
    expect(await tailFile(path, 10)).toBe('a\nb\nc\n');
    expect(await tailFile(path)).toBe('a\nb\nc\n');
    expect(await tailFile(path, 0)).toBe('');
    expect(lastLines('a\nb\nc', 2)).toBe('b\nc');
  });

  it('reads a long file from the end, across chunk boundaries', async () => {
    const path = join(dir, 'long');
    const lines = Array.from({ length: 50_000 }, (_, i) => `line ${i} ${'x'.repeat(i % 40)}`);
    writeFileSync(path, `${lines.join('\n')}\n`);
    expect(await tailFile(path, 3)).toBe(`${lines.slice(-3).join('\n')}\n`);
    expect(await tailFile(path, 5000)).toBe(`${lines.slice(-5000).join('\n')}\n`);
  });

  it('reads a missing file as empty', async () => {
    expect(await tailFile(join(dir, 'missing'), 5)).toBe('');
  });
});

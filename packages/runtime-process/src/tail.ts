import { open } from 'node:fs/promises';

const CHUNK = 64 * 1024;

/**
 * The last `lines` lines of a file (all of it when `lines` is undefined), read from the end so a
 * long log costs only what is returned. A missing file reads as empty.
 */
export async function tailFile(path: string, lines?: number): Promise<string> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
  try {
    const { size } = await handle.stat();
    if (lines === undefined) return (await handle.readFile()).toString('utf8');
    if (lines <= 0 || size === 0) return '';
    const chunks: Buffer[] = [];
    let position = size;
    let newlines = 0;
    // One more newline than lines are wanted (the one ending the line before them), not counting a
    // final newline, or the start of the file.
    while (position > 0 && newlines <= lines) {
      const length = Math.min(CHUNK, position);
      position -= length;
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, position);
      chunks.unshift(buffer);
      for (let i = 0; i < length; i++) if (buffer[i] === 0x0a && position + i !== size - 1) newlines++;
    }
    return lastLines(Buffer.concat(chunks).toString('utf8'), lines);
  } finally {
    await handle.close();
  }
}

/** The last `n` lines of `text`, keeping a final newline. */
export function lastLines(text: string, n: number): string {
  if (n <= 0 || text === '') return '';
  const endsWithNewline = text.endsWith('\n');
  const parts = (endsWithNewline ? text.slice(0, -1) : text).split('\n');
  return parts.slice(-n).join('\n') + (endsWithNewline ? '\n' : '');
}

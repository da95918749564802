import { describe, expect, it } from 'vitest';
import { demultiplex } from './demultiplex.js';

function frame(stream: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('demultiplex', () => {
  it('splits stdout and stderr and keeps their order in combined', () => {
    const out = demultiplex(Buffer.concat([frame(1, 'a\n'), frame(2, 'oops\n'), frame(1, 'b\n')]));
    expect(out.stdout.toString()).toBe('a\nb\n');
    expect(out.stderr.toString()).toBe('oops\n');
    expect(out.combined.toString()).toBe('a\noops\nb\n');
  });

  it('keeps what arrived of a truncated last frame', () => {
    const data = Buffer.concat([frame(1, 'whole\n'), frame(2, 'cut short')]);
    expect(demultiplex(data.subarray(0, data.length - 6)).stderr.toString()).toBe('cut');
  });

  it('returns TTY output (no frame headers) whole as stdout, and nothing for nothing', () => {
    expect(demultiplex(Buffer.from('plain text from a tty\n')).stdout.toString()).toBe('plain text from a tty\n');
    expect(demultiplex(Buffer.alloc(0)).combined.length).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { clockTicksPerSecond, isRunning, parseProcStat, processGroup, readProcStat, readRssBytes } from './proc.js';

describe('proc', () => {
  it('parses /proc/<pid>/stat, whose command name may hold spaces and parentheses', () => {
    const line =
      '4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 75 10 5 20 0 1 0 123456 10000000 500 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0';
    expect(parseProcStat(line)).toEqual({ pid: 4242, state: 'S', ppid: 1, pgrp: 4242, utime: 250, stime: 75, cutime: 10, cstime: 5, startTime: 123456 });
    expect(parseProcStat('garbage')).toBeUndefined();
  });

  it('reads this process: running, in its process group, with a resident set', async () => {
    const self = await readProcStat(process.pid);
    expect(self).toMatchObject({ pid: process.pid, ppid: process.ppid });
    expect(await isRunning(process.pid, self?.startTime)).toBe(true);
    expect(await isRunning(process.pid, (self?.startTime ?? 0) + 1)).toBe(false);
    expect((await processGroup(self?.pgrp ?? 0)).map((p) => p.pid)).toContain(process.pid);
    expect(await readRssBytes(process.pid)).toBeGreaterThan(1024 * 1024);
    expect(await readRssBytes(0)).toBe(0);
    expect(clockTicksPerSecond()).toBeGreaterThan(0);
  });
});

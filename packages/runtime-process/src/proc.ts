/**
 * Reading Linux's /proc: a process's state, start time and CPU times (`/proc/<pid>/stat`), its
 * resident memory (`/proc/<pid>/status`), and the members of a process group.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

/** The fields of `/proc/<pid>/stat` the runtime uses (see proc(5)). */
export interface ProcStat {
  readonly pid: number;
  /** R, S, D, Z (zombie), T, … */
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
  /** CPU time in clock ticks: user, system, and those of waited-for children. */
  readonly utime: number;
  readonly stime: number;
  readonly cutime: number;
  readonly cstime: number;
  /** When the process started, in clock ticks after boot: with the pid, names one process for good. */
  readonly startTime: number;
}

/** `/proc/<pid>/stat`, or `undefined` when there is no such process. */
export async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return parseProcStat(text);
}

/** Parse one `/proc/<pid>/stat` line; the command name (field 2) may hold spaces and parentheses. */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number.parseInt(text, 10);
  // Fields from 3 (state) on; fields[0] is field 3.
  const fields = text.slice(close + 2).trim().split(' ');
  const n = (field: number): number => Number(fields[field - 3]);
  const state = fields[0];
  if (state === undefined || !Number.isFinite(pid)) return undefined;
  return {
    pid,
    state,
    ppid: n(4),
    pgrp: n(5),
    utime: n(14),
    stime: n(15),
    cutime: n(16),
    cstime: n(17),
    startTime: n(22),
  };
}

/**
 * Whether the process `pid` runs (a zombie does not) and, if `startTime` is given, is the one
 * that started then (not a later process that reuses the pid).
 */
export async function isRunning(pid: number, startTime?: number): Promise<boolean> {
  const stat = await readProcStat(pid);
  if (stat === undefined || stat.state === 'Z' || stat.state === 'X') return false;
  return startTime === undefined || stat.startTime === startTime;
}

/** The live (not zombie) processes of process group `pgid`. */
export async function processGroup(pgid: number): Promise<ProcStat[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const stats = await Promise.all(pids.map((pid) => readProcStat(Number(pid))));
  return stats.filter((s): s is ProcStat => s !== undefined && s.pgrp === pgid && s.state !== 'Z' && s.state !== 'X');
}

/** A process's resident set size (`VmRSS` of `/proc/<pid>/status`) in bytes; 0 when it is gone. */
export async function readRssBytes(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match?.[1] !== undefined ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

let clockTicks: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`), 100 when that cannot be asked. */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5000 }).trim());
      clockTicks = Number.isFinite(value) && value > 0 ? value : 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

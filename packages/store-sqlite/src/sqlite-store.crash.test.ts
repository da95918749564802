/**
 * Crash safety: a child process writes under load (16 concurrent writers, so group commits of
 * several writes) and is killed with SIGKILL at a random moment, 50 times on one file. After each
 * kill, every write the child acknowledged (it prints each ack on stdout, synchronously) must be
 * in the file, `PRAGMA integrity_check` must be ok, and the revisions must be gapless.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { sqliteStore } from './index.js';
import { finished, spawnChild } from '../test/child-process.js';
import { tempDatabase } from '../test/temp-database.js';

const KILLS = 50;

interface Ack {
  readonly op: 'c' | 'u' | 'd';
  readonly revision: number;
  readonly key: string;
}

function parseAck(line: string): Ack | undefined {
  const [op, revision, key] = line.split(' ');
  if ((op !== 'c' && op !== 'u' && op !== 'd') || revision === undefined || key === undefined) return undefined;
  return { op, revision: op === 'd' ? 0 : Number(revision), key };
}

/** Check the file after a kill: integrity, gapless revisions, and every acknowledged write. */
function verify(path: string, acks: readonly Ack[]): number {
  const db = new Database(path);
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const hasLog = db.prepare(`SELECT 1 FROM sqlite_schema WHERE name = 'log'`).get() !== undefined;
    if (!hasLog) {
      // Killed before the schema was first committed: nothing can have been acknowledged.
      expect(acks).toEqual([]);
      return 0;
    }
    const { n, lo, hi } = db.prepare('SELECT count(*) AS n, min(id) AS lo, max(id) AS hi FROM log').get() as {
      n: number;
      lo: number | null;
      hi: number | null;
    };
    const seq = (db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'log'`).get() as { seq: number } | undefined)?.seq ?? 0;
    expect(seq).toBe(hi ?? 0);
    if (n > 0) expect(lo).toBe(1);
    expect(n).toBe(hi ?? 0);

    const byId = db.prepare('SELECT key, op FROM log WHERE id = ?');
    const latest = db.prepare('SELECT op FROM log WHERE key = ? ORDER BY id DESC LIMIT 1');
    for (const ack of acks) {
      if (ack.op === 'd') {
        expect(latest.get(ack.key), `acknowledged delete of ${ack.key}`).toEqual({ op: 2 });
      } else {
        expect(byId.get(ack.revision), `acknowledged ${ack.op} ${ack.revision} ${ack.key}`).toEqual({
          key: ack.key,
          op: ack.op === 'c' ? 0 : 1,
        });
      }
    }
    return n;
  } finally {
    db.close();
  }
}

describe('sqliteStore crash safety', () => {
  it(`keeps every acknowledged write across ${KILLS} SIGKILLs under load`, { timeout: 120_000 }, async () => {
    const path = tempDatabase('crash.db');
    const acks: Ack[] = [];
    let rows = 0;
    for (let run = 0; run < KILLS; run++) {
      const child = await spawnChild({ mode: 'crash', path, run, writers: 16 });
      // Most kills land while writing; one in five lands at any moment from the start, opening
      // and migrating the file included.
      const early = run % 5 === 0;
      let ready = false;
      const kill = (): void => {
        child.kill('SIGKILL');
      };
      let timer: NodeJS.Timeout | undefined = early ? setTimeout(kill, Math.random() * 250) : undefined;
      const result = await finished(child, (line) => {
        if (line === 'ready' && !ready) {
          ready = true;
          timer ??= setTimeout(kill, 10 + Math.random() * 120);
        }
      });
      clearTimeout(timer);
      expect(result.signal, result.stderr).toBe('SIGKILL');
      acks.push(...result.lines.map(parseAck).filter((ack) => ack !== undefined));
      rows = verify(path, acks);
    }
    if (process.env['HM_CRASH_STATS']) console.log(`${KILLS} kills, ${acks.length} acknowledged writes, ${rows} rows`);
    expect(acks.length).toBeGreaterThan(KILLS * 10);
    expect(rows).toBeGreaterThanOrEqual(acks.filter((ack) => ack.op !== 'd').length);

    // The store opens the file after all that, at the revision the file holds.
    const store = sqliteStore({ path, compaction: false });
    try {
      expect(await store.revision()).toBe(rows);
      const lastAck = acks.reduce((max, ack) => Math.max(max, ack.revision), 0);
      expect(rows).toBeGreaterThanOrEqual(lastAck);
    } finally {
      await store.close();
    }
  });
});

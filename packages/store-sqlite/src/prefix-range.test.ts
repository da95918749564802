import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { prefixRange } from './prefix-range.js';

describe('prefixRange', () => {
  it('raises the last code point', () => {
    expect(prefixRange('/a/')).toEqual({ low: '/a/', high: '/a0' });
    expect(prefixRange('')).toEqual({ low: '' });
    expect(prefixRange('\u{10FFFF}')).toEqual({ low: '\u{10FFFF}' });
    expect(prefixRange('a\u{10FFFF}')).toEqual({ low: 'a\u{10FFFF}', high: 'b' });
    expect(prefixRange('x\uD7FF')).toEqual({ low: 'x\uD7FF', high: 'x\uE000' });
    expect(prefixRange('x😀')).toEqual({ low: 'x😀', high: 'x😁' });
  });

  it("selects in SQLite exactly the keys that start with the prefix", () => {
    const keys = ['', 'a', 'a/', 'a0', 'é', 'é/x', 'éa', 'f', 'x😀', 'x😀/y', 'x😁', 'x\uFFFF', '\u{10FFFF}', '\u{10FFFF}z', 'zz'];
    const db = new Database(':memory:');
    db.exec('CREATE TABLE k (key TEXT PRIMARY KEY)');
    const insert = db.prepare('INSERT INTO k VALUES (?)');
    for (const key of keys) insert.run(key);
    for (const prefix of ['', 'a', 'a/', 'é', 'x😀', 'x', '\u{10FFFF}', 'zz', 'q']) {
      const { low, high } = prefixRange(prefix);
      const rows = (
        high === undefined
          ? db.prepare('SELECT key FROM k WHERE key >= ?').all(low)
          : db.prepare('SELECT key FROM k WHERE key >= ? AND key < ?').all(low, high)
      ) as { key: string }[];
      expect(rows.map((r) => r.key).sort(), prefix).toEqual(keys.filter((k) => k.startsWith(prefix)).sort());
    }
    db.close();
  });
});

import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { tempDatabase } from '../test/temp-database.js';
import { NotAStoreDatabaseError, SchemaTooNewError, SqliteStoreError } from './errors.js';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, openDatabase, type Migration } from './schema.js';
import { sqliteStore, sqliteStoreWithMigrations } from './sqlite-store.js';

const open = { synchronous: 'full', busyTimeoutMs: 1000 } as const;

/** Open `path` and expect `error`, with the file's bytes and its directory's companions unchanged. */
function expectRefused(path: string, error: new (...args: never[]) => SqliteStoreError): SqliteStoreError {
  const before = readFileSync(path);
  let thrown: unknown;
  try {
    sqliteStore({ path });
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(error);
  expect(thrown).toBeInstanceOf(SqliteStoreError);
  expect(readFileSync(path).equals(before)).toBe(true);
  expect(existsSync(`${path}-wal`)).toBe(false);
  expect(existsSync(`${path}-journal`)).toBe(false);
  expect(existsSync(`${path}-shm`)).toBe(false);
  return thrown as SqliteStoreError;
}

/** A store file with a few writes, checkpointed into the main file and closed. */
async function storeFile(): Promise<string> {
  const path = tempDatabase();
  const store = sqliteStore({ path, compaction: false });
  await store.create('/a', 1);
  await store.update('/a', 2, 1);
  await store.close();
  return path;
}

describe('schema', () => {
  it('marks a new file with the application id and the schema version, in WAL mode', async () => {
    const path = await storeFile();
    const db = new Database(path, { readonly: true });
    try {
      expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(SCHEMA_VERSION).toBe(1);
    } finally {
      db.close();
    }
  });

  it('refuses a file that is not a SQLite database, and leaves it as it was', () => {
    const path = tempDatabase();
    writeFileSync(path, 'apiVersion: v1\nkind: ConfigMap\n'.repeat(200));
    const error = expectRefused(path, NotAStoreDatabaseError);
    expect(error).toMatchObject({ code: 'NotAStoreDatabase', path });
    expect(error.message).toContain('not a SQLite database');
  });

  it("refuses another application's SQLite database, and leaves it as it was", () => {
    const path = tempDatabase();
    const db = new Database(path);
    db.exec(`CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ada')`);
    db.close();
    expectRefused(path, NotAStoreDatabaseError);

    const tagged = tempDatabase();
    const other = new Database(tagged);
    other.pragma('application_id = 42');
    other.close();
    const error = expectRefused(tagged, NotAStoreDatabaseError);
    expect(error.message).toContain('application_id is 42');
  });

  it("refuses a file tagged with the store's application_id that holds another application's tables at schema version 0", () => {
    // A foreign table: nothing of ours, only the tag.
    const foreign = tempDatabase();
    const db = new Database(foreign);
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.exec(`CREATE TABLE foo (x INTEGER); INSERT INTO foo (x) VALUES (1)`);
    db.close();
    const error = expectRefused(foreign, NotAStoreDatabaseError);
    expect(error).toMatchObject({ code: 'NotAStoreDatabase', path: foreign });
    expect(error.message).toContain(foreign);
    expect(error.message).toContain('schema version 0');
    expect(error.message).toContain('foo');

    // A table named like ours: migration 1 would fail on it, after switching the file to WAL.
    const clashing = tempDatabase();
    const other = new Database(clashing);
    other.pragma(`application_id = ${APPLICATION_ID}`);
    other.exec(`CREATE TABLE log (line TEXT); INSERT INTO log (line) VALUES ('kept')`);
    other.close();
    const clash = expectRefused(clashing, NotAStoreDatabaseError);
    expect(clash.message).toContain(clashing);
    expect(clash.message).toContain('log');
  });

  it("refuses a file tagged as a store at schema version 1 that lacks the store's tables", () => {
    const bare = tempDatabase();
    const db = new Database(bare);
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.pragma('user_version = 1');
    db.exec('CREATE TABLE notes (body TEXT)');
    db.close();
    const error = expectRefused(bare, NotAStoreDatabaseError);
    expect(error.message).toContain(bare);
    expect(error.message).toContain('lacks the tables log, meta');

    // Half a store: the log without its meta table.
    const half = tempDatabase();
    const other = new Database(half);
    other.pragma(`application_id = ${APPLICATION_ID}`);
    other.pragma('user_version = 1');
    other.exec('CREATE TABLE log (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT)');
    other.close();
    expect(expectRefused(half, NotAStoreDatabaseError).message).toContain('lacks the table meta');
  });

  it('takes a file tagged with the application_id but otherwise empty as a new store', async () => {
    const path = tempDatabase();
    const db = new Database(path);
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.close();
    const store = sqliteStore({ path });
    await store.create('/a', 1);
    expect(await store.revision()).toBe(1);
    await store.close();
  });

  it('refuses a file with a newer schema, and leaves it as it was', async () => {
    const path = await storeFile();
    const db = new Database(path);
    db.pragma('user_version = 7');
    db.close();
    const error = expectRefused(path, SchemaTooNewError);
    expect(error).toMatchObject({ code: 'SchemaTooNew', schemaVersion: 7, supportedVersion: SCHEMA_VERSION });
  });

  it('takes an empty file as a new store', async () => {
    const path = tempDatabase();
    writeFileSync(path, '');
    const store = sqliteStore({ path });
    expect(await store.revision()).toBe(0);
    await store.close();
  });

  it('runs the missing migrations on open, keeping the data', async () => {
    const path = await storeFile();
    const v2: Migration = { version: 2, up: (db) => db.exec('CREATE TABLE extra (x INTEGER)') };
    const store = sqliteStoreWithMigrations({ path, compaction: false }, [...MIGRATIONS, v2]);
    expect(await store.get('/a')).toMatchObject({ value: 2, modRevision: 2 });
    await store.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(db.prepare(`SELECT name FROM sqlite_schema WHERE name = 'extra'`).get()).toEqual({ name: 'extra' });
    db.close();
    // This version knows schema 1 only.
    expect(() => sqliteStore({ path })).toThrow(SchemaTooNewError);
  });

  it('rolls back a failing migration entirely', async () => {
    const path = await storeFile();
    const broken: Migration = {
      version: 2,
      up: (db) => {
        db.exec('CREATE TABLE half (x INTEGER)');
        throw new Error('migration bug');
      },
    };
    expect(() => sqliteStoreWithMigrations({ path }, [...MIGRATIONS, broken])).toThrow('migration bug');
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(db.prepare(`SELECT name FROM sqlite_schema WHERE name = 'half'`).get()).toBeUndefined();
    db.close();
    const store = sqliteStore({ path });
    expect(await store.revision()).toBe(2);
    await store.close();
  });

  it('reads the header in one snapshot: a store another process creates between two of its reads is not taken for a foreign file', () => {
    // An empty database in WAL mode, as the first of several openers leaves it before it creates
    // the tables: the others read while it writes.
    const path = tempDatabase();
    const first = new Database(path);
    first.pragma('journal_mode = WAL');
    first.close();
    const pragma = Database.prototype.pragma;
    let created = false;
    const spy = vi.spyOn(Database.prototype, 'pragma').mockImplementation(function (this: Database.Database, source, options) {
      if (source === 'user_version' && !created) {
        // This opener has read application_id 0; another one creates the store now.
        created = true;
        openDatabase({ ...open, path }).close();
      }
      return pragma.call(this, source, options);
    });
    try {
      const db = openDatabase({ ...open, path });
      expect(created).toBe(true);
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
      db.close();
    } finally {
      spy.mockRestore();
    }
  });

  it('sets synchronous FULL by default and NORMAL on request', () => {
    const full = openDatabase({ ...open, path: tempDatabase() });
    expect(full.pragma('synchronous', { simple: true })).toBe(2);
    expect(full.pragma('journal_mode', { simple: true })).toBe('wal');
    full.close();
    const normal = openDatabase({ ...open, path: tempDatabase(), synchronous: 'normal' });
    expect(normal.pragma('synchronous', { simple: true })).toBe(1);
    normal.close();
  });
});

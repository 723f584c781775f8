import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import { describe, expect, it, vi } from 'vitest';
import { createSqliteDatabase } from './sqlite.js';
import { SqliteStatements } from './sqlite-statements.js';

// The SQLite dialect's own machinery (PostgreSQL has no counterpart): the prepared-statement cache
// and the driver around it. The store tests run every query through it on SQLite besides.

function memory() {
  const database = new SQLite(':memory:');
  database.exec('create table notes (id integer primary key, body text not null)');
  return database;
}

describe('SqliteStatements', () => {
  it('prepares a text once and runs it with new parameters each time: rows for readers, changes for the rest', () => {
    const database = memory();
    const prepare = vi.spyOn(database, 'prepare');
    const statements = new SqliteStatements(database);
    expect(statements.execute('insert into notes (body) values (?)', ['a'])).toEqual({ changes: 1, lastInsertRowid: 1 });
    expect(statements.execute('insert into notes (body) values (?)', ['b'])).toEqual({ changes: 1, lastInsertRowid: 2 });
    expect(statements.execute('select body from notes where id = ?', [2])).toEqual({ rows: [{ body: 'b' }] });
    expect(statements.execute('select body from notes where id = ?', [1])).toEqual({ rows: [{ body: 'a' }] });
    // A write with `returning` is a reader: its rows come back.
    expect(statements.execute('update notes set body = ? where id = ? returning id', ['c', 1])).toEqual({ rows: [{ id: 1 }] });
    expect(prepare).toHaveBeenCalledTimes(3);
    expect(statements.size).toBe(3);
  });

  it('keeps at most its capacity, dropping the least recently used', () => {
    const database = memory();
    const statements = new SqliteStatements(database, 2);
    const prepare = vi.spyOn(database, 'prepare');
    const select = (column: string) => statements.execute(`select ${column} from notes`, []);
    select('id');
    select('body');
    select('id'); // `id` is now the most recent
    select('id, body'); // drops `body`
    expect(statements.size).toBe(2);
    select('id');
    expect(prepare).toHaveBeenCalledTimes(3);
    select('body');
    expect(prepare).toHaveBeenCalledTimes(4);
  });

  it('is emptied by a schema change, so a cached statement sees the new schema', () => {
    const database = memory();
    const statements = new SqliteStatements(database);
    statements.execute('insert into notes (body) values (?)', ['a']);
    expect(statements.execute('select * from notes', [])).toEqual({ rows: [{ id: 1, body: 'a' }] });
    statements.execute('alter table notes add column tag text', []);
    expect(statements.size).toBe(0);
    expect(statements.execute('select * from notes', [])).toEqual({ rows: [{ id: 1, body: 'a', tag: null }] });
  });

  it('on SQLITE_SCHEMA, empties itself and prepares the statement afresh once', () => {
    let failures = 1;
    const statement = () => ({
      reader: true,
      all: () => {
        if (failures-- > 0) throw Object.assign(new Error('database schema has changed'), { code: 'SQLITE_SCHEMA' });
        return [{ ok: 1 }];
      },
    });
    const database = { prepare: vi.fn(statement) } as unknown as SQLite.Database;
    const statements = new SqliteStatements(database);
    expect(statements.execute('select 1 as ok', [])).toEqual({ rows: [{ ok: 1 }] });
    expect(database.prepare).toHaveBeenCalledTimes(2);
    // Any other error is the caller's.
    failures = 1;
    const other = { prepare: () => ({ reader: false, run: () => { throw Object.assign(new Error('constraint'), { code: 'SQLITE_CONSTRAINT' }); } }) } as unknown as SQLite.Database;
    expect(() => new SqliteStatements(other).execute('insert into x values (1)', [])).toThrow('constraint');
  });
});

describe('the SQLite driver', () => {
  async function withDatabase(test: (db: Kysely<any>) => Promise<void>) {
    const dir = mkdtempSync(join(tmpdir(), 'threadline-sqlite-driver-'));
    const db = createSqliteDatabase(join(dir, 'test.db')) as unknown as Kysely<any>;
    try {
      await test(db);
    } finally {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('commits, rolls back, and supports savepoints', async () => {
    await withDatabase(async (db) => {
      await db.schema.createTable('notes').addColumn('id', 'integer', (column) => column.primaryKey()).addColumn('body', 'text').execute();
      await db.transaction().execute((trx) => trx.insertInto('notes').values({ id: 1, body: 'kept' }).execute());
      await expect(
        db.transaction().execute(async (trx) => {
          await trx.insertInto('notes').values({ id: 2, body: 'undone' }).execute();
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      const trx = await db.startTransaction().execute();
      await trx.insertInto('notes').values({ id: 3, body: 'before the savepoint' }).execute();
      const saved = await trx.savepoint('partway').execute();
      await saved.insertInto('notes').values({ id: 4, body: 'after it' }).execute();
      const back = await saved.rollbackToSavepoint('partway').execute();
      await back.releaseSavepoint('partway').execute();
      await trx.commit().execute();
      expect(await db.selectFrom('notes').select('body').orderBy('id').execute()).toEqual([{ body: 'kept' }, { body: 'before the savepoint' }]);
    });
  });

  it('gives the cause, not "no transaction is active", when SQLite rolled the transaction back by itself', async () => {
    await withDatabase(async (db) => {
      await expect(
        db.transaction().execute(async (trx) => {
          await sql`rollback`.execute(trx); // as SQLite does after SQLITE_FULL
          throw new Error('database or disk is full');
        }),
      ).rejects.toThrow('database or disk is full');
    });
  });

  it('serves one caller at a time, in order', async () => {
    await withDatabase(async (db) => {
      await db.schema.createTable('counter').addColumn('n', 'integer').execute();
      await db.insertInto('counter').values({ n: 0 }).execute();
      // Interleaved transactions would read the same n and lose increments.
      await Promise.all(
        Array.from({ length: 20 }, () =>
          db.transaction().execute(async (trx) => {
            const { n } = await trx.selectFrom('counter').select('n').executeTakeFirstOrThrow();
            await new Promise((resolve) => setImmediate(resolve));
            await trx.updateTable('counter').set({ n: n + 1 }).execute();
          }),
        ),
      );
      expect(await db.selectFrom('counter').select('n').executeTakeFirstOrThrow()).toEqual({ n: 20 });
    });
  });

  it("waits for another process's write to end before a transaction reads, so that its own write cannot fail with SQLITE_BUSY", async () => {
    // Another connection (a command-line process) holds the write lock for a while. A transaction
    // begun DEFERRED would read first, then fail its first write at once (SQLite cannot wait on a
    // lock while its reader's snapshot is open: it would read stale rows); begun IMMEDIATE, it
    // waits for the lock (busy_timeout), then reads what the other wrote.
    const dir = mkdtempSync(join(tmpdir(), 'threadline-sqlite-driver-'));
    const file = join(dir, 'test.db');
    const db = createSqliteDatabase(file) as unknown as Kysely<any>;
    try {
      await db.schema.createTable('notes').addColumn('id', 'integer', (column) => column.primaryKey()).addColumn('body', 'text').execute();
      const other = new Worker(
        `const { workerData, parentPort } = require('node:worker_threads');
        const database = new (require(workerData.module))(workerData.file);
        database.exec('begin immediate');
        database.prepare("insert into notes (id, body) values (1, 'theirs')").run();
        parentPort.postMessage('locked');
        setTimeout(() => { database.exec('commit'); database.close(); parentPort.postMessage('committed'); }, 300);`,
        { eval: true, workerData: { module: createRequire(import.meta.url).resolve('better-sqlite3'), file } },
      );
      const messages: string[] = [];
      const committed = new Promise<void>((resolve) => other.on('message', (message: string) => messages.push(message) === 2 && resolve()));
      await new Promise<void>((resolve) => other.once('message', () => resolve()));
      const count = await db.transaction().execute(async (trx) => {
        const seen = await trx.selectFrom('notes').select('id').execute();
        await trx.insertInto('notes').values({ id: 2, body: 'ours' }).execute();
        return seen.length;
      });
      expect(count).toBe(1);
      await committed;
      expect(await db.selectFrom('notes').select('body').orderBy('id').execute()).toEqual([{ body: 'theirs' }, { body: 'ours' }]);
      await other.terminate();
    } finally {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('group commit', () => {
    /** A database whose SQLite `commit`s are counted (the driver sends them through its statements), and its savepoints. */
    async function withCountedCommits(test: (db: Kysely<any>, commits: () => number, savepoints: () => number) => Promise<void>) {
      const prepare = SQLite.prototype.prepare;
      const counts = { commit: 0, savepoint: 0 };
      const spy = vi.spyOn(SQLite.prototype, 'prepare').mockImplementation(function (this: SQLite.Database, source: string) {
        const statement = prepare.call(this, source);
        const counted = source === 'commit' ? 'commit' : source.startsWith('savepoint ') ? 'savepoint' : undefined;
        if (!counted) return statement;
        const run = statement.run.bind(statement);
        return Object.assign(statement, { run: (...args: unknown[]) => { counts[counted]++; return (run as (...values: unknown[]) => SQLite.RunResult)(...args); } });
      });
      try {
        await withDatabase(async (db) => {
          await db.schema.createTable('notes').addColumn('id', 'integer', (column) => column.primaryKey()).addColumn('body', 'text').execute();
          await test(db, () => counts.commit, () => counts.savepoint);
        });
      } finally {
        spy.mockRestore();
      }
    }

    it('ends the transactions that begin in one turn of the event loop with one commit, each caller resolving after it', async () => {
      await withCountedCommits(async (db, commits) => {
        const before = commits();
        const order: string[] = [];
        await Promise.all(
          Array.from({ length: 10 }, (_, index) =>
            db.transaction().execute(async (trx) => {
              await trx.insertInto('notes').values({ id: index + 1, body: `note ${index}` }).execute();
              await trx.selectFrom('notes').selectAll().execute();
            }).then(() => order.push(`committed ${index}`)),
          ),
        );
        expect(commits() - before).toBe(1);
        expect(order).toHaveLength(10);
        // Committed for real: another connection sees every row.
        const file = (await sql<{ file: string }>`select file from pragma_database_list where name = 'main'`.execute(db)).rows[0]!.file;
        const other = new SQLite(file, { readonly: true });
        expect(other.prepare('select count(*) as n from notes').get()).toEqual({ n: 10 });
        other.close();
      });
    });

    it('a lone transaction commits within the turn, and a failed member leaves the others committed', async () => {
      await withCountedCommits(async (db, commits) => {
        const before = commits();
        await db.transaction().execute((trx) => trx.insertInto('notes').values({ id: 1, body: 'alone' }).execute());
        expect(commits() - before).toBe(1);
        const results = await Promise.allSettled([
          db.transaction().execute((trx) => trx.insertInto('notes').values({ id: 2, body: 'kept' }).execute()),
          db.transaction().execute(async (trx) => {
            await trx.insertInto('notes').values({ id: 3, body: 'undone' }).execute();
            throw new Error('changed my mind');
          }),
          // The primary key refuses it: the statement fails, the transaction rolls back to its savepoint.
          db.transaction().execute((trx) => trx.insertInto('notes').values({ id: 1, body: 'duplicate' }).execute()),
          db.transaction().execute((trx) => trx.insertInto('notes').values({ id: 4, body: 'kept too' }).execute()),
        ]);
        expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
        expect(await db.selectFrom('notes').select('body').orderBy('id').execute()).toEqual([{ body: 'alone' }, { body: 'kept' }, { body: 'kept too' }]);
      });
    });

    it("runs the first member of a group in SQLite's transaction itself, without a savepoint; when it fails, the next member starts afresh", async () => {
      // A savepoint makes SQLite copy every page a transaction changes to a temporary journal
      // first; the first member needs none, as nothing else is in the transaction yet.
      await withCountedCommits(async (db, commits, savepoints) => {
        const before = { commits: commits(), savepoints: savepoints() };
        await db.transaction().execute((trx) => trx.insertInto('notes').values({ id: 1, body: 'alone' }).execute());
        expect(savepoints() - before.savepoints).toBe(0);
        const results = await Promise.allSettled([
          db.transaction().execute(async (trx) => {
            await trx.insertInto('notes').values({ id: 2, body: 'undone' }).execute();
            throw new Error('changed my mind');
          }),
          // SQLite's transaction ended with the first member's rollback: this one begins it again, no savepoint.
          db.transaction().execute((trx) => trx.insertInto('notes').values({ id: 3, body: 'kept' }).execute()),
          // The group's second member: in a savepoint, failing alone.
          db.transaction().execute((trx) => trx.insertInto('notes').values({ id: 1, body: 'duplicate' }).execute()),
          db.transaction().execute((trx) => trx.insertInto('notes').values({ id: 4, body: 'kept too' }).execute()),
        ]);
        expect(results.map((result) => result.status)).toEqual(['rejected', 'fulfilled', 'rejected', 'fulfilled']);
        expect(savepoints() - before.savepoints).toBe(2);
        expect(commits() - before.commits).toBe(2);
        expect(await db.selectFrom('notes').select('body').orderBy('id').execute()).toEqual([{ body: 'alone' }, { body: 'kept' }, { body: 'kept too' }]);
      });
    });

    it('commits the group before a write outside a transaction, and lets plain reads run inside it', async () => {
      await withCountedCommits(async (db, commits) => {
        const before = commits();
        let sawCommitted = false;
        await Promise.all([
          db.transaction().execute((trx) => trx.insertInto('notes').values({ id: 1, body: 'in a transaction' }).execute()),
          (async () => {
            await Promise.resolve();
            // A read in the same turn sees what the group's member committed.
            sawCommitted = (await db.selectFrom('notes').select('id').execute()).length === 1;
            await db.insertInto('notes').values({ id: 2, body: 'autocommitted' }).execute();
          })(),
        ]);
        expect(sawCommitted).toBe(true);
        // The group's commit, then the autocommitted insert (which SQLite commits by itself).
        expect(commits() - before).toBe(1);
        expect(await db.selectFrom('notes').select('id').orderBy('id').execute()).toEqual([{ id: 1 }, { id: 2 }]);
      });
    });

    it('when SQLite rolls its transaction back by itself, every member of the group fails with the cause', async () => {
      await withDatabase(async (db) => {
        await db.schema.createTable('notes').addColumn('id', 'integer', (column) => column.primaryKey()).execute();
        const results = await Promise.allSettled([
          db.transaction().execute((trx) => trx.insertInto('notes').values({ id: 1 }).execute()),
          db.transaction().execute(async (trx) => {
            await sql`rollback`.execute(trx); // as SQLite does after SQLITE_FULL, taking the first member's insert with it
            throw new Error('database or disk is full');
          }),
        ]);
        expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
        expect(await db.selectFrom('notes').selectAll().execute()).toEqual([]);
        // The connection is usable afterwards.
        await db.transaction().execute((trx) => trx.insertInto('notes').values({ id: 2 }).execute());
        expect(await db.selectFrom('notes').selectAll().execute()).toEqual([{ id: 2 }]);
      });
    });
  });
});

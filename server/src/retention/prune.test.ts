import { statSync } from 'node:fs';
import SQLite from 'better-sqlite3';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { retryingCatalogRaces } from '../store/catalog-race.js';
import { listAudit, recordAudit } from '../store/audit.js';
import type { Database } from '../store/database.js';
import { acquireLease } from '../store/leases.js';
import { openStore } from '../store/open.js';
import { RUN_REFERENCES_KEPT, SESSION_CHILD_TABLES, SESSION_REFERENCES_KEPT } from '../store/retention.js';
import { spaceReclaimOf, sqlitePages, vacuumSqlite } from '../store/space.js';
import { createUser } from '../store/users.js';
import { createTestDatabase, DIALECTS, openTestStore } from '../testing/databases.js';
import { countRows, DAY_MS, RetentionFixtures } from '../testing/retention-fixtures.js';
import { RowCounter } from '../testing/row-counter.js';
import { StatementCounter } from '../testing/statement-counter.js';
import { prune, type PruneSummary, type RetentionPolicy } from './prune.js';
import { RetentionTimer } from './retention-timer.js';

const THIRTY_DAYS: RetentionPolicy = { archivedSessionsMs: 30 * DAY_MS, sessionsMs: 30 * DAY_MS, runsMs: 30 * DAY_MS };

async function tableCounts(db: Kysely<Database>) {
  return { sessions: await countRows(db, 'sessions'), messages: await countRows(db, 'messages'), runs: await countRows(db, 'runs') };
}

async function sessionIds(db: Kysely<Database>): Promise<string[]> {
  return (await db.selectFrom('sessions').select('id').orderBy('id').execute()).map((row) => row.id);
}

for (const dialect of DIALECTS) {
  describe(`prune on ${dialect}`, () => {
    it('deletes sessions past their policy with their messages and runs, and finished runs past theirs; fresh data stays', async () => {
      await using store = await openTestStore(dialect);
      const user = await createUser(store.db, 'alice');
      const seed = new RetentionFixtures(store.db, user.id);
      const old = await seed.session({ idleDays: 40, messages: 4, runs: [{ status: 'completed', endedDaysAgo: 40 }, { status: 'failed', endedDaysAgo: 41 }] });
      const oldArchived = await seed.session({ idleDays: 12, archived: true, messages: 2, runs: [{ status: 'completed', endedDaysAgo: 12 }] });
      const fresh = await seed.session({ idleDays: 1, messages: 2, runs: [{ status: 'completed', endedDaysAgo: 1 }] });
      const freshArchived = await seed.session({ idleDays: 5, archived: true, messages: 1 });
      // A run without a session (stateless) that ended long ago, and a kept session's old run record.
      await seed.run(null, { status: 'completed', endedDaysAgo: 50 });
      const keptSessionOldRun = await seed.run(fresh, { status: 'cancelled', endedDaysAgo: 35 });

      const summary = await prune(store.db, { dialect, policy: { archivedSessionsMs: 10 * DAY_MS, sessionsMs: 30 * DAY_MS, runsMs: 30 * DAY_MS } });

      expect(summary.deleted).toEqual({ archivedSessions: 1, sessions: 1, messages: 6, runs: 5 });
      expect(summary.dryRun).toBe(false);
      expect(summary.keptActive).toBe(0);
      expect(await sessionIds(store.db)).toEqual([fresh, freshArchived].sort());
      expect(await tableCounts(store.db)).toEqual({ sessions: 2, messages: 3, runs: 1 });
      const runsLeft = await store.db.selectFrom('runs').select(['id', 'session_id']).execute();
      expect(runsLeft).toEqual([{ id: expect.not.stringMatching(keptSessionOldRun), session_id: fresh }]);
      expect([old, oldArchived].some((id) => runsLeft.some((run) => run.session_id === id))).toBe(false);
      // Users and tokens are never pruned.
      expect(await countRows(store.db, 'users')).toBe(1);
    });

    it('never touches a session with a queued, running or waiting run, however old', async () => {
      await using store = await openTestStore(dialect);
      const user = await createUser(store.db, 'alice');
      const seed = new RetentionFixtures(store.db, user.id);
      const active: string[] = [];
      for (const status of ['queued', 'running', 'waiting'] as const) {
        active.push(await seed.session({ idleDays: status === 'waiting' ? 50 : 90, archived: status === 'waiting', messages: 3, runs: [{ status: 'completed', endedDaysAgo: 90 }, { status }] }));
      }
      await seed.session({ idleDays: 90, messages: 3 });

      // Archived sessions go after 30 days, the others after 80: the archived one (50 days) is old enough for its policy only.
      const summary = await prune(store.db, { dialect, policy: { archivedSessionsMs: 30 * DAY_MS, sessionsMs: 80 * DAY_MS } });

      expect(summary.deleted).toEqual({ archivedSessions: 0, sessions: 1, messages: 3, runs: 0 });
      expect(summary.keptActive).toBe(3);
      expect(await sessionIds(store.db)).toEqual(active.sort());
      expect(await tableCounts(store.db)).toEqual({ sessions: 3, messages: 9, runs: 6 });
    });

    it('a dry run counts exactly what the prune then deletes, and deletes nothing', async () => {
      await using store = await openTestStore(dialect);
      const user = await createUser(store.db, 'alice');
      const seed = new RetentionFixtures(store.db, user.id);
      await seed.session({ idleDays: 40, archived: true, messages: 5, runs: [{ status: 'completed', endedDaysAgo: 40 }] });
      await seed.session({ idleDays: 45, messages: 3, runs: [{ status: 'completed', endedDaysAgo: 45 }, { status: 'interrupted', endedDaysAgo: 46 }] });
      await seed.session({ idleDays: 60, messages: 2, runs: [{ status: 'waiting' }] });
      const kept = await seed.session({ idleDays: 2, messages: 2, runs: [{ status: 'completed', endedDaysAgo: 31 }] });
      await seed.run(null, { status: 'completed', endedDaysAgo: 31 });
      const before = await tableCounts(store.db);

      const dry = await prune(store.db, { dialect, policy: THIRTY_DAYS, dryRun: true });
      expect(dry.dryRun).toBe(true);
      expect(dry.transactions).toBe(0);
      expect(await tableCounts(store.db)).toEqual(before);

      const real = await prune(store.db, { dialect, policy: THIRTY_DAYS });
      expect(dry.deleted).toEqual({ archivedSessions: 1, sessions: 1, messages: 8, runs: 5 });
      expect(real.deleted).toEqual(dry.deleted);
      expect(real.keptActive).toBe(dry.keptActive);
      expect(real.keptActive).toBe(1);
      expect(await sessionIds(store.db)).toContain(kept);
    });

    it('deletes in transactions of at most the batch size, a big session over several of them', async () => {
      const statements = new StatementCounter();
      const rows = new RowCounter();
      await using store = await openTestStore(dialect, { wrapDriver: (driver) => statements.wrap(rows.wrap(driver)) });
      const user = await createUser(store.db, 'alice');
      const seed = new RetentionFixtures(store.db, user.id);
      // 12 sessions of 4 rows (itself, 2 messages, 1 run): two to a batch of 10. One of 41 rows.
      for (let index = 0; index < 12; index++) await seed.session({ idleDays: 40 + index, messages: 2, runs: [{ status: 'completed', endedDaysAgo: 40 }] });
      await seed.session({ idleDays: 100, messages: 30, runs: Array.from({ length: 10 }, () => ({ status: 'completed' as const, endedDaysAgo: 100 })) });
      const fresh = await seed.session({ idleDays: 1, messages: 3 });
      rows.transactions.length = 0;
      statements.take();

      const summary = await prune(store.db, { dialect, policy: { sessionsMs: 30 * DAY_MS }, batchSize: 10 });

      const work = statements.take();
      expect(summary.deleted).toEqual({ archivedSessions: 0, sessions: 13, messages: 54, runs: 22 });
      expect(Math.max(...rows.transactions)).toBeLessThanOrEqual(10);
      expect(rows.transactions.reduce((sum, count) => sum + count, 0)).toBe(13 + 54 + 22);
      // Sessions are found 10 at a time (the batch size), the longest idle first. The big one: 4
      // trims of 10, then its own row. Then 9 small ones, two to a batch (5), then the last 3 (2).
      expect(summary.transactions).toBe(12);
      expect(work.writeTransactions).toBe(summary.transactions);
      expect(await sessionIds(store.db)).toEqual([fresh]);
    });

    it('lets other queries through between its transactions: a reader sees it part done', async () => {
      await using store = await openTestStore(dialect);
      const user = await createUser(store.db, 'alice');
      const seed = new RetentionFixtures(store.db, user.id);
      for (let index = 0; index < 30; index++) await seed.session({ idleDays: 40, messages: 2 });
      let done = false;
      const running = prune(store.db, { dialect, policy: { sessionsMs: 30 * DAY_MS }, batchSize: 6 }).then((summary) => {
        done = true;
        return summary;
      });
      // A reader meanwhile, as the server's requests: one prune transaction of everything would
      // only ever show it 30 sessions or none.
      const seen = new Set<number>();
      for (let reads = 0; !done && reads < 10_000; reads++) {
        seen.add(await countRows(store.db, 'sessions'));
        // Requests arrive from the network, each in a turn of its own.
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect((await running).deleted.sessions).toBe(30);
      expect([...seen].filter((count) => count > 0 && count < 30).length).toBeGreaterThan(1);
    });

    it('never deletes the audit trail, and a timer prunes once per interval for instances sharing the database', async () => {
      await using store = await openTestStore(dialect);
      const user = await createUser(store.db, 'alice');
      const seed = new RetentionFixtures(store.db, user.id);
      await recordAudit(store.db, { actor: { kind: 'cli', name: 'root' }, origin: 'cli@host', action: 'user.create', target: 'user:alice' }, Date.now() - 400 * DAY_MS);
      await seed.session({ idleDays: 40, messages: 2 });
      const timer = (instanceId: string) =>
        new RetentionTimer({ db: store.db, dialect, policy: THIRTY_DAYS, intervalMs: 60 * 60 * 1000, batchSize: 500, instanceId, logger: pino({ level: 'silent' }) });

      const heard: PruneSummary[] = [];
      const timers = [timer('instance-a'), timer('instance-b')];
      for (const each of timers) each.onPrune((summary) => heard.push(summary));
      const [first, second] = await Promise.all(timers.map((each) => each.runOnce()));
      const summaries = [first, second].filter((summary): summary is PruneSummary => summary !== undefined);
      expect(summaries).toHaveLength(1);
      expect(heard).toEqual(summaries);
      expect(summaries[0]!.deleted.sessions).toBe(1);
      // Still the interval of the first: nobody prunes again.
      expect(await timer('instance-b').runOnce()).toBeUndefined();

      const trail = await listAudit(store.db, { limit: 10 });
      expect(trail.map((event) => event.action)).toEqual(['user.create', 'retention.prune']);
      expect(trail[1]).toMatchObject({ actor: { kind: 'server' }, details: { deleted: { sessions: 1, messages: 2 }, dryRun: false } });
      expect(trail[1]!.origin).toMatch(/^server@instance-[ab]$/);
    });

    it('the lease: one holder until it expires, renewed by its holder', async () => {
      await using store = await openTestStore(dialect);
      const now = 1_000_000;
      expect(await acquireLease(store.db, 'job', 'a', 100, now)).toBe(true);
      expect(await acquireLease(store.db, 'job', 'b', 100, now + 50)).toBe(false);
      expect(await acquireLease(store.db, 'job', 'a', 100, now + 50)).toBe(true);
      expect(await acquireLease(store.db, 'job', 'b', 100, now + 149)).toBe(false);
      expect(await acquireLease(store.db, 'job', 'b', 100, now + 150)).toBe(true);
      expect(await acquireLease(store.db, 'other', 'a', 100, now + 150)).toBe(true);
    });

    it('every table that points at a session or a run is either deleted with it or kept on purpose', async () => {
      await using store = await openTestStore(dialect);
      const schema = dialect === 'postgres' ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(store.db)).rows[0]!.schema : undefined;
      const tables = (await retryingCatalogRaces(() => store.db.introspection.getTables())).filter((table) => schema === undefined || table.schema === schema);
      const withColumn = (column: string) => tables.filter((table) => table.columns.some((each) => each.name === column)).map((table) => table.name).sort();
      // A new table with a session_id or run_id must be listed in store/retention.ts: deleted with its session, or kept.
      expect(withColumn('session_id')).toEqual([...SESSION_CHILD_TABLES, ...SESSION_REFERENCES_KEPT].sort());
      expect(withColumn('run_id')).toEqual([...RUN_REFERENCES_KEPT].sort());
    });
  });
}

describe('SQLite space after a prune', () => {
  it('a new database gives the deleted rows\' pages back to the file system', async () => {
    await using database = await createTestDatabase('sqlite');
    const { db } = await openStore({ dataDir: database.dataDir });
    try {
      expect(await spaceReclaimOf(db, 'sqlite')).toBe('incremental');
      const user = await createUser(db, 'alice');
      const seed = new RetentionFixtures(db, user.id);
      for (let index = 0; index < 20; index++) await seed.session({ idleDays: 40, messages: 50, messageBytes: 4000 });
      await seed.session({ idleDays: 1, messages: 5, messageBytes: 4000 });
      await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
      const file = join(database.dataDir, 'threadline.db');
      const before = { pages: await sqlitePages(db), bytes: statSync(file).size };

      const summary = await prune(db, { dialect: 'sqlite', policy: { sessionsMs: 30 * DAY_MS } });

      expect(summary.deleted.messages).toBe(1000);
      expect(summary.space.reclaim).toBe('incremental');
      const after = await sqlitePages(db);
      expect(after.free).toBe(0);
      // About 1000 messages of 4 KB went: the file lost most of its 4+ MB.
      expect(before.pages.pages - after.pages).toBeGreaterThan((before.pages.pages * 3) / 4);
      expect(summary.space.reclaimedBytes).toBe((before.pages.pages - after.pages) * before.pages.pageSize);
      await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
      expect(statSync(file).size).toBeLessThan(before.bytes / 4);
      expect(await countRows(db, 'messages')).toBe(5);
    } finally {
      await db.destroy();
    }
  });

  it('an older database (auto_vacuum NONE) reuses the space; `vacuum` converts it once, and it shrinks', async () => {
    await using database = await createTestDatabase('sqlite');
    const file = join(database.dataDir, 'threadline.db');
    // As a file from before retention: its first table made without auto_vacuum.
    const older = new SQLite(file);
    older.exec('create table before_retention (id integer primary key)');
    older.close();
    const { db } = await openStore({ dataDir: database.dataDir });
    try {
      expect(await spaceReclaimOf(db, 'sqlite')).toBe('not-enabled');
      const user = await createUser(db, 'alice');
      const seed = new RetentionFixtures(db, user.id);
      for (let index = 0; index < 10; index++) await seed.session({ idleDays: 40, messages: 40, messageBytes: 4000 });
      const summary = await prune(db, { dialect: 'sqlite', policy: { sessionsMs: 30 * DAY_MS } });
      expect(summary.space).toEqual({ reclaim: 'not-enabled', reclaimedBytes: 0 });
      const kept = await sqlitePages(db);
      expect(kept.free).toBeGreaterThan(kept.pages / 2);

      const reclaimed = await vacuumSqlite(db);
      expect(await spaceReclaimOf(db, 'sqlite')).toBe('incremental');
      const after = await sqlitePages(db);
      expect(after.free).toBe(0);
      expect(reclaimed).toBe((kept.pages - after.pages) * kept.pageSize);
      expect(after.pages).toBeLessThan(kept.pages / 2);
    } finally {
      await db.destroy();
    }
  });
});

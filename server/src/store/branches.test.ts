import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Migrator, type Kysely, type Migration } from 'kysely';
import { describe, expect, it } from 'vitest';
import { beginRun, createRun, endRun, interruptRun } from '../runs/record/run-record.js';
import { claimRun, findRun } from './runs.js';
import { assistantMessage } from '../runs/record/run-ending.js';
import { createTestDatabase, DIALECTS, openTestStore } from '../testing/databases.js';
import { activateBranch, switchBranch } from './branches.js';
import type { Database } from './database.js';
import { createPostgresDatabase } from './dialects/postgres.js';
import { createSqliteDatabase } from './dialects/sqlite.js';
import { historyPage } from './messages.js';
import { migrateToLatest, migratingPastRaces } from './migrate.js';
import { searchMessages } from './search.js';
import type { RunBranch } from './run-shapes.js';
import { createUser } from './users.js';

/** One exchange through the run record, as the executor stores it: begin (question), end (answer). */
async function exchange(db: Kysely<Database>, userId: string, sessionId: string, content: string, branch?: RunBranch) {
  const run = await createRun(db, { userId, sessionId, newSession: undefined, requestId: null, content, agent: 'chat', requestedModel: null, model: 'local/echo', priority: 5, owner: 'a', ...(branch ? { branch } : {}) });
  const recorded = { id: run.id, userId, sessionId, lease: run.lease, ...(branch ? { branch } : {}) };
  const context = await beginRun(db, recorded, content, Date.now());
  const output = { text: `Echo: ${content}`, parts: [{ type: 'text' as const, text: `Echo: ${content}` }], usage: { inputTokens: 1, outputTokens: 1 }, finishReason: 'stop' as const, firstTokenAt: null };
  const message = { ...assistantMessage({ id: run.id, sessionId, agent: 'chat', model: 'local/echo' }, output, 'complete'), parentId: context.answerParentId! };
  await endRun(db, { ...recorded, agent: 'chat' }, { message, status: 'completed', output, error: null });
  return { history: context.history.map((entry) => entry.content), answer: message };
}

for (const dialect of DIALECTS) {
  describe(`message branches on ${dialect}`, () => {
    it('a run sees only the branch it answers: its edit, or the question it answers again', async () => {
      await using store = await openTestStore(dialect);
      const user = await createUser(store.db, 'alice');
      const session = await store.db
        .insertInto('sessions')
        .values({ id: '01a00000-0000-7000-8000-000000000001', user_id: user.id, title: 't', agent: 'chat', model: null, metadata: '{}', archived: 0, created_at: 1, updated_at: 1, last_message_at: null, activity_at: 1, message_count: 0 })
        .returning('id')
        .executeTakeFirstOrThrow();
      const sessionId = session.id;
      await exchange(store.db, user.id, sessionId, 'one');
      await exchange(store.db, user.id, sessionId, 'two');
      const page = (await historyPage(store.db, user.id, sessionId, { limit: 10 }))!.messages;
      const [, answerOne, two] = page;
      const edit = await exchange(store.db, user.id, sessionId, 'two, edited', { kind: 'edit', parentId: answerOne!.id });
      expect(edit.history).toEqual(['one', 'Echo: one', 'two, edited']);
      const regenerate = await exchange(store.db, user.id, sessionId, 'two', { kind: 'regenerate', replyTo: two!.id });
      expect(regenerate.history).toEqual(['one', 'Echo: one', 'two']);
      const shown = (await historyPage(store.db, user.id, sessionId, { limit: 10 }))!.messages;
      expect(shown.map((message) => [message.content, message.siblingIndex, message.siblingCount])).toEqual([
        ['one', 1, 1], ['Echo: one', 1, 1], ['two', 1, 2], ['Echo: two', 2, 2],
      ]);
      // Another user's switch finds nothing and changes nothing.
      const bob = await createUser(store.db, 'bob');
      expect(await switchBranch(store.db, bob.id, sessionId, two!.id)).toBeUndefined();
      expect((await historyPage(store.db, user.id, sessionId, { limit: 10 }))!.messages).toEqual(shown);
      // No branch at all (before a new first message): an empty page of a session that exists.
      await activateBranch(store.db, sessionId, null);
      expect(await historyPage(store.db, user.id, sessionId, { limit: 10 })).toEqual({ messages: [], nextCursor: null });
    });

    it('a queued edit left by a crash stores its question on its branch; a regeneration stores none', async () => {
      await using store = await openTestStore(dialect);
      const user = await createUser(store.db, 'alice');
      const session = await store.db
        .insertInto('sessions')
        .values({ id: '01a00000-0000-7000-8000-000000000002', user_id: user.id, title: 't', agent: 'chat', model: null, metadata: '{}', archived: 0, created_at: 1, updated_at: 1, last_message_at: null, activity_at: 1, message_count: 0 })
        .returning('id')
        .executeTakeFirstOrThrow();
      await exchange(store.db, user.id, session.id, 'one');
      const [question] = (await historyPage(store.db, user.id, session.id, { limit: 10 }))!.messages;
      const queue = async (content: string, branch: RunBranch) => {
        const run = await createRun(store.db, { userId: user.id, sessionId: session.id, newSession: undefined, requestId: null, content, agent: 'chat', requestedModel: null, model: 'local/echo', priority: 5, owner: 'a', branch });
        const stored = (await findRun(store.db, user.id, run.id))!;
        expect(stored.branch).toEqual(branch);
        await interruptRun(store.db, stored, (await claimRun(store.db, stored, 'b'))!);
      };
      await queue('one, edited', { kind: 'edit', parentId: null });
      await queue('one', { kind: 'regenerate', replyTo: question!.id });
      const shown = (await historyPage(store.db, user.id, session.id, { limit: 10 }))!.messages;
      expect(shown.map((message) => [message.content, message.siblingIndex, message.siblingCount])).toEqual([['one, edited', 2, 2]]);
    });

    it('the migrations make existing sessions one chain each, all of it shown, and index their text for search', async () => {
      const database = await createTestDatabase(dialect);
      const db = database.databaseUrl ? createPostgresDatabase(database.databaseUrl) : createSqliteDatabase(join(database.dataDir, 'threadline.db'));
      try {
        const folder = fileURLToPath(new URL('./migrations/', import.meta.url));
        const load = async (name: string) => [name, (await import(pathToFileURL(join(folder, `${name}.ts`)).href)) as Migration] as const;
        const before = ['2026-11-23-01-initial', '2026-11-23-02-durable-runs', '2026-11-23-03-message-suggestions', '2026-11-23-04-run-approvals', '2026-11-23-05-run-owners', '2026-11-23-06-session-allowed-tools', '2026-11-30-01-run-cancel-reason', '2026-11-30-02-run-epochs', '2026-12-01-01-messages-by-run'];
        const migrations = Object.fromEntries(await Promise.all(before.map(load)));
        const schema = database.databaseUrl ? new URL(database.databaseUrl).searchParams.get('options')!.split('=')[1] : undefined;
        const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations }, ...(schema ? { migrationTableSchema: schema } : {}) });
        expect((await migratingPastRaces(() => migrator.migrateToLatest())).error).toBeUndefined();
        await db.insertInto('users').values({ id: 'u', name: 'alice', created_at: 1 }).execute();
        for (const id of ['s1', 's2']) {
          await db.insertInto('sessions').values({ id, user_id: 'u', title: null, agent: 'chat', model: null, metadata: '{}', archived: 0, created_at: 1, updated_at: 1, last_message_at: null, activity_at: 1, message_count: 0 } as never).execute();
        }
        // Interleaved in time between the two sessions.
        const messages = [['m1', 's1'], ['m2', 's2'], ['m3', 's1'], ['m4', 's1'], ['m5', 's2']] as const;
        for (const [id, session] of messages) {
          await db.insertInto('messages').values({ id, session_id: session, user_id: 'u', run_id: null, role: 'user', content: id, parts: '[]', agent: null, model: null, usage: null, status: 'complete', created_at: 1, suggestions: null } as never).execute();
        }
        await migrateToLatest(db);
        const rows = await db.selectFrom('messages').select(['id', 'parent_id', 'active']).orderBy('id').execute();
        expect(rows).toEqual([
          { id: 'm1', parent_id: null, active: 1 },
          { id: 'm2', parent_id: null, active: 1 },
          { id: 'm3', parent_id: 'm1', active: 1 },
          { id: 'm4', parent_id: 'm3', active: 1 },
          { id: 'm5', parent_id: 'm2', active: 1 },
        ]);
        // The search index holds the messages that were there before it.
        const found = await searchMessages(db, 'u', 'm3 m5', { limit: 10 });
        expect(found.hits.map((hit) => [hit.messageId, hit.snippet]).sort()).toEqual([['m3', '«m3»'], ['m5', '«m5»']]);
      } finally {
        await db.destroy();
        await database.destroy();
      }
    });
  });
}

import { hostname, userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { listAudit } from '../server/src/store/audit.js';
import { openStore } from '../server/src/store/open.js';
import { createToken, createUser } from '../server/src/store/users.js';
import { createTestDatabase, DIALECTS } from '../server/src/testing/databases.js';
import { countRows, DAY_MS, RetentionFixtures } from '../server/src/testing/retention-fixtures.js';
import { runCli, TOKEN_PATTERN } from './helpers/process.js';
import { startTestServer } from './helpers/server.js';

// Retention as an operator meets it: the server's timer (THREADLINE_RETENTION_*), and the
// `threadline-server prune` and `audit` commands of the real bin. The prune's own rules (policies,
// active runs, batches, space) are tested in server/src/retention/prune.test.ts.

for (const dialect of DIALECTS) {
  describe(`retention on ${dialect}`, () => {
    it('the server prunes a session idle past THREADLINE_RETENTION_DAYS by itself and keeps a fresh one', async () => {
      await using t = await startTestServer({ dialect, environment: { THREADLINE_RETENTION_DAYS: '30', THREADLINE_RETENTION_INTERVAL_MS: '200' } });
      const db = t.server.services.db;
      const old = await t.client.sessions.create.mutate({ title: 'old' });
      await t.client.chat.send.mutate({ sessionId: old.id, content: 'hello' });
      const fresh = await t.client.sessions.create.mutate({ title: 'fresh' });
      // Forty days without activity.
      await db.updateTable('sessions').set({ updated_at: Date.now() - 40 * DAY_MS }).where('id', '=', old.id).execute();
      await db.updateTable('runs').set({ ended_at: Date.now() - 40 * DAY_MS }).where('session_id', '=', old.id).execute();

      await expect.poll(() => t.client.sessions.get.query({ sessionId: old.id }).catch((error: { data?: { code?: string } }) => error.data?.code)).toBe('NOT_FOUND');
      expect(await t.client.sessions.get.query({ sessionId: fresh.id })).toMatchObject({ title: 'fresh' });
      expect(await countRows(db, 'messages')).toBe(0);
      const prunes = await listAudit(db, { action: 'retention.prune', limit: 10 });
      expect(prunes[0]).toMatchObject({ actor: { kind: 'server' }, details: { dryRun: false, deleted: { sessions: 1, messages: 2, runs: 1 } } });
      // The first start's user is in the trail too.
      expect(await listAudit(db, { action: 'user.create', limit: 10 })).toMatchObject([{ target: 'user:local', actor: { kind: 'server' } }]);
    });

    // The commands are thin over the store functions tested on both dialects; each spawn costs a
    // second of CPU, so the command line is driven on one: PostgreSQL when there is one (CI).
    it.runIf(dialect === DIALECTS.at(-1))('threadline-server prune --older-than (dry and real) and audit, from the command line', async () => {
      await using database = await createTestDatabase(dialect);
      const options = { dataDir: database.dataDir, databaseUrl: database.databaseUrl };
      // Each command is a process (about a second of CPU): the data is seeded here, in the test's own.
      const store = await openStore({ dataDir: database.dataDir, databaseUrl: database.databaseUrl });
      let token: string;
      try {
        const alice = await createUser(store.db, 'alice');
        token = (await createToken(store.db, alice.id, 'laptop')).token;
        const seed = new RetentionFixtures(store.db, alice.id);
        await seed.session({ idleDays: 45, messages: 4, runs: [{ status: 'completed', endedDaysAgo: 45 }] });
        await seed.session({ idleDays: 50, messages: 2, runs: [{ status: 'waiting' }] });
        await seed.session({ idleDays: 3, messages: 2 });
      } finally {
        await store.db.destroy();
      }

      const [dry, noPolicy, revoked, createdUser, createdToken] = await Promise.all([
        runCli(['prune', '--older-than', '30d', '--dry-run'], options),
        runCli(['prune'], options),
        runCli(['token', 'revoke', token], options),
        runCli(['user', 'create', 'bob'], options),
        runCli(['token', 'create', 'alice', '--label', 'ci'], options),
      ]);
      expect([createdUser.code, createdToken.code]).toEqual([0, 0]);
      expect(dry).toMatchObject({ code: 0, stderr: '' });
      expect(dry.stdout).toMatch(/would delete \(dry run, nothing deleted\)/);
      expect(dry.stdout).toMatch(/^ {2}sessions +1 /m);
      expect(dry.stdout).toMatch(/^ {2}messages +4$/m);
      expect(dry.stdout).toMatch(/kept: 1 old session/);
      expect(noPolicy).toMatchObject({ code: 1, stderr: expect.stringMatching(/no retention policy: pass --older-than/) });
      expect(revoked).toMatchObject({ code: 0, stdout: 'revoked\n' });

      const real = await runCli(['prune', '--older-than', '30d', '--format', 'json', '--batch-size', '2'], options);
      expect(real).toMatchObject({ code: 0, stderr: '' });
      const summary = JSON.parse(real.stdout) as { deleted: unknown; keptActive: number; transactions: number };
      expect(summary).toMatchObject({ deleted: { archivedSessions: 0, sessions: 1, messages: 4, runs: 1 }, keptActive: 1 });
      expect(summary.transactions).toBeGreaterThanOrEqual(3);

      const [jsonl, text] = await Promise.all([runCli(['audit', '--format', 'jsonl'], options), runCli(['audit', '--action', 'token', '--since', '1h'], options)]);
      expect(jsonl).toMatchObject({ code: 0, stderr: '' });
      // The trail never holds a token, however it was given.
      expect(jsonl.stdout).not.toMatch(TOKEN_PATTERN);
      const events = jsonl.stdout.trim().split('\n').map((line) => JSON.parse(line) as { action: string; actor: { kind: string; name: string }; origin: string; target: string | null; details: Record<string, unknown> });
      // The three commands ran at once: their entries in any order, the prune's last.
      expect(events.map((event) => event.action).sort()).toEqual(['retention.prune', 'token.create', 'token.revoke', 'user.create']);
      for (const event of events) expect(event).toMatchObject({ actor: { kind: 'cli', name: userInfo().username }, origin: `cli@${hostname()}` });
      const byAction = Object.fromEntries(events.map((event) => [event.action, event]));
      expect(byAction['token.revoke']!.target).toMatch(/^token:[0-9a-f-]{36}$/);
      expect(byAction['user.create']).toMatchObject({ target: 'user:bob', details: { userId: expect.any(String), tokenId: expect.any(String) } });
      expect(byAction['token.create']).toMatchObject({ target: 'user:alice', details: { label: 'ci', tokenId: expect.any(String) } });
      expect(events.at(-1)!.details).toMatchObject({ olderThan: '30d', deleted: { sessions: 1 } });
      const lines = text.stdout.trim().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines).toEqual(expect.arrayContaining([
        expect.stringMatching(/^\S+Z\ttoken\.create\tuser:alice\tcli:\S+\tcli@\S+\t{"tokenId":"[0-9a-f-]{36}","label":"ci","operator":false}$/),
        expect.stringMatching(/^\S+Z\ttoken\.revoke\ttoken:\S+\tcli:\S+\tcli@\S+\t\{\}$/),
      ]));
    });
  });
}

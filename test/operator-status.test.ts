import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../server/src/testing/databases.js';
import { errorOf } from './helpers/errors.js';
import { runCli } from './helpers/process.js';
import { startTestServer } from './helpers/server.js';

// system.status shows a user how busy the server is (counts, no one named) and their own runs;
// system.operatorStatus, every figure, answers only an operator token from
// `threadline-server token create NAME --operator`.

/** The keys of the user view: nothing in it counts or names other users. */
const USER_VIEW = ['activeRuns', 'own', 'queuedRuns', 'queues', 'uptimeMs', 'waitingRuns'];

for (const dialect of DIALECTS) {
  describe(`system status views on ${dialect}`, () => {
    it('a user sees aggregates and their own runs; only an operator token sees the users and their runs', async () => {
      await using t = await startTestServer({ dialect });
      const bob = await t.addUser('bob');
      // Bob's run waits for approval: it stays unfinished while the views are read.
      t.server.services.agents.register({ ...t.server.services.agents.get('assistant'), name: 'guarded', approval: ['calculator'] });
      const waiting = await bob.client.chat.send.mutate({ agent: 'guarded', newSession: true, content: '/tool calculator {"expression": "2 * 3"}' });
      expect(waiting.status).toBe('waiting');

      const seenByLocal = await t.client.system.status.query();
      expect(Object.keys(seenByLocal).sort()).toEqual(USER_VIEW);
      expect(seenByLocal).toMatchObject({ waitingRuns: 1, own: { queued: 0, running: 0, waiting: 0 } });
      expect(JSON.stringify(seenByLocal)).not.toContain(bob.userId);
      const seenByBob = await bob.client.system.status.query();
      expect(Object.keys(seenByBob).sort()).toEqual(USER_VIEW);
      expect(seenByBob).toMatchObject({ waitingRuns: 1, own: { queued: 0, running: 0, waiting: 1 } });

      // No operator token yet: everyone is refused, without a token UNAUTHORIZED as ever.
      expect(await errorOf(t.client.system.operatorStatus.query())).toMatchObject({ code: 'FORBIDDEN', httpStatus: 403 });
      expect(await errorOf(bob.client.system.operatorStatus.query())).toMatchObject({ code: 'FORBIDDEN' });
      expect(await errorOf(t.clientFor().system.operatorStatus.query())).toMatchObject({ code: 'UNAUTHORIZED' });

      // The operator's command, as an operator runs it beside the server.
      const created = await runCli(['token', 'create', 'local', '--operator', '--label', 'ops'], { dataDir: t.database.dataDir, databaseUrl: t.database.databaseUrl });
      expect(created).toMatchObject({ code: 0, stderr: '' });
      const operator = t.clientFor(created.stdout.trim());
      // `token list` marks it (a process start: it runs while the calls below are made).
      const listed = runCli(['token', 'list', 'local'], { dataDir: t.database.dataDir, databaseUrl: t.database.databaseUrl });
      const full = await operator.system.operatorStatus.query();
      expect(full).toMatchObject({
        waitingRuns: 1,
        own: { queued: 0, running: 0, waiting: 0 },
        users: 2,
        activeUsers: 1,
        runsByUser: [{ userId: bob.userId, name: 'bob', queued: 0, running: 0, waiting: 1 }],
      });
      // The operator token is still a token of `local`: its user view is local's.
      expect(await operator.system.status.query()).toMatchObject({ own: { waiting: 0 } });
      // The user's everyday token gained nothing.
      expect(await errorOf(t.client.system.operatorStatus.query())).toMatchObject({ code: 'FORBIDDEN' });


      const tokens = (await listed).stdout.split('\n').filter(Boolean);
      expect(tokens.filter((line) => line.endsWith('\toperator'))).toEqual([expect.stringMatching(/\tops\t.*\tlive\toperator$/)]);
      expect(tokens).toHaveLength(2);

      // Once bob's run has ended, nobody has unfinished runs.
      await bob.client.runs.cancel.mutate({ runId: waiting.runId });
      expect(await operator.system.operatorStatus.query()).toMatchObject({ waitingRuns: 0, activeUsers: 0, runsByUser: [] });
    });
  });
}

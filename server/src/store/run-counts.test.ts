import type { RunStatus } from '@threadline/shared';
import { describe, expect, it } from 'vitest';
import { newId } from '../ids.js';
import { DIALECTS, openTestStore } from '../testing/databases.js';
import { ownRunCounts, unfinishedRunCounts } from './run-counts.js';
import { insertRun, updateRun } from './runs.js';
import { createUser } from './users.js';

for (const dialect of DIALECTS) {
  describe(`run counts on ${dialect}`, () => {
    it('counts unfinished runs per user and status, the busiest user first, ended runs left out', async () => {
      await using store = await openTestStore(dialect);
      const [alice, bob, carol] = [await createUser(store.db, 'alice'), await createUser(store.db, 'bob'), await createUser(store.db, 'carol')];
      const run = async (userId: string, status: RunStatus) => {
        const id = newId();
        await insertRun(store.db, { id, userId, sessionId: null, requestId: null, agent: 'chat', model: 'local/echo', content: 'x', priority: 5, owner: 'test', queuedAt: Date.now() });
        if (status !== 'queued') await updateRun(store.db, id, { status });
      };
      for (const status of ['queued', 'running', 'completed', 'failed'] as const) await run(alice.id, status);
      for (const status of ['waiting', 'waiting', 'queued', 'running', 'cancelled'] as const) await run(bob.id, status);
      await run(carol.id, 'interrupted');

      expect(await unfinishedRunCounts(store.db)).toEqual([
        { userId: bob.id, name: 'bob', queued: 1, running: 1, waiting: 2 },
        { userId: alice.id, name: 'alice', queued: 1, running: 1, waiting: 0 },
      ]);
      expect(await ownRunCounts(store.db, alice.id)).toEqual({ queued: 1, running: 1, waiting: 0 });
      expect(await ownRunCounts(store.db, carol.id)).toEqual({ queued: 0, running: 0, waiting: 0 });
    });
  });
}

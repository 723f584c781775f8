import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { userLimitsCommand } from '../server/src/operator/user-limits-command.js';
import { recordUsage } from '../server/src/store/usage-ledger.js';
import { DIALECTS } from '../server/src/testing/databases.js';
import { startTestServer } from './helpers/server.js';
import { collectEvents, textOf } from './helpers/stream.js';

for (const dialect of DIALECTS) {
  describe(`token and cost budgets on ${dialect}`, () => {
    it('a run stops where the day\'s tokens run out, its partial answer kept; the next is refused before the model is called (quota_exceeded); a user without a budget goes on', async () => {
      await using t = await startTestServer({ dialect, environment: { THREADLINE_LIMITS_CACHE_MS: '0', THREADLINE_LOCAL_DELAY_MS: '1' } });
      const { db, config } = t.server.services;
      await userLimitsCommand(db, config.userLimits, 'local', { tokensPerDay: '200' });

      // ~6 characters a word: 2000 words are far past 200 tokens.
      const { events } = await collectEvents((handlers) => t.client.chat.stream.subscribe({ newSession: true, content: '/long 2000', requestId: randomUUID() }, handlers));
      const terminal = events.at(-1)!.data;
      expect(terminal).toMatchObject({ type: 'run-error', code: 'quota_exceeded', retryable: false });
      expect((terminal as { message: string }).message).toMatch(/token budget for this day/);
      const streamed = textOf(events);
      expect(streamed.length).toBeGreaterThan(100);
      expect(streamed.split(' ').length).toBeLessThan(400);
      const sessionId = (events[0]!.data as { sessionId: string }).sessionId;
      const { messages } = await t.client.sessions.history.query({ sessionId });
      expect(messages.map((message) => [message.role, message.status])).toEqual([
        ['user', 'complete'],
        ['assistant', 'failed'],
      ]);
      expect(messages[1]!.content).toBe(streamed);
      // What it streamed counts, though the model never reported it.
      const spent = await t.client.usage.summary.query();
      expect(spent.total.inputTokens + spent.total.outputTokens).toBeGreaterThanOrEqual(200);

      const refused = await t.client.chat.send.mutate({ sessionId, content: 'one more?' });
      expect(refused.status).toBe('failed');
      expect(refused.error).toMatchObject({ code: 'quota_exceeded' });
      expect(refused.message.content).toBe('');
      // Refused before the model was called: the ledger has nothing more.
      expect((await t.client.usage.summary.query()).total.runs).toBe(1);

      const { client: bob } = await t.addUser('bob');
      expect((await bob.chat.send.mutate({ content: 'hello' })).status).toBe('completed');

      // Raised by the operator, the budget lets the user go on.
      await userLimitsCommand(db, config.userLimits, 'local', { tokensPerDay: '0' });
      expect((await t.client.chat.send.mutate({ sessionId, content: 'thanks' })).status).toBe('completed');
    });

    it('a cost budget per month counts the ledger of the month, and a monthly token budget too', async () => {
      await using t = await startTestServer({ dialect, environment: { THREADLINE_LIMITS_CACHE_MS: '0', THREADLINE_LIMIT_COST_PER_MONTH: '0.5' } });
      const { db } = t.server.services;
      const user = (await db.selectFrom('users').select('id').where('name', '=', 'local').executeTakeFirstOrThrow()).id;
      const entry = { userId: user, runId: randomUUID(), sessionId: null, agent: 'chat', model: 'openai/gpt-4o', inputTokens: 1000, outputTokens: 10, cachedInputTokens: 0, cacheWriteInputTokens: 0, reasoningTokens: 0 };
      // Spent last month: not counted this month.
      const now = new Date();
      await recordUsage(db, [{ ...entry, cost: 5 }], Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1) - 1000);
      expect((await t.client.chat.send.mutate({ content: 'fine' })).status).toBe('completed');
      await recordUsage(db, [{ ...entry, cost: 0.5 }]);
      const refused = await t.client.chat.send.mutate({ content: 'too dear' });
      expect(refused.error).toMatchObject({ code: 'quota_exceeded', message: expect.stringMatching(/cost budget for this month/) });

      await userLimitsCommand(db, t.server.services.config.userLimits, 'local', { costPerMonth: 'default', tokensPerMonth: '1000' });
      // The cost budget is still the default (0.5, spent); a user override of 10 lifts it, the month's 1010 tokens then stop the run.
      await userLimitsCommand(db, t.server.services.config.userLimits, 'local', { costPerMonth: '10' });
      const tokens = await t.client.chat.send.mutate({ content: 'tokens?' });
      expect(tokens.error).toMatchObject({ code: 'quota_exceeded', message: expect.stringMatching(/token budget for this month/) });
    });
  });
}

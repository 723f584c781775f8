import { describe, expect, it } from 'vitest';
import { parseSince } from '../server/src/feedback-report.js';
import { DIALECTS } from '../server/src/testing/databases.js';
import { runCli } from './helpers/process.js';
import { startTestServer } from './helpers/server.js';

for (const dialect of DIALECTS) {
  describe(`ratings on ${dialect}`, () => {
    it('rates answers (shown in history), clears a rating, refuses questions, and operators read them with threadline-server feedback', async () => {
      await using t = await startTestServer({ dialect });
      const { client } = t;
      const bob = await t.addUser('bob');
      const good = await client.chat.send.mutate({ newSession: true, content: 'a good answer please' });
      const bad = await client.chat.send.mutate({ sessionId: good.sessionId!, content: 'and a bad one' });
      const rated = await client.messages.rate.mutate({ messageId: good.message.id, rating: 'up', comment: 'spot on' });
      expect(rated).toMatchObject({ messageId: good.message.id, rating: 'up', ratingComment: 'spot on', ratedAt: expect.any(Date) });
      await client.messages.rate.mutate({ messageId: bad.message.id, rating: 'down' });
      await bob.client.chat.send.mutate({ newSession: true, content: 'bob here' }).then((sent) => bob.client.messages.rate.mutate({ messageId: sent.message.id, rating: 'down', comment: 'bob is\nunhappy' }));

      const { messages } = await client.sessions.history.query({ sessionId: good.sessionId! });
      expect(messages.map((message) => [message.content, message.rating ?? null, message.ratingComment ?? null])).toEqual([
        ['a good answer please', null, null],
        ['Echo: a good answer please', 'up', 'spot on'],
        ['and a bad one', null, null],
        ['Echo: and a bad one', 'down', null],
      ]);
      await expect(client.messages.rate.mutate({ messageId: messages[0]!.id, rating: 'up' })).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' }, message: 'only an assistant message can be rated' });
      await expect(client.messages.rate.mutate({ messageId: good.message.id, rating: 'up', comment: 'x'.repeat(2001) })).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' } });

      const options = { dataDir: t.database.dataDir, databaseUrl: t.database.databaseUrl };
      const jsonl = await runCli(['feedback', '--since', '1h', '--format', 'jsonl'], options);
      expect(jsonl).toMatchObject({ code: 0, stderr: '' });
      const entries = jsonl.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(entries.map((entry) => [entry.userName, entry.rating, entry.comment, entry.content])).toEqual([
        ['local', 'up', 'spot on', 'Echo: a good answer please'],
        ['local', 'down', null, 'Echo: and a bad one'],
        ['bob', 'down', 'bob is\nunhappy', 'Echo: bob here'],
      ]);
      expect(entries[0]).toMatchObject({ messageId: good.message.id, sessionId: good.sessionId, model: 'local/echo', agent: 'chat', ratedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });

      const text = await runCli(['feedback', '--format', 'text'], options);
      expect(text.stdout.trim().split('\n').map((line) => line.split('  ').slice(1, 3))).toEqual([['+1', 'local'], ['-1', 'local'], ['-1', 'bob']]);
      expect(text.stdout).toContain('"bob is unhappy"');

      // Cleared: no longer shown, no longer reported.
      expect(await client.messages.rate.mutate({ messageId: good.message.id, rating: null, comment: 'ignored' })).toEqual({ messageId: good.message.id, rating: null, ratingComment: null, ratedAt: null });
      const after = await runCli(['feedback', '--since', '2000-01-01', '--format', 'jsonl'], options);
      expect(after.stdout.trim().split('\n')).toHaveLength(2);
      expect((await client.sessions.history.query({ sessionId: good.sessionId! })).messages[1]).not.toHaveProperty('rating');

      const wrong = await runCli(['feedback', '--since', 'yesterday-ish'], options);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain('--since yesterday-ish: give a date');
    });
  });
}

describe('feedback --since', () => {
  it('reads dates, times and spans back from now', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    expect(parseSince('7d', now)?.toISOString()).toBe('2026-11-24T12:00:00.000Z');
    expect(parseSince('30m', now)?.toISOString()).toBe('2026-12-01T11:30:00.000Z');
    expect(parseSince('2026-11-30T08:00:00Z', now)?.toISOString()).toBe('2026-11-30T08:00:00.000Z');
    expect(parseSince('soon', now)).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../server/src/testing/databases.js';
import { startTestServer } from './helpers/server.js';

for (const dialect of DIALECTS) {
  describe(`search.messages on ${dialect}`, () => {
    it("finds the caller's own messages by their words, ranked, with marked snippets and session titles; never another user's", async () => {
      await using t = await startTestServer({ dialect });
      const { client } = t;
      const bob = await t.addUser('bob');
      const holiday = await client.chat.send.mutate({ newSession: { title: 'Holiday plans' }, content: 'we fly to Lisbon in May, then the train to Porto' });
      await client.chat.send.mutate({ sessionId: holiday.sessionId!, content: 'the hotel in Porto is booked' });
      const work = await client.chat.send.mutate({ newSession: { title: 'Work' }, content: 'the quarterly report is due' });
      await bob.client.chat.send.mutate({ newSession: { title: 'Secret' }, content: 'bob also flies to Lisbon and Porto' });

      const found = await client.search.messages.query({ query: 'lisbon porto' });
      // Both words first (the question and its echo), then one of them.
      expect(found.items.map((hit) => hit.snippet)).toHaveLength(4);
      expect(found.items.slice(0, 2).every((hit) => hit.snippet.includes('«Lisbon»') && hit.snippet.includes('«Porto»'))).toBe(true);
      expect(found.items.slice(2).every((hit) => hit.snippet.includes('«Porto»') && !hit.snippet.includes('Lisbon'))).toBe(true);
      expect(found.items.every((hit) => hit.sessionTitle === 'Holiday plans' && hit.sessionId === holiday.sessionId)).toBe(true);
      expect(JSON.stringify(found)).not.toContain('bob');
      expect(found.items.find((hit) => hit.role === 'user')).toMatchObject({ messageId: holiday.message.parentId, createdAt: expect.any(Date) });
      // Case does not matter, accents do (on both databases); a word is a whole word.
      expect((await client.search.messages.query({ query: 'LISBON' })).items).toHaveLength(2);
      expect((await client.search.messages.query({ query: 'Lísbon' })).items).toHaveLength(0);
      expect((await client.search.messages.query({ query: 'lisb' })).items).toHaveLength(0);

      // One session; pages.
      expect((await client.search.messages.query({ query: 'report porto', sessionId: work.sessionId! })).items.map((hit) => hit.sessionTitle)).toEqual(['Work', 'Work']);
      const first = await client.search.messages.query({ query: 'porto', limit: 3 });
      expect(first.nextCursor).not.toBeNull();
      const rest = await client.search.messages.query({ query: 'porto', limit: 3, cursor: first.nextCursor! });
      expect(rest).toMatchObject({ nextCursor: null });
      expect(new Set([...first.items, ...rest.items].map((hit) => hit.messageId)).size).toBe(4);

      // Bob finds his own only; Alice's session is not his to search.
      const bobs = await bob.client.search.messages.query({ query: 'lisbon porto report' });
      expect(bobs.items.map((hit) => hit.sessionTitle)).toEqual(['Secret', 'Secret']);
      await expect(bob.client.search.messages.query({ query: 'porto', sessionId: holiday.sessionId! })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    });

    it('takes any text literally: operators, quotes and punctuation are words or nothing, never an error', async () => {
      await using t = await startTestServer({ dialect });
      const { client } = t;
      await client.chat.send.mutate({ newSession: true, content: 'say "hello" AND goodbye; it\'s NEAR the end* (maybe)' });
      for (const query of ['"', '"hello', 'hello"', 'AND', 'OR', 'NOT hello', 'NEAR(hello goodbye)', 'end*', '-goodbye', '^hello', 'content:hello', '(maybe', '!!!', "it's", '\\', 'a:b:c', '{x}', '&|!<->', "'"]) {
        const result = await client.search.messages.query({ query });
        expect(Array.isArray(result.items), query).toBe(true);
      }
      expect((await client.search.messages.query({ query: '"hello"' })).items.length).toBe(2);
      expect((await client.search.messages.query({ query: 'NEAR' })).items.length).toBe(2);
      expect((await client.search.messages.query({ query: '!!!' })).items).toEqual([]);
      await expect(client.search.messages.query({ query: 'x', cursor: 'nonsense' })).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' } });
      const before = Buffer.from(JSON.stringify([-5])).toString('base64url');
      await expect(client.search.messages.query({ query: 'hello', cursor: before })).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' }, message: 'invalid cursor' });
      await expect(client.search.messages.query({ query: '   ' })).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' } });
    });

    it('keeps the index in step with the messages: cleared and deleted ones are no longer found', async () => {
      await using t = await startTestServer({ dialect });
      const { client } = t;
      const sent = await client.chat.send.mutate({ newSession: true, content: 'ephemeral zebra' });
      expect((await client.search.messages.query({ query: 'zebra' })).items).toHaveLength(2);
      await client.sessions.clear.mutate({ sessionId: sent.sessionId! });
      expect((await client.search.messages.query({ query: 'zebra' })).items).toHaveLength(0);
      const again = await client.chat.send.mutate({ newSession: true, content: 'another zebra' });
      await client.sessions.delete.mutate({ sessionId: again.sessionId! });
      expect((await client.search.messages.query({ query: 'zebra' })).items).toHaveLength(0);
    });
  });
}

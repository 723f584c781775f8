import { describe, expect, it } from 'vitest';
import type { Message } from '@threadline/shared';
import type { ThreadlineClient } from '../client/src/client.js';
import { runEvents } from '../client/src/run-events.js';
import { DIALECTS } from '../server/src/testing/databases.js';
import { startTestServer } from './helpers/server.js';

/** Waits for a run to end (its terminal event). */
async function finished(client: ThreadlineClient, runId: string): Promise<void> {
  for await (const _event of runEvents(client, runId)) {
    // every event up to the terminal one
  }
}

/** The active branch as `content (siblingIndex/siblingCount)`. */
async function shown(client: ThreadlineClient, sessionId: string): Promise<string[]> {
  const { messages } = await client.sessions.history.query({ sessionId, limit: 200 });
  return messages.map((message) => `${message.content} (${message.siblingIndex}/${message.siblingCount})`);
}

async function history(client: ThreadlineClient, sessionId: string): Promise<Message[]> {
  return (await client.sessions.history.query({ sessionId, limit: 200 })).messages;
}

for (const dialect of DIALECTS) {
  describe(`branches on ${dialect}`, () => {
    it('edit and regenerate answer on new branches, every branch is kept, switchBranch shows another, and a send continues the branch shown', async () => {
      await using t = await startTestServer({ dialect });
      const { client } = t;
      const first = await client.chat.send.mutate({ newSession: true, content: 'one' });
      const sessionId = first.sessionId!;
      await client.chat.send.mutate({ sessionId, content: 'two' });
      expect(await shown(client, sessionId)).toEqual(['one (1/1)', 'Echo: one (1/1)', 'two (1/1)', 'Echo: two (1/1)']);
      const [one, answerOne, two, answerTwo] = await history(client, sessionId);
      expect([one!.parentId, answerOne!.parentId, two!.parentId, answerTwo!.parentId]).toEqual([null, one!.id, answerOne!.id, two!.id]);

      // Edit the second question: a sibling of it, answered on the new branch.
      const edited = await client.messages.edit.mutate({ messageId: two!.id, content: 'two, better' });
      expect(edited.sessionId).toBe(sessionId);
      await finished(client, edited.runId);
      expect(await shown(client, sessionId)).toEqual(['one (1/1)', 'Echo: one (1/1)', 'two, better (2/2)', 'Echo: two, better (1/1)']);
      const editedBranch = await history(client, sessionId);
      expect(editedBranch[2]!.parentId).toBe(answerOne!.id);
      expect(editedBranch[2]).toMatchObject({ previousSiblingId: two!.id, nextSiblingId: null });
      expect(editedBranch[3]).toMatchObject({ previousSiblingId: null, nextSiblingId: null });

      // Regenerate the answer: a sibling of it; the question is not stored again.
      const regenerated = await client.messages.regenerate.mutate({ messageId: editedBranch[3]!.id });
      await finished(client, regenerated.runId);
      const afterRegenerate = await history(client, sessionId);
      expect(afterRegenerate.map((message) => `${message.content} (${message.siblingIndex}/${message.siblingCount})`)).toEqual([
        'one (1/1)', 'Echo: one (1/1)', 'two, better (2/2)', 'Echo: two, better (2/2)',
      ]);
      expect(afterRegenerate[3]!.id).not.toBe(editedBranch[3]!.id);
      expect(afterRegenerate[3]!.parentId).toBe(editedBranch[2]!.id);
      expect((await client.sessions.get.query({ sessionId })).messageCount).toBe(7);

      // Back to the first version of the question: its branch down to its newest leaf.
      expect(await client.sessions.switchBranch.mutate({ sessionId, messageId: two!.id })).toEqual({ sessionId, leafId: answerTwo!.id });
      expect(await shown(client, sessionId)).toEqual(['one (1/1)', 'Echo: one (1/1)', 'two (1/2)', 'Echo: two (1/1)']);
      expect((await history(client, sessionId))[2]).toMatchObject({ previousSiblingId: null, nextSiblingId: editedBranch[2]!.id });
      // The first of the regenerated answers, by its id.
      await client.sessions.switchBranch.mutate({ sessionId, messageId: editedBranch[3]!.id });
      expect(await shown(client, sessionId)).toEqual(['one (1/1)', 'Echo: one (1/1)', 'two, better (2/2)', 'Echo: two, better (1/2)']);

      // A send continues the branch shown.
      await client.sessions.switchBranch.mutate({ sessionId, messageId: two!.id });
      const three = await client.chat.send.mutate({ sessionId, content: 'three' });
      expect(await shown(client, sessionId)).toEqual(['one (1/1)', 'Echo: one (1/1)', 'two (1/2)', 'Echo: two (1/1)', 'three (1/1)', 'Echo: three (1/1)']);
      expect(three.message.parentId).toBe((await history(client, sessionId))[4]!.id);

      // Editing the first question makes a second root.
      await finished(client, (await client.messages.edit.mutate({ messageId: one!.id, content: 'uno' })).runId);
      expect(await shown(client, sessionId)).toEqual(['uno (2/2)', 'Echo: uno (1/1)']);
      await client.sessions.switchBranch.mutate({ sessionId, messageId: one!.id });
      expect((await shown(client, sessionId)).at(-1)).toBe('Echo: three (1/1)');
    });

    it('refuses what cannot branch with a clear BAD_REQUEST, and pages of a branched history are whole', async () => {
      await using t = await startTestServer({ dialect });
      const { client } = t;
      const sent = await client.chat.send.mutate({ newSession: true, content: 'hello' });
      const sessionId = sent.sessionId!;
      const [question, answer] = await history(client, sessionId);
      await expect(client.messages.edit.mutate({ messageId: answer!.id, content: 'x' })).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' } });
      // Regenerating a question answers it again.
      const again = await client.messages.regenerate.mutate({ messageId: question!.id });
      await finished(client, again.runId);
      expect(await shown(client, sessionId)).toEqual(['hello (1/1)', 'Echo: hello (2/2)']);
      const other = await client.chat.send.mutate({ newSession: true, content: 'elsewhere' });
      await expect(client.sessions.switchBranch.mutate({ sessionId, messageId: other.message.id })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
      const page = await client.sessions.history.query({ sessionId, limit: 1 });
      const rest = await client.sessions.history.query({ sessionId, limit: 5, cursor: page.nextCursor! });
      expect([...page.messages, ...rest.messages].map((message) => message.content)).toEqual(['hello', 'Echo: hello']);
      expect(rest.nextCursor).toBeNull();
    });
  });
}

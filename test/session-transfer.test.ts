import { describe, expect, it } from 'vitest';
import type { SessionExport } from '@threadline/shared';
import type { ThreadlineClient } from '../client/src/client.js';
import { runEvents } from '../client/src/run-events.js';
import { DIALECTS } from '../server/src/testing/databases.js';
import { startTestServer } from './helpers/server.js';

async function finished(client: ThreadlineClient, runId: string): Promise<void> {
  for await (const _event of runEvents(client, runId)) {
    // up to the terminal event
  }
}

async function exportJson(client: ThreadlineClient, sessionId: string): Promise<SessionExport> {
  const file = await client.sessions.export.query({ sessionId, format: 'json' });
  expect(file.format).toBe('json');
  return JSON.parse(file.content) as SessionExport;
}

/** An export with its ids replaced by their order of appearance, and without its own time: what must survive a round trip. */
function modIds(data: SessionExport) {
  const order = new Map(data.messages.map((message, index) => [message.id, `#${index}`]));
  const id = (value: string | null) => (value === null ? null : order.get(value) ?? `unknown ${value}`);
  return {
    ...data,
    exportedAt: undefined,
    activeLeafId: id(data.activeLeafId),
    messages: data.messages.map((message) => ({ ...message, id: id(message.id), parentId: id(message.parentId) })),
  };
}

/** A file made by hand: two roots, an approval, suggestions, a rating, reasoning with a signature, a failed answer. */
function handMade(): SessionExport {
  const ids = ['01a00000-0000-7000-8000-00000000000a', '01a00000-0000-7000-8000-00000000000b', '01a00000-0000-7000-8000-00000000000c', '01a00000-0000-7000-8000-00000000000d'];
  const at = (second: number) => `2026-11-30T10:00:0${second}.000Z`;
  return {
    format: 'threadline.session',
    version: 1,
    exportedAt: at(9),
    session: { title: 'Made by hand', agent: 'assistant', model: 'local/echo', metadata: { project: 'x', tags: ['a', 1, null] }, archived: true, busyPolicy: 'reject', allowedTools: ['calculator'], createdAt: at(0), updatedAt: at(8), lastMessageAt: at(7) },
    activeLeafId: ids[3]!,
    messages: [
      { id: ids[0]!, parentId: null, role: 'user', content: 'what is 2+2?', parts: [], agent: null, model: null, usage: null, status: 'complete', createdAt: at(1), rating: null, ratingComment: null, ratedAt: null },
      {
        id: ids[1]!, parentId: ids[0]!, role: 'assistant', content: 'It is 4.', agent: 'assistant', model: 'local/echo', status: 'complete', createdAt: at(2),
        parts: [
          { type: 'reasoning', text: 'add', signature: 'sig' },
          { type: 'tool-call', callId: 'c1', name: 'calculator', input: { expression: '2+2' } },
          { type: 'tool-result', callId: 'c1', name: 'calculator', output: { value: 4 }, isError: false, approval: { approved: true, reason: null } },
          { type: 'text', text: 'It is 4.' },
        ],
        usage: { inputTokens: 10, outputTokens: 3, reasoningTokens: 1, cachedInputTokens: 2 },
        suggestions: ['and 3+3?'], rating: 'up', ratingComment: 'right', ratedAt: at(6),
      },
      { id: ids[2]!, parentId: null, role: 'user', content: 'what is 2+3?', parts: [], agent: null, model: null, usage: null, status: 'complete', createdAt: at(3), rating: null, ratingComment: null, ratedAt: null },
      { id: ids[3]!, parentId: ids[2]!, role: 'assistant', content: 'It is', parts: [{ type: 'text', text: 'It is' }], agent: 'assistant', model: 'local/echo', usage: { inputTokens: 1, outputTokens: 1 }, status: 'failed', createdAt: at(4), rating: 'down', ratingComment: null, ratedAt: at(5) },
    ],
  };
}

for (const dialect of DIALECTS) {
  describe(`sessions.export and sessions.import on ${dialect}`, () => {
    it('a JSON export of a branched session round-trips to the same session under new ids; Markdown shows the branch shown', async () => {
      await using t = await startTestServer({ dialect });
      const { client } = t;
      const first = await client.chat.send.mutate({ newSession: { title: 'Trip: Lisbon', metadata: { n: 1 } }, agent: 'assistant', content: '/think plan it /tool calculator {"expression": "6*7"}' });
      const sessionId = first.sessionId!;
      await client.chat.send.mutate({ sessionId, content: 'second ```question```' });
      const [, , second] = (await client.sessions.history.query({ sessionId })).messages;
      await finished(client, (await client.messages.edit.mutate({ messageId: second!.id, content: 'second, edited' })).runId);
      await client.messages.rate.mutate({ messageId: first.message.id, rating: 'up', comment: 'good' });

      const original = await exportJson(client, sessionId);
      expect(original).toMatchObject({ format: 'threadline.session', version: 1, session: { title: 'Trip: Lisbon', metadata: { n: 1 } } });
      expect(original.messages).toHaveLength(6);
      const imported = await client.sessions.import.mutate({ data: original });
      expect(imported.id).not.toBe(sessionId);
      expect(imported).toMatchObject({ title: 'Trip: Lisbon', messageCount: 6, agent: 'assistant' });
      const again = await exportJson(client, imported.id);
      expect(modIds(again)).toEqual(modIds(original));
      expect(again.messages.map((message) => message.id).some((id) => original.messages.some((message) => message.id === id))).toBe(false);
      // The imported session shows the same branch and goes on like any other.
      const history = (await client.sessions.history.query({ sessionId: imported.id })).messages;
      expect(history.map((message) => message.content)).toEqual((await client.sessions.history.query({ sessionId })).messages.map((message) => message.content));
      await client.chat.send.mutate({ sessionId: imported.id, content: 'go on' });
      const continued = (await client.sessions.history.query({ sessionId: imported.id })).messages;
      expect(continued.slice(-2).map((message) => message.content)).toEqual(['go on', 'Echo: go on']);
      expect(continued.at(-2)!.parentId).toBe(history.at(-1)!.id);

      const markdown = await client.sessions.export.query({ sessionId, format: 'markdown' });
      expect(markdown.filename).toMatch(/^trip-lisbon-[0-9a-f]{8}\.md$/);
      expect(markdown.content).toContain('# Trip: Lisbon');
      expect(markdown.content).toContain('> plan it');
      expect(markdown.content).toContain('**Tool call** `calculator`\n\n```json\n{\n  "expression": "6*7"\n}\n```');
      expect(markdown.content).toContain('rated up: "good"');
      expect(markdown.content).toContain('second, edited');
      expect(markdown.content).toContain('_(version 2 of 2)_');
      expect(markdown.content).not.toContain('second ```question```');
    });

    it('a hand-made file with everything a message can hold round-trips exactly', async () => {
      await using t = await startTestServer({ dialect });
      const data = handMade();
      const imported = await t.client.sessions.import.mutate({ data });
      expect(imported).toMatchObject({ title: 'Made by hand', archived: true, busyPolicy: 'reject', allowedTools: ['calculator'], messageCount: 4, lastMessageAt: new Date(data.session.lastMessageAt!) });
      expect(modIds(await exportJson(t.client, imported.id))).toEqual(modIds(data));
      const shown = (await t.client.sessions.history.query({ sessionId: imported.id })).messages;
      expect(shown.map((message) => [message.content, message.siblingIndex, message.siblingCount])).toEqual([['what is 2+3?', 2, 2], ['It is', 1, 1]]);
    });

    it('refuses bad files with clear errors and stores nothing of them', async () => {
      await using t = await startTestServer({ dialect, environment: { THREADLINE_MAX_BODY_BYTES: String(64 * 1024) } });
      const { client } = t;
      const before = await client.sessions.list.query({ archived: true });
      const bad = (change: (data: SessionExport) => unknown) => {
        const data = handMade();
        return client.sessions.import.mutate({ data: change(data) as SessionExport });
      };
      const refusals: [string, (data: SessionExport) => unknown, RegExp][] = [
        ['another version', (data) => ({ ...data, version: 2 }), /version/],
        ['not an export', () => ({ hello: 'world' }), /format/],
        ['a parent after its child', (data) => ({ ...data, messages: [data.messages[1], data.messages[0], ...data.messages.slice(2)] }), /messages\[0\]\.parentId: .* is not an earlier message/],
        ['an id twice', (data) => ({ ...data, messages: [...data.messages, data.messages[0]] }), /messages\[4\]\.id: .* appears twice/],
        ['an unknown leaf', (data) => ({ ...data, activeLeafId: '01a00000-0000-7000-8000-0000000000ff' }), /activeLeafId/],
        ['an unknown part', (data) => { data.messages[1]!.parts.push({ type: 'picture' } as never); return data; }, /parts/],
        ['a NUL in the text', (data) => { data.messages[0]!.content = 'a\u0000b'; return data; }, /NUL/],
        ['a date that is not one', (data) => { data.messages[0]!.createdAt = 'yesterday'; return data; }, /createdAt/],
      ];
      for (const [name, change, message] of refusals) {
        const error = await bad(change).then(() => undefined, (caught: unknown) => caught as { data?: { code?: string; issues?: unknown }; message: string });
        expect(error?.data?.code, name).toBe('BAD_REQUEST');
        expect(`${error?.message} ${JSON.stringify(error?.data?.issues ?? '')}`, name).toMatch(message);
      }
      const large = handMade();
      large.messages[0]!.content = 'x'.repeat(70 * 1024);
      await expect(client.sessions.import.mutate({ data: large })).rejects.toMatchObject({ data: { code: 'PAYLOAD_TOO_LARGE' } });
      expect(await client.sessions.list.query({ archived: true })).toEqual(before);
    });
  });
}

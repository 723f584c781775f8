import { describe, expect, it } from 'vitest';
import type { AgentDefinition } from '../server/src/agents/types.js';
import { DefaultChatTransport, readUIMessageStream, UI_MESSAGE_STREAM_HEADERS, type UIMessage, type UIMessageChunk } from '../server/src/testing/ai-sdk.js';
import { DIALECTS } from '../server/src/testing/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// `POST /api/chat` and `GET /api/chat/{id}/stream`, read with the ai package's own transport (the one
// useChat uses by default) and its own reader of the UI message stream.

type Metadata = { runId: string; sessionId?: string | null; usage?: { outputTokens: number } };
type ChatMessage = UIMessage<Metadata>;
/** `GET /api/chat/{id}/messages`. */
type StoredChat = { id: string; sessionId: string | null; messages: ChatMessage[] };

function transportFor(t: TestServer, token = t.token, body: object = {}) {
  return new DefaultChatTransport<ChatMessage>({ api: `${t.url}/api/chat`, headers: { authorization: `Bearer ${token}` }, body });
}

const userMessage = (id: string, text: string): ChatMessage => ({ id, role: 'user', parts: [{ type: 'text', text }] });

/** Sends the conversation and reads the answer to its end with `readUIMessageStream`; the last snapshot and every chunk. */
async function send(transport: DefaultChatTransport<ChatMessage>, chatId: string, messages: ChatMessage[], options: { messageId?: string; signal?: AbortSignal } = {}) {
  const stream = await transport.sendMessages({ chatId, messages, trigger: 'submit-message', messageId: options.messageId, abortSignal: options.signal });
  return read(stream, options.messageId ? messages.find((message) => message.id === options.messageId) : undefined);
}

async function read(stream: ReadableStream<UIMessageChunk>, continued?: ChatMessage) {
  const chunks: UIMessageChunk[] = [];
  const errors: Error[] = [];
  const tapped = stream.pipeThrough(new TransformStream<UIMessageChunk, UIMessageChunk>({ transform: (chunk, controller) => (chunks.push(structuredClone(chunk)), controller.enqueue(chunk)) }));
  let last: ChatMessage | undefined;
  for await (const message of readUIMessageStream<ChatMessage>({ stream: tapped, ...(continued ? { message: continued } : {}), onError: (error) => errors.push(error as Error) })) last = message;
  return { message: last!, chunks, errors };
}

const textOf = (message: ChatMessage) => message.parts.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('');

for (const dialect of DIALECTS) {
  describe(`the AI SDK chat endpoint on ${dialect}`, () => {
    it('a new chat id creates the session; text, reasoning and tools stream as UI message parts', async () => {
      await using t = await startTestServer({ dialect });
      const transport = transportFor(t);
      const first = await send(transport, 'chat-abc123', [userMessage('m1', '/think hm /long 5')]);
      expect(first.errors).toEqual([]);
      expect(first.chunks[0]).toMatchObject({ type: 'start' });
      expect(first.chunks.at(-1)).toMatchObject({ type: 'finish', finishReason: 'stop' });
      expect(first.message.role).toBe('assistant');
      expect(first.message.parts.filter((part) => part.type === 'reasoning')).toMatchObject([{ text: 'hm', state: 'done' }]);
      expect(textOf(first.message).split(' ')).toHaveLength(5);
      expect(first.message.metadata).toMatchObject({ runId: first.message.id, usage: { outputTokens: 5 } });
      const sessionId = first.message.metadata!.sessionId!;
      expect(first.message.parts).toContainEqual({ type: 'data-session', id: 'session', data: { sessionId, runId: first.message.id } });

      // The same chat id continues the same session; the page's history comes back as UI messages.
      const messages = [userMessage('m1', '/think hm /long 5'), first.message, userMessage('m2', '/tool calculator {"expression": "6 * 7"}')];
      const second = await send(transportFor(t, t.token, { agent: 'assistant' }), 'chat-abc123', messages);
      const tool = second.message.parts.find((part) => part.type === 'dynamic-tool');
      expect(tool).toMatchObject({ toolName: 'calculator', state: 'output-available', input: { expression: '6 * 7' } });
      expect(JSON.stringify(tool?.type === 'dynamic-tool' ? tool.output : null)).toContain('42');
      expect(second.message.metadata!.sessionId).toBe(sessionId);
      const history = await t.client.sessions.history.query({ sessionId });
      expect(history.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
      const stored = (await (await fetch(`${t.url}/api/chat/chat-abc123/messages`, { headers: { authorization: `Bearer ${t.token}` } })).json()) as StoredChat;
      expect(stored.messages.map((message: ChatMessage) => message.id)).toEqual([history.messages[0]!.id, first.message.id, history.messages[2]!.id, second.message.id]);
      expect(stored.messages[3]!.parts).toContainEqual(expect.objectContaining({ type: 'dynamic-tool', state: 'output-available' }));
    });

    it('approvals go out as tool-approval-request and come back as the SDK\'s approval response', async () => {
      await using t = await startTestServer({ dialect });
      const assistant = t.server.services.agents.get('assistant');
      t.server.services.agents.register({ ...assistant, name: 'guarded', approval: ['calculator'] } satisfies AgentDefinition);
      const transport = transportFor(t, t.token, { agent: 'guarded' });
      const question = userMessage('q1', '/tool calculator {"expression": "2 + 2"}');
      const paused = await send(transport, 'approve-me', [question]);
      expect(paused.chunks.at(-1)).toMatchObject({ type: 'finish', finishReason: 'tool-calls' });
      const waiting = paused.message.parts.find((part) => part.type === 'dynamic-tool')!;
      if (waiting.type !== 'dynamic-tool' || waiting.state !== 'approval-requested') throw new Error(`expected an approval request, got ${JSON.stringify(waiting)}`);
      expect((await t.client.runs.get.query({ runId: paused.message.id })).status).toBe('waiting');

      // What useChat's addToolApprovalResponse makes of the part, sent as the next request.
      const responded: ChatMessage = {
        ...paused.message,
        parts: paused.message.parts.map((part) => (part === waiting ? { ...waiting, state: 'approval-responded', approval: { id: waiting.approval.id, approved: true } } : part)),
      };
      const resumed = await send(transport, 'approve-me', [question, responded], { messageId: responded.id });
      expect(resumed.errors).toEqual([]);
      expect(resumed.message.id).toBe(paused.message.id);
      expect(resumed.message.parts.find((part) => part.type === 'dynamic-tool')).toMatchObject({ state: 'output-available' });
      expect(textOf(resumed.message)).toContain('4');
      expect(await t.client.runs.get.query({ runId: paused.message.id })).toMatchObject({ status: 'completed' });

      // A denial: the call ends denied, the model is told.
      const again = userMessage('q2', '/tool calculator {"expression": "3 + 3"}');
      const second = await send(transport, 'approve-me', [question, resumed.message, again]);
      const call = second.message.parts.find((part) => part.type === 'dynamic-tool')!;
      if (call.type !== 'dynamic-tool' || call.state !== 'approval-requested') throw new Error('expected an approval request');
      const denied: ChatMessage = { ...second.message, parts: second.message.parts.map((part) => (part === call ? { ...call, state: 'approval-responded', approval: { id: call.approval.id, approved: false, reason: 'not now' } } : part)) };
      const after = await send(transport, 'approve-me', [question, resumed.message, again, denied], { messageId: denied.id });
      expect(after.message.parts.find((part) => part.type === 'dynamic-tool')).toMatchObject({ state: 'output-denied' });
      expect((await t.client.runs.get.query({ runId: denied.id })).status).toBe('completed');
    });
  });
}

describe('the AI SDK chat endpoint', () => {
  it('a client that leaves and comes back within the grace resumes the run from its start; one that does not cancels it', async () => {
    await using t = await startTestServer({ environment: { THREADLINE_CHAT_RESUME_GRACE_MS: '1500' } });
    const transport = transportFor(t);
    expect(await transport.reconnectToStream({ chatId: 'resumable' })).toBeNull();

    const leave = new AbortController();
    const stream = await transport.sendMessages({ chatId: 'resumable', messages: [userMessage('r1', '/slow 20 /long 60')], trigger: 'submit-message', messageId: undefined, abortSignal: leave.signal });
    const reader = stream.getReader();
    let runId = '';
    while (!runId) {
      const { value } = await reader.read();
      if (value?.type === 'start') runId = value.messageId!;
    }
    leave.abort();
    await reader.cancel().catch(() => {});
    // A reload: useChat's resume asks for the chat's stream again, and gets the whole answer from its start.
    const again = await transport.reconnectToStream({ chatId: 'resumable' });
    expect(again).not.toBeNull();
    const resumed = await read(again!);
    expect(resumed.message.id).toBe(runId);
    expect(textOf(resumed.message).split(' ')).toHaveLength(60);
    expect((await t.client.runs.get.query({ runId })).status).toBe('completed');
    expect(await transport.reconnectToStream({ chatId: 'resumable' })).toBeNull();

    // A stop: the client aborts and does not come back.
    const stop = new AbortController();
    const stopped = await transport.sendMessages({ chatId: 'resumable', messages: [userMessage('r2', '/slow 20 /long 500')], trigger: 'submit-message', messageId: undefined, abortSignal: stop.signal });
    const stoppedReader = stopped.getReader();
    let stoppedRun = '';
    while (!stoppedRun) {
      const { value } = await stoppedReader.read();
      if (value?.type === 'start') stoppedRun = value.messageId!;
    }
    stop.abort();
    await stoppedReader.cancel().catch(() => {});
    await expect.poll(async () => (await t.client.runs.get.query({ runId: stoppedRun })).status).toBe('cancelled');
  });

  it('a failed run ends with an error chunk, a cancelled one with abort', async () => {
    await using t = await startTestServer();
    const transport = transportFor(t);
    const failed = await send(transport, 'failing', [userMessage('f1', '/fail auth')]);
    expect(failed.chunks.at(-1)).toMatchObject({ type: 'error' });
    expect(failed.errors).toHaveLength(1);

    const stream = await transport.sendMessages({ chatId: 'failing', messages: [userMessage('f2', '/slow 20 /long 500')], trigger: 'submit-message', messageId: undefined, abortSignal: undefined });
    const reader = stream.getReader();
    const chunks: UIMessageChunk[] = [];
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      chunks.push(next.value);
      if (next.value.type === 'text-delta') await t.client.runs.cancel.mutate({ runId: (chunks[0] as { messageId: string }).messageId });
    }
    expect(chunks.at(-1)).toEqual({ type: 'abort', reason: 'cancelled by the user' });
    expect(chunks.filter((chunk) => chunk.type === 'text-end')).toHaveLength(1);
  });

  it('reports queue positions as a data part, replaced in place', async () => {
    await using t = await startTestServer({ environment: { THREADLINE_CONCURRENCY: '1' } });
    const transport = transportFor(t);
    const first = send(transport, 'busy-one', [userMessage('s1', '/slow 20 /long 60')]);
    await expect.poll(() => t.server.services.engine.status().active).toBe(1);
    const second = await send(transport, 'busy-two', [userMessage('s2', 'after you')]);
    expect(second.chunks, JSON.stringify(second.chunks)).toContainEqual({ type: 'data-queue', id: 'queue', data: { position: 1 } });
    expect(second.message.parts.filter((part) => part.type === 'data-queue')).toEqual([{ type: 'data-queue', id: 'queue', data: { position: 0 } }]);
    expect(textOf(second.message)).toBe('Echo: after you');
    expect(textOf((await first).message).split(' ')).toHaveLength(60);
  });

  it('speaks the protocol header, refuses bad tokens, and keeps users\' chats apart', async () => {
    await using t = await startTestServer();
    const raw = await fetch(`${t.url}/api/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'plain', messages: [userMessage('p1', 'hello')], trigger: 'submit-message' }),
    });
    for (const [name, value] of Object.entries(UI_MESSAGE_STREAM_HEADERS)) expect(raw.headers.get(name)).toBe(value);
    const text = await raw.text();
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);

    const bad = await fetch(`${t.url}/api/chat`, { method: 'POST', headers: { authorization: 'Bearer tl_nope' }, body: '{}' });
    expect(bad.status).toBe(401);
    await expect(transportFor(t, 'tl_nope').sendMessages({ chatId: 'x', messages: [userMessage('b', 'hi')], trigger: 'submit-message', messageId: undefined, abortSignal: undefined })).rejects.toThrow(/token/);
    const invalid = await fetch(`${t.url}/api/chat`, { method: 'POST', headers: { authorization: `Bearer ${t.token}` }, body: JSON.stringify({ id: 'x', messages: [], trigger: 'submit-message' }) });
    expect(invalid.status).toBe(400);

    // Alice's session id, used as a chat id by Bob, is a new chat of Bob's own: like any unknown id.
    const alice = await t.client.sessions.create.mutate({ title: 'alice' });
    await t.client.chat.send.mutate({ sessionId: alice.id, content: 'secret' });
    const bob = await t.addUser('bob');
    const messagesOf = async (chatId: string) => (await (await fetch(`${t.url}/api/chat/${chatId}/messages`, { headers: { authorization: `Bearer ${bob.token}` } })).json()) as StoredChat;
    const foreign = await messagesOf(alice.id);
    const unknown = await messagesOf('01900000-0000-7000-8000-000000000000');
    expect(foreign.messages).toEqual([]);
    expect(unknown.messages).toEqual([]);
    expect(foreign.sessionId).toBeNull();
    expect(await transportFor(t, bob.token).reconnectToStream({ chatId: alice.id })).toBeNull();
    const answer = await send(transportFor(t, bob.token), alice.id, [userMessage('b1', 'hi')]);
    expect(answer.message.metadata!.sessionId).not.toBe(alice.id);
    expect((await t.client.sessions.history.query({ sessionId: alice.id })).messages).toHaveLength(2);
  });
});

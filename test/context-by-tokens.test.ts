import { describe, expect, it } from 'vitest';
import type { AgentDefinition } from '../server/src/agents/types.js';
import { countAnthropicPromptTokens, startAnthropicFake } from './fakes/anthropic.js';
import { countPromptTokens, startOpenAIFake } from './fakes/openai.js';
import { startTestServer } from './helpers/server.js';

/** A Chat Completions message as the fake received it. */
interface WireMessage {
  role: string;
  content: string | null;
  tool_call_id?: string;
  tool_calls?: { id: string }[];
}

const WINDOW = 3_000;
/** About 110 tokens of question. */
const question = (index: number) => `Question ${index}: ${'tell me more about the history of the lighthouse keepers on this coast, '.repeat(5)}`;
const ANSWER = 'The keepers kept logs of every storm, ship and supply boat; '.repeat(4);

function chatRequests(requests: { method: string; path: string; body: any }[]) {
  return requests.filter((request) => request.method === 'POST' && request.path === '/v1/chat/completions').map((request) => request.body);
}

/** Checks what every provider insists on: tool results right after the call that asked for them, a user message first. */
function expectWellFormed(messages: WireMessage[]): void {
  const conversation = messages.filter((message) => message.role !== 'system');
  expect(conversation[0]!.role).toBe('user');
  for (const [index, message] of conversation.entries()) {
    if (message.role !== 'tool') continue;
    const caller = conversation.slice(0, index).findLast((candidate) => candidate.role === 'assistant');
    expect(caller?.tool_calls?.map((call) => call.id)).toContain(message.tool_call_id);
  }
}

describe('context by tokens, by default', () => {
  it('a long session never fails with context_length: the oldest turns are left out, tool calls with their results, the system prompt and the question always kept', async () => {
    await using openai = await startOpenAIFake({ contextWindow: WINDOW });
    await using t = await startTestServer({
      environment: {
        OPENAI_API_KEY: 'sk-test-window',
        OPENAI_BASE_URL: `${openai.url}/v1`,
        THREADLINE_MODEL: 'openai/gpt-test',
        THREADLINE_CONTEXT_WINDOWS: `openai/gpt-test=${WINDOW}`,
      },
    });
    const session = await t.client.sessions.create.mutate({ agent: 'assistant' });
    for (let index = 1; index <= 36; index++) {
      // Every fourth question the model looks at the clock first: a call and its result in the history.
      if (index % 4 === 0) openai.script({ toolCalls: [{ id: `call_${index}`, name: 'current_time', input: {} }] }, { text: [ANSWER] });
      else openai.script({ text: [ANSWER] });
      const answer = await t.client.chat.send.mutate({ sessionId: session.id, content: question(index) });
      expect(answer.error).toBeNull();
      expect(answer.status).toBe('completed');
    }

    // The assistant's follow-up suggestions are requests of their own (small, outside the conversation).
    const all = chatRequests(openai.requests);
    const requests = all.filter((body) => !String(body.messages[0].content).startsWith('You suggest what a user might ask next'));
    expect(requests.length).toBe(36 + 9);
    for (const body of all) expect(countPromptTokens(body)).toBeLessThanOrEqual(WINDOW);
    for (const body of requests) {
      expect(countPromptTokens(body)).toBeLessThanOrEqual(WINDOW);
      expect(body.messages[0]).toMatchObject({ role: 'system', content: expect.stringContaining('Threadline') });
      expectWellFormed(body.messages);
    }
    // The newest question is always there, and late requests leave the oldest out yet use most of the window.
    const last = requests.at(-1)!;
    expect(last.messages.findLast((message: WireMessage) => message.role === 'user').content).toBe(question(36));
    expect(JSON.stringify(last.messages)).not.toContain('Question 1:');
    expect(countPromptTokens(last)).toBeGreaterThan(WINDOW * 0.5);
  });

  it('holds for Anthropic too, whose tokenizer counts more and which counts max_tokens against the window', async () => {
    const window = 8_000;
    await using anthropic = await startAnthropicFake({ contextWindow: window });
    anthropic.script({ text: [ANSWER] });
    await using t = await startTestServer({
      environment: { ANTHROPIC_API_KEY: 'sk-ant-window', ANTHROPIC_BASE_URL: anthropic.url, THREADLINE_MODEL: 'anthropic/claude-test', THREADLINE_CONTEXT_WINDOWS: `anthropic/claude-test=${window}` },
    });
    const session = await t.client.sessions.create.mutate({});
    for (let index = 1; index <= 30; index++) {
      const answer = await t.client.chat.send.mutate({ sessionId: session.id, content: question(index) });
      expect(answer.error).toBeNull();
    }
    const requests = anthropic.requests.filter((request) => request.path === '/v1/messages').map((request) => request.body);
    for (const body of requests) expect(countAnthropicPromptTokens(body) + body.max_tokens).toBeLessThanOrEqual(window);
    expect(requests.at(-1).messages.at(-1).content).toEqual([{ type: 'text', text: question(30) }]);
    expect(JSON.stringify(requests.at(-1).messages)).not.toContain('Question 1:');
  });

  it('the same session against a server that believes the window is larger fails with context_length (the fake enforces it)', async () => {
    await using openai = await startOpenAIFake({ contextWindow: WINDOW });
    openai.script({ text: [ANSWER] });
    await using t = await startTestServer({
      environment: {
        OPENAI_API_KEY: 'sk-test-window',
        OPENAI_BASE_URL: `${openai.url}/v1`,
        THREADLINE_MODEL: 'openai/gpt-test',
        THREADLINE_CONTEXT_WINDOWS: 'openai/*=1000000',
      },
    });
    const session = await t.client.sessions.create.mutate({});
    let failure: string | undefined;
    for (let index = 1; index <= 30 && !failure; index++) {
      const answer = await t.client.chat.send.mutate({ sessionId: session.id, content: question(index) });
      failure = answer.error?.code;
    }
    expect(failure).toBe('context_length');
  });

  it('an agent with overflow: summarize puts a summary of what was left out in the system prompt', async () => {
    await using openai = await startOpenAIFake({ contextWindow: WINDOW });
    openai.script({ text: [ANSWER] });
    await using t = await startTestServer({
      environment: { OPENAI_API_KEY: 'sk-test-window', OPENAI_BASE_URL: `${openai.url}/v1`, THREADLINE_MODEL: 'openai/gpt-test', THREADLINE_CONTEXT_WINDOWS: `openai/gpt-test=${WINDOW}` },
    });
    const summarizing: AgentDefinition = { name: 'summarizing', description: 'test', instructions: 'You are Threadline in a test.', tools: [], maxSteps: 2, context: { overflow: 'summarize' } };
    t.server.services.agents.register(summarizing);
    const session = await t.client.sessions.create.mutate({ agent: 'summarizing' });
    for (let index = 1; index <= 20; index++) {
      const answer = await t.client.chat.send.mutate({ sessionId: session.id, content: question(index) });
      expect(answer.status).toBe('completed');
    }
    const requests = chatRequests(openai.requests);
    const summaryRequests = requests.filter((body) => String(body.messages[0].content).includes('You condense the beginning of a conversation'));
    expect(summaryRequests.length).toBeGreaterThan(0);
    expect(summaryRequests[0].messages[1].content).toContain('User: Question 1:');
    const answered = requests.filter((body) => !summaryRequests.includes(body));
    const summarized = answered.filter((body) => String(body.messages[0].content).includes('Summary of the earlier conversation'));
    expect(summarized.length).toBeGreaterThan(0);
    expect(summarized.at(-1).messages[0].content).toContain(ANSWER.trim());
    for (const body of requests) expect(countPromptTokens(body)).toBeLessThanOrEqual(WINDOW);
  });
});

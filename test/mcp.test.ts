import { randomUUID } from 'node:crypto';
import type { Message } from '@threadline/shared';
import { describe, expect, it } from 'vitest';
import type { ThreadlineClient } from '../client/src/client.js';
import { stdioFixtureYaml, writeAgentsFile } from './fixtures/agents-files.js';
import { startHttpFixture } from './fixtures/mcp-http-server.js';
import { startProcessTarget } from './helpers/process.js';
import { startTestServer } from './helpers/server.js';
import { collectEvents } from './helpers/stream.js';

const TOOLER = `
agents:
  - name: tooler
    description: Uses the fixture's tools.
    instructions: Use the tools.
    tools: [calculator, fixture/*]
mcpServers:
${stdioFixtureYaml()}
`;

type ToolResultPart = { type: 'tool-result'; callId: string; output: unknown; isError: boolean };

/** The tool result of a one-tool run. */
function toolResult(message: Message): ToolResultPart {
  return message.parts.find((part) => part.type === 'tool-result') as ToolResultPart;
}

/** Whether a process with this id exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function fixturePid(client: ThreadlineClient, agent: string, tool = 'fixture__pid'): Promise<number> {
  const outcome = await client.chat.send.mutate({ agent, content: `/tool ${tool} {}` });
  const pid = Number(toolResult(outcome.message).output);
  expect(pid).toBeGreaterThan(0);
  expect(pid).not.toBe(process.pid);
  return pid;
}

describe('MCP servers over stdio', () => {
  it('lists the agent with its MCP tools under model-safe names', async () => {
    await using file = await writeAgentsFile(TOOLER);
    await using t = await startTestServer({ environment: { THREADLINE_AGENTS_FILE: file.path } });
    const agents = await t.client.agents.list.query();
    expect(agents.map((agent) => agent.name)).toEqual(['chat', 'assistant', 'research', 'tooler']);
    const tooler = await t.client.agents.get.query({ agent: 'tooler' });
    expect(tooler).toMatchObject({ description: "Uses the fixture's tools.", model: 'local/echo' });
    expect(tooler.tools.map((tool) => tool.name)).toEqual(['calculator', 'fixture__add', 'fixture__echo_upper', 'fixture__fail', 'fixture__slow', 'fixture__cancelled', 'fixture__pid', 'fixture__exit']);
    expect(tooler.tools.find((tool) => tool.name === 'fixture__add')!.description).toBe('Adds two numbers.');
  });

  it('streams the call and the MCP result, and stores both in history', async () => {
    await using file = await writeAgentsFile(TOOLER);
    await using t = await startTestServer({ environment: { THREADLINE_AGENTS_FILE: file.path } });
    const { events } = await collectEvents((handlers) =>
      t.client.chat.stream.subscribe({ newSession: true, agent: 'tooler', content: '/tool fixture__add {"a":2,"b":3}', requestId: randomUUID() }, handlers),
    );
    const call = events.find((event) => event.data.type === 'tool-call')!.data as { callId: string; name: string; input: unknown };
    const result = events.find((event) => event.data.type === 'tool-result')!.data;
    expect(call).toMatchObject({ name: 'fixture__add', input: { a: 2, b: 3 } });
    expect(result).toEqual({ type: 'tool-result', callId: call.callId, output: { sum: 5 }, isError: false });
    const end = events.find((event) => event.data.type === 'message-end')!.data as { message: Message };
    expect(end.message.content).toBe('Tool fixture__add returned: {"sum":5}');
    const { sessionId } = events[0]!.data as { sessionId: string };
    const { messages } = await t.client.sessions.history.query({ sessionId });
    expect(messages[1]!.parts).toEqual(end.message.parts);
    expect(toolResult(messages[1]!)).toMatchObject({ output: { sum: 5 }, isError: false });
  });

  it('an MCP tool can need approval: listed so, and its call waits until approved', async () => {
    await using file = await writeAgentsFile(TOOLER.replace('    tools: [calculator, fixture/*]\n', '    tools: [calculator, fixture/*]\n    approval: [fixture/add]\n'));
    await using t = await startTestServer({ environment: { THREADLINE_AGENTS_FILE: file.path } });
    const tools = (await t.client.agents.get.query({ agent: 'tooler' })).tools;
    expect(tools.filter((tool) => tool.needsApproval).map((tool) => tool.name)).toEqual(['fixture__add']);
    const waiting = await t.client.chat.send.mutate({ agent: 'tooler', content: '/tool fixture__add {"a":2,"b":3}', requestId: 'add-once' });
    expect(waiting).toMatchObject({ status: 'waiting', approvals: [{ name: 'fixture__add', input: { a: 2, b: 3 } }] });
    await t.client.runs.approve.mutate({ runId: waiting.runId });
    const done = await t.client.chat.send.mutate({ agent: 'tooler', content: 'same request', requestId: 'add-once' });
    expect(done).toMatchObject({ status: 'completed', message: { content: 'Tool fixture__add returned: {"sum":5}' } });
  });

  it('joins text parts, turns isError and bad input into error results', async () => {
    await using file = await writeAgentsFile(TOOLER);
    await using t = await startTestServer({ environment: { THREADLINE_AGENTS_FILE: file.path } });
    const upper = await t.client.chat.send.mutate({ agent: 'tooler', content: '/tool fixture__echo_upper {"text":"hello"}' });
    expect(toolResult(upper.message)).toMatchObject({ output: 'HELLO\n(5 characters)', isError: false });

    const refused = await t.client.chat.send.mutate({ agent: 'tooler', content: '/tool fixture__fail {"reason":"nope"}' });
    expect(refused.status).toBe('completed');
    expect(toolResult(refused.message)).toMatchObject({ isError: true, output: expect.stringContaining('refused: nope') });
    expect(refused.message.content).toMatch(/^Tool fixture__fail failed: /);

    const invalid = await t.client.chat.send.mutate({ agent: 'tooler', content: '/tool fixture__add {"a":"two","b":3}' });
    expect(toolResult(invalid.message)).toMatchObject({ isError: true, output: expect.stringContaining('invalid input') });
  });

  it('cancelling the run cancels the MCP call', async () => {
    await using file = await writeAgentsFile(TOOLER);
    await using t = await startTestServer({ environment: { THREADLINE_AGENTS_FILE: file.path } });
    const started = Date.now();
    const { events } = await collectEvents(
      (handlers) => t.client.chat.stream.subscribe({ newSession: true, agent: 'tooler', content: '/tool fixture__slow {"ms":20000}', requestId: randomUUID() }, handlers),
      (event, all) => {
        if (event.data.type === 'tool-call') void t.client.runs.cancel.mutate({ runId: (all[0]!.data as { runId: string }).runId });
      },
    );
    expect(events.at(-1)!.data.type).toBe('run-cancel');
    expect(Date.now() - started).toBeLessThan(10_000);
    await expect
      .poll(async () => toolResult((await t.client.chat.send.mutate({ agent: 'tooler', content: '/tool fixture__cancelled {}' })).message).output)
      .toBe('1');
  });

  it('a server that dies: its tools answer errors and the server keeps serving', async () => {
    await using file = await writeAgentsFile(TOOLER);
    await using t = await startTestServer({ environment: { THREADLINE_AGENTS_FILE: file.path } });
    const pid = await fixturePid(t.client, 'tooler');
    await t.client.chat.send.mutate({ agent: 'tooler', content: '/tool fixture__exit {}' });
    await expect.poll(() => alive(pid)).toBe(false);
    await expect.poll(() => t.server.services.mcp.get('fixture')!.state).toBe('failed');
    const after = await t.client.chat.send.mutate({ agent: 'tooler', content: '/tool fixture__add {"a":1,"b":1}' });
    expect(toolResult(after.message)).toMatchObject({ isError: true, output: expect.stringContaining('MCP server fixture is not available') });
    const calculator = await t.client.chat.send.mutate({ agent: 'tooler', content: '/tool calculator {"expression":"6*7"}' });
    expect(toolResult(calculator.message)).toMatchObject({ isError: false, output: { result: 42 } });
  });

  it('the MCP server process is gone after the in-process server closes', async () => {
    await using file = await writeAgentsFile(TOOLER);
    const t = await startTestServer({ environment: { THREADLINE_AGENTS_FILE: file.path } });
    let pid: number;
    try {
      pid = await fixturePid(t.client, 'tooler');
      expect(alive(pid)).toBe(true);
    } finally {
      await t.close();
    }
    await expect.poll(() => alive(pid)).toBe(false);
  });

  it('the MCP server process is gone after a real server process stops on SIGTERM', async () => {
    await using file = await writeAgentsFile(TOOLER);
    await using target = await startProcessTarget({ environment: { THREADLINE_AGENTS_FILE: file.path } });
    const pid = await fixturePid(target.client, 'tooler');
    expect(await target.process.stop('SIGTERM')).toBe(0);
    await expect.poll(() => alive(pid)).toBe(false);
  });
});

describe('MCP servers over streamable HTTP', () => {
  it('calls tools with the configured headers', async () => {
    await using fixture = await startHttpFixture({ token: 'secret-token' });
    await using file = await writeAgentsFile(`
agents:
  - name: remote
    instructions: Use the remote tools.
    tools: [web/add, web/fail]
mcpServers:
  web:
    url: ${fixture.url}
    headers:
      Authorization: Bearer secret-token
`);
    await using t = await startTestServer({ environment: { THREADLINE_AGENTS_FILE: file.path } });
    const remote = await t.client.agents.get.query({ agent: 'remote' });
    expect(remote.tools.map((tool) => tool.name)).toEqual(['web__add', 'web__fail']);
    const sum = await t.client.chat.send.mutate({ agent: 'remote', content: '/tool web__add {"a":20,"b":22}' });
    expect(toolResult(sum.message)).toMatchObject({ output: { sum: 42 }, isError: false });
    const refused = await t.client.chat.send.mutate({ agent: 'remote', content: '/tool web__fail {"reason":"no"}' });
    expect(toolResult(refused.message)).toMatchObject({ isError: true, output: expect.stringContaining('refused: no') });
    expect(fixture.requests.length).toBeGreaterThan(0);
    expect(fixture.requests.every((request) => request.authorization === 'Bearer secret-token')).toBe(true);
  });

  it('a server that cannot be reached: start-up goes on, its named tools answer errors', async () => {
    const fixture = await startHttpFixture({ token: 'right' });
    await using file = await writeAgentsFile(`
agents:
  - name: remote
    instructions: Use the remote tools.
    tools: [calculator, web/add, web/*]
mcpServers:
  web:
    url: ${fixture.url}
    headers: { Authorization: Bearer wrong }
`);
    try {
      await using t = await startTestServer({ environment: { THREADLINE_AGENTS_FILE: file.path } });
      expect(t.server.services.mcp.get('web')!.state).toBe('failed');
      const remote = await t.client.agents.get.query({ agent: 'remote' });
      expect(remote.tools.map((tool) => tool.name)).toEqual(['calculator', 'web__add']);
      const outcome = await t.client.chat.send.mutate({ agent: 'remote', content: '/tool web__add {"a":1,"b":2}' });
      expect(toolResult(outcome.message)).toMatchObject({ isError: true, output: expect.stringContaining('MCP server web is not available') });
    } finally {
      await fixture.close();
    }
  });
});

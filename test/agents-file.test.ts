import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../server/src/config.js';
import { createServices } from '../server/src/services.js';
import { createTestDatabase } from '../server/src/testing/databases.js';
import { stdioFixtureYaml, writeAgentsFile } from './fixtures/agents-files.js';
import { startServerProcess } from './helpers/process.js';
import { startTestServer } from './helpers/server.js';

/** createServices' error for this agents file (it must fail). */
async function startupError(text: string, name = 'agents.yaml'): Promise<{ message: string; path: string }> {
  await using file = await writeAgentsFile(text, name);
  const dataDir = await mkdtemp(join(tmpdir(), 'threadline-data-'));
  try {
    const config = loadConfig({ THREADLINE_DATA_DIR: dataDir, THREADLINE_AGENTS_FILE: file.path, LOG_LEVEL: 'silent' });
    const services = await createServices(config).catch((error: Error) => error);
    if (!(services instanceof Error)) {
      await services.close();
      throw new Error('createServices accepted the file');
    }
    return { message: services.message, path: file.path };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

describe('the agents file', () => {
  it.each([
    ['agents: [\n  - name: x\n', /not valid YAML/],
    ['agents:\n  - name: x\n    description: no instructions\n', /agents\[0\]\.instructions: /],
    ['agents:\n  - name: x\n    instructions: hi\n    tools: [calculator, teleport]\n', /agents\[0\]\.tools\[1\]: unknown tool teleport \(built-in tools: calculator, current_time, search_history/],
    ['agents:\n  - name: x\n    instructions: hi\n    tools: [nowhere/add]\n', /agents\[0\]\.tools\[0\]: nowhere\/add: no MCP server nowhere in mcpServers/],
    ['agents:\n  - name: x\n    instructions: hi\n    maxSteps: 0\n', /agents\[0\]\.maxSteps: /],
    ['agents:\n  - name: x\n    instructions: a\n  - name: x\n    instructions: b\n', /agents\[1\]\.name: agent x is defined more than once/],
    ['mcpServers:\n  both:\n    command: node\n    url: http://127.0.0.1:1/mcp\n', /mcpServers\.both: set either command \(stdio\) or url/],
    ['mcpServers:\n  web:\n    url: http://127.0.0.1:1/mcp\n    args: [x]\n', /mcpServers\.web: args only apply to a command server/],
    ['mcp_servers: {}\n', /\(top level\): Unrecognized key: "mcp_servers"/],
    ['agents:\n  - name: x\n    instructions: hi\n    tools: [calculator]\n    approval: [current_time]\n', /agents\[0\]\.approval\[0\]: current_time is not in this agent's tools/],
    ['agents:\n  - name: x\n    instructions: hi\n    tools: [calculator]\n    approval: [teleport]\n', /agents\[0\]\.approval\[0\]: unknown tool teleport/],
  ])('refuses %j with a message naming the file and the place', async (text, expected) => {
    const { message, path } = await startupError(text);
    expect(message).toContain(`agents file ${path}:`);
    expect(message).toMatch(expected);
  });

  it('names every mistake of a file at once, of every kind', async () => {
    const text = [
      'agents:',
      '  - name: one',
      '    instructions: hi',
      '    tools: [calculater]',
      '  - name: two',
      '    instructions: hi',
      '    maxSteps: 0',
      '  - name: three',
      '    instructions: hi',
      '    handoffs: [nobody]',
      '  - name: four',
      '    instructions: hi',
      '    model: nope/x',
      '  - name: one',
      '    instructions: again',
      '',
    ].join('\n');
    const { message, path } = await startupError(text);
    expect(message.split('\n')).toEqual([
      `agents file ${path}:`,
      '  agents[1].maxSteps: Too small: expected number to be >=1',
      '  agents[4].name: agent one is defined more than once',
      expect.stringMatching(/^ {2}agents\[0\]\.tools\[0\]: unknown tool calculater \(built-in tools: /),
      expect.stringMatching(/^ {2}agents\[2\]\.handoffs\[0\]: no agent nobody \(agents: chat, assistant, research, /),
      '  agents[3].model: nope/x: provider nope is not configured here (configured: local)',
    ]);
  });

  it('refuses bad JSON and a tool the MCP server does not have', async () => {
    const json = await startupError('{"agents": [}', 'agents.json');
    expect(json.message).toMatch(/agents file .*agents\.json:\n {2}not valid JSON/);
    const missing = await startupError(`agents:\n  - name: x\n    instructions: hi\n    tools: [fixture/multiply]\nmcpServers:\n${stdioFixtureYaml()}\n`);
    expect(missing.message).toMatch(/agents\[0\]\.tools\[0\]: MCP server fixture has no tool multiply \(it lists: add, echo_upper, fail, slow, cancelled, pid, exit\)/);
  });

  it('a bad file stops the real server process before it listens, with the message', async () => {
    await using file = await writeAgentsFile('agents:\n  - name: x\n    instructions: hi\n    tools: [teleport]\n');
    const database = await createTestDatabase('sqlite');
    try {
      const started = startServerProcess({ dataDir: database.dataDir, environment: { THREADLINE_AGENTS_FILE: file.path } });
      const error = (await started.catch((failure: Error) => failure)) as Error;
      expect(error).toBeInstanceOf(Error);
      expect(error.message).toContain('before listening');
      expect(error.message).toContain(`agents file ${file.path}:`);
      expect(error.message).toContain('agents[0].tools[0]: unknown tool teleport');
    } finally {
      await database.destroy();
    }
  });

  it('reads <dataDir>/agents.yaml when THREADLINE_AGENTS_FILE is unset', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'threadline-data-'));
    try {
      expect(loadConfig({ THREADLINE_DATA_DIR: dataDir }).agentsFile).toBeUndefined();
      await writeFile(join(dataDir, 'agents.yaml'), 'agents: []\n');
      expect(loadConfig({ THREADLINE_DATA_DIR: dataDir }).agentsFile).toBe(join(dataDir, 'agents.yaml'));
      expect(loadConfig({ THREADLINE_DATA_DIR: dataDir, THREADLINE_AGENTS_FILE: 'elsewhere.yaml' }).agentsFile).toBe(join(process.cwd(), 'elsewhere.yaml'));
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('a file agent named like a built-in replaces it; JSON files work too', async () => {
    await using file = await writeAgentsFile(
      JSON.stringify({
        agents: [
          { name: 'chat', description: 'A terse chat.', instructions: 'Be terse.', tools: ['current_time'], maxSteps: 3, context: { lastMessages: 4 }, handoffs: ['counter'], suggestions: true, titles: 'model', reasoning: 'low', maxOutputTokens: 64 },
          { name: 'counter', instructions: 'Count.', model: 'local/echo', tools: ['calculator'] },
        ],
      }),
      'agents.json',
    );
    await using t = await startTestServer({ environment: { THREADLINE_AGENTS_FILE: file.path } });
    const agents = await t.client.agents.list.query();
    expect(agents.map((agent) => agent.name)).toEqual(['chat', 'assistant', 'research', 'counter']);
    expect(agents[0]).toEqual({
      name: 'chat',
      description: 'A terse chat.',
      model: 'local/echo',
      fallbacks: [],
      tools: [{ name: 'current_time', description: expect.any(String), needsApproval: false }],
      handoffs: ['counter'],
      workflow: 'tools',
      maxSteps: 3,
      context: { lastMessages: 4 },
      suggestions: true,
      reasoning: 'low',
      maxOutputTokens: 64,
      titles: 'model',
    });
    expect(t.server.services.agents.get('chat')).toMatchObject({ instructions: 'Be terse.', maxSteps: 3, context: { lastMessages: 4 } });
    const outcome = await t.client.chat.send.mutate({ content: '/tool current_time {}' });
    expect(outcome.message.agent).toBe('chat');
    expect(outcome.message.parts.find((part) => part.type === 'tool-result')).toMatchObject({ isError: false });
    const counted = await t.client.chat.send.mutate({ agent: 'counter', content: '/tool calculator {"expression":"2+2"}' });
    expect(counted.message.parts.find((part) => part.type === 'tool-result')).toMatchObject({ output: { result: 4 } });
  });
});

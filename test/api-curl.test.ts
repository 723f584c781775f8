import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCurl, sseFrames, startCommand } from './helpers/curl.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// docs/API.md's "From curl" examples, run as written with the real curl against a real server:
// create a session, send a message, read the history, follow a stream and cancel its run.

const markdown = readFileSync(new URL('../docs/API.md', import.meta.url), 'utf8');

/** The `sh` blocks of the "From curl" section that are curl commands, by the procedure they call. */
function documentedCommands(): Map<string, string> {
  const section = markdown.split(/^## /m).find((part) => part.startsWith('From curl'));
  expect(section, 'docs/API.md has a "From curl" section').toBeDefined();
  const commands = new Map<string, string>();
  for (const [, block] of section!.matchAll(/```sh\n([\s\S]*?)\n```/g)) {
    expect(block!.startsWith('curl '), block).toBe(true);
    commands.set(/\/trpc\/([a-zA-Z.]+)/.exec(block!)![1]!, block!);
  }
  return commands;
}

interface Answer {
  result: { data: { json: Record<string, unknown> } };
}

describe('the curl examples of docs/API.md', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.close());

  it('are a session, a message, the history, a stream and a cancel', () => {
    expect([...documentedCommands().keys()]).toEqual(['sessions.create', 'chat.send', 'sessions.history', 'chat.stream', 'runs.cancel']);
  });

  it('each succeed, run as written', async () => {
    const commands = documentedCommands();
    const variables: Record<string, string> = { THREADLINE_URL: server.url, THREADLINE_TOKEN: server.token };
    const call = async (procedure: string) => {
      const { status, body } = await runCurl(commands.get(procedure)!, variables);
      expect({ procedure, status, body: status === 200 ? 'ok' : body }).toEqual({ procedure, status: 200, body: 'ok' });
      return (JSON.parse(body) as Answer).result.data.json;
    };

    const session = await call('sessions.create');
    expect(session).toMatchObject({ title: 'From curl' });
    variables.SESSION_ID = session.id as string;

    expect(await call('chat.send')).toMatchObject({ sessionId: session.id, status: 'completed', message: { content: 'Echo: Hello' } });
    expect(((await call('sessions.history')).messages as { content: string }[]).map((message) => message.content)).toEqual(['Hello', 'Echo: Hello']);

    const stream = startCommand(commands.get('chat.stream')!, variables);
    await stream.waitFor((output) => output.includes('"type":"text-delta"'));
    expect(await call('runs.cancel')).toMatchObject({ sessionId: session.id, status: 'cancelled' });
    const frames = sseFrames(await stream.ended);
    const types = frames.filter((frame) => frame.id).map((frame) => (frame.data as { json: { type: string } }).json.type);
    expect(types[0]).toBe('run-start');
    expect(types.slice(-2)).toEqual(['message-end', 'run-cancel']);
    expect(frames.at(-1)).toMatchObject({ event: 'return' });
  });
});

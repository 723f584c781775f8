import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnvironment, plain, runClientCli, startCli } from './helpers/pty.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// The `threadline` terminal client run as a program (from source) against a real server: `ask`
// through arguments and pipes, and how every command finds the server and its token. The
// interactive client has its own file, cli-client-interactive.test.ts.

const BAD_TOKEN = `tl_${'x'.repeat(43)}`;

let server: TestServer;
let workDir: string;

beforeAll(async () => {
  server = await startTestServer();
  // An assistant whose calculator waits for the user's approval.
  const agents = server.server.services.agents;
  agents.register({ ...agents.get('assistant'), name: 'guarded', description: 'Asks before it calculates.', approval: ['calculator'] });
  workDir = await mkdtemp(join(tmpdir(), 'threadline-cli-client-'));
});

afterAll(async () => {
  await server?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** A fresh directory to run in, so that no ./data/token or saved config is found by accident. */
async function freshDirectory(): Promise<string> {
  return mkdtemp(join(workDir, 'run-'));
}

/** The environment of a run that finds the server by THREADLINE_URL and `token` by THREADLINE_TOKEN. */
function environmentFor(token: string, directory: string, overrides: Record<string, string> = {}) {
  return cliEnvironment({ THREADLINE_URL: server.url, THREADLINE_TOKEN: token, XDG_CONFIG_HOME: join(directory, 'config'), ...overrides });
}

describe('threadline ask', () => {
  const ask = async (args: string[], input?: string) => {
    const cwd = await freshDirectory();
    return runClientCli(['ask', ...args], { cwd, environment: environmentFor(server.token, cwd), ...(input === undefined ? {} : { input }) });
  };

  it('prints the answer text alone for a message given as words', async () => {
    expect(await ask(['hello', 'world'])).toEqual({ code: 0, stdout: 'Echo: hello world\n', stderr: '' });
  });

  it('reads the message from stdin when no words are given', async () => {
    expect(await ask([], 'a piped question\n')).toEqual({ code: 0, stdout: 'Echo: a piped question\n', stderr: '' });
  });

  it('keeps reasoning and tool calls out of stdout', async () => {
    const result = await ask(['/think hidden thoughts /tool search {"q":1}']);
    expect(result).toMatchObject({ code: 0, stdout: 'Tool search failed: "unknown tool search"\n' });
    expect(result.stdout + result.stderr).not.toContain('hidden thoughts');
  });

  it('--session continues a session, --model picks the model', async () => {
    const session = await server.client.sessions.create.mutate({ title: 'ask target' });
    await server.client.chat.send.mutate({ sessionId: session.id, content: 'earlier' });
    const result = await ask(['--session', session.id, '--model', 'local/echo', 'and now this']);
    expect(result).toEqual({ code: 0, stdout: 'Echo: and now this\n', stderr: '' });
    const { messages } = await server.client.sessions.history.query({ sessionId: session.id });
    expect(messages.map((message) => message.content)).toEqual(['earlier', 'Echo: earlier', 'and now this', 'Echo: and now this']);
    expect(messages.at(-1)).toMatchObject({ model: 'local/echo', status: 'complete' });
  });

  it('Ctrl-C cancels the run and exits with 130, the partial text ended by a newline', async () => {
    const session = await server.client.sessions.create.mutate({ title: 'ask interrupted' });
    const cwd = await freshDirectory();
    await using cli = startCli(['ask', '--session', session.id, '/slow 50 /long 200'], { cwd, environment: environmentFor(server.token, cwd) });
    await cli.waitFor('lorem ipsum dolor');
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(130);
    expect(cli.stdout()).toMatch(/^lorem ipsum( \w+)*\n$/);
    const { messages } = await server.client.sessions.history.query({ sessionId: session.id });
    expect(messages.at(-1)).toMatchObject({ role: 'assistant', status: 'cancelled' });
    expect(await server.client.runs.get.query({ runId: messages.at(-1)!.runId! })).toMatchObject({ status: 'cancelled' });
  });

  it('a failed run goes to stderr with exit code 1 and nothing on stdout', async () => {
    const result = await ask(['/fail auth']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^threadline: the run failed \(provider_auth\): .+\n$/);
  });

  it('an unknown session, no message, or an unreachable server: one line on stderr, non-zero', async () => {
    const missing = await ask(['--session', '00000000-0000-7000-8000-000000000000', 'hi']);
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toMatch(/^threadline: .*not found.*\n$/i);
    expect(await ask([], '  \n')).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(/^threadline: no message/) });
    const cwd = await freshDirectory();
    const unreachable = await runClientCli(['ask', '--url', 'http://127.0.0.1:9', 'hi'], { cwd, environment: environmentFor(server.token, cwd) });
    expect(unreachable).toMatchObject({ code: 1, stdout: '' });
    expect(unreachable.stderr).toMatch(/^threadline: cannot reach the server at http:\/\/127\.0\.0\.1:9 \(the URL from --url\): .+\. Is it running\? To use another server, pass --url URL, set THREADLINE_URL, or save it with `threadline login URL`\n$/);
  });
});

describe('threadline ask with a tool call that waits for approval', () => {
  const calculate = '/tool calculator {"expression":"6 * 7"}';
  const ask = async (args: string[]) => {
    const cwd = await freshDirectory();
    return runClientCli(['ask', '--agent', 'guarded', ...args], { cwd, environment: environmentFor(server.token, cwd) });
  };

  it('--approve allows it; --deny and --deny-reason deny it; stdout has the answer alone', async () => {
    const [approved, denied, reasoned] = await Promise.all([ask(['--approve', calculate]), ask([calculate, '--deny']), ask(['--deny-reason', 'no maths today', calculate])]);
    expect(approved).toEqual({ code: 0, stdout: 'Tool calculator returned: {"expression":"6 * 7","result":42}\n', stderr: '' });
    expect(denied).toEqual({ code: 0, stdout: 'Tool calculator failed: "the user denied this call"\n', stderr: '' });
    expect(reasoned).toEqual({ code: 0, stdout: 'Tool calculator failed: "the user denied this call: no maths today"\n', stderr: '' });
  });

  it('without --approve or --deny and without a terminal, denies it (the model is told nobody could be asked) with a note on stderr', async () => {
    expect(await ask([calculate])).toEqual({
      code: 0,
      stdout: 'Tool calculator failed: "the user denied this call: nobody could be asked (threadline ask: stdin is not a terminal)"\n',
      stderr: 'threadline: denied calculator({"expression":"6 * 7"}): it needs approval and stdin is not a terminal; pass --approve or --deny\n',
    });
  });

  it('behind a run of its session that waits for approval, it says where to answer it, then answers once that run is decided', async () => {
    const session = await server.client.sessions.create.mutate({ title: 'left waiting', agent: 'guarded' });
    const waiting = await server.client.chat.send.mutate({ sessionId: session.id, content: calculate });
    expect(waiting.status).toBe('waiting');
    const asked = ask(['--session', session.id, 'and then?']);
    await expect.poll(async () => (await server.client.runs.list.query({ sessionId: session.id, status: ['queued'] })).items.length).toBe(1);
    await server.client.runs.approve.mutate({ runId: waiting.runId });
    expect(await asked).toEqual({
      code: 0,
      stdout: 'Echo: and then?\n',
      stderr: `threadline: waiting for my turn: another run of session ${session.id} goes first, or the provider is busy (a run waiting for approval is answered in threadline chat --session ${session.id})\n`,
    });
  });

  it('--approve with --deny or --deny-reason is a usage error', async () => {
    const [deny, reason] = await Promise.all([ask(['--approve', '--deny', calculate]), ask(['--deny-reason', 'no', '--approve', calculate])]);
    expect(deny).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(/^error: option '--approve' cannot be used with option '--deny'\n$/) });
    expect(reason).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(/^error: option '--approve' cannot be used with option '--deny-reason <reason>'\n$/) });
  });

  it('at a terminal it asks: Enter allows the call; Ctrl-C at the question cancels the run and exits with 130', async () => {
    const session = await server.client.sessions.create.mutate({ title: 'ask with approval', agent: 'guarded' });
    const start = async (message: string) => {
      const cwd = await freshDirectory();
      return startCli(['ask', '--session', session.id, message], { cwd, environment: environmentFor(server.token, cwd), terminal: true });
    };
    {
      await using cli = await start(calculate);
      await cli.waitFor('Allow calculator({"expression":"6 * 7"})?');
      cli.write('\r');
      await cli.waitFor('Tool calculator returned: {"expression":"6 * 7","result":42}\n');
      expect(await cli.exited).toBe(0);
    }
    {
      await using cli = await start('/tool calculator {"expression":"2 + 2"}');
      await cli.waitFor('Allow calculator({"expression":"2 + 2"})?');
      cli.write('\x03');
      expect(await cli.exited).toBe(130);
      expect(plain(cli.stdout())).not.toContain('Tool calculator');
    }
    const { messages } = await server.client.sessions.history.query({ sessionId: session.id });
    expect(messages.map((message) => [message.role, message.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'complete'],
      ['user', 'complete'],
      ['assistant', 'cancelled'],
    ]);
    expect(await server.client.runs.get.query({ runId: messages.at(-1)!.runId! })).toMatchObject({ status: 'cancelled' });
  });
});

describe('finding the server and the token', () => {
  /** Where each candidate token goes for one run: --token, THREADLINE_TOKEN, ./data/token, the saved config. */
  interface Placement {
    flag?: string;
    environment?: string;
    dataFile?: string;
    config?: string;
  }

  /** Runs `ask` with tokens placed so; the config also holds the server's URL (no THREADLINE_URL). */
  async function askWith(placement: Placement) {
    const cwd = await freshDirectory();
    const configHome = join(cwd, 'config');
    await mkdir(join(configHome, 'threadline'), { recursive: true });
    await writeFile(join(configHome, 'threadline', 'config.json'), JSON.stringify({ url: server.url, ...(placement.config ? { token: placement.config } : {}) }));
    if (placement.dataFile) {
      await mkdir(join(cwd, 'data'));
      await writeFile(join(cwd, 'data', 'token'), `${placement.dataFile}\n`);
    }
    const environment = cliEnvironment({ XDG_CONFIG_HOME: configHome, THREADLINE_TOKEN: placement.environment });
    return runClientCli(['ask', ...(placement.flag ? ['--token', placement.flag] : []), 'who', 'am', 'I'], { cwd, environment });
  }

  const good = () => server.token;

  it('takes --token first, then THREADLINE_TOKEN, then the config saved for this URL, then ./data/token', async () => {
    const wins = await Promise.all([
      askWith({ flag: good(), environment: BAD_TOKEN, dataFile: BAD_TOKEN, config: BAD_TOKEN }),
      askWith({ environment: good(), dataFile: BAD_TOKEN, config: BAD_TOKEN }),
      askWith({ config: good(), dataFile: BAD_TOKEN }),
      askWith({ dataFile: good() }),
    ]);
    for (const result of wins) expect(result).toEqual({ code: 0, stdout: 'Echo: who am I\n', stderr: '' });
  });

  it('a bad token at a level wins over good ones below it, and the one-line error names where it came from', async () => {
    const [flag, environment, config, dataFile] = await Promise.all([
      askWith({ flag: BAD_TOKEN, environment: good(), dataFile: good(), config: good() }),
      askWith({ environment: BAD_TOKEN, dataFile: good(), config: good() }),
      askWith({ config: BAD_TOKEN, dataFile: good() }),
      askWith({ dataFile: BAD_TOKEN }),
    ]);
    const rejected = (source: string) => new RegExp(`^threadline: the server at \\S+ rejected the token from ${source}\\n$`);
    expect(flag).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(rejected('--token')) });
    expect(environment).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(rejected('THREADLINE_TOKEN')) });
    expect(config).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(rejected('.*threadline/config\\.json')) });
    expect(dataFile).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(rejected("the local server's data/token")) });
  });

  it('finds data/token in THREADLINE_DATA_DIR, and says what to do when there is no token at all', async () => {
    const dataDir = await freshDirectory();
    await writeFile(join(dataDir, 'token'), good());
    const cwd = await freshDirectory();
    const environment = cliEnvironment({ THREADLINE_URL: server.url, THREADLINE_DATA_DIR: dataDir, XDG_CONFIG_HOME: join(cwd, 'config') });
    expect(await runClientCli(['ask', 'from the data dir'], { cwd, environment })).toMatchObject({ code: 0, stdout: 'Echo: from the data dir\n' });
    const none = await runClientCli(['ask', 'hi'], { cwd, environment: cliEnvironment({ THREADLINE_URL: server.url, XDG_CONFIG_HOME: join(cwd, 'config') }) });
    expect(none).toMatchObject({ code: 1, stdout: '', stderr: `threadline: no token for ${server.url}: run \`threadline login ${server.url}\`, pass --token, set THREADLINE_TOKEN, or run from the server's directory (data/token)\n` });
  });

  it('the interactive client with a bad token: one line on stderr, exit code 1', async () => {
    const cwd = await freshDirectory();
    const result = await runClientCli([], { cwd, environment: environmentFor(BAD_TOKEN, cwd) });
    expect(result).toEqual({ code: 1, stdout: '', stderr: `threadline: the server at ${server.url} rejected the token from THREADLINE_TOKEN\n` });
  });
});

describe('threadline login', () => {
  it('checks the token, saves URL and token (mode 0600), and every command then finds the server by them', async () => {
    const cwd = await freshDirectory();
    const environment = cliEnvironment({ XDG_CONFIG_HOME: join(cwd, 'config') });
    const refused = await runClientCli(['login', server.url, '--token', BAD_TOKEN], { cwd, environment });
    expect(refused).toEqual({ code: 1, stdout: '', stderr: `threadline: the server at ${server.url} rejected the token from the login command\n` });
    await expect(stat(join(cwd, 'config', 'threadline', 'config.json'))).rejects.toThrow();

    const saved = await runClientCli(['login', `${server.url}/`], { cwd, environment, input: `${server.token}\n` });
    expect(saved).toMatchObject({ code: 0, stderr: '', stdout: expect.stringContaining(`Logged in to ${server.url}; saved in`) });
    const file = join(cwd, 'config', 'threadline', 'config.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ url: server.url, token: server.token });

    // No --url, no THREADLINE_URL, no token in the environment: the saved config is enough.
    expect(await runClientCli(['ask', 'after login'], { cwd, environment })).toEqual({ code: 0, stdout: 'Echo: after login\n', stderr: '' });
  });

  it('names the URL it tried and how to point elsewhere when the server is not there', async () => {
    const cwd = await freshDirectory();
    const result = await runClientCli(['login', 'http://127.0.0.1:9', '--token', BAD_TOKEN], { cwd, environment: cliEnvironment({ XDG_CONFIG_HOME: join(cwd, 'config') }) });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^threadline: cannot reach the server at http:\/\/127\.0\.0\.1:9 .*--url URL, set THREADLINE_URL, or save it with `threadline login URL`\n$/);
  });
});

describe('threadline chat from a pipe', () => {
  it('sends the piped lines in a new session and exits 0; --session continues one', async () => {
    const cwd = await freshDirectory();
    const environment = environmentFor(server.token, cwd);
    const before = new Set((await server.client.sessions.list.query({ limit: 100 })).items.map((session) => session.id));
    const first = await runClientCli(['chat'], { cwd, environment, input: 'hello\n' });
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(plain(first.stdout)).toContain('Echo: hello\n');
    const created = (await server.client.sessions.list.query({ limit: 100 })).items.filter((session) => !before.has(session.id));
    expect(created).toHaveLength(1);
    const { messages } = await server.client.sessions.history.query({ sessionId: created[0]!.id });
    expect(messages.map((message) => message.content)).toEqual(['hello', 'Echo: hello']);

    const again = await runClientCli(['chat', '--session', created[0]!.id], { cwd, environment, input: 'and again\n' });
    expect(plain(again.stdout)).toContain('Echo: and again\n');
    expect((await server.client.sessions.get.query({ sessionId: created[0]!.id })).messageCount).toBe(4);
  });
});

describe('threadline export and import', () => {
  it('exports a session to a file (json or markdown) and imports it back as a new session; a bad file gets a clear error', async () => {
    const cwd = await freshDirectory();
    const environment = environmentFor(server.token, cwd);
    const sent = await server.client.chat.send.mutate({ newSession: { title: 'To keep' }, content: 'remember this' });
    const file = join(cwd, 'kept.json');
    const exported = await runClientCli(['export', sent.sessionId!, '-o', file], { cwd, environment });
    expect(exported).toMatchObject({ code: 0, stderr: `exported to ${file}\n` });
    const imported = await runClientCli(['import', file], { cwd, environment });
    expect(imported.code).toBe(0);
    expect(imported.stderr).toBe('imported "To keep" (2 messages)\n');
    const newId = imported.stdout.trim();
    expect(newId).not.toBe(sent.sessionId);
    expect((await server.client.sessions.history.query({ sessionId: newId })).messages.map((message) => message.content)).toEqual(['remember this', 'Echo: remember this']);

    const markdown = await runClientCli(['export', newId, '--format', 'markdown'], { cwd, environment });
    expect(markdown.stdout).toMatch(/^# To keep\n/);
    expect(markdown.stdout).toContain('### You');

    await writeFile(join(cwd, 'broken.json'), '{"format": "threadline.session", "version": 7}');
    const refused = await runClientCli(['import', join(cwd, 'broken.json')], { cwd, environment });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('(BAD_REQUEST)');
    expect(refused.stderr).toMatch(/broken\.json: not a valid export \(BAD_REQUEST\):\n {2}data\.version: .*\n {2}data\.exportedAt: /);
    await writeFile(join(cwd, 'not.json'), 'hello');
    expect((await runClientCli(['import', join(cwd, 'not.json')], { cwd, environment })).stderr).toMatch(/not\.json: not JSON/);
  });
});

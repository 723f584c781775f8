import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ThreadlineClient } from '../client/src/client.js';
import type { ToolDefinition } from '../server/src/agents/types.js';
import { cliEnvironment, plain, startCli, type CliProcess } from './helpers/pty.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// The interactive `threadline` client run as a program (from source) against a real server:
// scripted through a pipe (line-based pickers, no colours), then in a pseudo-terminal (clack
// pickers, line editing, colours, Ctrl-C as the keyboard sends it).

let server: TestServer;
let workDir: string;

/** Calls of the `gate` tool wait until the test opens it. */
const gate = (() => {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open: () => open() };
})();
const gateTool: ToolDefinition = {
  name: 'gate',
  description: 'Waits until the test opens the gate.',
  inputSchema: { type: 'object' },
  validate: (input) => ({ ok: true, value: input }),
  execute: () => gate.opened.then(() => 'opened'),
};

beforeAll(async () => {
  server = await startTestServer();
  // An assistant whose calculator waits for the user's approval.
  const agents = server.server.services.agents;
  agents.register({ ...agents.get('assistant'), name: 'guarded', description: 'Asks before it calculates.', approval: ['calculator'] });
  // One whose `gate` tool waits for approval, then for the test to open the gate.
  agents.register({ ...agents.get('assistant'), name: 'gated', description: 'Asks, then waits at the gate.', tools: [gateTool], approval: ['gate'] });
  workDir = await mkdtemp(join(tmpdir(), 'threadline-cli-interactive-'));
});

afterAll(async () => {
  gate.open();
  await server?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** A user of their own (so the session list is theirs alone) and how to start the client as them. */
async function freshUser(): Promise<{ client: ThreadlineClient; start(args?: string[], options?: { terminal?: boolean; environment?: Record<string, string> }): Promise<CliProcess> }> {
  const user = await server.addUser(`cli-${crypto.randomUUID().slice(0, 8)}`);
  return {
    client: user.client,
    async start(args = [], options = {}) {
      const cwd = await mkdtemp(join(workDir, 'run-'));
      const environment = cliEnvironment({ THREADLINE_URL: server.url, THREADLINE_TOKEN: user.token, XDG_CONFIG_HOME: join(cwd, 'config'), ...options.environment });
      return startCli(args, { cwd, environment, terminal: options.terminal ?? false });
    },
  };
}

/** Where the output has got to: a wait `from` it looks only at what comes after. */
const mark = (cli: CliProcess) => plain(cli.stdout()).length;

/** Writes a line and waits for `expected` in what follows. */
async function send(cli: CliProcess, line: string, expected: RegExp | string): Promise<string> {
  const from = mark(cli);
  cli.write(line.endsWith('\r') ? line : `${line}\n`);
  await cli.waitFor(expected, { from });
  return plain(cli.stdout()).slice(from);
}

describe('the interactive client, scripted through stdin', () => {
  it('creates a session, talks, renames, shows history and sessions, switches model and streaming, exits with 0', async () => {
    const user = await freshUser();
    await using cli = await user.start();
    await cli.waitFor('No sessions yet.');
    await send(cli, 'n Scripted chat', '── Scripted chat ──');
    await send(cli, 'hello there', 'Echo: hello there\n');
    await send(cli, '/slow 20 /long 5', 'lorem ipsum dolor sit amet\n');
    await send(cli, '/rename Renamed chat', 'renamed to "Renamed chat"');
    const history = await send(cli, '/history', 'lorem ipsum dolor sit amet\n');
    expect(history).toBe('you: hello there\nEcho: hello there\nyou: /slow 20 /long 5\nlorem ipsum dolor sit amet\n');
    await send(cli, '/model nope/nothing', 'error: unknown model nope/nothing; available: local/echo');
    await send(cli, '/model local/echo', 'model: local/echo');
    await send(cli, '/stream off', 'streaming off');
    await send(cli, '/think all at once /long 3', 'lorem ipsum dolor\n');
    const sessions = await send(cli, '/sessions', 'q to go back.');
    expect(sessions).toMatch(/^Sessions \(latest activity first\):\n {2}1\. Renamed chat {2}\(6 messages, just now\)\n/);
    await send(cli, 'q', 'back in "Renamed chat"');
    cli.write('/exit\n');
    expect(await cli.exited).toBe(0);
    expect(cli.stdout()).not.toMatch(/\x1b\[/);
    expect(cli.stderr()).toBe('');

    const [session] = (await user.client.sessions.list.query()).items;
    expect(session).toMatchObject({ title: 'Renamed chat', model: 'local/echo', messageCount: 6 });
    const { messages } = await user.client.sessions.history.query({ sessionId: session!.id });
    expect(messages.at(-1)).toMatchObject({ role: 'assistant', content: 'lorem ipsum dolor', status: 'complete', parts: [{ type: 'reasoning', text: 'all at once' }, { type: 'text', text: 'lorem ipsum dolor' }] });
  });

  it('shows reasoning and tool calls on lines of their own, apart from the text', async () => {
    const user = await freshUser();
    await using cli = await user.start();
    await cli.waitFor('No sessions yet.');
    await send(cli, 'n', '── (untitled) ──');
    const answer = await send(cli, '/think weighing it up /tool search {"q":"cats"}', 'unknown tool search"\n');
    expect(answer).toBe('thinking: weighing it up\n→ search({"q":"cats"})\n← error: unknown tool search\nTool search failed: "unknown tool search"\n');
    cli.child.stdin!.end();
    expect(await cli.exited).toBe(0);
  });

  it('resuming a session prints its history, picked from the list or named by --session; end of input leaves with 0', async () => {
    const user = await freshUser();
    const older = await user.client.sessions.create.mutate({ title: 'Older' });
    const session = await user.client.sessions.create.mutate({ title: 'Remembered' });
    await user.client.chat.send.mutate({ sessionId: session.id, content: 'remember this' });
    await user.client.chat.send.mutate({ sessionId: session.id, content: '/tool lookup {}' });
    const expected = 'you: remember this\nEcho: remember this\nyou: /tool lookup {}\n→ lookup({})\n← error: unknown tool lookup\nTool lookup failed: "unknown tool lookup"\n';

    await using picked = await user.start();
    await picked.waitFor(/1\. Remembered {2}\(4 messages, just now\)\n {2}2\. Older {2}\(0 messages, just now\)/);
    const output = await send(picked, '1', 'unknown tool lookup"\n');
    expect(output).toContain(`── Remembered ── the agent's model · agent chat · id ${session.id}`);
    expect(output.slice(output.indexOf('you:'))).toBe(expected);
    picked.child.stdin!.end();
    expect(await picked.exited).toBe(0);

    await using named = await user.start(['--session', session.id]);
    await named.waitFor('unknown tool lookup"\n');
    expect(plain(named.stdout()).slice(plain(named.stdout()).indexOf('you:'))).toBe(expected);
    named.child.stdin!.end();
    expect(await named.exited).toBe(0);
    expect((await user.client.sessions.get.query({ sessionId: older.id })).messageCount).toBe(0);
  });

  it('deletes a session from the list', async () => {
    const user = await freshUser();
    await user.client.sessions.create.mutate({ title: 'Keep' });
    await user.client.sessions.create.mutate({ title: 'Doomed' });
    await using cli = await user.start();
    await cli.waitFor('q to quit.');
    // Both were created within the same moment: their order is the server's to choose.
    const number = /(\d)\. Doomed/.exec(plain(cli.stdout()))![1];
    const after = await send(cli, `d ${number}`, 'q to quit.');
    expect(after).toContain('deleted "Doomed"\nSessions (latest activity first):\n  1. Keep  ');
    cli.write('q\n');
    expect(await cli.exited).toBe(0);
    expect((await user.client.sessions.list.query()).items.map((session) => session.title)).toEqual(['Keep']);
  });

  it('Ctrl-C while an answer streams cancels the run and returns to the prompt; Ctrl-C at the prompt exits with 0', async () => {
    const user = await freshUser();
    const session = await user.client.sessions.create.mutate({ title: 'Interrupted' });
    await using cli = await user.start(['--session', session.id]);
    await cli.waitFor('── Interrupted ──');
    const from = mark(cli);
    cli.write('/slow 50 /long 200\n');
    await cli.waitFor('lorem ipsum dolor sit amet', { from });
    cli.child.kill('SIGINT');
    await cli.waitFor('(cancelled)\n', { from });

    const { messages } = await user.client.sessions.history.query({ sessionId: session.id });
    const answer = messages.at(-1)!;
    expect(answer).toMatchObject({ role: 'assistant', status: 'cancelled' });
    expect(answer.content.split(' ').length).toBeLessThan(200);
    expect(await user.client.runs.get.query({ runId: answer.runId! })).toMatchObject({ status: 'cancelled' });

    await send(cli, 'still here?', 'Echo: still here?\n');
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
  });

  it('Ctrl-C with /stream off cancels the run that chat.send waits for', async () => {
    const user = await freshUser();
    const session = await user.client.sessions.create.mutate({ title: 'Waiting' });
    await using cli = await user.start(['--session', session.id]);
    await send(cli, '/stream off', 'streaming off');
    const from = mark(cli);
    cli.write('/slow 50 /long 200\n');
    // Nothing is printed until the answer is complete: wait for the run to be under way.
    await expect.poll(async () => (await user.client.sessions.get.query({ sessionId: session.id })).messageCount, { timeout: 10_000 }).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    cli.child.kill('SIGINT');
    await cli.waitFor('(cancelled)\n', { from });
    const { messages } = await user.client.sessions.history.query({ sessionId: session.id });
    expect(messages.at(-1)).toMatchObject({ role: 'assistant', status: 'cancelled' });
    expect(plain(cli.stdout()).slice(from)).toMatch(/^cancelling… \(Ctrl-C again to stop waiting\)\nlorem ipsum( \w+)*\n\(cancelled\)\n$/);
    cli.write('/exit\n');
    expect(await cli.exited).toBe(0);
  });

  it('a run another client is streaming is followed from its first word when the session is entered; Ctrl-C cancels it', async () => {
    const user = await freshUser();
    const session = await user.client.sessions.create.mutate({ title: 'Elsewhere' });
    const elsewhere = user.client.chat.send.mutate({ sessionId: session.id, content: '/slow 50 /long 200' });
    await expect.poll(async () => (await user.client.runs.list.query({ sessionId: session.id, status: ['running'] })).items.length).toBe(1);
    await using cli = await user.start(['--session', session.id]);
    await cli.waitFor('(a run of this session is still going: following it)\nlorem ipsum dolor sit amet');
    const from = mark(cli);
    cli.child.kill('SIGINT');
    await cli.waitFor('(cancelled)\n', { from });
    // Words sent before the run stopped may still follow the notice.
    expect(plain(cli.stdout()).slice(from)).toMatch(/^( \w+)*\ncancelling… \(Ctrl-C again to stop waiting\)\n( ?\w+)*\n?\(cancelled\)\n$/);
    expect(await elsewhere).toMatchObject({ status: 'cancelled' });
    await send(cli, 'still here?', 'Echo: still here?\n');
    cli.child.stdin!.end();
    expect(await cli.exited).toBe(0);
  });
});

describe('the interactive client, asked to approve tool calls', () => {
  const call = (expression: string) => `calculator({"expression":"${expression}"})`;
  const answers = 'y = allow, a = allow always in this session, n [REASON] = deny';
  const question = `${answers}\n`;

  it('from stdin: y allows the call, n REASON denies it, other answers are asked again; Ctrl-C or the end of input cancels the run', async () => {
    const user = await freshUser();
    const session = await user.client.sessions.create.mutate({ title: 'Approvals', agent: 'guarded' });
    await using cli = await user.start(['--session', session.id]);
    await cli.waitFor('── Approvals ──');
    let output = await send(cli, '/tool calculator {"expression":"6 * 7"}', question);
    expect(output).toBe(`→ ${call('6 * 7')}\n? ${call('6 * 7')} needs your approval\nallow ${call('6 * 7')}? ${question}`);
    output = await send(cli, 'y', 'Tool calculator returned: {"expression":"6 * 7","result":42}\n');
    expect(output).toBe('✓ allowed calculator\n← {"expression":"6 * 7","result":42}\nTool calculator returned: {"expression":"6 * 7","result":42}\n');

    await send(cli, '/tool calculator {"expression":"1 / 0"}', question);
    await send(cli, 'maybe', `error: "maybe" is not an answer here: ${answers}\n`);
    output = await send(cli, 'n no maths today', 'Tool calculator failed: "the user denied this call: no maths today"\n');
    expect(output).toBe('✗ denied calculator: no maths today\n← error: the user denied this call: no maths today\nTool calculator failed: "the user denied this call: no maths today"\n');

    // With /stream off the answer so far comes with chat.send's `waiting`, the rest after the decision.
    await send(cli, '/stream off', 'streaming off');
    output = await send(cli, '/tool calculator {"expression":"3 * 3"}', question);
    expect(output).toBe(`→ ${call('3 * 3')}\n? ${call('3 * 3')} needs your approval\nallow ${call('3 * 3')}? ${question}`);
    output = await send(cli, 'yes', 'Tool calculator returned: {"expression":"3 * 3","result":9}\n');
    expect(output).toBe('✓ allowed calculator\n← {"expression":"3 * 3","result":9}\nTool calculator returned: {"expression":"3 * 3","result":9}\n');
    await send(cli, '/stream on', 'streaming on');
    // The stored answers keep the decisions: /history shows them.
    output = await send(cli, '/history', 'Tool calculator returned: {"expression":"3 * 3","result":9}\n');
    expect(output).toContain('✗ denied calculator: no maths today\n← error: the user denied this call: no maths today\n');
    expect(output).toContain('✓ allowed calculator\n← {"expression":"6 * 7","result":42}\n');

    // Ctrl-C at the question cancels the run, as during an answer; the prompt is back.
    await send(cli, '/tool calculator {"expression":"5 - 5"}', question);
    let from = mark(cli);
    cli.child.kill('SIGINT');
    await cli.waitFor('(cancelled)\n', { from });
    expect(plain(cli.stdout()).slice(from)).toBe('cancelling… (Ctrl-C again to stop waiting)\n(cancelled)\n');
    await send(cli, 'still here?', 'Echo: still here?\n');

    // Nobody left to answer: the waiting run is cancelled, and the client leaves with 0.
    await send(cli, '/tool calculator {"expression":"2 + 2"}', question);
    from = mark(cli);
    cli.child.stdin!.end();
    expect(await cli.exited).toBe(0);
    expect(plain(cli.stdout()).slice(from)).toBe('cancelling… (Ctrl-C again to stop waiting)\n(cancelled)\n');
    expect(cli.stderr()).toBe('');

    const { messages } = await user.client.sessions.history.query({ sessionId: session.id });
    expect(messages.filter((message) => message.role === 'assistant').map((message) => message.status)).toEqual(['complete', 'complete', 'complete', 'cancelled', 'complete', 'cancelled']);
    expect(await user.client.runs.get.query({ runId: messages.at(-1)!.runId! })).toMatchObject({ status: 'cancelled', approvals: [] });
  });

  it('from stdin: a allows the call and its tool for the session; /allowed lists such tools, /allowed clear makes them ask again', async () => {
    const user = await freshUser();
    const session = await user.client.sessions.create.mutate({ title: 'Always', agent: 'guarded' });
    await using cli = await user.start(['--session', session.id]);
    await cli.waitFor('── Always ──');
    await send(cli, '/allowed', 'no tools are allowed without asking in this session\n');
    await send(cli, '/tool calculator {"expression":"6 * 7"}', question);
    let output = await send(cli, 'a', 'Tool calculator returned: {"expression":"6 * 7","result":42}\n');
    expect(output).toBe(
      'calculator is allowed in this session without asking (/allowed clear takes it back)\n✓ allowed calculator\n← {"expression":"6 * 7","result":42}\nTool calculator returned: {"expression":"6 * 7","result":42}\n',
    );
    // Not asked again in this session.
    output = await send(cli, '/tool calculator {"expression":"2 + 2"}', 'Tool calculator returned: {"expression":"2 + 2","result":4}\n');
    expect(output).toBe(`→ ${call('2 + 2')}\n← {"expression":"2 + 2","result":4}\nTool calculator returned: {"expression":"2 + 2","result":4}\n`);
    await send(cli, '/allowed', 'allowed without asking: calculator (/allowed clear asks again)\n');
    await send(cli, '/allowed everything', 'error: usage: /allowed [clear]\n');

    await send(cli, '/allowed clear', 'allowed tools cleared: their calls ask again\n');
    expect((await user.client.sessions.get.query({ sessionId: session.id })).allowedTools).toEqual([]);
    await send(cli, '/tool calculator {"expression":"1 + 1"}', question);
    await send(cli, 'y', 'Tool calculator returned: {"expression":"1 + 1","result":2}\n');
    await send(cli, '/allowed', 'no tools are allowed without asking in this session\n');
    cli.child.stdin!.end();
    expect(await cli.exited).toBe(0);
    expect(cli.stderr()).toBe('');
  });

  it('from stdin: a run left waiting for approval (the CLI quit at the question) is followed when its session is entered, and asked about again', async () => {
    const user = await freshUser();
    const session = await user.client.sessions.create.mutate({ title: 'Left waiting', agent: 'guarded' });
    const waiting = await user.client.chat.send.mutate({ sessionId: session.id, content: '/tool calculator {"expression":"6 * 7"}' });
    expect(waiting.status).toBe('waiting');
    await using cli = await user.start(['--session', session.id]);
    await cli.waitFor(question);
    // The history holds the run's message, not its answer (stored when the run ends): that is replayed.
    const output = plain(cli.stdout());
    expect(output.slice(output.indexOf('you:'))).toBe(
      `you: /tool calculator {"expression":"6 * 7"}\n(a run of this session is still going: following it)\n→ ${call('6 * 7')}\n? ${call('6 * 7')} needs your approval\nallow ${call('6 * 7')}? ${question}`,
    );
    const answer = await send(cli, 'y', 'Tool calculator returned: {"expression":"6 * 7","result":42}\n');
    expect(answer).toBe('✓ allowed calculator\n← {"expression":"6 * 7","result":42}\nTool calculator returned: {"expression":"6 * 7","result":42}\n');
    // The next message is answered at once, not queued behind the run.
    expect(await send(cli, 'and now?', 'Echo: and now?\n')).toBe('Echo: and now?\n');
    cli.child.stdin!.end();
    expect(await cli.exited).toBe(0);
    expect(cli.stderr()).toBe('');
    expect(await user.client.runs.get.query({ runId: waiting.runId })).toMatchObject({ status: 'completed' });
  });

  it('from stdin: a run queued behind a waiting one is followed after it, oldest first', async () => {
    const user = await freshUser();
    const session = await user.client.sessions.create.mutate({ title: 'Queued behind', agent: 'guarded' });
    await user.client.chat.send.mutate({ sessionId: session.id, content: '/tool calculator {"expression":"6 * 7"}' });
    const queued = user.client.chat.send.mutate({ sessionId: session.id, content: 'behind it' });
    await expect.poll(async () => (await user.client.runs.list.query({ sessionId: session.id, status: ['queued'] })).items.length).toBe(1);
    await using cli = await user.start(['--session', session.id]);
    await cli.waitFor(question);
    const output = plain(cli.stdout());
    expect(output.slice(output.indexOf('you:'))).toBe(`you: /tool calculator {"expression":"6 * 7"}\n(a run of this session is still going: following it)\n→ ${call('6 * 7')}\n? ${call('6 * 7')} needs your approval\nallow ${call('6 * 7')}? ${question}`);
    const rest = await send(cli, 'y', 'Echo: behind it\n');
    expect(rest).toBe(
      '✓ allowed calculator\n← {"expression":"6 * 7","result":42}\nTool calculator returned: {"expression":"6 * 7","result":42}\n' +
        // Its message was stored when it started, after the history was shown: it comes with the answer.
        '(another run of this session is still going: following it)\n(queued: position 1)\nyou: behind it\nEcho: behind it\n',
    );
    expect(await queued).toMatchObject({ status: 'completed' });
    cli.child.stdin!.end();
    expect(await cli.exited).toBe(0);
  });

  it('from stdin: a run another client started, followed while it thinks, is asked about when it stops for approval', async () => {
    const user = await freshUser();
    const session = await user.client.sessions.create.mutate({ title: 'Started elsewhere', agent: 'guarded' });
    const thoughts = 'one two three four five six seven eight nine ten';
    const elsewhere = user.client.chat.send.mutate({ sessionId: session.id, content: `/slow 150 /think ${thoughts} /tool calculator {"expression":"6 * 7"}` });
    await expect.poll(async () => (await user.client.runs.list.query({ sessionId: session.id, status: ['running'] })).items.length).toBe(1);
    await using cli = await user.start(['--session', session.id]);
    await cli.waitFor(question);
    const output = plain(cli.stdout());
    expect(output.slice(output.indexOf('(a run'))).toBe(
      `(a run of this session is still going: following it)\nthinking: ${thoughts}\n→ ${call('6 * 7')}\n? ${call('6 * 7')} needs your approval\nallow ${call('6 * 7')}? ${question}`,
    );
    await send(cli, 'y', 'Tool calculator returned: {"expression":"6 * 7","result":42}\n');
    // The other client's chat.send returned at the pause; the run went on and completed.
    expect(await elsewhere).toMatchObject({ status: 'waiting' });
    await expect.poll(async () => (await user.client.runs.get.query({ runId: (await elsewhere).runId })).status).toBe('completed');
    cli.child.stdin!.end();
    expect(await cli.exited).toBe(0);
  });

  it('from stdin: a call of a followed run that was decided elsewhere is shown with its decision, not asked about', async () => {
    const user = await freshUser();
    const session = await user.client.sessions.create.mutate({ title: 'Decided elsewhere', agent: 'gated' });
    const waiting = await user.client.chat.send.mutate({ sessionId: session.id, content: '/tool gate {}' });
    expect(waiting.status).toBe('waiting');
    // Allowed by another client: the run goes on, its call held by the gate.
    await user.client.runs.approve.mutate({ runId: waiting.runId });
    await using cli = await user.start(['--session', session.id]);
    await cli.waitFor('✓ allowed gate\n');
    gate.open();
    await cli.waitFor('Tool gate returned: "opened"\n');
    const output = plain(cli.stdout());
    expect(output.slice(output.indexOf('(a run'))).toBe(
      '(a run of this session is still going: following it)\n→ gate({})\n? gate({}) needs your approval\n✓ allowed gate\n← opened\nTool gate returned: "opened"\n',
    );
    await send(cli, 'and now?', 'Echo: and now?\n');
    cli.child.stdin!.end();
    expect(await cli.exited).toBe(0);
    expect(cli.stderr()).toBe('');
  });

  it('in a terminal: a clack question allows the call (or always), or denies it with a reason; Ctrl-C at it cancels the run, as during an answer', async () => {
    const user = await freshUser();
    const session = await user.client.sessions.create.mutate({ title: 'Guarded', agent: 'guarded' });
    await using cli = await user.start(['--session', session.id], { terminal: true });
    await cli.waitFor('── Guarded ──');
    let from = mark(cli);
    cli.write('/tool calculator {"expression":"6 * 7"}\r');
    await cli.waitFor('Allow calculator?', { from });
    expect(plain(cli.stdout()).slice(from)).toContain(`→ ${call('6 * 7')}\n? ${call('6 * 7')} needs your approval\n`);
    cli.write('\r');
    await cli.waitFor(/✓ allowed calculator\n← .*\nTool calculator returned: \{"expression":"6 \* 7","result":42\}\n› /, { from });

    from = mark(cli);
    cli.write('/tool calculator {"expression":"1 / 0"}\r');
    await cli.waitFor('Allow calculator?', { from });
    // Down three times, past "Allow always in this session" and "Deny": "Deny, and say why…".
    cli.write('\x1b[B');
    cli.write('\x1b[B');
    cli.write('\x1b[B');
    await cli.waitFor(/● Deny, and say why/, { from });
    cli.write('\r');
    await cli.waitFor('Why not?', { from });
    cli.write('no maths today\r');
    await cli.waitFor(/✗ denied calculator: no maths today\n← .*\nTool calculator failed: "the user denied this call: no maths today"\n› /, { from });

    from = mark(cli);
    cli.write('/tool calculator {"expression":"2 + 2"}\r');
    await cli.waitFor('Allow calculator?', { from });
    cli.write('\x03');
    await cli.waitFor('(cancelled)\n› ', { from });
    // The terminal is out of the question's raw mode while an answer streams: Ctrl-C is SIGINT again.
    from = mark(cli);
    cli.write('/slow 50 /long 200\r');
    await cli.waitFor('lorem ipsum dolor sit amet', { from });
    cli.write('\x03');
    await cli.waitFor('(cancelled)\n› ', { from });

    // Down once: "Allow always in this session"; the next call runs without a question.
    from = mark(cli);
    cli.write('/tool calculator {"expression":"3 * 3"}\r');
    await cli.waitFor('Allow calculator?', { from });
    cli.write('\x1b[B');
    await cli.waitFor(/● Allow always in this session/, { from });
    cli.write('\r');
    await cli.waitFor(/calculator is allowed in this session without asking .*\n✓ allowed calculator\n← .*\nTool calculator returned: \{"expression":"3 \* 3","result":9\}\n› /, { from });
    from = mark(cli);
    cli.write('/tool calculator {"expression":"4 * 4"}\r');
    await cli.waitFor(/Tool calculator returned: \{"expression":"4 \* 4","result":16\}\n› /, { from });
    expect(plain(cli.stdout()).slice(from)).not.toContain('Allow calculator?');
    cli.write('\x04');
    expect(await cli.exited).toBe(0);

    const { messages } = await user.client.sessions.history.query({ sessionId: session.id });
    expect(messages.filter((message) => message.role === 'assistant').map((message) => message.status)).toEqual(['complete', 'complete', 'cancelled', 'cancelled', 'complete', 'complete']);
    expect((await user.client.sessions.get.query({ sessionId: session.id })).allowedTools).toEqual(['calculator']);
  });
  it('in a terminal: a run left waiting is asked about with the clack question when its session is entered, before the prompt', async () => {
    const user = await freshUser();
    const session = await user.client.sessions.create.mutate({ title: 'Guarded, left', agent: 'guarded' });
    await user.client.chat.send.mutate({ sessionId: session.id, content: '/tool calculator {"expression":"6 * 7"}' });
    await using cli = await user.start(['--session', session.id], { terminal: true });
    await cli.waitFor('Allow calculator?');
    expect(plain(cli.stdout())).toContain(`(a run of this session is still going: following it)\n→ ${call('6 * 7')}\n? ${call('6 * 7')} needs your approval\n`);
    cli.write('\r');
    await cli.waitFor(/✓ allowed calculator\n← .*\nTool calculator returned: \{"expression":"6 \* 7","result":42\}\n› /);
    await send(cli, 'and now?\r', /Echo: and now\?\n› /);
    cli.write('\x04');
    expect(await cli.exited).toBe(0);
  });
});

describe('the interactive client in a terminal', () => {
  it('clack picker, a dim italic thinking line, Ctrl-C cancels the answer, Ctrl-D leaves with 0', async () => {
    const user = await freshUser();
    await using cli = await user.start([], { terminal: true });
    await cli.waitFor('New session');
    cli.write('\r');
    await cli.waitFor('Title');
    cli.write('From a terminal\r');
    await cli.waitFor('── From a terminal ──');
    let from = mark(cli);
    cli.write('/think colourful /long 3\r');
    await cli.waitFor('lorem ipsum dolor', { from });
    expect(cli.stdout()).toContain('\x1b[2m\x1b[3mthinking: \x1b[23m\x1b[22m');

    from = mark(cli);
    cli.write('/slow 50 /long 200\r');
    await cli.waitFor('lorem ipsum dolor sit amet', { from });
    cli.write('\x03');
    await cli.waitFor('(cancelled)', { from });
    // The prompt is back (so stdin is in raw mode again and Ctrl-D is a key, not end of input).
    await send(cli, 'after the cancel\r', /Echo: after the cancel\n› /);
    cli.write('\x04');
    expect(await cli.exited).toBe(0);
    const [session] = (await user.client.sessions.list.query()).items;
    const { messages } = await user.client.sessions.history.query({ sessionId: session!.id });
    expect(messages.map((message) => message.status)).toEqual(['complete', 'complete', 'complete', 'cancelled', 'complete', 'complete']);
  });

  it('NO_COLOR keeps the answer plain', async () => {
    const user = await freshUser();
    const session = await user.client.sessions.create.mutate({ title: 'Plain' });
    await using cli = await user.start(['--session', session.id], { terminal: true, environment: { NO_COLOR: '1' } });
    await cli.waitFor('── Plain ──');
    await send(cli, '/think no colour /long 2\r', 'lorem ipsum');
    expect(cli.stdout()).toMatch(/\nthinking: no colour\r\nlorem ipsum/);
    cli.write('\x03');
    expect(await cli.exited).toBe(0);
  });
});

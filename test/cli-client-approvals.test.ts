import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ToolDefinition } from '../server/src/agents/types.js';
import { mark, send, startCliServer, type CliServer } from './helpers/cli-users.js';
import { plain } from './helpers/pty.js';

// The interactive `threadline` client asked to approve tool calls, run as a program against a real
// server: from stdin (y / a / n REASON) and in a pseudo-terminal (the clack question).

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

let cliServer: CliServer;
beforeAll(async () => {
  cliServer = await startCliServer();
  const agents = cliServer.server.server.services.agents;
  // An assistant whose calculator waits for the user's approval.
  agents.register({ ...agents.get('assistant'), name: 'guarded', description: 'Asks before it calculates.', approval: ['calculator'] });
  // One whose `gate` tool waits for approval, then for the test to open the gate.
  agents.register({ ...agents.get('assistant'), name: 'gated', description: 'Asks, then waits at the gate.', tools: [gateTool], approval: ['gate'] });
});
afterAll(async () => {
  gate.open();
  await cliServer?.close();
});
const freshUser = () => cliServer.freshUser();

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

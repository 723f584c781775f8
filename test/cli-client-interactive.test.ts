import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mark, send, startCliServer, type CliServer } from './helpers/cli-users.js';
import { plain } from './helpers/pty.js';
import { collectEvents, textOf } from './helpers/stream.js';

// The interactive `threadline` client run as a program (from source) against a real server:
// scripted through a pipe (line-based pickers, no colours), then in a pseudo-terminal (clack
// pickers, line editing, colours, Ctrl-C as the keyboard sends it). Approvals: cli-client-approvals.test.ts.

let cliServer: CliServer;
beforeAll(async () => {
  cliServer = await startCliServer();
});
afterAll(() => cliServer?.close());
const freshUser = () => cliServer.freshUser();

describe('the interactive client, scripted through stdin', () => {
  it('creates a session, talks, renames, shows history and sessions, switches model and streaming, exits with 0', async () => {
    const user = await freshUser();
    await using cli = await user.start();
    // From a pipe, the conversation starts in a new session at once.
    await cli.waitFor('── (untitled) ── local/echo · agent chat');
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

  it('edits the last question (/edit), answers again (/retry) and switches between versions (/branch)', async () => {
    const user = await freshUser();
    await using cli = await user.start();
    await cli.waitFor('── (untitled) ──');
    await send(cli, '/rename Branching', 'renamed to "Branching"');
    await send(cli, 'first question', 'Echo: first question\n');
    await send(cli, '/edit second try', 'Echo: second try\n');
    await send(cli, '/retry', 'Echo: second try\n');
    const listed = await send(cli, '/branch', '/branch next N');
    expect(listed).toContain('1. you: second try  (version 2 of 2)');
    expect(listed).toContain('2. assistant: Echo: second try  (version 2 of 2)');
    await send(cli, '/branch next', 'error: this is already the last version (2 of 2)');
    const switched = await send(cli, '/branch prev 1', 'Echo: first question\n');
    expect(switched).toContain('showing version 1 of 2:\nyou: first question\nEcho: first question\n');
    cli.write('/exit\n');
    expect(await cli.exited).toBe(0);
    const [session] = (await user.client.sessions.list.query()).items;
    const { messages } = await user.client.sessions.history.query({ sessionId: session!.id });
    expect(messages.map((message) => message.content)).toEqual(['first question', 'Echo: first question']);
    expect(session!.messageCount).toBe(5);
  });

  it('shows reasoning and tool calls on lines of their own, apart from the text', async () => {
    const user = await freshUser();
    await using cli = await user.start();
    await cli.waitFor('── (untitled) ──');
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
    await picked.waitFor('── (untitled) ──');
    const list = await send(picked, '/sessions', 'q to go back.');
    expect(list).toMatch(/1\. \(untitled\) {2}\(0 messages, just now\)\n {2}2\. Remembered {2}\(4 messages, just now\)\n {2}3\. Older {2}\(0 messages, just now\)/);
    const output = await send(picked, '2', 'unknown tool lookup"\n');
    expect(output).toContain(`── Remembered ── local/echo · agent chat · id ${session.id}`);
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
    await cli.waitFor('── (untitled) ──');
    await send(cli, '/sessions', 'q to go back.');
    // Both were created within the same moment: their order is the server's to choose.
    const number = /(\d)\. Doomed/.exec(plain(cli.stdout()))![1];
    const after = await send(cli, `d ${number}`, 'q to go back.');
    expect(after).toMatch(/deleted "Doomed"\nSessions \(latest activity first\):\n {2}1\. \(untitled\) {2}.*\n {2}2\. Keep {2}/);
    await send(cli, 'q', 'back in "(untitled)"');
    cli.child.stdin!.end();
    expect(await cli.exited).toBe(0);
    expect((await user.client.sessions.list.query()).items.map((session) => session.title)).toEqual([null, 'Keep']);
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
    await expect.poll(async () => (await user.client.sessions.get.query({ sessionId: session.id })).messageCount).toBe(1);
    // Until its first two words are out, which the cancelled answer keeps.
    const [run] = (await user.client.runs.list.query({ sessionId: session.id })).items;
    await collectEvents((handlers) => user.client.runs.events.subscribe({ runId: run!.id }, handlers), undefined, (events) => /^lorem ipsum\b/.test(textOf(events)));
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
    // 20 s of words, cancelled below: the client, slow to start on a busy machine, still finds it going.
    const elsewhere = user.client.chat.send.mutate({ sessionId: session.id, content: '/slow 100 /long 200' });
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

import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createThreadlineClient } from '../client/src/client.js';
import { defineTool } from '../server/src/agents/define-tool.js';
import type { AgentDefinition } from '../server/src/agents/types.js';
import { createTestDatabase, DIALECTS } from '../server/src/testing/databases.js';
import { startOpenAIFake } from './fakes/openai.js';
import { writeAgentsFile } from './fixtures/agents-files.js';
import { freePort, startServerProcess } from './helpers/process.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { collectEvents, textOf, type ReceivedEvent } from './helpers/stream.js';

/** An assistant whose calculator asks first; the clock does not (no follow-up suggestions: the tests count provider requests). */
function guarded(t: TestServer, extra: Partial<AgentDefinition> = {}): AgentDefinition {
  const assistant = t.server.services.agents.get('assistant');
  const agent: AgentDefinition = { ...assistant, name: 'guarded', description: 'Asks before it calculates.', approval: ['calculator'], suggestions: false, ...extra };
  t.server.services.agents.register(agent);
  return agent;
}

/** Streams a message and resolves once the run waits for approval, with the events so far and the rest. */
function streamUntilApproval(t: TestServer, input: { content: string; agent?: string; sessionId?: string }) {
  let waiting!: (events: ReceivedEvent[]) => void;
  const paused = new Promise<ReceivedEvent[]>((resolve) => (waiting = resolve));
  const all = collectEvents(
    (handlers) =>
      t.client.chat.stream.subscribe(
        { agent: 'guarded', requestId: randomUUID(), ...(input.sessionId ? { sessionId: input.sessionId } : { newSession: true }), content: input.content },
        handlers,
      ),
    (event, events) => event.data.type === 'tool-approval' && waiting([...events]),
  );
  return { paused, all };
}

const types = (events: ReceivedEvent[]) => events.map((event) => event.data.type);
const codeOf = (error: unknown) => (error as { data?: { code?: string } }).data?.code;

describe('approvals', () => {
  it('a run is stored waiting before its tool-approval event is out: whoever hears the event finds it waiting', async () => {
    await using t = await startTestServer();
    guarded(t);
    // The moment the event enters the run's log, read the run's status with a second connection to the file.
    const file = new SQLite(join(t.database.dataDir, 'threadline.db'), { readonly: true });
    const { log } = t.server.services;
    const append = log.append.bind(log);
    const statusAtEvent: string[] = [];
    log.append = (runId, event) => {
      if (event.type === 'tool-approval') statusAtEvent.push((file.prepare('select status from runs where id = ?').get(runId) as { status: string }).status);
      return append(runId, event);
    };
    const { paused, all } = streamUntilApproval(t, { content: '/tool calculator {"expression": "1 + 1"}' });
    const { runId } = (await paused)[0]!.data as { runId: string };
    expect(statusAtEvent).toEqual(['waiting']);
    // Over the wire too: runs.get right after the event, no polling.
    expect((await t.client.runs.get.query({ runId })).status).toBe('waiting');
    await t.client.runs.deny.mutate({ runId });
    expect((await all).events.at(-1)!.data.type).toBe('run-finish');
    file.close();
  });

  it('a tool that needs approval pauses the run (tool-approval, waiting) until runs.approve; then it runs and the answer completes', async () => {
    await using t = await startTestServer();
    guarded(t);
    const info = await t.client.agents.get.query({ agent: 'guarded' });
    expect(info.tools.map((tool) => [tool.name, tool.needsApproval])).toEqual([
      ['calculator', true],
      ['current_time', false],
      ['search_history', false],
    ]);

    const { paused, all } = streamUntilApproval(t, { content: '/tool calculator {"expression": "6 * 7"}' });
    const before = await paused;
    expect(types(before)).toEqual(['run-start', 'tool-call', 'tool-approval']);
    const { runId, sessionId } = before[0]!.data as { runId: string; sessionId: string };
    const approval = before[2]!.data as { callId: string; name: string; input: unknown };
    expect(approval).toMatchObject({ name: 'calculator', input: { expression: '6 * 7' } });

    await expect.poll(async () => (await t.client.runs.get.query({ runId })).status).toBe('waiting');
    const waiting = await t.client.runs.get.query({ runId });
    expect(waiting.approvals).toEqual([{ callId: approval.callId, name: 'calculator', input: { expression: '6 * 7' }, decision: 'pending', reason: null }]);
    // Undecided calls are denied after THREADLINE_APPROVAL_TIMEOUT_MS (a day by default).
    const dayFromNow = Date.now() + 24 * 60 * 60 * 1000;
    expect(Math.abs(waiting.approvalsExpireAt!.getTime() - dayFromNow)).toBeLessThan(60_000);
    expect((await t.client.system.status.query()).waitingRuns).toBe(1);
    // Nothing of the answer is stored while it waits; the session shows the question only.
    expect((await t.client.sessions.history.query({ sessionId })).messages.map((message) => message.role)).toEqual(['user']);

    const approved = await t.client.runs.approve.mutate({ runId });
    expect(approved.approvals).toEqual([]);
    const { events } = await all;
    expect(types(events)).toEqual(['run-start', 'tool-call', 'tool-approval', 'tool-decision', 'tool-result', 'text-delta', 'message-end', 'run-finish']);
    expect(events[3]!.data).toEqual({ type: 'tool-decision', callId: approval.callId, approved: true, reason: null });
    expect(events[4]!.data).toMatchObject({ isError: false, output: { result: 42 } });
    expect(textOf(events)).toBe('Tool calculator returned: {"expression":"6 * 7","result":42}');
    expect(events.map((event) => Number(event.id))).toEqual(events.map((_, index) => index + 1));

    const run = await t.client.runs.get.query({ runId });
    expect(run).toMatchObject({ status: 'completed', approvals: [], approvalsExpireAt: null });
    const history = await t.client.sessions.history.query({ sessionId });
    expect(history.messages[1]!.parts.map((part) => part.type)).toEqual(['tool-call', 'tool-result', 'text']);
    // The stored result keeps the decision (an audit of who allowed what is the run's user).
    expect(history.messages[1]!.parts[1]).toMatchObject({ type: 'tool-result', approval: { approved: true, reason: null } });
    expect((await t.client.system.status.query()).waitingRuns).toBe(0);
  });

  it('runs.deny gives the model an error result with the reason; deciding again the other way is a conflict', async () => {
    await using t = await startTestServer();
    guarded(t);
    const { paused, all } = streamUntilApproval(t, { content: '/tool calculator {"expression": "1 / 0"}' });
    const { runId } = (await paused)[0]!.data as { runId: string };
    await t.client.runs.deny.mutate({ runId, reason: 'no maths today' });
    const { events } = await all;
    expect(events.find((event) => event.data.type === 'tool-decision')!.data).toMatchObject({ approved: false, reason: 'no maths today' });
    expect(events.find((event) => event.data.type === 'tool-result')!.data).toMatchObject({ isError: true, output: 'the user denied this call: no maths today' });
    expect(textOf(events)).toBe('Tool calculator failed: "the user denied this call: no maths today"');
    expect(events.at(-1)!.data.type).toBe('run-finish');

    // The run is over: no more decisions.
    const again = await t.client.runs.approve.mutate({ runId }).catch((error: unknown) => error);
    expect(codeOf(again)).toBe('CONFLICT');
  });

  it('chat.send answers `waiting` with the approvals; resending its requestId after approving gives the answer; bad decisions are typed errors', async () => {
    await using t = await startTestServer();
    guarded(t);
    const requestId = randomUUID();
    const first = await t.client.chat.send.mutate({ newSession: true, agent: 'guarded', content: '/tool calculator {"expression": "2 + 2"}', requestId });
    expect(first).toMatchObject({ status: 'waiting', error: null, message: { status: 'waiting', parts: [{ type: 'tool-call', name: 'calculator' }] } });
    expect(first.approvals).toHaveLength(1);
    const callId = first.approvals[0]!.callId;

    // Asking again while it waits answers at once with the same pause.
    const same = await t.client.chat.send.mutate({ newSession: true, agent: 'guarded', content: 'ignored', requestId });
    expect(same).toMatchObject({ runId: first.runId, status: 'waiting', approvals: [{ callId, decision: 'pending' }] });

    const unknownCall = await t.client.runs.approve.mutate({ runId: first.runId, callIds: ['call-that-never-was'] }).catch((error: unknown) => error);
    expect(codeOf(unknownCall)).toBe('BAD_REQUEST');
    const unknownRun = await t.client.runs.deny.mutate({ runId: randomUUID() }).catch((error: unknown) => error);
    expect(codeOf(unknownRun)).toBe('NOT_FOUND');
    const bob = await t.addUser('bob');
    const foreign = await bob.client.runs.approve.mutate({ runId: first.runId }).catch((error: unknown) => error);
    expect(codeOf(foreign)).toBe('NOT_FOUND');
    expect((await t.client.runs.get.query({ runId: first.runId })).status).toBe('waiting');

    await t.client.runs.approve.mutate({ runId: first.runId, callIds: [callId] });
    const done = await t.client.chat.send.mutate({ newSession: true, agent: 'guarded', content: 'ignored', requestId });
    expect(done).toMatchObject({ runId: first.runId, status: 'completed', approvals: [], message: { content: 'Tool calculator returned: {"expression":"2 + 2","result":4}' } });
    const conflict = await t.client.runs.deny.mutate({ runId: first.runId, callIds: [callId] }).catch((error: unknown) => error);
    expect(codeOf(conflict)).toBe('CONFLICT');
  });

  it('approving with always allows the tool for the rest of the session (not elsewhere); sessions.update takes it back', async () => {
    await using t = await startTestServer();
    guarded(t);
    const calculate = (expression: string) => `/tool calculator {"expression": "${expression}"}`;
    const first = await t.client.chat.send.mutate({ newSession: true, agent: 'guarded', content: calculate('1 + 1') });
    expect(first.status).toBe('waiting');
    await t.client.runs.approve.mutate({ runId: first.runId, always: true });
    const sessionId = first.sessionId!;
    expect((await t.client.sessions.get.query({ sessionId })).allowedTools).toEqual(['calculator']);
    const history = await t.client.sessions.history.query({ sessionId });
    expect(history.messages[1]!.parts[1]).toMatchObject({ approval: { approved: true } });

    const { events } = await collectEvents((handlers) => t.client.chat.stream.subscribe({ sessionId, content: calculate('2 + 2'), requestId: randomUUID() }, handlers));
    expect(types(events)).not.toContain('tool-approval');
    expect(textOf(events)).toBe('Tool calculator returned: {"expression":"2 + 2","result":4}');

    const elsewhere = await t.client.chat.send.mutate({ newSession: true, agent: 'guarded', content: calculate('3 + 3') });
    expect(elsewhere.status).toBe('waiting');
    await t.client.runs.cancel.mutate({ runId: elsewhere.runId });

    expect((await t.client.sessions.update.mutate({ sessionId, allowedTools: [] })).allowedTools).toEqual([]);
    const asksAgain = await t.client.chat.send.mutate({ sessionId, content: calculate('4 + 4') });
    expect(asksAgain.status).toBe('waiting');
    // Denying with always is not a thing: always only goes with an approval.
    const bad = await t.client.runs.deny.mutate({ runId: asksAgain.runId, always: true } as never).catch((error: unknown) => error);
    expect(codeOf(bad)).toBe('BAD_REQUEST');
  });

  it('clearing or deleting a session cancels its waiting run, and nothing of it is left waiting', async () => {
    await using t = await startTestServer();
    guarded(t);
    const calculate = '/tool calculator {"expression": "9 * 9"}';
    const cleared = await t.client.chat.send.mutate({ newSession: true, agent: 'guarded', content: calculate });
    const deleted = await t.client.chat.send.mutate({ newSession: true, agent: 'guarded', content: calculate });
    expect([cleared.status, deleted.status]).toEqual(['waiting', 'waiting']);
    expect((await t.client.sessions.clear.mutate({ sessionId: cleared.sessionId! })).messageCount).toBe(0);
    expect(await t.client.runs.get.query({ runId: cleared.runId })).toMatchObject({ status: 'cancelled', approvals: [] });
    await t.client.sessions.delete.mutate({ sessionId: deleted.sessionId! });
    const gone = await t.client.runs.get.query({ runId: deleted.runId }).catch((error: unknown) => codeOf(error));
    expect(gone).toBe('NOT_FOUND');
    expect((await t.client.system.status.query()).waitingRuns).toBe(0);
    // The session that was cleared takes new messages at once.
    expect((await t.client.chat.send.mutate({ sessionId: cleared.sessionId!, content: 'fresh start' })).message.content).toBe('Echo: fresh start');
  });

  it('runs.list finds a session\'s waiting run (another tab, another device), newest first, page by page', async () => {
    await using t = await startTestServer();
    guarded(t);
    const session = await t.client.sessions.create.mutate({ title: 'tabs', agent: 'guarded' });
    const sent = [];
    for (const content of ['one', 'two', 'three']) sent.push(await t.client.chat.send.mutate({ sessionId: session.id, content }));
    const waiting = await t.client.chat.send.mutate({ sessionId: session.id, content: '/tool calculator {"expression": "1 + 2"}' });
    await t.client.chat.send.mutate({ newSession: true, content: 'elsewhere' });

    const active = await t.client.runs.list.query({ sessionId: session.id, status: ['queued', 'running', 'waiting'] });
    expect(active.items.map((run) => [run.id, run.status])).toEqual([[waiting.runId, 'waiting']]);
    expect(active.items[0]!.approvals).toHaveLength(1);

    const ids = [waiting.runId, ...sent.map((outcome) => outcome.runId).reverse()];
    const first = await t.client.runs.list.query({ sessionId: session.id, limit: 3 });
    expect(first.items.map((run) => run.id)).toEqual(ids.slice(0, 3));
    const second = await t.client.runs.list.query({ sessionId: session.id, limit: 3, cursor: first.nextCursor! });
    expect(second).toEqual({ items: [expect.objectContaining({ id: ids[3] })], nextCursor: null });
    expect((await t.client.runs.list.query()).items).toHaveLength(5);
    const missing = await t.client.runs.list.query({ sessionId: randomUUID() }).catch((error: unknown) => error);
    expect(codeOf(missing)).toBe('NOT_FOUND');
    const badCursor = await t.client.runs.list.query({ cursor: 'not-a-cursor' }).catch((error: unknown) => error);
    expect(codeOf(badCursor)).toBe('BAD_REQUEST');
  });

  it('a waiting run holds no provider slot and its maximum duration does not run while it waits', async () => {
    // The run's own steps must fit in its maximum duration on a busy machine; the wait outlasts it.
    await using t = await startTestServer({ environment: { THREADLINE_CONCURRENCY_LOCAL: '1', THREADLINE_MAX_RUN_MS: '1000' } });
    guarded(t);
    const first = await t.client.chat.send.mutate({ newSession: true, agent: 'guarded', content: '/tool calculator {"expression": "3 * 3"}' });
    expect(first.status).toBe('waiting');
    // With one slot, another session's run still goes through while the first waits.
    const other = await t.client.chat.send.mutate({ newSession: true, content: 'meanwhile' });
    expect(other).toMatchObject({ status: 'completed', message: { content: 'Echo: meanwhile' } });
    await new Promise((resolve) => setTimeout(resolve, 1300));
    await t.client.runs.approve.mutate({ runId: first.runId });
    const outcome = await t.client.chat.send.mutate({ sessionId: first.sessionId!, content: 'and then?' });
    expect(outcome).toMatchObject({ status: 'completed', message: { content: 'Echo: and then?' } });
    expect(await t.client.runs.get.query({ runId: first.runId })).toMatchObject({ status: 'completed', error: null });
  });

  it('calls nobody decides on are denied after THREADLINE_APPROVAL_TIMEOUT_MS, and the run goes on', async () => {
    await using t = await startTestServer({ environment: { THREADLINE_APPROVAL_TIMEOUT_MS: '150' } });
    guarded(t);
    const { paused, all } = streamUntilApproval(t, { content: '/tool calculator {"expression": "5 * 5"}' });
    await paused;
    const { events } = await all;
    expect(events.find((event) => event.data.type === 'tool-decision')!.data).toMatchObject({ approved: false, reason: 'no decision came in time' });
    expect(textOf(events)).toBe('Tool calculator failed: "the user denied this call: no decision came in time"');
    expect(events.at(-1)!.data.type).toBe('run-finish');
  });

  it('a message sent to the session while a run waits queues behind it; cancelling the waiting run lets it through and the next turn replays the unanswered call', async () => {
    await using fake = await startOpenAIFake();
    fake.script({ toolCalls: [{ id: 'call_1', name: 'calculator', input: { expression: '7 * 6' } }] }, { text: ['Answered without it.'] });
    await using t = await startTestServer({ environment: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: `${fake.url}/v1` } });
    guarded(t, { model: 'openai/gpt-test' });
    const first = await t.client.chat.send.mutate({ newSession: { title: 'q' }, agent: 'guarded', content: 'what is 7 * 6?' });
    expect(first).toMatchObject({ status: 'waiting', approvals: [{ callId: 'call_1', name: 'calculator', input: { expression: '7 * 6' } }] });

    const queued: ReceivedEvent[] = [];
    const second = collectEvents(
      (handlers) => t.client.chat.stream.subscribe({ sessionId: first.sessionId!, content: 'never mind, say hi', requestId: randomUUID() }, handlers),
      (event) => queued.push(event),
    );
    await expect.poll(() => types(queued)).toEqual(['run-start', 'run-queued']);
    const cancelled = await t.client.runs.cancel.mutate({ runId: first.runId });
    expect(cancelled).toMatchObject({ status: 'cancelled', approvals: [] });
    const { events } = await second;
    expect(events.at(-1)!.data.type).toBe('run-finish');
    expect(textOf(events)).toBe('Answered without it.');

    // The cancelled answer keeps its call; the provider sees it answered with an error result.
    const history = await t.client.sessions.history.query({ sessionId: first.sessionId! });
    expect(history.messages.map((message) => [message.role, message.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'cancelled'],
      ['user', 'complete'],
      ['assistant', 'complete'],
    ]);
    const requests = fake.requests.filter((request) => request.path === '/v1/chat/completions');
    expect(requests).toHaveLength(2);
    const replayed = requests[1]!.body.messages.slice(1).map((message: { role: string; tool_call_id?: string; content: unknown }) => [message.role, message.tool_call_id ?? null, message.content]);
    expect(replayed).toEqual([
      ['user', null, 'what is 7 * 6?'],
      ['assistant', null, null],
      ['tool', 'call_1', 'no result: the run ended before this call ran'],
      ['user', null, 'never mind, say hi'],
    ]);
  });

  it('of several calls in one step only those needing approval wait; approved and denied one by one, all run together after the last decision', async () => {
    await using fake = await startOpenAIFake();
    fake.script(
      {
        toolCalls: [
          { id: 'call_a', name: 'calculator', input: { expression: '1 + 1' } },
          { id: 'call_b', name: 'current_time', input: {} },
          { id: 'call_c', name: 'risky', input: { target: 'prod' } },
        ],
      },
      { text: ['Done.'] },
    );
    await using t = await startTestServer({ environment: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: `${fake.url}/v1` } });
    let riskyRuns = 0;
    const risky = defineTool({
      name: 'risky',
      description: 'Asks only for production.',
      input: z.object({ target: z.string() }),
      needsApproval: (input) => input.target === 'prod',
      execute: async () => ++riskyRuns,
    });
    const assistant = t.server.services.agents.get('assistant');
    guarded(t, { model: 'openai/gpt-test', tools: [...assistant.tools, risky] });

    const { paused, all } = streamUntilApproval(t, { content: 'go' });
    const before = await paused;
    // Both approvals are announced before anything runs.
    await expect.poll(async () => (await t.client.runs.get.query({ runId: (before[0]!.data as { runId: string }).runId })).approvals.map((approval) => approval.callId)).toEqual(['call_a', 'call_c']);
    const { runId } = before[0]!.data as { runId: string };
    await t.client.runs.approve.mutate({ runId, callIds: ['call_c'] });
    expect(riskyRuns).toBe(0);
    expect((await t.client.runs.get.query({ runId })).approvals.map((approval) => approval.decision)).toEqual(['pending', 'approved']);
    await t.client.runs.deny.mutate({ runId, callIds: ['call_a'] });
    const { events } = await all;
    expect(riskyRuns).toBe(1);
    const results = events.filter((event) => event.data.type === 'tool-result').map((event) => event.data as { callId: string; isError: boolean });
    expect(results.map((result) => [result.callId, result.isError])).toEqual([
      ['call_a', true],
      ['call_b', false],
      ['call_c', false],
    ]);
    expect(types(events).filter((type) => type === 'tool-approval')).toHaveLength(2);
    const second = fake.requests.filter((request) => request.path === '/v1/chat/completions')[1]!.body;
    expect(second.messages.filter((message: { role: string }) => message.role === 'tool').map((message: { tool_call_id: string; content: string }) => [message.tool_call_id, message.content.includes('the user denied')])).toEqual([
      ['call_a', true],
      ['call_b', false],
      ['call_c', false],
    ]);
  });
});

const GUARDED_AGENTS = `agents:
  - name: guarded
    description: Asks before it calculates.
    instructions: You calculate, with permission.
    tools: [calculator, current_time]
    approval: [calculator]
`;

for (const dialect of DIALECTS) {
  describe(`approvals across restarts on ${dialect}`, () => {
    it('a waiting run survives SIGKILL and SIGTERM: after the restart it is still waiting, readers resume without a gap, and a decision finishes it', async () => {
      await using database = await createTestDatabase(dialect);
      await using agentsFile = await writeAgentsFile(GUARDED_AGENTS);
      // SIGTERM must not wait for the grace period on a run that waits for a person.
      const environment = { PORT: String(await freePort()), THREADLINE_AGENTS_FILE: agentsFile.path, THREADLINE_SHUTDOWN_GRACE_MS: '60000' };
      const options = { dataDir: database.dataDir, databaseUrl: database.databaseUrl, environment };
      const first = await startServerProcess(options);
      const client = createThreadlineClient({ url: first.url, token: first.token });
      expect((await client.agents.get.query({ agent: 'guarded' })).tools.map((tool) => [tool.name, tool.needsApproval])).toEqual([
        ['calculator', true],
        ['current_time', false],
      ]);

      // A reader that stays subscribed across the crash: the client reconnects with its lastEventId.
      let pausedAt!: (events: ReceivedEvent[]) => void;
      const paused = new Promise<ReceivedEvent[]>((resolve) => (pausedAt = resolve));
      const streamed = collectEvents(
        (handlers) => client.chat.stream.subscribe({ newSession: true, agent: 'guarded', content: '/tool calculator {"expression": "6 * 7"}', requestId: randomUUID() }, handlers),
        (event, events) => event.data.type === 'tool-approval' && pausedAt([...events]),
      );
      const { runId, sessionId } = (await paused)[0]!.data as { runId: string; sessionId: string };
      await expect.poll(async () => (await client.runs.get.query({ runId })).status).toBe('waiting');

      first.kill();
      await first[Symbol.asyncDispose]();
      const second = await startServerProcess(options);
      const run = await client.runs.get.query({ runId });
      expect(run).toMatchObject({ status: 'waiting', approvals: [{ name: 'calculator', input: { expression: '6 * 7' }, decision: 'pending' }] });
      expect((await client.system.status.query()).waitingRuns).toBe(1);

      await client.runs.approve.mutate({ runId });
      const { events } = await streamed;
      expect(types(events)).toEqual(['run-start', 'tool-call', 'tool-approval', 'tool-decision', 'tool-result', 'text-delta', 'message-end', 'run-finish']);
      expect(events.map((event) => Number(event.id))).toEqual(events.map((_, index) => index + 1));
      expect(textOf(events)).toBe('Tool calculator returned: {"expression":"6 * 7","result":42}');
      // A reader joining from the start sees the same run, events from before the crash included.
      const replay = await collectEvents((handlers) => client.runs.events.subscribe({ runId }, handlers));
      expect(replay.events.map((event) => [event.id, event.data.type])).toEqual(events.map((event) => [event.id, event.data.type]));

      // Waiting again, then a graceful stop: it exits at once and leaves the run waiting.
      const again = await client.chat.send.mutate({ sessionId, content: '/tool calculator {"expression": "2 ** 10"}' });
      expect(again.status).toBe('waiting');
      const startedStop = Date.now();
      expect(await second.stop('SIGTERM')).toBe(0);
      expect(Date.now() - startedStop).toBeLessThan(30_000);
      await using third = await startServerProcess(options);
      expect(await client.runs.get.query({ runId: again.runId })).toMatchObject({ status: 'waiting' });
      await client.runs.deny.mutate({ runId: again.runId, reason: 'too big' });
      await expect.poll(async () => (await client.runs.get.query({ runId: again.runId })).status).toBe('completed');
      const history = await client.sessions.history.query({ sessionId });
      expect(history.messages.map((message) => [message.role, message.content])).toEqual([
        ['user', '/tool calculator {"expression": "6 * 7"}'],
        ['assistant', 'Tool calculator returned: {"expression":"6 * 7","result":42}'],
        ['user', '/tool calculator {"expression": "2 ** 10"}'],
        ['assistant', 'Tool calculator failed: "the user denied this call: too big"'],
      ]);
      expect(third.url).toBe(first.url);
    }, 90_000);
  });
}

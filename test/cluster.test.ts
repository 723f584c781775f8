import { randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createThreadlineClient, type ThreadlineClient } from '../client/src/client.js';
import { createTestDatabase } from '../server/src/testing/databases.js';
import { GUARDED_AGENTS_YAML, writeAgentsFile } from './fixtures/agents-files.js';
import { startServerProcess, type ServerProcess } from './helpers/process.js';
import { collectEvents, textOf, type ReceivedEvent } from './helpers/stream.js';

const databaseUrl = process.env.TEST_DATABASE_URL;
const redisUrl = process.env.TEST_REDIS_URL;

/** Resolves once `count` events of a stream have arrived. */
function after(count: number) {
  let reached: () => void = () => {};
  const promise = new Promise<void>((resolve) => (reached = resolve));
  return { promise, onEvent: (_: ReceivedEvent, events: ReceivedEvent[]) => events.length >= count && reached() };
}

const types = (events: ReceivedEvent[]) => events.map((event) => event.data.type);

/** The newest of the user's runs in `status`. */
async function firstRunId(client: ThreadlineClient, status: 'running' | 'waiting'): Promise<string> {
  const page = await client.runs.list.query({ status: [status], limit: 1 });
  return page.items[0]!.id;
}

// Several instances need a shared database and Redis: CI sets both (.ci/run).
describe.skipIf(!databaseUrl || !redisUrl)('several instances on one PostgreSQL and Redis', () => {
  it('any instance follows, cancels, approves and answers for a run another holds; a dead instance\'s runs are taken over, a live one\'s never', async () => {
    await using database = await createTestDatabase('postgres');
    await using agentsFile = await writeAgentsFile(GUARDED_AGENTS_YAML);
    const prefix = `threadline-test-${randomUUID()}`;
    const environment = {
      REDIS_URL: redisUrl!,
      THREADLINE_REDIS_PREFIX: prefix,
      THREADLINE_INSTANCE_TTL_MS: '1000',
      THREADLINE_CHECKPOINT_MS: '50',
      THREADLINE_LOCAL_DELAY_MS: '5',
      THREADLINE_AGENTS_FILE: agentsFile.path,
    };
    const otherDataDirs: string[] = [];
    /** Another instance on the same database, with its own data dir (so its own instance id) and the same token. */
    const startInstance = async (dataDir?: string): Promise<ServerProcess> => {
      if (!dataDir) {
        dataDir = await mkdtemp(join(tmpdir(), 'threadline-instance-'));
        otherDataDirs.push(dataDir);
        await copyFile(join(database.dataDir, 'token'), join(dataDir, 'token'));
      }
      return startServerProcess({ dataDir, databaseUrl: database.databaseUrl, environment });
    };
    const a = await startServerProcess({ dataDir: database.dataDir, databaseUrl: database.databaseUrl, environment });
    const b = await startInstance();
    try {
      const clientA = createThreadlineClient({ url: a.url, token: a.token });
      const clientB: ThreadlineClient = createThreadlineClient({ url: b.url, token: a.token });
      expect((await clientB.system.info.query()).features).toEqual(expect.arrayContaining(['redis', 'postgres', 'approvals']));

      // Events: a run held by A, followed from B, is the same sequence with the same ids.
      const onA = await collectEvents((handlers) => clientA.chat.stream.subscribe({ newSession: true, content: '/long 40', requestId: randomUUID() }, handlers));
      const { runId: streamedRun } = onA.events[0]!.data as { runId: string };
      const onB = await collectEvents((handlers) => clientB.runs.events.subscribe({ runId: streamedRun }, handlers));
      expect(onB.events.map((event) => [event.id, event.data.type])).toEqual(onA.events.map((event) => [event.id, event.data.type]));
      expect(textOf(onB.events)).toBe(textOf(onA.events));

      // Cancel: B cancels a run streaming on A; A's reader sees the cancel, B answers with the stored record.
      const streaming = after(5);
      const cancelled = collectEvents(
        (handlers) => clientA.chat.stream.subscribe({ newSession: true, content: '/slow 50 /long 400', requestId: randomUUID() }, handlers),
        streaming.onEvent,
      );
      await streaming.promise;
      const slowRun = await firstRunId(clientA, 'running');
      expect(await clientB.runs.cancel.mutate({ runId: slowRun })).toMatchObject({ status: 'cancelled' });
      expect((await cancelled).events.at(-1)!.data.type).toBe('run-cancel');

      // Clearing (or deleting) a session on B cancels its run streaming on A, as on one instance.
      const clearing = after(5);
      const cleared = collectEvents(
        (handlers) => clientA.chat.stream.subscribe({ newSession: true, content: '/slow 50 /long 400', requestId: randomUUID() }, handlers),
        clearing.onEvent,
      );
      await clearing.promise;
      const clearedRun = await clientA.runs.get.query({ runId: await firstRunId(clientA, 'running') });
      await clientB.sessions.clear.mutate({ sessionId: clearedRun.sessionId! });
      expect((await cleared).events.at(-1)!.data).toMatchObject({ type: 'run-cancel', reason: 'the session was deleted or cleared' });
      expect(await clientB.runs.get.query({ runId: clearedRun.id })).toMatchObject({ status: 'cancelled' });

      // Approvals: a run waiting on A is approved through B; chat.send on B with its requestId answers.
      const requestId = randomUUID();
      const waiting = await clientA.chat.send.mutate({ newSession: true, agent: 'guarded', content: '/tool calculator {"expression": "6 * 7"}', requestId });
      expect(waiting.status).toBe('waiting');
      expect(await clientB.chat.send.mutate({ content: 'same request', requestId })).toMatchObject({ runId: waiting.runId, status: 'waiting', approvals: [{ name: 'calculator' }] });
      const unknownCall = await clientB.runs.approve.mutate({ runId: waiting.runId, callIds: ['nope'] }).catch((error: { data?: { code?: string } }) => error.data?.code);
      expect(unknownCall).toBe('BAD_REQUEST');
      await clientB.runs.approve.mutate({ runId: waiting.runId });
      expect(await clientB.chat.send.mutate({ content: 'same request', requestId })).toMatchObject({
        status: 'completed',
        message: { content: 'Tool calculator returned: {"expression":"6 * 7","result":42}' },
      });

      // One session, two instances: a message sent through B waits for the run A holds, then answers;
      // under `reject` it is refused while A's run is active.
      const shared = await clientA.sessions.create.mutate({ title: 'shared' });
      const firstTurn = after(3);
      const first = collectEvents((handlers) => clientA.chat.stream.subscribe({ sessionId: shared.id, content: '/slow 30 /long 20', requestId: randomUUID() }, handlers), firstTurn.onEvent);
      await firstTurn.promise;
      const second = await collectEvents((handlers) => clientB.chat.stream.subscribe({ sessionId: shared.id, content: 'second', requestId: randomUUID() }, handlers));
      expect(types(second.events)).toContain('run-queued');
      expect((await first).events.at(-1)!.data.type).toBe('run-finish');
      const turns = await clientB.sessions.history.query({ sessionId: shared.id });
      expect(turns.messages.map((message) => [message.role, message.role === 'user' ? message.content : message.status])).toEqual([
        ['user', '/slow 30 /long 20'],
        ['assistant', 'complete'],
        ['user', 'second'],
        ['assistant', 'complete'],
      ]);
      const strict = await clientA.sessions.create.mutate({ title: 'strict', busyPolicy: 'reject' });
      const busyTurn = after(3);
      const busy = collectEvents((handlers) => clientA.chat.stream.subscribe({ sessionId: strict.id, content: '/slow 30 /long 20', requestId: randomUUID() }, handlers), busyTurn.onEvent);
      await busyTurn.promise;
      const refused = await clientB.chat.send.mutate({ sessionId: strict.id, content: 'now?' }).catch((error: { data?: { code?: string } }) => error.data?.code);
      expect(refused).toBe('CONFLICT');
      await busy;

      // A new instance starting does not touch the runs of a live one.
      const longRun = after(3);
      const survivor = collectEvents(
        (handlers) => clientA.chat.stream.subscribe({ newSession: true, content: '/slow 20 /long 60', requestId: randomUUID() }, handlers),
        longRun.onEvent,
      );
      await longRun.promise;
      await using c = await startInstance();
      const survived = await survivor;
      expect(survived.events.at(-1)!.data.type).toBe('run-finish');
      const { sessionId: survivorSession, runId: survivorRun } = survived.events[0]!.data as { sessionId: string; runId: string };
      expect(await createThreadlineClient({ url: c.url, token: a.token }).runs.get.query({ runId: survivorRun })).toMatchObject({ status: 'completed', error: null });
      const kept = await clientA.sessions.history.query({ sessionId: survivorSession });
      expect(kept.messages.map((message) => [message.role, message.status])).toEqual([
        ['user', 'complete'],
        ['assistant', 'complete'],
      ]);

      // A dies: its streaming run is interrupted by another instance (readers on B see the end), its waiting run is taken up there.
      const dying = after(5);
      collectEvents((handlers) => clientA.chat.stream.subscribe({ newSession: true, content: '/slow 50 /long 400', requestId: randomUUID() }, handlers), dying.onEvent).catch(() => {});
      await dying.promise;
      const doomed = await firstRunId(clientA, 'running');
      const parked = await clientA.chat.send.mutate({ newSession: true, agent: 'guarded', content: '/tool calculator {"expression": "2 + 2"}' });
      expect(parked.status).toBe('waiting');
      const watcher = collectEvents((handlers) => clientB.runs.events.subscribe({ runId: doomed }, handlers));
      a.kill();
      const watched = await watcher;
      expect(watched.events.at(-1)!.data).toMatchObject({ type: 'run-error', code: 'interrupted' });
      expect(types(watched.events)).toContain('message-end');
      expect(await clientB.runs.get.query({ runId: doomed })).toMatchObject({ status: 'interrupted' });
      await expect.poll(async () => (await clientB.runs.approve.mutate({ runId: parked.runId }).catch(() => null))?.id ?? null).toBe(parked.runId);
      await expect.poll(async () => (await clientB.runs.get.query({ runId: parked.runId })).status).toBe('completed');
      expect((await clientB.sessions.history.query({ sessionId: parked.sessionId! })).messages.at(-1)!.content).toBe('Tool calculator returned: {"expression":"2 + 2","result":4}');
    } finally {
      await Promise.allSettled([a.stop('SIGKILL'), b.stop('SIGKILL')]);
      await Promise.all(otherDataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
    }
  }, 120_000);
});

import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isTerminalEvent, type Message, type StreamEvent } from '@threadline/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThreadlineClient, type ThreadlineClient } from '../client/src/client.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../server/src/testing/databases.js';
import { PATIENCE_MS } from './helpers/patience.js';
import { startServerProcess, TOKEN_PATTERN, type ServerProcess } from './helpers/process.js';

/** Every event of one `chat.stream` subscription, up to its terminal event (and the server's end of it). */
function collectStream(
  client: ThreadlineClient,
  input: { content: string; newSession?: true; sessionId?: string },
  timeoutMs = PATIENCE_MS,
): Promise<StreamEvent[]> {
  return new Promise((resolve, reject) => {
    const events: StreamEvent[] = [];
    const timer = setTimeout(() => done(new Error(`stream did not end within ${timeoutMs} ms: ${JSON.stringify(events)}`)), timeoutMs);
    const subscription = client.chat.stream.subscribe(
      { ...input, requestId: randomUUID() },
      {
        onData: ({ data }) => events.push(data),
        onError: (error) => done(error),
        onComplete: () => done(),
      },
    );
    function done(error?: unknown) {
      clearTimeout(timer);
      subscription.unsubscribe();
      if (error) reject(error);
      else resolve(events);
    }
  });
}

/** What a restart must keep of a message: everything (dates compared as instants). */
function comparable(messages: Message[]) {
  return messages.map((message) => ({ ...message, createdAt: message.createdAt.getTime() }));
}

for (const dialect of DIALECTS) {
  // The steps share one data dir and run in order: the last one restarts on what the others wrote.
  describe(`threadline-server process on ${dialect}`, () => {
    let database: TestDatabase;
    let first: ServerProcess;
    let second: ServerProcess | undefined;
    let client: ThreadlineClient;
    let sessionId: string;
    let history: Message[];

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      first = await startServerProcess({ dataDir: database.dataDir, databaseUrl: database.databaseUrl });
      client = createThreadlineClient({ url: first.url, token: first.token });
    });

    afterAll(async () => {
      await first?.[Symbol.asyncDispose]();
      await second?.[Symbol.asyncDispose]();
      await database?.destroy();
    });

    it('prints the first token once and saves it to <dataDir>/token with mode 0600', async () => {
      expect(first.stdout().match(TOKEN_PATTERN)).toEqual([first.printedToken]);
      expect(first.stderr()).not.toMatch(TOKEN_PATTERN);
      const file = join(database.dataDir, 'token');
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect((await readFile(file, 'utf8')).trim()).toBe(first.printedToken);
    });

    it('answers /healthz with 200 {ok: true}', async () => {
      const response = await fetch(`${first.url}/healthz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ ok: true });
      expect(await client.system.health.query()).toMatchObject({ ok: true });
    });

    it('streams an answer over SSE that matches the stored message', async () => {
      const events = await collectStream(client, { newSession: true, content: '/slow 1 /long 40 go' });
      expect(events[0]?.type).toBe('run-start');
      expect(events.filter(isTerminalEvent).map((event) => event.type)).toEqual(['run-finish']);
      expect(isTerminalEvent(events.at(-1)!)).toBe(true);

      const start = events[0] as Extract<StreamEvent, { type: 'run-start' }>;
      expect(start.sessionCreated).toBe(true);
      sessionId = start.sessionId!;
      const deltas = events.filter((event) => event.type === 'text-delta');
      expect(deltas.length).toBeGreaterThan(1);
      const text = deltas.map((event) => event.delta).join('');
      expect(text.split(/\s+/).filter(Boolean)).toHaveLength(40);
      const ends = events.filter((event) => event.type === 'message-end');
      expect(ends).toHaveLength(1);

      history = (await client.sessions.history.query({ sessionId })).messages;
      expect(history.map((message) => message.role)).toEqual(['user', 'assistant']);
      expect(history[0]!.content).toBe('/slow 1 /long 40 go');
      expect(history[1]!.content).toBe(text);
      expect(history[1]!.status).toBe('complete');
      expect(history[1]!.id).toBe(ends[0]!.message.id);
    });

    it('deletes another session', async () => {
      const other = await client.sessions.create.mutate({ title: 'to delete' });
      await expect(client.sessions.delete.mutate({ sessionId: other.id })).resolves.toMatchObject({ deleted: true });
      await expect(client.sessions.get.query({ sessionId: other.id })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
      const listed = await client.sessions.list.query({});
      expect(listed.items.map((session) => session.id)).toEqual([sessionId]);
    });

    it('exits 0 on SIGTERM, then restarts on the same data without a new token', async () => {
      expect(await first.stop('SIGTERM')).toBe(0);

      second = await startServerProcess({ dataDir: database.dataDir, databaseUrl: database.databaseUrl });
      expect(second.printedToken).toBeUndefined();
      expect(second.stdout()).not.toMatch(TOKEN_PATTERN);
      expect(second.token).toBe(first.printedToken);
      expect((await readFile(join(database.dataDir, 'token'), 'utf8')).trim()).toBe(first.printedToken);

      const again = createThreadlineClient({ url: second.url, token: first.printedToken! });
      const after = (await again.sessions.history.query({ sessionId })).messages;
      expect(comparable(after)).toEqual(comparable(history));
      expect(await second.stop('SIGINT')).toBe(0);
    });
  });
}

import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createThreadlineClient } from '../../client/src/client.js';
import { createTestDatabase } from '../../server/src/testing/databases.js';
import { startServerProcess } from '../helpers/process.js';
import { errorOf } from '../helpers/errors.js';
import { startTestServer } from '../helpers/server.js';
import { collectEvents, textOf, type ReceivedEvent } from '../helpers/stream.js';
import { startTcpFaultProxy } from '../helpers/tcp-fault-proxy.js';

const readyz = async (url: string) => (await fetch(`${url}/readyz`)).status;

/** Resolves once a stream has delivered `count` events. */
function after(count: number) {
  let reached: () => void = () => {};
  const promise = new Promise<void>((resolve) => (reached = resolve));
  return { promise, onEvent: (_: ReceivedEvent, events: ReceivedEvent[]) => events.length >= count && reached() };
}

/** A 16 MiB tmpfs (a real file system that can fill up), unmounted on dispose. Needs root, as on CI. */
async function smallDisk() {
  const path = await mkdtemp(join(tmpdir(), 'threadline-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', path]);
  const filler = join(path, 'filler');
  return {
    path,
    /** Writes a file until the disk has no room left. */
    fill() {
      const descriptor = openSync(filler, 'a');
      const chunk = Buffer.alloc(64 * 1024, 1);
      try {
        for (;;) writeSync(descriptor, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      } finally {
        closeSync(descriptor);
      }
    },
    free: () => rmSync(filler, { force: true }),
    async [Symbol.asyncDispose]() {
      execFileSync('umount', ['-l', path]);
      await rm(path, { recursive: true, force: true });
    },
  };
}

describe.skipIf(process.getuid?.() !== 0)('fault: the disk fills up mid-run (SQLite on a 16 MiB tmpfs)', () => {
  it('answers are held and stored once writes go through again; no run is left running; requests get SERVICE_UNAVAILABLE and /readyz 503 meanwhile', async () => {
    await using disk = await smallDisk();
    await using t = await startTestServer({
      environment: { THREADLINE_DATA_DIR: disk.path, THREADLINE_LOCAL_DELAY_MS: '5', THREADLINE_CHECKPOINT_MS: '100', THREADLINE_DB_TIMEOUT_MS: '1000' },
    });
    const { db } = t.server.services;
    const streamed = Array.from({ length: 10 }, () => '');
    const streams = Array.from({ length: 10 }, (_, index) => {
      const started = after(3);
      const done = collectEvents(
        (handlers) => t.client.chat.stream.subscribe({ newSession: true, content: '/long 300', requestId: randomUUID() }, handlers),
        (event, events) => {
          if (event.data.type === 'text-delta') streamed[index] += event.data.delta;
          started.onEvent(event, events);
        },
      );
      return { started: started.promise, done };
    });
    await Promise.all(streams.map((stream) => stream.started));

    // The write-ahead log emptied (so every commit needs new room on disk), then the disk filled.
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
    disk.fill();
    // Again, so that what was written meanwhile cannot leave room in the log either.
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
    try {
      const created = await errorOf(t.client.sessions.create.mutate({ title: 'no room' }));
      expect(created.code).toBe('SERVICE_UNAVAILABLE');
      expect(created.message).toBe('the database is not answering; retry shortly');
      const sent = await errorOf(t.client.chat.send.mutate({ newSession: true, content: 'no room either' }));
      expect(sent.code).toBe('SERVICE_UNAVAILABLE');
      expect(await readyz(t.url)).toBe(503);

      // The answers finish streaming while their ends cannot be stored: they stay held, running.
      await expect.poll(() => streamed.every((text) => text.split(' ').length === 300), { timeout: 30_000, interval: 100 }).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const runs = await t.client.runs.list.query({ status: ['running'] });
      expect(runs.items.length).toBe(10);
      // A cancel stops the run at once but cannot store it: SERVICE_UNAVAILABLE, never a false success.
      const cancelled = await errorOf(t.client.runs.cancel.mutate({ runId: runs.items[0]!.id }));
      expect(cancelled.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      // Room again.
      disk.free();
    }

    const results = await Promise.all(streams.map((stream) => stream.done));
    for (const { events } of results) {
      const runId = (events[0]!.data as { runId: string }).runId;
      expect(events.at(-1)!.data.type).toBe('run-finish');
      const run = await t.client.runs.get.query({ runId });
      expect(run.status).toBe('completed');
      const { messages } = await t.client.sessions.history.query({ sessionId: run.sessionId! });
      expect(messages.map((message) => [message.role, message.status])).toEqual([['user', 'complete'], ['assistant', 'complete']]);
      // The whole answer, not the last checkpoint.
      expect(messages[1]!.content).toBe(textOf(events));
      expect(messages[1]!.content.split(' ')).toHaveLength(300);
    }
    expect((await t.client.runs.list.query({ status: ['queued', 'running'] })).items).toEqual([]);
    await expect.poll(() => readyz(t.url), { timeout: 10_000 }).toBe(200);
    expect(await t.client.sessions.create.mutate({ title: 'room again' })).toMatchObject({ title: 'room again' });
  }, 60_000);
});

describe.skipIf(!process.env.TEST_DATABASE_URL)('fault: PostgreSQL unreachable but not closed (packets held)', () => {
  it('requests fail in bounded time with SERVICE_UNAVAILABLE, /readyz says 503, and both recover when packets flow again', async () => {
    await using database = await createTestDatabase('postgres');
    const target = new URL(database.databaseUrl!);
    await using proxy = await startTcpFaultProxy({ host: target.hostname, port: Number(target.port || 5432) });
    await using server = await startServerProcess({ dataDir: database.dataDir, databaseUrl: proxy.urlFor(database.databaseUrl!), environment: { THREADLINE_DB_TIMEOUT_MS: '1000' } });
    const client = createThreadlineClient({ url: server.url, token: server.token });
    const session = await client.sessions.create.mutate({ title: 'before' });

    proxy.hold();
    const listed = await errorOf(client.sessions.list.query());
    expect(listed.code).toBe('SERVICE_UNAVAILABLE');
    const sent = await errorOf(client.chat.send.mutate({ sessionId: session.id, content: 'anyone?' }));
    expect(sent.code).toBe('SERVICE_UNAVAILABLE');
    expect(await readyz(server.url)).toBe(503);
    expect(await fetch(`${server.url}/healthz`).then((response) => response.status)).toBe(200);

    proxy.restore();
    await expect.poll(() => readyz(server.url), { timeout: 15_000, interval: 200 }).toBe(200);
    await expect.poll(async () => client.sessions.get.query({ sessionId: session.id }).then(() => true, () => false), { timeout: 15_000, interval: 200 }).toBe(true);
    const answer = await client.chat.send.mutate({ sessionId: session.id, content: 'back' });
    expect(answer.message.content).toBe('Echo: back');
  }, 60_000);
});

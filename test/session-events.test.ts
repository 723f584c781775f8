import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { isTerminalEvent, type SessionEvent } from '@threadline/shared';
import { describe, expect, it } from 'vitest';
import { createThreadlineClient, type ThreadlineClient } from '../client/src/client.js';
import { sessionEvents, type FollowedSessionEvent } from '../client/src/session-events.js';
import { loadConfig } from '../server/src/config.js';
import { startServer } from '../server/src/main.js';
import { createTestDatabase } from '../server/src/testing/databases.js';
import { errorOf } from './helpers/errors.js';
import { startProxy } from './helpers/proxy.js';
import { startTestServer } from './helpers/server.js';

const databaseUrl = process.env.TEST_DATABASE_URL;
const redisUrl = process.env.TEST_REDIS_URL;

/** Follows a session and collects its events until `until` holds for them; then stops following. */
async function follow(
  client: ThreadlineClient,
  sessionId: string,
  until: (events: FollowedSessionEvent[]) => boolean,
  options: { lastEventId?: string; onEvent?: (events: FollowedSessionEvent[]) => void } = {},
): Promise<FollowedSessionEvent[]> {
  const controller = new AbortController();
  const events: FollowedSessionEvent[] = [];
  try {
    for await (const event of sessionEvents(client, sessionId, { signal: controller.signal, ...(options.lastEventId ? { lastEventId: options.lastEventId } : {}) })) {
      events.push(event);
      options.onEvent?.(events);
      if (until(events)) break;
    }
  } finally {
    controller.abort();
  }
  return events;
}

const ended = (count: number) => (events: FollowedSessionEvent[]) => events.filter((event) => isTerminalEvent(event.event)).length >= count;
const textOfRun = (events: FollowedSessionEvent[], runId: string) =>
  events.map((event) => (event.runId === runId && event.event.type === 'text-delta' ? event.event.delta : '')).join('');

describe('sessions.events: follow a session', () => {
  it('a second device sees every run another sends, as it starts, with its events; another user finds no such session', async () => {
    await using server = await startTestServer();
    const phone = server.clientFor(server.token);
    const laptop = server.clientFor(server.token);
    const session = await laptop.sessions.create.mutate({});
    const started: string[] = [];
    const following = follow(phone, session.id, ended(2), {
      onEvent: (events) => {
        const last = events.at(-1)!;
        if (last.event.type === 'run-start') started.push(last.runId);
      },
    });
    await expect.poll(() => server.server.services.engine.followerCount()).toBe(1);
    const first = await laptop.chat.send.mutate({ sessionId: session.id, content: 'hello there' });
    const second = await laptop.chat.send.mutate({ sessionId: session.id, content: '/long 30' });
    const events = await following;

    expect(started).toEqual([first.runId, second.runId]);
    for (const runId of [first.runId, second.runId]) {
      const ofRun = events.filter((event) => event.runId === runId);
      expect(ofRun.map((event) => event.eventId)).toEqual(ofRun.map((_, index) => index + 1));
      expect(ofRun[0]!.event).toMatchObject({ type: 'run-start', runId, sessionId: session.id });
      expect(ofRun.at(-1)!.event.type).toBe('run-finish');
    }
    expect(textOfRun(events, first.runId)).toBe('Echo: hello there');
    expect(textOfRun(events, second.runId)).toBe(second.message.content);
    const messageEnds = events.filter((event) => event.event.type === 'message-end').map((event) => event.event.type === 'message-end' && event.event.message.id);
    expect(messageEnds).toEqual([first.message.id, second.message.id]);

    // A follower that comes later starts with the run still going, from its first event, and not with finished ones.
    const slow = laptop.chat.send.mutate({ sessionId: session.id, content: '/slow 20 /long 30' });
    await expect.poll(async () => (await laptop.runs.list.query({ sessionId: session.id, status: ['running'] })).items.length).toBe(1);
    const late = await follow(phone, session.id, ended(1));
    await expect.poll(() => server.server.services.engine.followerCount()).toBe(0);
    const slowRun = await slow;
    expect(new Set(late.map((event) => event.runId))).toEqual(new Set([slowRun.runId]));
    expect(late[0]!.eventId).toBe(1);
    expect(textOfRun(late, slowRun.runId)).toBe(slowRun.message.content);

    const stranger = await server.addUser('stranger');
    expect((await errorOf(follow(stranger.client, session.id, () => true))).code).toBe('NOT_FOUND');
    expect((await errorOf(follow(phone, randomUUID(), () => true))).code).toBe('NOT_FOUND');
  });

  it('resumes after any event id without losing or repeating an event', async () => {
    await using server = await startTestServer();
    const { client } = server;
    const key = (event: FollowedSessionEvent) => `${event.runId}/${event.eventId}`;
    for (const cut of [0, 3, -4, -1]) {
      const session = await client.sessions.create.mutate({});
      const following = follow(client, session.id, ended(2));
      await expect.poll(() => server.server.services.engine.followerCount()).toBe(1);
      await client.chat.send.mutate({ sessionId: session.id, content: '/long 12' });
      await client.chat.send.mutate({ sessionId: session.id, content: '/long 9' });
      const all = await following;
      const at = cut < 0 ? all.length + cut : cut;
      const rest = all.length - at - 1;
      // What is left, then the start of a run sent after it: nothing repeated, nothing missing.
      let nextRun: Promise<{ runId: string }> | undefined;
      const sendNext = () => (nextRun = client.chat.send.mutate({ sessionId: session.id, content: 'one more' }));
      if (rest === 0) sendNext();
      const resumed = await follow(client, session.id, (events) => events.length > rest, {
        lastEventId: all[at]!.id,
        onEvent: (events) => void (events.length === rest && sendNext()),
      });
      expect(resumed.slice(0, rest).map(key)).toEqual(all.slice(at + 1).map(key));
      expect(resumed.at(-1)).toMatchObject({ runId: (await nextRun!).runId, eventId: 1, event: { type: 'run-start' } });
    }
  });
});

describe('sessions.events over a connection that drops', () => {
  it('reconnects by itself and goes on after the last event it had, nothing lost or repeated', async () => {
    await using server = await startTestServer({ environment: { THREADLINE_LOCAL_DELAY_MS: '3' } });
    await using proxy = await startProxy(server.url);
    const follower = createThreadlineClient({ url: proxy.url, token: server.token });
    const session = await server.client.sessions.create.mutate({});
    const received: { id: string; data: SessionEvent }[] = [];
    let cut = false;
    const done = new Promise<void>((resolve, reject) => {
      const subscription = follower.sessions.events.subscribe(
        { sessionId: session.id },
        {
          onData(value) {
            received.push(value);
            if (!cut && received.length === 20) {
              cut = true;
              proxy.cutAll();
            }
            if (received.filter((event) => isTerminalEvent(event.data.event)).length === 2) {
              subscription.unsubscribe();
              resolve();
            }
          },
          onError: reject,
        },
      );
    });
    await expect.poll(() => server.server.services.engine.followerCount()).toBe(1);
    const first = await server.client.chat.send.mutate({ sessionId: session.id, content: '/long 40' });
    const second = await server.client.chat.send.mutate({ sessionId: session.id, content: '/long 10' });
    await done;
    expect(proxy.connections()).toBeGreaterThanOrEqual(2);
    // Nothing is left listening once the follower has gone.
    await expect.poll(() => server.server.services.engine.followerCount()).toBe(0);
    await expect.poll(() => server.server.services.log.readerCount()).toBe(0);
    for (const run of [first, second]) {
      const ofRun = received.filter((event) => event.data.runId === run.runId);
      expect(ofRun.map((event) => event.data.eventId)).toEqual(ofRun.map((_, index) => index + 1));
      const text = ofRun.map(({ data }) => (data.event.type === 'text-delta' ? data.event.delta : '')).join('');
      expect(text).toBe(run.message.content);
    }
  });
});

describe.skipIf(!databaseUrl || !redisUrl)('sessions.events across instances (PostgreSQL and Redis)', () => {
  it('a follower on instance A sees the runs sent through instance B, live', async () => {
    await using database = await createTestDatabase('postgres');
    const otherDir = await mkdtemp(join(tmpdir(), 'threadline-follow-'));
    const environment = {
      PORT: '0',
      LOG_LEVEL: 'silent',
      THREADLINE_LOCAL_DELAY_MS: '2',
      DATABASE_URL: database.databaseUrl!,
      REDIS_URL: redisUrl!,
      THREADLINE_REDIS_PREFIX: `threadline-test-${randomUUID()}`,
    };
    const a = await startServer(loadConfig({ ...environment, THREADLINE_DATA_DIR: database.dataDir }));
    const b = await startServer(loadConfig({ ...environment, THREADLINE_DATA_DIR: otherDir }));
    try {
      const onA = createThreadlineClient({ url: a.url, token: a.firstToken! });
      const onB = createThreadlineClient({ url: b.url, token: a.firstToken! });
      const session = await onA.sessions.create.mutate({});
      const following = follow(onA, session.id, ended(2));
      await expect.poll(() => a.services.engine.followerCount()).toBe(1);
      const first = await onB.chat.send.mutate({ sessionId: session.id, content: '/long 20' });
      const second = await onB.chat.send.mutate({ sessionId: session.id, content: 'second message' });
      const events = await following;
      expect([...new Set(events.map((event) => event.runId))]).toEqual([first.runId, second.runId]);
      expect(textOfRun(events, first.runId)).toBe(first.message.content);
      expect(textOfRun(events, second.runId)).toBe('Echo: second message');
      for (const runId of [first.runId, second.runId]) {
        const ids = events.filter((event) => event.runId === runId).map((event) => event.eventId);
        expect(ids).toEqual(ids.map((_, index) => index + 1));
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
      await rm(otherDir, { recursive: true, force: true });
    }
  });
});

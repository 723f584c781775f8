import { isTerminalEvent, type RunStatus, type SessionEvent } from '@threadline/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { LoggedEvent } from '../../events/index.js';
import { newId } from '../../ids.js';
import type { Database } from '../../store/database.js';
import { newestSessionRunBefore, sessionRunsAfter, unfinishedRunsOfSession } from '../../store/runs.js';
import { addSessionRun, compactSessionCursor, decodeSessionCursor, encodeSessionCursor, type SessionCursor } from './session-cursor.js';
import type { SessionFeed } from './session-feed.js';

/** Runs a follower reads at once at most (and so names in its event ids). */
export const MAX_FOLLOWED_RUNS = 64;
/** How long a follower waits for the events of a run it found in the store before it reads what the store says, ms. */
const READABLE_WAIT_MS = 2_000;
const READABLE_POLL_MS = 50;

/** What following a session needs from the engine around it. */
export interface SessionFollowDependencies {
  db: Kysely<Database>;
  feed: SessionFeed;
  logger: Logger;
  /** A run's events after an id, live until its terminal event (`RunEngine.events`). */
  events(runId: string, afterId: number, signal: AbortSignal): Promise<AsyncIterable<LoggedEvent>>;
  /** True when the run's events can be read live (held here, or in the shared log). */
  readable(runId: string): Promise<boolean>;
  /** With several instances: how often the store is asked for new runs besides the notices, ms. */
  pollMs?: number;
}

/** One event of a followed session, with the id that resumes after it. */
export interface FollowedEvent {
  id: string;
  data: SessionEvent;
}

type Queued = { runId: string; logged: LoggedEvent } | { runId: string; gone: true };

const ENDED: ReadonlySet<RunStatus> = new Set(['completed', 'failed', 'cancelled', 'interrupted']);

/**
 * Follows a session the user owns (checked by the caller): every run of it from when it starts and
 * its events, merged as they arrive, live until `signal` aborts. Without `lastEventId` it begins
 * with the session's runs not ended yet (from their first event); with one, it resumes exactly
 * after it: every event of every run once, none twice.
 *
 * New runs are heard of through the session feed (this instance and, with Redis, the others) and
 * found in the store (at start, on each notice, and every `pollMs`), so a lost notice only delays.
 */
export async function* followSession(
  deps: SessionFollowDependencies,
  userId: string,
  sessionId: string,
  lastEventId: string | null | undefined,
  signal: AbortSignal,
): AsyncGenerator<FollowedEvent> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  signal.addEventListener('abort', stop);
  const queue: Queued[] = [];
  let wake: (() => void) | undefined;
  const push = (item: Queued) => {
    queue.push(item);
    wake?.();
  };
  controller.signal.addEventListener('abort', () => wake?.());

  // Listen first, then look in the store: a run starting in between is found by one or the other.
  let discovering = false;
  let again = false;
  let cursor: SessionCursor | undefined;
  const discoverSoon = () => {
    if (!cursor || controller.signal.aborted) return;
    if (discovering) return void (again = true);
    discovering = true;
    void (async () => {
      try {
        do {
          again = false;
          await discover(false);
        } while (again && !controller.signal.aborted);
      } catch (error) {
        if (!controller.signal.aborted) deps.logger.warn({ err: error, sessionId }, 'a session follower could not look for new runs');
      } finally {
        discovering = false;
      }
    })();
  };
  const unlisten = deps.feed.listen(sessionId, (runId) => {
    if (cursor && !cursor.runs.has(runId) && !(cursor.after && runId <= cursor.after)) discoverSoon();
  });
  const poll = deps.pollMs ? setInterval(discoverSoon, deps.pollMs) : undefined;
  poll?.unref();
  const subscribedAt = newId();

  /** Reads one run's events after `afterId` into the queue, until its terminal event. */
  const read = async (runId: string, afterId: number) => {
    let last = afterId;
    try {
      const waitUntil = Date.now() + READABLE_WAIT_MS;
      while (!controller.signal.aborted && Date.now() < waitUntil && !(await deps.readable(runId))) await sleep(READABLE_POLL_MS, controller.signal);
      while (!controller.signal.aborted) {
        for await (const logged of await deps.events(runId, last, controller.signal)) {
          if (logged.id <= last) continue;
          last = logged.id;
          push({ runId, logged });
          if (isTerminalEvent(logged.event)) return;
        }
        // Ended before its terminal event (the log moved on to another instance, say): read again.
        await sleep(READABLE_POLL_MS, controller.signal);
      }
    } catch (error) {
      if (controller.signal.aborted) return;
      // The run is gone (its session was cleared or deleted): nothing more to deliver.
      deps.logger.debug({ err: error, runId }, 'a followed run can no longer be read');
      push({ runId, gone: true });
    }
  };

  /** Adds the session's runs the follower does not know yet (the first time: the unfinished ones only). */
  const discover = async (initial: boolean) => {
    for (;;) {
      const current = cursor!;
      const room = MAX_FOLLOWED_RUNS - current.runs.size;
      if (room <= 0 || controller.signal.aborted) return;
      const found = (await sessionRunsAfter(deps.db, userId, sessionId, current.after, MAX_FOLLOWED_RUNS * 2)).filter((run) => !current.runs.has(run.id));
      for (const run of found.slice(0, room)) {
        // At the start, a run that ended before the follower came is history, not news.
        const skipped = initial && ENDED.has(run.status) && run.id < subscribedAt;
        addSessionRun(current, run.id, skipped ? 'done' : 0);
        if (!skipped) void read(run.id, 0);
      }
      if (found.length <= room) return;
      compactSessionCursor(current);
      if (current.runs.size >= MAX_FOLLOWED_RUNS) return;
    }
  };

  try {
    if (lastEventId) {
      cursor = decodeSessionCursor(lastEventId);
      for (const [runId, position] of cursor.runs) if (position !== 'done') void read(runId, position);
      await discover(false);
    } else {
      cursor = { after: await startingPoint(deps.db, userId, sessionId, subscribedAt), runs: new Map() };
      await discover(true);
    }
    compactSessionCursor(cursor);
    for (;;) {
      const item = queue.shift();
      if (!item) {
        if (controller.signal.aborted) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      if ('gone' in item) {
        cursor.runs.set(item.runId, 'done');
        compactSessionCursor(cursor);
        continue;
      }
      const { runId, logged } = item;
      const ended = isTerminalEvent(logged.event);
      const full = cursor.runs.size >= MAX_FOLLOWED_RUNS;
      cursor.runs.set(runId, ended ? 'done' : logged.id);
      if (ended) compactSessionCursor(cursor);
      yield { id: encodeSessionCursor(cursor), data: { runId, eventId: logged.id, event: logged.event } };
      // Room again for runs that did not fit.
      if (ended && full) discoverSoon();
    }
  } finally {
    signal.removeEventListener('abort', stop);
    controller.abort();
    unlisten();
    clearInterval(poll);
  }
}

/** Where a new follower starts: after the newest run before the oldest unfinished one and before the follower came. */
async function startingPoint(db: Kysely<Database>, userId: string, sessionId: string, subscribedAt: string): Promise<string | null> {
  const unfinished = (await unfinishedRunsOfSession(db, sessionId)).filter((run) => run.userId === userId).map((run) => run.id);
  const first = [subscribedAt, ...unfinished].sort()[0]!;
  return newestSessionRunBefore(db, userId, sessionId, first);
}

/** Waits `ms`, or less when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

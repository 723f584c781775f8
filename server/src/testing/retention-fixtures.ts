import type { Kysely } from 'kysely';
import type { RunStatus } from '@threadline/shared';
import { newId } from '../ids.js';
import type { Database } from '../store/database.js';

/** One day, ms. */
export const DAY_MS = 24 * 60 * 60 * 1000;

/** A run to store with a seeded session: its status, and how many days ago it ended (none: never). */
export interface SeedRun {
  status: RunStatus;
  endedDaysAgo?: number;
}

/** A session to store as if it had lived `idleDays` ago: its messages and runs with it. */
export interface SeedSession {
  idleDays: number;
  archived?: boolean;
  messages?: number;
  /** Bytes of each message's content (default 20). */
  messageBytes?: number;
  runs?: SeedRun[];
}

/**
 * Writes data of any age straight into the store (retention tests: a server cannot be made to
 * live 40 days). Ages count back from `now`.
 */
export class RetentionFixtures {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly userId: string,
    readonly now = Date.now(),
  ) {}

  /** Stores a session idle since `idleDays` ago with its messages and runs; resolves to its id. */
  async session(seed: SeedSession): Promise<string> {
    const id = newId();
    const at = this.now - seed.idleDays * DAY_MS;
    const messages = seed.messages ?? 0;
    await this.db
      .insertInto('sessions')
      .values({ id, user_id: this.userId, title: null, agent: 'chat', model: null, metadata: '{}', archived: seed.archived ? 1 : 0, created_at: at, updated_at: at, last_message_at: at, activity_at: at, message_count: messages })
      .execute();
    const content = 'x'.repeat(seed.messageBytes ?? 20);
    const rows = Array.from({ length: messages }, (_, index) => ({
      id: newId(), session_id: id, user_id: this.userId, run_id: null, role: index % 2 ? 'assistant' : 'user', content, parts: '[]',
      agent: null, model: null, usage: null, status: 'complete', created_at: at, suggestions: null,
    }));
    for (let start = 0; start < rows.length; start += 100) await this.db.insertInto('messages').values(rows.slice(start, start + 100)).execute();
    for (const run of seed.runs ?? []) await this.run(id, run);
    return id;
  }

  /** Stores a run of the session (null: a run without one); resolves to its id. */
  async run(sessionId: string | null, run: SeedRun): Promise<string> {
    const id = newId();
    const ended = run.endedDaysAgo === undefined ? null : this.now - run.endedDaysAgo * DAY_MS;
    const queued = (ended ?? this.now) - 1000;
    await this.db
      .insertInto('runs')
      .values({ id, user_id: this.userId, session_id: sessionId, request_id: null, status: run.status, agent: 'chat', model: 'local/echo', usage: null, finish_reason: null, error: null, queued_at: queued, started_at: queued, first_token_at: null, ended_at: ended, content: 'hi', checkpoint: null, waiting: null, owner: null, cancel_reason: null })
      .execute();
    return id;
  }
}

/** Rows in a table. */
export async function countRows(db: Kysely<Database>, table: keyof Database): Promise<number> {
  const row = await db.selectFrom(table).select((eb) => eb.fn.countAll().as('count')).executeTakeFirstOrThrow();
  return Number(row.count);
}

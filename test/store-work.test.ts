import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../server/src/testing/databases.js';
import { StatementCounter, type StoreWork } from '../server/src/testing/statement-counter.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { collectEvents } from './helpers/stream.js';

// What one run costs the store, counted at the Kysely driver: statements (reads and writes) and
// transactions, from the request that starts it to its end (the token lookup of that request
// included; a new session's first answer names it inside the end's transaction).
//
// Checkpoints are the only store work that grows with a run, and they grow with its duration, not
// its length: the checkpointer writes only when a full interval (THREADLINE_CHECKPOINT_MS) has
// passed since the run began or since its last checkpoint, and the answer changed meanwhile. So a
// run shorter than one interval writes none, however many words it streams, and a longer one at
// most one per interval. The first tests use an interval far longer than any of their runs (the
// fixed cost per run); the last one checks the bound with a short interval.

/** The interval of the fixed-cost tests: longer than any run here. */
const NO_CHECKPOINT_MS = '600000';
/** SQLite's full-text index is filled in batches on a timer: off here, so no batch falls inside a count. */
const NO_BACKGROUND_INDEXING = '0';
/** A user's limits are read once per this interval (not per run): the warm-up run reads them, the measured ones find them cached. */
const LIMITS_CACHE_MS = '600000';

/** What a run costs: the counts, without the statements themselves. */
function cost(work: StoreWork) {
  const { statements: _statements, queries: _queries, ...counts } = work;
  return counts;
}

async function measure(t: TestServer, counter: StatementCounter, run: () => Promise<unknown>): Promise<StoreWork> {
  counter.take();
  await run();
  await t.server.services.engine.whenIdle();
  return counter.take();
}

/** The checkpointer's write (`checkpointRun`): the partial answer and the first token's time, nothing else. */
const isCheckpoint = (statement: string) => /^update "runs" set "first_token_at" = \S+, "checkpoint" = \S+ where /.test(statement);

for (const dialect of DIALECTS) {
  describe(`store work per run on ${dialect}`, () => {
    it('chat.send into a session: the same statements and transactions for a short and a long answer', async () => {
      const counter = new StatementCounter();
      await using t = await startTestServer({ dialect, environment: { THREADLINE_CHECKPOINT_MS: NO_CHECKPOINT_MS, THREADLINE_LIMITS_CACHE_MS: LIMITS_CACHE_MS, THREADLINE_SEARCH_INDEX_MS: NO_BACKGROUND_INDEXING }, wrapStoreDriver: counter.wrap });
      const session = await t.client.sessions.create.mutate({ title: 'counted' });
      const send = (content: string) => () => t.client.chat.send.mutate({ sessionId: session.id, content });
      // A first run warms up what is done once per process.
      await send('/long 3')();
      const short = await measure(t, counter, send('/long 10'));
      const long = await measure(t, counter, send('/long 5000'));
      // Reads: the token, the session (start), the history (begin). Writes: the run created begun,
      // as nothing stands before it (its session's turn and a provider slot are free), in one
      // transaction with its user message and the session counters returning its allowed tools;
      // end (run, its usage ledger row, session counters, assistant message).
      expect(cost(short), short.statements.join('\n')).toEqual({ reads: 3, writes: 7, transactions: 2, writeTransactions: 2 });
      expect(cost(long)).toEqual(cost(short));
      expect(short.statements.filter(isCheckpoint)).toEqual([]);
    });

    it('chat.stream into a session: the same writes and transactions for a short and a long answer', async () => {
      const counter = new StatementCounter();
      await using t = await startTestServer({ dialect, environment: { THREADLINE_CHECKPOINT_MS: NO_CHECKPOINT_MS, THREADLINE_LIMITS_CACHE_MS: LIMITS_CACHE_MS, THREADLINE_SEARCH_INDEX_MS: NO_BACKGROUND_INDEXING }, wrapStoreDriver: counter.wrap });
      const session = await t.client.sessions.create.mutate({ title: 'counted' });
      const stream = (content: string) => () =>
        collectEvents((handlers) => t.client.chat.stream.subscribe({ sessionId: session.id, content, requestId: randomUUID() }, handlers));
      await stream('/long 3')();
      const short = await measure(t, counter, stream('/long 10'));
      const long = await measure(t, counter, stream('/long 5000'));
      // As chat.send, plus the lookup of the requestId (a reconnecting stream joins its run).
      expect(cost(short), short.statements.join('\n')).toEqual({ reads: 4, writes: 7, transactions: 2, writeTransactions: 2 });
      expect(cost(long)).toEqual(cost(short));
    });

    it('chat.send with a new session (titled by its end): the same for a short and a long answer', async () => {
      const counter = new StatementCounter();
      await using t = await startTestServer({ dialect, environment: { THREADLINE_CHECKPOINT_MS: NO_CHECKPOINT_MS, THREADLINE_LIMITS_CACHE_MS: LIMITS_CACHE_MS, THREADLINE_SEARCH_INDEX_MS: NO_BACKGROUND_INDEXING }, wrapStoreDriver: counter.wrap });
      const send = (content: string) => () => t.client.chat.send.mutate({ newSession: true, content: `${content} name it` });
      await send('/long 3')();
      const short = await measure(t, counter, send('/long 10'));
      const long = await measure(t, counter, send('/long 5000'));
      // Reads: the token only (a new session has no history to read). Writes: the session, the
      // run begun and its question in one transaction, the end as above; the title (the
      // question's first words) is set by the end's session update; the end also writes the run's
      // usage ledger row.
      expect(cost(short), short.statements.join('\n')).toEqual({ reads: 1, writes: 8, transactions: 2, writeTransactions: 2 });
      const titled = await t.client.sessions.list.query();
      expect(titled.items.map((session) => session.title)).toEqual(['name it', 'name it', 'name it']);
      expect(cost(long)).toEqual(cost(short));
    });

    it('a run that must wait for a provider slot is stored queued, and begun in a transaction of its own when its turn comes', async () => {
      await using t = await startTestServer({ dialect, environment: { THREADLINE_CONCURRENCY: '1', THREADLINE_CHECKPOINT_MS: NO_CHECKPOINT_MS } });
      const first = await t.client.sessions.create.mutate({ title: 'first' });
      const second = await t.client.sessions.create.mutate({ title: 'second' });
      const slow = t.client.chat.send.mutate({ sessionId: first.id, content: '/slow 100 /long 5' });
      await expect.poll(async () => (await t.client.runs.list.query({ sessionId: first.id, status: ['running'] })).items.length).toBe(1);
      const waiting = t.client.chat.send.mutate({ sessionId: second.id, content: 'after you' });
      await expect.poll(async () => (await t.client.runs.list.query({ sessionId: second.id, status: ['queued'] })).items.length).toBe(1);
      // Queued, its question is not in its session yet: it is stored when the run begins.
      expect((await t.client.sessions.history.query({ sessionId: second.id })).messages).toEqual([]);
      await slow;
      const answer = await waiting;
      expect(answer.status).toBe('completed');
      expect((await t.client.sessions.history.query({ sessionId: second.id })).messages.map((message) => message.role)).toEqual(['user', 'assistant']);
    });

    it('checkpoints follow the run\'s duration, not its length: at most one per interval passed', async () => {
      const counter = new StatementCounter();
      const intervalMs = 100;
      await using t = await startTestServer({ dialect, environment: { THREADLINE_CHECKPOINT_MS: String(intervalMs) }, wrapStoreDriver: counter.wrap });
      const session = await t.client.sessions.create.mutate({ title: 'counted' });
      const timed = async (content: string) => {
        const started = Date.now();
        const work = await measure(t, counter, () => t.client.chat.send.mutate({ sessionId: session.id, content }));
        return { checkpoints: work.statements.filter(isCheckpoint).length, elapsedMs: Date.now() - started };
      };
      // About 600 ms each: few words slowly, many words quickly.
      const few = await timed('/slow 60 /long 10');
      const many = await timed('/slow 1 /long 400');
      for (const run of [few, many]) {
        expect(run.checkpoints).toBeGreaterThanOrEqual(1);
        expect(run.checkpoints).toBeLessThanOrEqual(Math.floor(run.elapsedMs / intervalMs));
      }
      // A fast long answer within one interval: none.
      const fast = await timed('/long 5000');
      if (fast.elapsedMs < intervalMs) expect(fast.checkpoints).toBe(0);
    });
  });
}

import { describe, expect, it } from 'vitest';
import { allMessages, findRunAnswer } from '../../store/messages.js';
import { claimRun, findRun, RunLeaseLost } from '../../store/runs.js';
import { createSession, updateSession } from '../../store/sessions.js';
import { createUser } from '../../store/users.js';
import { DIALECTS, openTestStore } from '../../testing/databases.js';
import { emptyOutput } from '../loop/types.js';
import { assistantMessage } from './run-ending.js';
import { beginRun, checkpointRun, createRun, endRun, interruptRun } from './run-record.js';

for (const dialect of DIALECTS) {
  describe(`run record on ${dialect}: writes are fenced by the lease`, () => {
    it('after a takeover the former holder can neither checkpoint nor end the run, and the new holder stores the one outcome', async () => {
      await using store = await openTestStore(dialect);
      const user = await createUser(store.db, 'alice');
      const session = await createSession(store.db, { userId: user.id, agent: 'chat' });
      const created = await createRun(store.db, { userId: user.id, sessionId: session.id, newSession: undefined, requestId: null, content: 'hi', agent: 'chat', requestedModel: null, model: 'local/echo', priority: 5, owner: 'a' });
      const held = { id: created.id, userId: user.id, sessionId: session.id, lease: created.lease };
      await beginRun(store.db, held, 'hi', Date.now());
      const output = { ...emptyOutput(), text: 'partial', parts: [{ type: 'text' as const, text: 'partial' }] };
      await checkpointRun(store.db, held, output);

      // B takes it over (A looked dead): a new epoch.
      const stored = (await findRun(store.db, user.id, created.id))!;
      const taken = await claimRun(store.db, stored, 'b');
      expect(taken).toEqual({ owner: 'b', epoch: 1 });
      // A second claim from the same stale view loses.
      expect(await claimRun(store.db, stored, 'c')).toBeUndefined();

      // A, still streaming, tries to write: refused, nothing changes.
      await expect(checkpointRun(store.db, held, { ...output, text: 'more' })).rejects.toBeInstanceOf(RunLeaseLost);
      const message = assistantMessage({ id: held.id, sessionId: session.id, agent: 'chat', model: 'local/echo' }, { ...output, text: 'complete answer' }, 'complete');
      await expect(endRun(store.db, { ...held, agent: 'chat' }, { message, status: 'completed', output, error: null })).rejects.toBeInstanceOf(RunLeaseLost);
      expect(await findRunAnswer(store.db, held.id)).toBeUndefined();

      // B interrupts it with the checkpoint: the one outcome.
      const answer = await interruptRun(store.db, (await findRun(store.db, user.id, created.id))!, taken!);
      expect(answer).toMatchObject({ status: 'interrupted', content: 'partial' });
      expect((await findRun(store.db, user.id, created.id))!.status).toBe('interrupted');
      // An ended run cannot be claimed again.
      expect(await claimRun(store.db, (await findRun(store.db, user.id, created.id))!, 'c')).toBeUndefined();
      await expect(endRun(store.db, { ...held, agent: 'chat' }, { message, status: 'completed', output, error: null })).rejects.toBeInstanceOf(RunLeaseLost);
      expect((await findRunAnswer(store.db, held.id))!.content).toBe('partial');
    });
  });
}

for (const dialect of DIALECTS) {
  describe(`run record on ${dialect}: beginning a run`, () => {
    it('gives the history and allowed tools as stored; a run that created its session gets its own message without reading it back', async () => {
      await using store = await openTestStore(dialect);
      const user = await createUser(store.db, 'alice');
      const create = (sessionId: string | null, newSession: true | undefined) =>
        createRun(store.db, { userId: user.id, sessionId, newSession, requestId: null, content: 'hi', agent: 'chat', requestedModel: null, model: 'local/echo', priority: 5, owner: 'a' });

      const first = await create(null, true);
      const began = await beginRun(store.db, { id: first.id, userId: user.id, sessionId: first.sessionId, lease: first.lease, sessionCreated: true }, 'hi', Date.now());
      const stored = await allMessages(store.db, first.sessionId!);
      expect(began).toEqual({ history: stored, allowedTools: [], answerParentId: stored[0]!.id });

      await updateSession(store.db, user.id, first.sessionId!, { allowedTools: ['calculator'] });
      const second = await create(first.sessionId, undefined);
      const next = await beginRun(store.db, { id: second.id, userId: user.id, sessionId: first.sessionId, lease: second.lease }, 'again', Date.now());
      expect(next.allowedTools).toEqual(['calculator']);
      expect(next.history.map((message) => message.content)).toEqual(['hi', 'again']);
      expect(next.history).toEqual(await allMessages(store.db, first.sessionId!));
      // A plain send follows the active leaf: the session is one chain.
      expect(next.history[1]!.parentId).toBe(next.history[0]!.id);
    });
  });
}

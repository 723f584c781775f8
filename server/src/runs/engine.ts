import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Message, Metadata, RunError, RunStatus, StreamEvent, Usage } from '@threadline/shared';
import type { AgentRegistry } from '../agents/registry.js';
import { DEFAULT_AGENT } from '../agents/registry.js';
import type { AgentDefinition } from '../agents/types.js';
import { conflict, DomainError, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ChatModel } from '../providers/types.js';
import type { Database } from '../store/database.js';
import { allMessages, insertMessages, newMessage, toMessage } from '../store/messages.js';
import { findRun, findRunByRequest, insertRun, updateRun } from '../store/runs.js';
import { createSession, findSession, recordMessages, setTitleIfUnset } from '../store/sessions.js';
import { AdmissionQueue, type QueueDepth } from './admission.js';
import { BackgroundTasks } from './background-tasks.js';
import { runAgentLoop, type AgentOutput } from './agent-loop.js';
import { Checkpointer } from './checkpointer.js';
import { DeltaCoalescer } from './delta-coalescer.js';
import type { LoggedEvent, RunEventLog } from './event-log.js';
import { toModelMessages } from './history.js';
import { suggestFollowUps } from './suggestions.js';
import { generateTitle, TITLE_TIMEOUT_MS } from './titles.js';
import { SessionOrder } from './session-order.js';
import { readStoredOutcome } from './stored-outcome.js';
import { replayStoredRun } from './stored-replay.js';
import { classifyEnd, persistRunEnd, terminalEvent, type StopReason } from './run-end.js';

/** A request to start a run, validated. */
export interface StartRequest {
  userId: string;
  sessionId?: string;
  newSession?: true | { title?: string; metadata?: Metadata };
  content: string;
  agent?: string;
  model?: string;
  requestId?: string;
  /** 1 (first) .. 10; default 5. */
  priority?: number;
}

/** How a run ended, as chat.send returns it. */
export interface RunOutcome {
  runId: string;
  sessionId: string | null;
  status: RunStatus;
  message: Message;
  usage: Usage;
  error: RunError | null;
}

interface ActiveRun {
  id: string;
  userId: string;
  sessionId: string | null;
  /** The agent answering now (a handoff changes it, and with it `model`). */
  agent: AgentDefinition;
  model: string;
  priority: number;
  /** The session had no title when the run started: its first answer names it. */
  untitled: boolean;
  controller: AbortController;
  stop?: StopReason;
  done: Promise<RunOutcome>;
}

export interface RunEngineOptions {
  /** How often a streaming run's partial answer is checkpointed to the store, ms. */
  checkpointMs: number;
  /** A run still active after this long fails with `timeout`, ms. */
  maxRunMs: number;
  /** How many runs may execute at once per provider. */
  concurrency: (provider: string) => number;
}

export interface RunEngineDependencies {
  db: Kysely<Database>;
  providers: ProviderRegistry;
  agents: AgentRegistry;
  log: RunEventLog;
  logger: Logger;
  options: RunEngineOptions;
}

const zeroUsage = (): Usage => ({ inputTokens: 0, outputTokens: 0 });
const DEFAULT_PRIORITY = 5;

/**
 * Owns every run of this process: starts it, executes it detached from any HTTP connection,
 * persists it in O(1) transactions (plus periodic checkpoints of the partial answer), and publishes
 * its events through the event log. Runs of one session execute one after another, in the order
 * they were sent; runs wait for a slot with their provider in a fair priority queue.
 */
export class RunEngine {
  private readonly active = new Map<string, ActiveRun>();
  private readonly starting = new Map<string, Promise<string>>();
  private readonly sessionOrder = new SessionOrder();
  private readonly admission: AdmissionQueue;
  private readonly background: BackgroundTasks;
  private draining = false;

  constructor(private readonly deps: RunEngineDependencies) {
    this.admission = new AdmissionQueue(deps.options.concurrency);
    this.background = new BackgroundTasks(deps.logger);
  }

  /** Resolves when the work runs started after their end (titles) has finished. */
  whenIdle(): Promise<void> {
    return this.background.settled();
  }

  /** Starts a run, or returns the existing run of the same user + requestId. Resolves to its id. */
  start(request: StartRequest): Promise<string> {
    if (!request.requestId) return this.startNew(request);
    const key = `${request.userId}\n${request.requestId}`;
    let pending = this.starting.get(key);
    if (!pending) {
      pending = this.findOrStart(request).finally(() => this.starting.delete(key));
      this.starting.set(key, pending);
    }
    return pending;
  }

  /** Waits for the user's run to end; reads the store for runs this process no longer holds. */
  async outcome(userId: string, runId: string): Promise<RunOutcome> {
    const run = this.active.get(runId);
    if (run && run.userId === userId) return run.done;
    return readStoredOutcome(this.deps.db, userId, runId);
  }

  /** The user's run's events after `afterId`, live until its terminal event. Unknown or foreign runs: NOT_FOUND. */
  async events(userId: string, runId: string, afterId: number, signal: AbortSignal): Promise<AsyncIterable<LoggedEvent>> {
    const run = this.active.get(runId);
    if (run && run.userId === userId) return this.deps.log.follow(runId, afterId, signal);
    const row = await findRun(this.deps.db, userId, runId);
    if (!row) throw notFound('run');
    if (this.deps.log.has(runId)) return this.deps.log.follow(runId, afterId, signal);
    return replayStoredRun(await this.outcome(userId, runId), row, afterId);
  }

  /** Cancels the user's queued or running run and waits until it is stored; a no-op on an ended one. */
  async cancel(userId: string, runId: string, reason = 'cancelled by the user'): Promise<void> {
    const run = this.active.get(runId);
    if (run && run.userId === userId) {
      this.stop(run, { kind: 'cancel', reason });
      await run.done;
      return;
    }
    if (!(await findRun(this.deps.db, userId, runId))) throw notFound('run');
  }

  /** Cancels every active run of a session (before it is deleted or cleared) and waits for them. */
  async cancelSession(userId: string, sessionId: string, reason = 'the session was deleted or cleared'): Promise<void> {
    const runs = this.runsOfSession(userId, sessionId);
    for (const run of runs) this.stop(run, { kind: 'cancel', reason });
    await Promise.all(runs.map((run) => run.done));
  }

  /**
   * Graceful stop: refuses new runs, lets active ones finish for up to `graceMs`, then stops the
   * rest as `interrupted` (partial answers stored) and waits until they are.
   */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    const finished = Promise.all([...this.active.values()].map((run) => run.done));
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([
      finished.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
    ]);
    clearTimeout(timer);
    if (late) {
      const runs = [...this.active.values()];
      for (const run of runs) this.stop(run, { kind: 'shutdown' });
      await Promise.all(runs.map((run) => run.done));
    }
    await this.background.stop();
  }

  /** Runs executing and waiting, their users, and each provider's queue. */
  status(): { active: number; queued: number; users: number; queues: QueueDepth[] } {
    const queues = this.admission.depths();
    const running = queues.reduce((sum, queue) => sum + queue.running, 0);
    const users = new Set([...this.active.values()].map((run) => run.userId));
    return { active: running, queued: this.active.size - running, users: users.size, queues };
  }

  private runsOfSession(userId: string, sessionId: string): ActiveRun[] {
    return [...this.active.values()].filter((run) => run.userId === userId && run.sessionId === sessionId);
  }

  private stop(run: ActiveRun, reason: StopReason): void {
    if (run.controller.signal.aborted) return;
    run.stop = reason;
    run.controller.abort(reason);
  }

  private async findOrStart(request: StartRequest): Promise<string> {
    const existing = await findRunByRequest(this.deps.db, request.userId, request.requestId!);
    if (existing) return existing.id;
    try {
      return await this.startNew(request);
    } catch (error) {
      // Another instance may have won the unique (user, requestId) index.
      const winner = await findRunByRequest(this.deps.db, request.userId, request.requestId!);
      if (winner) return winner.id;
      throw error;
    }
  }

  private async startNew(request: StartRequest): Promise<string> {
    const { db, agents, providers } = this.deps;
    if (this.draining) throw new DomainError('unavailable', 'the server is shutting down; retry on another instance');
    const session = request.sessionId ? await findSession(db, request.userId, request.sessionId) : undefined;
    if (request.sessionId && !session) throw notFound('session');
    const agent = agents.get(request.agent ?? session?.agent ?? DEFAULT_AGENT);
    const modelId = request.model ?? session?.model ?? agents.modelOf(agent);
    const model = providers.resolve(modelId);
    if (session && this.sessionOrder.busy(session.id)) {
      if (session.busy_policy === 'reject') throw conflict('the session already has an active run');
      if (session.busy_policy === 'interrupt') {
        for (const run of this.runsOfSession(request.userId, session.id)) this.stop(run, { kind: 'cancel', reason: 'interrupted by a newer message' });
      }
    }

    const runId = newId();
    const now = Date.now();
    const priority = request.priority ?? DEFAULT_PRIORITY;
    let sessionId = session?.id ?? null;
    await db.transaction().execute(async (trx) => {
      if (request.newSession) {
        const options = request.newSession === true ? {} : request.newSession;
        const created = await createSession(
          trx,
          { userId: request.userId, agent: agent.name, model: request.model ?? null, title: options.title ?? null, ...(options.metadata ? { metadata: options.metadata } : {}) },
          now,
        );
        sessionId = created.id;
      }
      await insertRun(trx, {
        id: runId,
        user_id: request.userId,
        session_id: sessionId,
        request_id: request.requestId ?? null,
        status: 'queued',
        agent: agent.name,
        model: modelId,
        queued_at: now,
        content: request.content,
        priority,
      });
    });

    this.deps.log.open(runId);
    const controller = new AbortController();
    const givenTitle = request.newSession && request.newSession !== true ? request.newSession.title : undefined;
    const untitled = session ? session.title === null : Boolean(request.newSession) && !givenTitle;
    const run: ActiveRun = { id: runId, userId: request.userId, sessionId, agent, model: modelId, priority, untitled, controller, done: undefined! };
    this.active.set(runId, run);
    this.deps.log.append(runId, { type: 'run-start', runId, sessionId, sessionCreated: Boolean(request.newSession), agent: agent.name, model: modelId });
    run.done = this.schedule(run, request.content, model);
    return runId;
  }

  /** Waits for the session's earlier runs, then for a provider slot (reporting positions), then executes. Never rejects. */
  private async schedule(run: ActiveRun, content: string, model: ChatModel): Promise<RunOutcome> {
    const queued = (position: number) => this.deps.log.append(run.id, { type: 'run-queued', position });
    let release: (() => void) | undefined;
    try {
      if (run.sessionId) await this.sessionOrder.enter(run.sessionId, run.id, run.controller.signal, queued);
      const provider = run.model.slice(0, run.model.indexOf('/'));
      const slot = { runId: run.id, userId: run.userId, provider, priority: run.priority, signal: run.controller.signal };
      release = await this.admission.acquire(slot, queued).catch(() => undefined);
      return await this.execute(run, content, model);
    } finally {
      release?.();
      if (run.sessionId) this.sessionOrder.leave(run.sessionId, run.id);
      this.active.delete(run.id);
    }
  }

  /** Begins (user message + run running), runs the agent, stores the outcome, emits the ending. */
  private async execute(run: ActiveRun, content: string, model: ChatModel): Promise<RunOutcome> {
    const { db, logger, options } = this.deps;
    const events = new DeltaCoalescer((event) => this.deps.log.append(run.id, event));
    const emit = (event: StreamEvent) => events.emit(event);
    const output: AgentOutput = { text: '', parts: [], usage: zeroUsage(), finishReason: null, firstTokenAt: null };
    let error: RunError | null = null;
    let status: RunStatus = 'completed';
    const startedAt = Date.now();
    let firstExchange = false;
    /** The model answering now: the run's, or a handoff target's. */
    let answering = model;
    const deadline = setTimeout(() => this.stop(run, { kind: 'timeout' }), options.maxRunMs);
    const checkpointer = new Checkpointer(db, run.id, output, options.checkpointMs, logger);

    try {
      run.controller.signal.throwIfAborted();
      const userMessage = newMessage({ sessionId: run.sessionId, runId: run.id, role: 'user', content, parts: [], agent: null, model: null, usage: null, status: 'complete' });
      const history = await db.transaction().execute(async (trx) => {
        await updateRun(trx, run.id, { status: 'running', started_at: startedAt });
        if (!run.sessionId) return [userMessage];
        await insertMessages(trx, run.userId, [{ ...userMessage, sessionId: run.sessionId }]);
        await recordMessages(trx, run.sessionId, 1, userMessage.createdAt.getTime());
        return (await allMessages(trx, run.sessionId)).map(toMessage);
      });
      firstExchange = history.every((message) => message.role !== 'assistant');
      checkpointer.start();
      const handoff = (target: AgentDefinition) => {
        // The target's own default model, else the model the run uses.
        const modelId = target.model ?? run.model;
        answering = this.deps.providers.resolve(modelId);
        run.agent = target;
        run.model = modelId;
        return { agent: target, model: answering };
      };
      const findAgent = (name: string) => this.deps.agents.find(name);
      await runAgentLoop(
        { agent: run.agent, model, messages: toModelMessages(history), userId: run.userId, sessionId: run.sessionId, runId: run.id, signal: run.controller.signal, emit, findAgent, handoff },
        output,
      );
    } catch (caught) {
      ({ status, error } = classifyEnd(run.stop, caught, options.maxRunMs));
      if (error?.code === 'internal') logger.error({ err: caught, runId: run.id }, 'run failed');
    } finally {
      clearTimeout(deadline);
      await checkpointer.stop();
    }

    // One cheap extra request; it never fails the run (see suggestions.ts).
    const suggestions = run.agent.suggestions && status === 'completed' ? await suggestFollowUps(answering, content, output.text, run.controller.signal) : undefined;
    const message = newMessage({
      sessionId: run.sessionId,
      runId: run.id,
      role: 'assistant',
      content: output.text,
      parts: output.parts,
      agent: run.agent.name,
      model: run.model,
      usage: output.usage,
      status: status === 'completed' ? 'complete' : (status as Exclude<RunStatus, 'completed' | 'queued' | 'running'>),
      ...(suggestions ? { suggestions } : {}),
    });
    const stored = await persistRunEnd(db, { id: run.id, userId: run.userId, sessionId: run.sessionId, agentName: run.agent.name }, { message, status, output, error }).catch((caught) => {
      logger.error({ err: caught, runId: run.id }, 'could not store the end of a run');
      status = 'failed';
      error = { code: 'internal', message: 'could not store the answer', retryable: true };
      return false;
    });
    if (stored || !run.sessionId) emit({ type: 'message-end', message });
    emit(terminalEvent(status, output, error, run.stop, Date.now() - startedAt));
    if (stored && status === 'completed' && run.untitled && firstExchange) this.nameSession(run, content, output.text, model);
    return { runId: run.id, sessionId: run.sessionId, status, message, usage: output.usage, error };
  }

  /** Fire and forget, after the run has ended: a generated title, stored only if the session still has none. */
  private nameSession(run: ActiveRun, question: string, answer: string, model: ChatModel): void {
    const { db } = this.deps;
    this.background.run('session title', async (stopped) => {
      const signal = AbortSignal.any([stopped, AbortSignal.timeout(TITLE_TIMEOUT_MS)]);
      const title = await generateTitle(run.agent.titles ?? 'words', model, question, answer, signal);
      await setTitleIfUnset(db, run.userId, run.sessionId!, title);
    });
  }
}

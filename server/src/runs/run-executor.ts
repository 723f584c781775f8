import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Message, RunError, RunStatus, StreamEvent, Usage } from '@threadline/shared';
import type { AgentRegistry } from '../agents/registry.js';
import type { AgentDefinition } from '../agents/types.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ChatModel } from '../providers/types.js';
import type { Database } from '../store/database.js';
import { allMessages, insertMessages, newMessage, toMessage } from '../store/messages.js';
import { updateRun } from '../store/runs.js';
import { findSession, recordMessages, setTitleIfUnset } from '../store/sessions.js';
import type { ActiveRun, RunOutcome } from './active-run.js';
import { runAgentLoop, type AgentOutput } from './agent-loop.js';
import type { ApprovalGate } from './approval-gate.js';
import type { BackgroundTasks } from './background-tasks.js';
import { Checkpointer } from './checkpointer.js';
import { DeltaCoalescer } from './delta-coalescer.js';
import type { RunEventLog } from './event-log.js';
import { toModelMessages } from './history.js';
import type { LoopPause, ParkedRun } from './parked-run.js';
import { RunDeadline } from './run-deadline.js';
import { classifyEnd, persistRunEnd, terminalEvent, type StopReason } from './run-end.js';
import { suggestFollowUps } from './suggestions.js';
import { generateTitle, TITLE_TIMEOUT_MS } from './titles.js';

export interface RunExecutorDependencies {
  db: Kysely<Database>;
  providers: ProviderRegistry;
  agents: AgentRegistry;
  log: RunEventLog;
  logger: Logger;
  options: { checkpointMs: number; maxRunMs: number };
  gate: ApprovalGate;
  background: BackgroundTasks;
  /** Stops a run from outside (its maximum duration passed). */
  stop(run: ActiveRun, reason: StopReason): void;
}

const zeroUsage = (): Usage => ({ inputTokens: 0, outputTokens: 0 });

/**
 * Executes one run once it may (the engine decides when): stores its beginning, runs the agent
 * loop with its events coalesced into the log, checkpoints the partial answer, pauses for approvals
 * through the gate, stores the end in one transaction and emits the ending; names an untitled
 * session afterwards.
 */
export class RunExecutor {
  constructor(private readonly deps: RunExecutorDependencies) {}

  /**
   * Begins (user message + run running) or, for a run resumed from a pause, picks up where it
   * stopped; runs the agent, stores the outcome, emits the ending.
   */
  async execute(run: ActiveRun, content: string, model: ChatModel, resume?: ParkedRun): Promise<RunOutcome> {
    const { db, logger, options } = this.deps;
    const events = new DeltaCoalescer((event) => this.deps.log.append(run.id, event));
    const emit = (event: StreamEvent) => events.emit(event);
    run.emit = emit;
    const output: AgentOutput = resume?.output ?? { text: '', parts: [], usage: zeroUsage(), finishReason: null, firstTokenAt: null };
    let error: RunError | null = null;
    let status: RunStatus = 'completed';
    const startedAt = Date.now();
    let firstExchange = false;
    /** The model answering now: the run's, or a handoff target's. */
    let answering = model;
    const deadline = new RunDeadline(options.maxRunMs, () => this.deps.stop(run, { kind: 'timeout' }), resume?.activeMs);
    const checkpointer = new Checkpointer(db, run.id, output, options.checkpointMs, logger);

    try {
      run.controller.signal.throwIfAborted();
      const history = resume ? await this.historyOf(run, content) : await this.begin(run, content, startedAt);
      firstExchange = history.every((message) => message.role !== 'assistant');
      for (const tool of await this.allowedInSession(run)) run.allowedTools.add(tool);
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
      const awaitApprovals = (pause: LoopPause) => this.deps.gate.wait(run, pause, output, deadline, () => events.flush());
      await runAgentLoop(
        {
          agent: run.agent,
          model,
          messages: toModelMessages(history),
          userId: run.userId,
          sessionId: run.sessionId,
          runId: run.id,
          signal: run.controller.signal,
          emit,
          findAgent,
          handoff,
          awaitApprovals,
          isAllowed: (tool) => run.allowedTools.has(tool),
          ...(resume ? { resume } : {}),
        },
        output,
      );
    } catch (caught) {
      ({ status, error } = classifyEnd(run.stop, caught, options.maxRunMs));
      if (error?.code === 'internal') logger.error({ err: caught, runId: run.id }, 'run failed');
    } finally {
      deadline.clear();
      await checkpointer.stop();
    }
    // The server is stopping while the run waits: it stays `waiting` in the store for the next start.
    if (run.stop?.kind === 'park') return this.deps.gate.waitingOutcome(run, output);

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
      status: status === 'completed' ? 'complete' : (status as Exclude<RunStatus, 'completed' | 'queued' | 'running' | 'waiting'>),
      ...(suggestions ? { suggestions } : {}),
    });
    await run.writes;
    const stored = await persistRunEnd(db, { id: run.id, userId: run.userId, sessionId: run.sessionId, agentName: run.agent.name }, { message, status, output, error }).catch((caught) => {
      logger.error({ err: caught, runId: run.id }, 'could not store the end of a run');
      status = 'failed';
      error = { code: 'internal', message: 'could not store the answer', retryable: true };
      return false;
    });
    if (stored || !run.sessionId) emit({ type: 'message-end', message });
    emit(terminalEvent(status, output, error, run.stop, Date.now() - startedAt));
    events.flush();
    if (stored && status === 'completed' && run.untitled && firstExchange) this.nameSession(run, content, output.text, model);
    return { runId: run.id, sessionId: run.sessionId, status, message, usage: output.usage, error, approvals: [] };
  }

  /** One transaction: the run is running and the user's message is in its session. Returns the history the run answers. */
  private begin(run: ActiveRun, content: string, startedAt: number): Promise<Message[]> {
    const userMessage = newMessage({ sessionId: run.sessionId, runId: run.id, role: 'user', content, parts: [], agent: null, model: null, usage: null, status: 'complete' });
    return this.deps.db.transaction().execute(async (trx) => {
      await updateRun(trx, run.id, { status: 'running', started_at: startedAt });
      if (!run.sessionId) return [userMessage];
      await insertMessages(trx, run.userId, [{ ...userMessage, sessionId: run.sessionId }]);
      await recordMessages(trx, run.sessionId, 1, userMessage.createdAt.getTime());
      return (await allMessages(trx, run.sessionId)).map(toMessage);
    });
  }

  /** The tools the user allowed for the run's whole session (none for a stateless run). */
  private async allowedInSession(run: ActiveRun): Promise<string[]> {
    if (!run.sessionId) return [];
    const session = await findSession(this.deps.db, run.userId, run.sessionId);
    return session ? (JSON.parse(session.allowed_tools) as string[]) : [];
  }

  /** The history a resumed run answers: its session's messages (its own user message is the last), or just that message. */
  private async historyOf(run: ActiveRun, content: string): Promise<Message[]> {
    if (run.sessionId) return (await allMessages(this.deps.db, run.sessionId)).map(toMessage);
    return [newMessage({ sessionId: null, runId: run.id, role: 'user', content, parts: [], agent: null, model: null, usage: null, status: 'complete' })];
  }

  /** Fire and forget, after the run has ended: a generated title, stored only if the session still has none. */
  private nameSession(run: ActiveRun, question: string, answer: string, model: ChatModel): void {
    const { db } = this.deps;
    this.deps.background.run('session title', async (stopped) => {
      const signal = AbortSignal.any([stopped, AbortSignal.timeout(TITLE_TIMEOUT_MS)]);
      const title = await generateTitle(run.agent.titles ?? 'words', model, question, answer, signal);
      await setTitleIfUnset(db, run.userId, run.sessionId!, title);
    });
  }
}

import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ChatSendOutput, Message, RunError, RunStatus, StreamEvent } from '@threadline/shared';
import type { AgentRegistry } from '../agents/registry.js';
import type { AgentDefinition } from '../agents/types.js';
import { DeltaCoalescer, type RunEventLog } from '../events/index.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { withFallbacks } from '../providers/fallback-model.js';
import type { ChatModel } from '../providers/types.js';
import type { Database } from '../store/database.js';
import { setTitleIfUnset } from '../store/sessions.js';
import type { ActiveRun } from './active-run.js';
import type { ApprovalGate } from './approvals/index.js';
import type { BackgroundTasks } from './background-tasks.js';
import { type AgentOutput, AnswerBudget, type ContextLimits, ContextSummaries, TokenCalibration, emptyOutput, generateTitle, isScriptedModel, type LoopPause, runAgentLoop, suggestFollowUps, TITLE_TIMEOUT_MS, titleFromText, toModelMessages } from './loop/index.js';
import { answerStatus, assistantMessage, beginRun, Checkpoints, classifyEnd, contextOf, endRun, interruptedError, retryWhileUnavailable, type StopReason, terminalEvent } from './record/index.js';
import { RunLeaseLost } from '../store/runs.js';
import type { ParkedRun } from '../store/run-shapes.js';
import { RunDeadline } from './scheduling/index.js';
import type { BudgetStop, Budgets, MeteredPart } from '../limits/index.js';
import type { LedgerEntry } from '../store/usage-ledger.js';
import type { PriceTable } from '../usage/prices.js';

export interface RunExecutorDependencies {
  db: Kysely<Database>;
  providers: ProviderRegistry;
  agents: AgentRegistry;
  log: RunEventLog;
  logger: Logger;
  options: { checkpointMs: number; maxRunMs: number; maxAnswerBytes: number; contextWindow?: (modelId: string) => number | undefined };
  gate: ApprovalGate;
  background: BackgroundTasks;
  /** Aborted when the server stops for good: end writes that wait for the database give up. */
  storeRetries: AbortSignal;
  /** Stops a run from outside (its maximum duration passed, its user's budget ran out). */
  stop(run: ActiveRun, reason: StopReason): void;
  /** Prices of the models: each run's cost in the usage ledger. */
  prices: PriceTable;
  /** Token and cost budgets of users (none: unlimited). */
  budgets?: Budgets;
}

/**
 * Executes one run once it may (the engine decides when): stores its beginning, runs the agent
 * loop with its events coalesced into the log, checkpoints the partial answer, pauses for approvals
 * through the gate, stores the end in one transaction and emits the ending; names an untitled
 * session afterwards.
 */
export class RunExecutor {
  /** Every streaming run's checkpoints, written together. */
  private readonly checkpoints: Checkpoints;
  /** What keeps requests inside their model's window (calibrated from reported usage, for every run). */
  private readonly contextLimits: ContextLimits | undefined;
  private readonly summaries = new ContextSummaries();

  constructor(private readonly deps: RunExecutorDependencies) {
    this.checkpoints = new Checkpoints(deps.db, deps.options.checkpointMs, deps.logger);
    const { contextWindow } = deps.options;
    this.contextLimits = contextWindow ? { windowOf: contextWindow, calibration: new TokenCalibration() } : undefined;
  }

  /**
   * Begins (user message + run running) or, for a run resumed from a pause, picks up where it
   * stopped; runs the agent, stores the outcome, emits the ending.
   */
  async execute(run: ActiveRun, content: string, model: ChatModel, resume?: ParkedRun): Promise<ChatSendOutput> {
    const { db, logger, options } = this.deps;
    run.started = true;
    const events = new DeltaCoalescer((event) => this.deps.log.append(run.id, event));
    const emit = (event: StreamEvent) => events.emit(event);
    run.emit = emit;
    const output: AgentOutput = resume?.output ?? emptyOutput();
    let error: RunError | null = null;
    let status: RunStatus = 'completed';
    const startedAt = Date.now();
    let firstExchange = false;
    /** The fallback that took over from the run's model, if one did. */
    let fallbackModel: string | undefined;
    const first = run.fallbacks?.length
      ? withFallbacks([model, ...run.fallbacks], ({ from, to, error }) => {
          logger.warn({ runId: run.id, from: from.id, to: to.id, code: error.code }, 'model failed before its first token; its fallback answers');
          run.model = fallbackModel = to.id;
          emit({ type: 'model-fallback', from: from.id, to: to.id, code: error.code, message: error.message });
        })
      : model;
    /** The model answering now: the run's (or its fallback), or a handoff target's. */
    let answering = first;
    const deadline = new RunDeadline(options.maxRunMs, () => this.deps.stop(run, { kind: 'timeout' }), resume?.activeMs);
    // Another instance took the run over (this one lost its lease): stop at once, store nothing more.
    const fenced = () => this.deps.stop(run, { kind: 'fenced' });
    let checkpoints: { stop(): Promise<void> } | undefined;
    /** The message the answer follows in the session's tree (its question). */
    let answerParentId: string | undefined;

    try {
      run.controller.signal.throwIfAborted();
      const context = resume ? await contextOf(db, run, content) : (run.begun ?? (await beginRun(db, run, content, startedAt)));
      run.begun = undefined;
      const { history, allowedTools } = context;
      answerParentId = context.answerParentId;
      run.observation.started(Boolean(resume));
      // The user's budget, checked before the model is called and metered while it answers.
      const budget = await this.deps.budgets?.open(run.userId);
      const stopAtBudget = (stop: BudgetStop | undefined) => {
        if (!stop || run.stop) return;
        void this.deps.budgets?.refused(run.userId, run.id, stop);
        this.deps.stop(run, { kind: 'quota', message: stop.message });
      };
      if (budget) stopAtBudget(budget.exhausted(run.model));
      run.controller.signal.throwIfAborted();
      firstExchange = history.every((message) => message.role !== 'assistant');
      for (const tool of allowedTools) run.allowedTools.add(tool);
      checkpoints = this.checkpoints.watch(run, output, fenced);
      const handoff = (target: AgentDefinition) => {
        // The target's own default model, else the model the run uses.
        const modelId = target.model ?? run.model;
        answering = this.deps.providers.resolve(modelId);
        run.agent = target;
        run.model = modelId;
        run.observation.agentChanged(target.name, modelId);
        return { agent: target, model: answering };
      };
      const findAgent = (name: string) => this.deps.agents.find(name);
      const awaitApprovals = (pause: LoopPause) => this.deps.gate.wait(run, pause, output, deadline, () => events.flush());
      await runAgentLoop(
        {
          agent: run.agent,
          model: first,
          // A stateless run's conversation, when its caller carried one, goes around its message.
          messages: [...(run.carried?.prior ?? []), ...toModelMessages(history), ...(run.carried?.continued ?? [])],
          ...(run.carried?.clientTools.length ? { clientTools: run.carried.clientTools } : {}),
          userId: run.userId,
          sessionId: run.sessionId,
          runId: run.id,
          signal: run.controller.signal,
          emit,
          findAgent,
          handoff,
          awaitApprovals,
          isAllowed: (tool) => run.allowedTools.has(tool),
          observer: run.observation,
          ...(this.contextLimits ? { contextLimits: this.contextLimits } : {}),
          summaries: this.summaries,
          // A run resumed after a pause has used part of its budget already.
          budget: new AnswerBudget(Math.max(0, options.maxAnswerBytes - Buffer.byteLength(JSON.stringify(output.parts)))),
          ...(budget ? { meter: (modelId: string, part: MeteredPart) => stopAtBudget(budget.meter(modelId, part)) } : {}),
          ...(resume ? { resume } : {}),
        },
        output,
      );
    } catch (caught) {
      if (caught instanceof RunLeaseLost) fenced();
      ({ status, error } = classifyEnd(run.stop, caught, options.maxRunMs));
      if (error?.code === 'internal') logger.error({ err: caught, runId: run.id }, 'run failed');
    } finally {
      deadline.clear();
      await checkpoints?.stop();
    }
    // The server is stopping while the run waits: it stays `waiting` in the store for the next start.
    if (run.stop?.kind === 'park') {
      run.observation.parked();
      return this.deps.gate.waitingOutcome(run, output);
    }

    // One cheap extra request; it never fails the run (see suggestions.ts).
    const suggestions = run.agent.suggestions && status === 'completed' ? await suggestFollowUps(answering, content, output.text, run.controller.signal, run.observation) : undefined;
    const answeredBy = { id: run.id, sessionId: run.sessionId, agent: run.agent.name, model: run.model };
    const built = assistantMessage(answeredBy, output, answerStatus(status), suggestions ? { suggestions } : {});
    const message = answerParentId ? { ...built, parentId: answerParentId } : built;
    const cancelReason = status === 'cancelled' && run.stop?.kind === 'cancel' ? run.stop.reason : null;
    await run.writes;
    let lost = false;
    // The first answer of an untitled session names it; a title of the question's first words is
    // known now and goes into the end's own transaction (a model-written one follows, below).
    const naming = status === 'completed' && run.untitled && firstExchange;
    const wordsTitle = naming && !titledByModel(run.agent, first) ? titleFromText(content) : undefined;
    const ledger = ledgerOf({ ...answeredBy, userId: run.userId }, output, this.deps.prices);
    const ending = { message, status, output, error, cancelReason, ledger, ...(wordsTitle ? { title: wordsTitle } : {}), ...(fallbackModel ? { fallbackModel } : {}) };
    const onRetry = (caught: unknown, attempt: number) =>
      attempt === 1 && logger.warn({ err: caught, runId: run.id }, 'the database does not take the end of a run; retrying while the answer is held');
    const stored = await retryWhileUnavailable(() => endRun(db, { ...run, agent: run.agent.name }, ending), this.deps.storeRetries, onRetry).catch((caught) => {
      if (caught instanceof RunLeaseLost) {
        // Its outcome is the new holder's (stored interrupted with the last checkpoint): none of ours is kept or announced.
        logger.warn({ runId: run.id }, 'run taken over by another instance; its end was not stored here');
        lost = true;
        status = 'interrupted';
        error = interruptedError;
        return false;
      }
      logger.error({ err: caught, runId: run.id }, 'could not store the end of a run');
      status = 'failed';
      error = { code: 'internal', message: 'could not store the answer', retryable: true };
      return false;
    });
    if (!lost && (stored || !run.sessionId)) emit({ type: 'message-end', message });
    const durationMs = Date.now() - startedAt;
    emit(terminalEvent({ status, usage: output.usage, finishReason: output.finishReason, error, cancelReason, durationMs }));
    events.flush();
    run.observation.ended({ status, usage: output.usage, finishReason: output.finishReason, errorCode: error?.code ?? null, durationMs, text: output.text });
    if (stored && naming && !wordsTitle) this.nameSession(run, content, output.text, first);
    return { runId: run.id, sessionId: run.sessionId, status, message, usage: output.usage, error, approvals: [] };
  }

  /** Fire and forget, after the run has ended: a model-written title, stored only if the session still has none. */
  private nameSession(run: ActiveRun, question: string, answer: string, model: ChatModel): void {
    const { db } = this.deps;
    this.deps.background.run('session title', async (stopped) => {
      const signal = AbortSignal.any([stopped, AbortSignal.timeout(TITLE_TIMEOUT_MS)]);
      const title = await generateTitle('model', model, question, answer, signal, run.observation);
      await setTitleIfUnset(db, run.userId, run.sessionId!, title);
    });
  }
}

/** The ledger entries of a run: one per model that reported usage, priced now. */
function ledgerOf(run: { id: string; userId: string; sessionId: string | null; agent: string }, output: AgentOutput, prices: PriceTable): LedgerEntry[] {
  return Object.entries(output.usageByModel ?? {}).map(([model, usage]) => ({
    userId: run.userId,
    runId: run.id,
    sessionId: run.sessionId,
    agent: run.agent,
    model,
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    cachedInputTokens: usage.cachedInputTokens ?? 0,
    cacheWriteInputTokens: usage.cacheWriteInputTokens ?? 0,
    reasoningTokens: usage.reasoningTokens ?? 0,
    cost: prices.costOf(model, usage),
  }));
}

/** Whether the agent's titles are written by its model (`titles: model`, not with the scripted model) rather than taken from the question's first words. */
function titledByModel(agent: AgentDefinition, model: ChatModel): boolean {
  return agent.titles === 'model' && !isScriptedModel(model);
}

import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ChatSendInput, ChatSendOutput } from '@threadline/shared';
import type { AgentRegistry } from '../agents/registry.js';
import { DEFAULT_AGENT } from '../agents/registry.js';
import type { AgentDefinition } from '../agents/types.js';
import type { Cluster, ClusterCommand } from '../cluster/index.js';
import { conflict, DomainError, invalid, notFound, tooMany } from '../errors.js';
import type { LoggedEvent, RunEventLog } from '../events/index.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ChatModel, ModelMessage, ModelTool } from '../providers/types.js';
import type { RequestOrigin, RunObserver } from '../observability/types.js';
import type { Database } from '../store/database.js';
import { newId } from '../ids.js';
import { findRun, findRunByRequest, type RunLease, type StoredRun } from '../store/runs.js';
import { allowToolsInSession, findSession } from '../store/sessions.js';
import { deferred, type ActiveRun } from './active-run.js';
import { type ApprovalDecision, ApprovalGate, toolsDecided } from './approvals/index.js';
import { BackgroundTasks } from './background-tasks.js';
import { OrphanRuns } from './orphan-runs.js';
import { createCancelledRun, createRun, readStoredOutcome, replayStoredRun, type StopReason } from './record/index.js';
import type { ParkedRun, RunBranch } from '../store/run-shapes.js';
import { followSession, type FollowedEvent, SessionFeed } from './follow/index.js';
import { RemoteRuns } from './remote-runs.js';
import { RunExecutor } from './run-executor.js';
import { AdmissionQueue, type QueueDepth, SessionOrder } from './scheduling/index.js';
import type { Budgets } from '../limits/index.js';
import type { PriceTable } from '../usage/prices.js';

/** A request to start a run: a `chat.send` (or `chat.stream`) input, from a user; `branch` for an edit or a regeneration. */
export type StartRequest = ChatSendInput & {
  userId: string;
  /**
   * A stateless run only: the conversation before `content`, as the caller carries it (the
   * OpenAI-compatible API). Held in memory for the run, never stored.
   */
  prior?: ModelMessage[];
  /** A stateless run only: the turns after `content` (the caller's tool calls and its results of them). */
  continued?: ModelMessage[];
  /** A stateless run only: tools the caller runs itself (see `AgentLoopOptions.clientTools`). */
  clientTools?: ModelTool[];
  /** Added to the agent's instructions for this run (a caller's own system prompt); never stored. */
  instructions?: string;
  /** An edit or a regeneration: where its messages go in the session's tree. */
  branch?: RunBranch;
};

export interface RunEngineOptions {
  /** How often a streaming run's partial answer is checkpointed to the store, ms. */
  checkpointMs: number;
  /** A run still active after this long fails with `timeout`, ms. */
  maxRunMs: number;
  /** Undecided approvals are denied after this long, ms; 0 = never. */
  approvalTimeoutMs: number;
  /** How many runs may execute at once per provider. */
  concurrency: (provider: string) => number;
  /** How long a request waits for the database (a cancel, for the run's end to be stored), ms. */
  databaseTimeoutMs: number;
  /** Runs one user may have waiting to start; more are refused (TOO_MANY_REQUESTS). */
  maxQueuedRunsPerUser: number;
  /** The most of one provider's slots one user may hold, as a fraction. */
  userShare: number;
  /** An answer is cut (finish reason `length`) at this many bytes. */
  maxAnswerBytes: number;
  /** A model's context window, tokens (undefined: no limit); every request is kept inside it. */
  contextWindow?: (modelId: string) => number | undefined;
}

export interface RunEngineDependencies {
  /** This instance, the owner of the runs it holds. */
  instanceId: string;
  /** With several instances on one database: heartbeats and commands for runs held elsewhere. */
  cluster?: Cluster;
  db: Kysely<Database>;
  providers: ProviderRegistry;
  agents: AgentRegistry;
  log: RunEventLog;
  logger: Logger;
  /** Hears of every run's transitions (logs, metrics, traces). */
  observer: RunObserver;
  options: RunEngineOptions;
  /** Prices of the models, for the usage ledger. */
  prices: PriceTable;
  /** Per-user limits on starting runs (none: unlimited). */
  limiter?: RunAdmission;
  /** Per-user token and cost budgets (none: unlimited). */
  budgets?: Budgets;
}

/** The per-user limits a new run must pass: runs started per minute, runs active at once. Each refuses with TOO_MANY_REQUESTS. */
export interface RunAdmission {
  countRunStart(userId: string): Promise<void>;
  /** Resolves to the release of the hold, called when the run ends. */
  holdActiveRun(userId: string): Promise<() => void>;
}

const DEFAULT_PRIORITY = 5;
/** With several instances, how often a session's followers look in the store for runs whose notice they missed, ms. */
const SESSION_POLL_MS = 2_000;
const ENDED_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled', 'interrupted']);
/** When a user whose queue is full may try again: about when a short run ends. */
const QUEUE_FULL_RETRY_MS = 1_000;

/**
 * Owns every run of this process: starts it, executes it detached from any HTTP connection,
 * persists it in O(1) transactions (plus periodic checkpoints of the partial answer), and publishes
 * its events through the event log. Runs of one session execute one after another, in the order
 * they were sent; runs wait for a slot with their provider in a fair priority queue.
 */
export class RunEngine {
  private readonly active = new Map<string, ActiveRun>();
  /** The active-run holds of runs started here, released when they end. */
  private readonly holds = new Map<string, () => void>();
  /** New runs waiting to start, per user. */
  private readonly waiting = new Map<string, number>();
  private readonly starting = new Map<string, Promise<string>>();
  private readonly sessionOrder = new SessionOrder();
  private readonly admission: AdmissionQueue;
  private readonly background: BackgroundTasks;
  private readonly gate: ApprovalGate;
  private readonly executor: RunExecutor;
  private readonly orphans: OrphanRuns;
  private readonly remote: RemoteRuns | undefined;
  private readonly feed: SessionFeed;
  private sweeper: NodeJS.Timeout | undefined;
  private draining = false;
  /** Aborted when the server stops for good: end writes waiting for the database give up. */
  private readonly storeRetries = new AbortController();
  /** This instance's lease lapsed: it holds no runs and starts none until a heartbeat gets through. */
  private fenced = false;

  constructor(private readonly deps: RunEngineDependencies) {
    this.admission = new AdmissionQueue(deps.options.concurrency, deps.options.userShare);
    this.background = new BackgroundTasks(deps.logger);
    this.feed = new SessionFeed(deps.log, deps.logger, deps.cluster);
    this.gate = new ApprovalGate({
      db: deps.db,
      log: deps.log,
      logger: deps.logger,
      approvalTimeoutMs: deps.options.approvalTimeoutMs,
      draining: () => this.draining,
      park: (run) => this.stop(run, { kind: 'park' }),
      acquireSlot: (run) => this.acquireSlot(run),
    });
    this.orphans = new OrphanRuns({ ...deps, isHeld: (runId) => this.active.has(runId), hold: (...held) => this.hold(...held) });
    this.executor = new RunExecutor({ ...deps, gate: this.gate, background: this.background, storeRetries: this.storeRetries.signal, stop: (run, reason) => this.stop(run, reason) });
    if (deps.cluster) {
      this.remote = new RemoteRuns(deps.db, deps.cluster);
      deps.cluster.onCommand((command) => this.obey(command));
      deps.cluster.onLease({ lost: () => this.fence(), regained: () => (this.fenced = false) });
    }
  }

  /** Resolves when the work runs started after their end (titles) has finished. */
  whenIdle(): Promise<void> {
    return this.background.settled();
  }

  /**
   * Starts a run, or returns the existing run of the same user + requestId. Resolves to its id.
   * `origin`: the HTTP request and the procedure's span that start it (its logs and trace say so).
   */
  start(request: StartRequest, origin?: RequestOrigin): Promise<string> {
    if (!request.requestId) return this.startNew(request, origin);
    const key = `${request.userId}\n${request.requestId}`;
    let pending = this.starting.get(key);
    if (!pending) {
      pending = this.findOrStart(request, origin).finally(() => this.starting.delete(key));
      this.starting.set(key, pending);
    }
    return pending;
  }

  /** Waits for the user's run to end or pause for approvals; reads the store for runs this process no longer holds. */
  async outcome(userId: string, runId: string): Promise<ChatSendOutput> {
    const run = this.active.get(runId);
    if (run && run.userId === userId) return Promise.race([run.done, run.paused.promise]);
    const row = await findRun(this.deps.db, userId, runId);
    if (!row) throw notFound('run');
    if (this.remote) await this.remote.settled(row);
    return readStoredOutcome(this.deps.db, userId, runId);
  }

  /** The user's run's events after `afterId`, live until its terminal event. Unknown or foreign runs: NOT_FOUND. */
  async events(userId: string, runId: string, afterId: number, signal: AbortSignal): Promise<AsyncIterable<LoggedEvent>> {
    const run = this.active.get(runId);
    if (run && run.userId === userId) return this.deps.log.follow(runId, afterId, signal);
    const row = await findRun(this.deps.db, userId, runId);
    if (!row) throw notFound('run');
    if (await this.deps.log.has(runId)) return this.deps.log.follow(runId, afterId, signal);
    return replayStoredRun(await this.outcome(userId, runId), row, afterId);
  }

  /**
   * Follows the user's session: every run of it as it starts (here or on another instance) and its
   * events, resumable after any event's id. NOT_FOUND for an unknown or foreign session.
   */
  async followSession(userId: string, sessionId: string, lastEventId: string | null | undefined, signal: AbortSignal): Promise<AsyncIterable<FollowedEvent>> {
    if (!(await findSession(this.deps.db, userId, sessionId))) throw notFound('session');
    const { db, logger, log } = this.deps;
    const readable = async (runId: string) => this.active.has(runId) || (await log.has(runId)) || ENDED_STATUSES.has((await findRun(db, userId, runId))?.status ?? 'completed');
    const events = (runId: string, afterId: number, readerSignal: AbortSignal) => this.events(userId, runId, afterId, readerSignal);
    return followSession({ db, logger, feed: this.feed, events, readable, ...(this.deps.cluster ? { pollMs: SESSION_POLL_MS } : {}) }, userId, sessionId, lastEventId, signal);
  }

  /** Followers of sessions listening now (for tests and leak checks). */
  followerCount(): number {
    return this.feed.listenerCount();
  }

  /** Cancels the user's queued or running run and waits until it is stored; a no-op on an ended one. */
  async cancel(userId: string, runId: string, reason = 'cancelled by the user'): Promise<void> {
    const run = this.active.get(runId);
    if (run && run.userId === userId) {
      this.stop(run, { kind: 'cancel', reason });
      // Stopped at once; its end is stored as soon as the database takes it (the run stays held until then).
      if (!(await settlesWithin(run.done, this.deps.options.databaseTimeoutMs))) {
        throw new DomainError('unavailable', 'the run is stopped, but the database does not take its end yet; it is stored as soon as the database answers');
      }
      return;
    }
    const row = await findRun(this.deps.db, userId, runId);
    if (!row) throw notFound('run');
    await this.remote?.cancel(row, reason);
  }

  /**
   * Approves or denies calls the user's run waits for; when none is left pending, the run goes on.
   * Resolves once the decision is stored. NOT_FOUND for unknown or foreign runs, CONFLICT for a run
   * that is not waiting.
   */
  async decide(userId: string, runId: string, decision: ApprovalDecision): Promise<void> {
    const run = this.active.get(runId);
    const row = await findRun(this.deps.db, userId, runId);
    if (!row) throw notFound('run');
    const held = run && run.userId === userId && run.pause ? { run, pause: run.pause } : undefined;
    if (!held && !(this.remote && !run)) throw conflict(`the run is ${row.status}, not waiting for approval`);
    // Allowed for the whole session: later runs there do not ask for these tools (stored once the decision holds).
    const allowed = decision.approved && decision.always && row.sessionId ? toolsDecided(held ? held.pause.approvals : row.approvals, decision) : [];
    if (held) await this.gate.decide(held.run, held.pause, decision);
    else await this.remote!.decide(row, decision);
    if (allowed.length > 0) await allowToolsInSession(this.deps.db, userId, row.sessionId!, allowed);
  }

  /**
   * Cancels the user's run started (or to be started) with `requestId`: a stop sent before the client
   * knew the run's id. With no such run yet, stores one already cancelled under that requestId, so the
   * send that would start it answers `cancelled` instead. Idempotent; resolves to the run's id.
   */
  async cancelRequest(userId: string, requestId: string, reason = 'cancelled by the user'): Promise<string> {
    const { db, agents } = this.deps;
    const pending = this.starting.get(`${userId}\n${requestId}`);
    const started = pending ? await pending.catch(() => undefined) : (await findRunByRequest(db, userId, requestId))?.id;
    if (started) {
      await this.cancel(userId, started, reason);
      return started;
    }
    const agent = agents.get(DEFAULT_AGENT);
    try {
      return await createCancelledRun(db, { userId, requestId, agent: agent.name, model: agents.modelOf(agent), owner: this.deps.instanceId, reason });
    } catch (error) {
      // The send won the unique (user, requestId) index meanwhile: stop the run it started.
      const winner = await findRunByRequest(db, userId, requestId);
      if (!winner) throw error;
      await this.cancel(userId, winner.id, reason);
      return winner.id;
    }
  }

  /** Cancels every active run of a session (before it is deleted or cleared), here and on other instances, and waits for them. */
  async cancelSession(userId: string, sessionId: string, reason = 'the session was deleted or cleared'): Promise<void> {
    const runs = this.runsOfSession(userId, sessionId);
    for (const run of runs) this.stop(run, { kind: 'cancel', reason });
    // With several instances, the session's runs held elsewhere too (the user's own only).
    const elsewhere = this.remote ? (await this.remote.heldElsewhere(sessionId)).filter((run) => run.userId === userId) : [];
    await Promise.all([...runs.map((run) => run.done), ...elsewhere.map((run) => this.remote!.cancel(run, reason))]);
  }

  /**
   * Graceful stop: refuses new runs, lets active ones finish for up to `graceMs`, then stops the
   * rest as `interrupted` (partial answers stored) and waits until they are.
   */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    clearInterval(this.sweeper);
    // Runs waiting for approvals stay `waiting` in the store; the next start picks them up.
    for (const run of this.active.values()) if (run.pause?.stored) this.stop(run, { kind: 'park' });
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
      // Out of time: an end the database does not take is left to the next start's recovery.
      this.storeRetries.abort();
      await Promise.all(runs.map((run) => run.done));
    }
    await this.background.stop();
  }

  /** Runs executing and waiting, their users, and each provider's queue. */
  status(): { active: number; queued: number; waiting: number; users: number; queues: QueueDepth[] } {
    const queues = this.admission.depths();
    const running = queues.reduce((sum, queue) => sum + queue.running, 0);
    const waiting = [...this.active.values()].filter((run) => run.pause?.stored).length;
    const users = new Set([...this.active.values()].map((run) => run.userId));
    return { active: running, queued: this.active.size - running - waiting, waiting, users: users.size, queues };
  }

  /**
   * Takes over the unfinished runs no live instance holds (see `OrphanRuns`): at start with
   * `includeOwn` (the runs this instance held before it stopped), then, with a cluster, periodically.
   */
  adoptOrphans(includeOwn: boolean): Promise<{ interrupted: number; resumed: number }> {
    return this.orphans.adopt(includeOwn);
  }

  /** With a cluster: looks for the runs of dead instances every `intervalMs`. */
  startSweeping(intervalMs: number): void {
    if (!this.deps.cluster) return;
    this.sweeper = setInterval(() => {
      if (this.fenced) return;
      this.orphans.adopt(false).catch((error) => this.deps.logger.error({ err: error }, 'could not take over the runs of a dead instance'));
    }, intervalMs);
    this.sweeper.unref();
  }

  /**
   * The lease lapsed: the other instances are about to take this one's runs over, so it lets go of
   * them first. A streaming or queued run ends `interrupted` (stored if no one has taken it yet: the
   * write is conditional on the lease), a waiting one stays `waiting` in the store for whoever holds
   * it next (this instance again, once its heartbeat gets through).
   */
  private fence(): void {
    this.fenced = true;
    for (const run of this.active.values()) this.stop(run, run.pause?.stored ? { kind: 'park' } : { kind: 'fenced' });
  }

  /** A waiting run taken over from the store, held here from now on. */
  private hold(stored: StoredRun, lease: RunLease, parked: ParkedRun, agent: AgentDefinition, model: ChatModel, untitled: boolean): void {
    this.deps.log.open(stored.id, parked.events);
    const observation = this.deps.observer.run({ runId: stored.id, userId: stored.userId, sessionId: stored.sessionId, agent: agent.name, model: parked.model, content: stored.content ?? '', resumed: true });
    const run = this.activate({ id: stored.id, userId: stored.userId, sessionId: stored.sessionId, lease, agent, model: parked.model, priority: stored.priority, untitled, observation, branch: stored.branch });
    this.gate.restore(run, parked);
    run.done = this.schedule(run, stored.content ?? '', model, parked);
  }

  /** A command from another instance, for a run this one may hold. */
  private obey(command: ClusterCommand): void {
    if (command.op === 'run-started') return this.feed.receive(command.sessionId, command.runId);
    const run = this.active.get(command.runId);
    if (!run) return;
    if (command.op === 'cancel') return this.stop(run, { kind: 'cancel', reason: command.reason });
    if (!run.pause) return;
    const { approved, callIds, reason, always } = command.decision;
    this.gate
      .decide(run, run.pause, { approved, ...(callIds ? { callIds } : {}), ...(reason ? { reason } : {}), ...(always ? { always } : {}) })
      .catch((error) => this.deps.logger.warn({ err: error, runId: run.id }, 'could not apply a decision sent by another instance'));
  }

  /** The user's new runs held here that wait to start (their session's turn, or a provider slot). */
  private queuedRuns(userId: string): number {
    return this.waiting.get(userId) ?? 0;
  }

  /** Counts a user's runs waiting to start (a counter: scanning every held run per start was quadratic). */
  private countWaiting(userId: string, change: 1 | -1): void {
    const count = (this.waiting.get(userId) ?? 0) + change;
    if (count > 0) this.waiting.set(userId, count);
    else this.waiting.delete(userId);
  }

  private runsOfSession(userId: string, sessionId: string): ActiveRun[] {
    return [...this.active.values()].filter((run) => run.userId === userId && run.sessionId === sessionId);
  }

  private stop(run: ActiveRun, reason: StopReason): void {
    if (run.controller.signal.aborted) return;
    run.stop = reason;
    run.controller.abort(reason);
  }

  private async findOrStart(request: StartRequest, origin: RequestOrigin | undefined): Promise<string> {
    const existing = await findRunByRequest(this.deps.db, request.userId, request.requestId!);
    if (existing) return existing.id;
    try {
      return await this.startNew(request, origin);
    } catch (error) {
      // Another instance may have won the unique (user, requestId) index.
      const winner = await findRunByRequest(this.deps.db, request.userId, request.requestId!);
      if (winner) return winner.id;
      throw error;
    }
  }

  private async startNew(request: StartRequest, origin: RequestOrigin | undefined): Promise<string> {
    const { db, agents, providers } = this.deps;
    if (this.draining) throw new DomainError('unavailable', 'the server is shutting down; retry on another instance');
    if (this.fenced) throw new DomainError('unavailable', 'this instance lost contact with the other instances; retry on another instance');
    if (this.queuedRuns(request.userId) >= this.deps.options.maxQueuedRunsPerUser) {
      throw tooMany(`you have ${this.deps.options.maxQueuedRunsPerUser} runs waiting to start; send more once some have started or ended`, QUEUE_FULL_RETRY_MS);
    }
    const session = request.sessionId ? await findSession(db, request.userId, request.sessionId) : undefined;
    if (request.sessionId && !session) throw notFound('session');
    const carried = request.prior?.length || request.continued?.length || request.clientTools?.length;
    if (carried && (request.sessionId || request.newSession)) throw invalid('a conversation and tools are only carried by a stateless run');
    const named = agents.get(request.agent ?? session?.agent ?? DEFAULT_AGENT);
    const agent = request.instructions ? { ...named, instructions: `${named.instructions}\n\n${request.instructions}` } : named;
    const modelId = request.model ?? session?.model ?? agents.modelOf(agent);
    const model = providers.resolve(modelId);
    // Failover: the request's list, else the agent's; each must be available now (else BAD_REQUEST).
    const fallbacks = (request.fallbacks ?? agent.fallbacks ?? []).filter((id) => id !== modelId).map((id) => providers.resolve(id));
    // Refused here, a new run changes nothing: no record, and no run already going is touched (not even by `interrupt`).
    const release = await this.admit(request.userId);
    let created: Awaited<ReturnType<typeof createRun>>;
    const priority = request.priority ?? DEFAULT_PRIORITY;
    const runId = newId();
    /** Taken when the run can begin as it is created: its session's turn (an existing session) and a provider slot. */
    let turn: SessionTurn | undefined;
    let slot: (() => void) | undefined;
    try {
      // With several instances, the session may be busy on another one.
      const elsewhere = session && this.remote ? await this.remote.heldElsewhere(session.id) : [];
      if (session && (this.sessionOrder.busy(session.id) || elsewhere.length > 0)) {
        if (session.busyPolicy === 'reject') throw conflict('the session already has an active run');
        if (session.busyPolicy === 'interrupt') {
          const reason = 'interrupted by a newer message';
          for (const run of this.runsOfSession(request.userId, session.id)) this.stop(run, { kind: 'cancel', reason });
          await this.remote?.interrupt(elsewhere, reason);
        }
      }
      // Nothing before it (no earlier run of its session, another instance's included, and a free
      // slot with no run waiting for one): it is stored begun as it is created, one transaction
      // instead of two before the provider is asked. Both are taken now, before the store is, so
      // that a run sent meanwhile waits behind this one.
      const turnFree = !session || (!this.remote && !this.sessionOrder.busy(session.id));
      if (turnFree) slot = this.admission.tryAcquire({ runId, userId: request.userId, provider: modelId.slice(0, modelId.indexOf('/')) });
      if (slot && session) turn = this.takeTurn(session.id, runId);
      created = await createRun(db, {
        userId: request.userId,
        sessionId: session?.id ?? null,
        newSession: request.newSession,
        requestId: request.requestId ?? null,
        content: request.content,
        agent: agent.name,
        requestedModel: request.model ?? null,
        model: modelId,
        priority,
        owner: this.deps.instanceId,
        ...(request.branch ? { branch: request.branch } : {}),
      }, Date.now(), { id: runId, begin: Boolean(slot) });
    } catch (error) {
      slot?.();
      turn?.leave();
      release();
      throw error;
    }
    const { sessionId, lease } = created;
    // A session it created is new to everyone: its turn is free.
    if (slot && sessionId && !turn) turn = this.takeTurn(sessionId, runId);
    this.holds.set(runId, release);

    this.deps.log.open(runId);
    const givenTitle = request.newSession && request.newSession !== true ? request.newSession.title : undefined;
    const untitled = session ? session.title === null : Boolean(request.newSession) && !givenTitle;
    const observation = this.deps.observer.run({ runId, userId: request.userId, sessionId, agent: agent.name, model: modelId, content: request.content, resumed: false, origin });
    const run = this.activate({ id: runId, userId: request.userId, sessionId, lease, agent, model: modelId, priority, untitled, sessionCreated: Boolean(request.newSession), branch: request.branch ?? null, observation, ...(carried ? { carried: { prior: request.prior ?? [], continued: request.continued ?? [], clientTools: request.clientTools ?? [] } } : {}) });
    if (fallbacks.length > 0) run.fallbacks = fallbacks;
    if (created.context) {
      run.begun = created.context;
      run.release = slot;
    }
    this.deps.log.append(runId, { type: 'run-start', runId, sessionId, sessionCreated: Boolean(request.newSession), agent: agent.name, model: modelId });
    run.done = this.schedule(run, request.content, model);
    if (sessionId) this.feed.announce(sessionId, runId);
    return runId;
  }

  /** The session's turn, taken now by a run that is first in its line (see startNew). */
  private takeTurn(sessionId: string, runId: string): SessionTurn {
    void this.sessionOrder.enter(sessionId, runId, NEVER_ABORTED, () => {});
    return { leave: () => this.sessionOrder.leave(sessionId, runId) };
  }

  /** Holds one of the user's active runs, then counts a run started (a run refused by the rate keeps no hold). */
  private async admit(userId: string): Promise<() => void> {
    const limiter = this.deps.limiter;
    if (!limiter) return () => {};
    const release = await limiter.holdActiveRun(userId);
    try {
      await limiter.countRunStart(userId);
    } catch (error) {
      release();
      throw error;
    }
    return release;
  }

  /** A run held by this process from now on. */
  private activate(fields: Pick<ActiveRun, 'id' | 'userId' | 'sessionId' | 'lease' | 'agent' | 'model' | 'priority' | 'untitled' | 'sessionCreated' | 'observation' | 'carried' | 'branch'>): ActiveRun {
    const run: ActiveRun = {
      ...fields,
      controller: new AbortController(),
      done: undefined!,
      paused: deferred(),
      emit: (event) => this.deps.log.append(run.id, event),
      writes: Promise.resolve(),
      allowedTools: new Set(),
    };
    this.active.set(run.id, run);
    return run;
  }

  /** The run waits at `position` (1 = next): its event, and its observers. */
  private queued(run: ActiveRun, position: number): void {
    run.emit({ type: 'run-queued', position });
    run.observation.queued(position);
  }

  /** Waits for a slot with the run's provider, reporting its position (1 = next). */
  private async acquireSlot(run: ActiveRun): Promise<void> {
    const provider = run.model.slice(0, run.model.indexOf('/'));
    const slot = { runId: run.id, userId: run.userId, provider, priority: run.priority, signal: run.controller.signal };
    run.release = await this.admission.acquire(slot, (position) => this.queued(run, position));
  }

  /**
   * Waits for the session's earlier runs, then for a provider slot (reporting positions), then
   * executes; a run resumed from a pause gets its slot once its calls are decided. Never rejects.
   */
  private async schedule(run: ActiveRun, content: string, model: ChatModel, resume?: ParkedRun): Promise<ChatSendOutput> {
    const queued = (position: number) => this.queued(run, position);
    // A run stored begun as it was created holds its session's turn and its slot already.
    const begun = Boolean(run.begun);
    let waiting = !resume && !begun;
    if (waiting) this.countWaiting(run.userId, 1);
    const started = () => {
      if (waiting) this.countWaiting(run.userId, -1);
      waiting = false;
    };
    try {
      if (run.sessionId && !begun) {
        await this.sessionOrder.enter(run.sessionId, run.id, run.controller.signal, queued);
        if (this.remote && !resume) await this.remote.untilTurnInSession(run.id, run.sessionId, run.controller.signal, queued);
      }
      if (!resume && !begun) await this.acquireSlot(run).catch(() => undefined);
      started();
      return await this.executor.execute(run, content, model, resume);
    } finally {
      started();
      run.release?.();
      this.holds.get(run.id)?.();
      this.holds.delete(run.id);
      if (run.sessionId) this.sessionOrder.leave(run.sessionId, run.id);
      this.active.delete(run.id);
    }
  }
}

/** A run's place at the front of its session's line. */
interface SessionTurn {
  leave(): void;
}

/** The signal of a turn taken at once (it never waits, so nothing aborts it). */
const NEVER_ABORTED = new AbortController().signal;

/** Whether `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

import {
  createThreadlineClient,
  initialAnswerState,
  isTerminalEvent,
  reduceAnswer,
  streamChat,
  type AnswerState,
  type StreamChatInput,
  type StreamEvent,
  type ThreadlineClient,
} from '@threadline/client';
import { TRPCClientError } from '@trpc/client';
import { sendDecision } from '../approvals.js';
import { ApprovalScript } from './approvals.js';
import { startCutProxy, type CutProxy } from './cut-proxy.js';
import { compareWithLog, readRunLog } from './resume-check.js';
import type { Turn, TurnStatus } from './scenario-schema.js';

/** What one turn did, for the expectations and the latency table. */
export interface TurnOutcome {
  /** Which turn this was, e.g. `repetition 3, turn 2`; empty for a step's only turn. */
  label: string;
  events: StreamEvent[];
  /** The answer as the events built it (reduceAnswer): its text, tool calls, approvals, finish reason. */
  answer: AnswerState;
  /** How it ended; null when the stream broke off without a terminal event. */
  status: TurnStatus | null;
  /** The run-error code, or the tRPC code of a refused request. */
  errorCode: string | null;
  errorMessage: string | null;
  /** From sending to the first text or reasoning delta, ms; null when none arrived. */
  firstTokenMs: number | null;
  /** From sending to the terminal event (or the refusal), ms. */
  totalMs: number;
  /**
   * Failures of the turn's own machinery: a timeout, a cancel that failed, a resume with a gap, a
   * call that waited for approval without a decision in the turn.
   */
  problems: string[];
}

/** What turns of one scenario share. */
export interface TurnContext {
  client: ThreadlineClient;
  url: string;
  token: string;
  scenarioName: string;
  timeoutMs: number;
  /** The id of a named session, created on first use. */
  sessionId(name: string): Promise<string>;
}

/**
 * Sends one turn with streamChat and reads its events to the end, cancelling or cutting the
 * connection on the way when the turn asks, and answering tool calls that wait for approval as its
 * `approvals` say (ApprovalScript). `onStarted` is called at the first event (the server
 * has accepted the run) or when the turn ends without one.
 */
export async function runTurn(context: TurnContext, turn: Turn, label: string, onStarted: () => void = () => {}): Promise<TurnOutcome> {
  const outcome: TurnOutcome = { label, events: [], answer: initialAnswerState, status: null, errorCode: null, errorMessage: null, firstTokenMs: null, totalMs: 0, problems: [] };
  const timeout = AbortSignal.timeout(context.timeoutMs);
  let proxy: CutProxy | undefined;
  const approvals = new ApprovalScript(turn.approvals);
  try {
    const input = await chatInput(context, turn);
    proxy = turn.dropAfterEvents ? await startCutProxy(context.url) : undefined;
    const client = proxy ? createThreadlineClient({ url: proxy.url, token: context.token }) : context.client;
    const started = performance.now();
    let cancelling: Promise<unknown> | undefined;
    let connectionsAtCut: number | undefined;
    try {
      const stream = streamChat(client, input, { signal: timeout, reconnectDelayMs: 50 });
      for await (const event of stream) {
        outcome.events.push(event);
        outcome.answer = reduceAnswer(outcome.answer, event);
        const { runId } = outcome.answer;
        const count = outcome.events.length;
        if (count === 1) onStarted();
        if (outcome.firstTokenMs === null && (event.type === 'text-delta' || event.type === 'reasoning-delta')) {
          outcome.firstTokenMs = performance.now() - started;
        }
        if (event.type === 'tool-approval' && runId && !cancelling) {
          const { answer, problem } = approvals.next(event);
          if (problem) outcome.problems.push(problem);
          await sendDecision(context.client, runId, event.callId, answer).catch((error: unknown) =>
            outcome.problems.push(`${answer.approved ? 'runs.approve' : 'runs.deny'} failed: ${messageOf(error)}`),
          );
        }
        if (isTerminalEvent(event)) outcome.totalMs = performance.now() - started;
        else if (count === turn.cancelAfterEvents && runId) {
          cancelling = context.client.runs.cancel
            .mutate({ runId })
            .catch((error: unknown) => outcome.problems.push(`runs.cancel failed: ${messageOf(error)}`));
        } else if (count === turn.dropAfterEvents && proxy) {
          connectionsAtCut = proxy.connections();
          proxy.cutAll();
        }
      }
      const result = await stream.result;
      outcome.status = result.status;
      outcome.errorCode = result.error?.code ?? null;
      outcome.errorMessage = result.error?.message ?? null;
    } catch (error) {
      outcome.totalMs = performance.now() - started;
      recordFailure(outcome, error, timeout, context.timeoutMs);
    }
    await cancelling;
    checkActionsRan(outcome, turn, cancelling !== undefined, connectionsAtCut);
    const unused = outcome.status === 'completed' ? approvals.unused() : undefined;
    if (unused) outcome.problems.push(unused);
    const { runId } = outcome.answer;
    if (proxy && connectionsAtCut !== undefined && runId && outcome.status !== null) {
      if (proxy.connections() <= connectionsAtCut) {
        outcome.problems.push(
          `the whole answer had arrived before the cut after ${turn.dropAfterEvents} events, so nothing was resumed; slow it down (/slow MS)`,
        );
      }
      outcome.problems.push(...compareWithLog(outcome.events, await readRunLog(context.client, runId, timeout)));
    }
  } catch (error) {
    // Setting up (a named session, the proxy) or reading the run log for the resume check failed.
    outcome.problems.push(messageOf(error));
  } finally {
    onStarted();
    await proxy?.close();
    const { runId } = outcome.answer;
    if (outcome.status === null && runId) await context.client.runs.cancel.mutate({ runId }).catch(() => {});
  }
  return outcome;
}

/** chat.stream input for a turn: a fresh session, a named one, or none (stateless). */
async function chatInput(context: TurnContext, turn: Turn): Promise<StreamChatInput> {
  const base = { content: turn.send, ...(turn.model ? { model: turn.model } : {}), ...(turn.agent ? { agent: turn.agent } : {}) };
  const session = turn.session ?? 'new';
  if (session === 'none') return base;
  if (session === 'new') return { ...base, newSession: { title: context.scenarioName.slice(0, 200) } };
  return { ...base, sessionId: await context.sessionId(session) };
}

function recordFailure(outcome: TurnOutcome, error: unknown, timeout: AbortSignal, timeoutMs: number): void {
  const code = error instanceof TRPCClientError ? (error.data as { code?: string } | undefined)?.code : undefined;
  if (timeout.aborted) {
    outcome.problems.push(`no terminal event within ${timeoutMs} ms (timeoutMs)`);
  } else if (code && outcome.events.length === 0) {
    outcome.status = 'rejected';
    outcome.errorCode = code;
    outcome.errorMessage = messageOf(error);
  } else {
    outcome.problems.push(`the stream failed: ${messageOf(error)}`);
  }
}

/** A cancel or cut that never happened because the run ended first is a failure of the step. */
function checkActionsRan(outcome: TurnOutcome, turn: Turn, cancelled: boolean, connectionsAtCut: number | undefined): void {
  if (outcome.status === null || outcome.status === 'rejected') return;
  const count = outcome.events.length;
  if (turn.cancelAfterEvents && !cancelled) {
    outcome.problems.push(`the run ended after ${count} events, before cancelAfterEvents: ${turn.cancelAfterEvents}`);
  }
  if (turn.dropAfterEvents && connectionsAtCut === undefined) {
    outcome.problems.push(`the run ended after ${count} events, before dropAfterEvents: ${turn.dropAfterEvents}`);
  }
}

/** An error's message, on one line. */
export function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}

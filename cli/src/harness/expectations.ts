import type { StreamEvent } from '@threadline/client';
import type { TurnOutcome } from './run-turn.js';
import { toRegExp, type Turn, type TurnStatus } from './scenario-schema.js';

const list = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/**
 * Checks a turn's outcome against its expectations and returns one reason per unmet one (empty
 * when all hold). Without `expect.status` the turn must complete, or be cancelled when it has
 * `cancelAfterEvents`; with only `expect.errorCode` the status is not checked.
 */
export function checkExpectations(turn: Turn, outcome: TurnOutcome): string[] {
  const expect = turn.expect ?? {};
  const failures = [...outcome.problems];
  const { events, answer } = outcome;
  const { text } = answer;

  const expectedStatus: TurnStatus | undefined = expect.status ?? (expect.errorCode ? undefined : turn.cancelAfterEvents ? 'cancelled' : 'completed');
  if (expectedStatus && outcome.status !== expectedStatus) {
    const error = outcome.errorCode ? ` (${outcome.errorCode}: ${outcome.errorMessage})` : '';
    failures.push(`status is ${outcome.status ?? 'unknown (no terminal event)'}${error}, expected ${expectedStatus}`);
  }
  if (expect.errorCode && outcome.errorCode !== expect.errorCode) {
    failures.push(`error code is ${outcome.errorCode ?? 'none'}, expected ${expect.errorCode}`);
  }
  for (const needle of list(expect.contains)) {
    if (!text.includes(needle)) failures.push(`text does not contain ${JSON.stringify(needle)}; text: ${preview(text)}`);
  }
  for (const needle of list(expect.notContains)) {
    if (text.includes(needle)) failures.push(`text contains ${JSON.stringify(needle)}; text: ${preview(text)}`);
  }
  for (const source of list(expect.matches)) {
    const pattern = toRegExp(source);
    if (!pattern.test(text)) failures.push(`text does not match ${pattern}; text: ${preview(text)}`);
  }
  const toolNames = answer.toolCalls.map((call) => call.name);
  for (const name of list(expect.toolCalled)) {
    if (!toolNames.includes(name)) failures.push(`no tool-call of ${JSON.stringify(name)} (tool calls: ${toolNames.join(', ') || 'none'})`);
  }
  const askedNames = answer.toolCalls.flatMap((call) => (call.approval ? [call.name] : []));
  for (const name of list(expect.approvalAsked)) {
    if (!askedNames.includes(name)) failures.push(`no tool-approval of ${JSON.stringify(name)} (approvals asked: ${askedNames.join(', ') || 'none'})`);
  }
  if (expect.finishReason && answer.finishReason !== expect.finishReason) {
    failures.push(`finish reason is ${answer.finishReason ?? 'absent (no run-finish)'}, expected ${expect.finishReason}`);
  }
  for (const type of expect.events ?? []) {
    if (!events.some((event) => event.type === type)) failures.push(`no ${type} event (events: ${summarizeEvents(events)})`);
  }
  if (expect.queued !== undefined) {
    const queued = events.find((event) => event.type === 'run-queued');
    if (expect.queued && !queued) failures.push('the run was not queued (no run-queued event)');
    if (!expect.queued && queued) failures.push(`the run was queued (run-queued at position ${queued.position}), expected it not to be`);
  }
  return failures;
}

/** `run-start, text-delta ×12, message-end, run-finish`. */
export function summarizeEvents(events: StreamEvent[]): string {
  const runs: { type: string; count: number }[] = [];
  for (const event of events) {
    const last = runs.at(-1);
    if (last?.type === event.type) last.count++;
    else runs.push({ type: event.type, count: 1 });
  }
  return runs.map(({ type, count }) => (count > 1 ? `${type} ×${count}` : type)).join(', ') || 'none';
}

function preview(text: string): string {
  if (text === '') return '(empty)';
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}

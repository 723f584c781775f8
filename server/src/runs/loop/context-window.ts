import type { AgentContextPolicy } from '../../agents/context-policy.js';
import type { ModelMessage, ModelTool } from '../../providers/types.js';

/** Tokens counted for each message's framing (role, separators), on top of its characters. */
const MESSAGE_OVERHEAD_TOKENS = 4;

/** A rough token count of a text: characters / 4, rounded up. */
export function estimateTokens(text: string): number {
  return Math.ceil(estimateCharacters(text) / 4);
}

/**
 * Characters as the estimate counts them: each character outside ASCII counts as four (a
 * tokenizer makes about one token of each CJK character, and of most accented letters with their
 * neighbours), so text in other scripts is not undercounted fourfold.
 */
function estimateCharacters(text: string): number {
  let characters = text.length;
  for (let index = 0; index < text.length; index++) if (text.charCodeAt(index) > 0x7f) characters += 3;
  return characters;
}

/** The estimated tokens of one model message: its text, reasoning, tool inputs or output, and framing. */
export function estimateMessageTokens(message: ModelMessage): number {
  let characters = 0;
  if (message.role === 'tool') characters += jsonLength(message.output);
  else {
    characters += estimateCharacters(message.content);
    if (message.role === 'assistant') {
      characters += estimateCharacters(message.reasoning ?? '');
      for (const call of message.toolCalls ?? []) characters += call.name.length + call.callId.length + jsonLength(call.input ?? {});
    }
  }
  return Math.ceil(characters / 4) + MESSAGE_OVERHEAD_TOKENS;
}

/** What a request carries besides its messages. */
export interface RequestFrame {
  system?: string;
  tools?: ModelTool[];
  /** Estimated tokens kept free besides (room for a summary of what is left out). */
  reservedTokens?: number;
}

/** What fits a request and what does not. */
export interface FittedContext {
  /** The messages the request carries. */
  kept: ModelMessage[];
  /** The older messages left out, oldest first (whole units). */
  dropped: ModelMessage[];
}

/** The estimated tokens of a request: its frame (system prompt, tools) and its messages. */
export function estimateRequestTokens(messages: ModelMessage[], frame: RequestFrame = {}): number {
  return frameTokens(frame) + sum(messages.map(estimateMessageTokens));
}

/**
 * The messages one request carries under `policy` (all of them when it sets no limit). Works on
 * units that are never split: a user message, an assistant turn with its tool results, or a plain
 * assistant turn. The current turn (from the newest user message on) is always kept, even when it
 * alone passes the limits; older units are added newest first until one does not fit, and the
 * window then starts at a user message (providers expect the conversation to open with one).
 */
export function applyContextPolicy(messages: ModelMessage[], policy: AgentContextPolicy | undefined, frame: RequestFrame = {}): ModelMessage[] {
  return fitContext(messages, policy, frame).kept;
}

/** As applyContextPolicy, and also the messages left out. */
export function fitContext(messages: ModelMessage[], policy: AgentContextPolicy | undefined, frame: RequestFrame = {}): FittedContext {
  if (!policy || (policy.lastMessages === undefined && policy.maxTokens === undefined)) return { kept: messages, dropped: [] };
  const currentStart = messages.findLastIndex((message) => message.role === 'user');
  if (currentStart <= 0) return { kept: messages, dropped: [] };

  const current = messages.slice(currentStart);
  let tokens = frameTokens(frame) + sum(current.map(estimateMessageTokens));
  let conversationMessages = countConversationMessages(current);
  const tokenLimit = policy.maxTokens ?? Infinity;
  const messageLimit = policy.lastMessages ?? Infinity;

  const older = toUnits(messages.slice(0, currentStart));
  let keptFrom = older.length;
  // Whether the unit kept just after (newer than) the one considered belongs to an assistant answer.
  let newerIsAnswer = false;
  for (let index = older.length - 1; index >= 0; index--) {
    const unit = older[index]!;
    const isUser = unit[0]!.role === 'user';
    const unitTokens = sum(unit.map(estimateMessageTokens));
    // An assistant unit right before more of the same answer adds no conversation message.
    const unitMessages = isUser || !newerIsAnswer ? 1 : 0;
    if (tokens + unitTokens > tokenLimit || conversationMessages + unitMessages > messageLimit) break;
    tokens += unitTokens;
    conversationMessages += unitMessages;
    keptFrom = index;
    newerIsAnswer = !isUser;
  }
  // Open the window at a user message: drop a leading partial answer.
  while (keptFrom < older.length && older[keptFrom]![0]!.role !== 'user') keptFrom++;
  return { kept: [...older.slice(keptFrom).flat(), ...current], dropped: older.slice(0, keptFrom).flat() };
}

/** Splits messages into units: a user message; an assistant turn and the tool results after it. */
function toUnits(messages: ModelMessage[]): ModelMessage[][] {
  const units: ModelMessage[][] = [];
  for (const message of messages) {
    const last = units.at(-1);
    // A tool result belongs to the assistant turn that called it (or, orphaned, to what precedes it).
    if (message.role === 'tool' && last) last.push(message);
    else units.push([message]);
  }
  return units;
}

/** User messages count one each; a run of assistant and tool messages is one answer. */
function countConversationMessages(messages: ModelMessage[]): number {
  let count = 0;
  let previous: ModelMessage['role'] | undefined;
  for (const message of messages) {
    if (message.role === 'user' || previous === undefined || previous === 'user') count++;
    previous = message.role;
  }
  return count;
}

function frameTokens(frame: RequestFrame): number {
  let tokens = (frame.system ? estimateTokens(frame.system) + MESSAGE_OVERHEAD_TOKENS : 0) + (frame.reservedTokens ?? 0);
  for (const tool of frame.tools ?? []) tokens += estimateTokens(tool.name + tool.description + JSON.stringify(tool.inputSchema));
  return tokens;
}

function jsonLength(value: unknown): number {
  return typeof value === 'string' ? value.length : (JSON.stringify(value) ?? 'null').length;
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

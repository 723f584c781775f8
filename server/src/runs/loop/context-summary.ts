import { createHash } from 'node:crypto';
import type { ChatModel, ModelMessage } from '../../providers/types.js';
import { collectText } from './collect-text.js';
import { estimateTokens } from './context-window.js';

/** Room kept in the system prompt for a summary, estimated tokens. */
export const SUMMARY_TOKENS = 600;
/** Most of the left-out conversation one summary request carries, characters (its newest part). */
const MAX_TRANSCRIPT_CHARACTERS = 24_000;
const SUMMARY_TIMEOUT_MS = 30_000;
/** The summary request's own framing (its messages and the transcript's lead-in), estimated tokens. */
const REQUEST_FRAME_TOKENS = 40;
const CACHE_SIZE = 200;

const SUMMARY_INSTRUCTIONS =
  'You condense the beginning of a conversation that no longer fits the model\'s context window. Write a summary of at most 300 words: ' +
  'facts, names, numbers, decisions, what was asked and answered, what is still open. Plain text, no preamble.';

/** The heading the summary goes under in the system prompt. */
export const SUMMARY_HEADING = 'Summary of the earlier conversation (older messages were left out to fit the context window):';

/**
 * Summaries of left-out conversation, written by the run's model, kept in memory by what they
 * summarise: the steps of a run, and runs that leave out the same messages, ask once.
 */
export class ContextSummaries {
  private readonly cache = new Map<string, Promise<string | undefined>>();

  /**
   * A summary of `dropped`, or undefined when the model gives none (an error, a timeout, nothing
   * usable). Never throws. The request carries the newest part of them that fits `maxTokens` (estimated).
   */
  summarize(model: ChatModel, dropped: ModelMessage[], maxTokens: number, signal: AbortSignal): Promise<string | undefined> {
    const room = (maxTokens - estimateTokens(SUMMARY_INSTRUCTIONS) - REQUEST_FRAME_TOKENS) * 4;
    const transcript = transcriptOf(dropped, Math.max(1_000, Math.min(MAX_TRANSCRIPT_CHARACTERS, room)));
    const key = createHash('sha256').update(model.id).update('\n').update(transcript).digest('base64url');
    let summary = this.cache.get(key);
    if (!summary) {
      summary = this.request(model, transcript, signal);
      this.cache.set(key, summary);
      // A failure is not kept: the next step asks again.
      void summary.then((text) => text === undefined && this.cache.delete(key));
      if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    }
    return summary;
  }

  private async request(model: ChatModel, transcript: string, signal: AbortSignal): Promise<string | undefined> {
    try {
      const reply = await collectText(model, {
        system: SUMMARY_INSTRUCTIONS,
        messages: [{ role: 'user', content: `The conversation so far:\n\n${transcript}\n\nSummary:` }],
        maxOutputTokens: SUMMARY_TOKENS,
        signal: AbortSignal.any([signal, AbortSignal.timeout(SUMMARY_TIMEOUT_MS)]),
      });
      const text = reply.trim();
      if (!text) return undefined;
      // Kept within its room in the system prompt.
      return estimateTokens(text) > SUMMARY_TOKENS ? text.slice(0, SUMMARY_TOKENS * 4) : text;
    } catch {
      return undefined;
    }
  }
}

/** The left-out messages as a plain transcript, its newest `maxCharacters` when it is longer (characters outside ASCII count four). */
function transcriptOf(messages: ModelMessage[], maxCharacters: number): string {
  const lines = messages.map((message) => {
    switch (message.role) {
      case 'user':
        return `User: ${message.content}`;
      case 'assistant': {
        const calls = (message.toolCalls ?? []).map((call) => ` [called ${call.name} ${JSON.stringify(call.input)}]`).join('');
        return `Assistant: ${message.content}${calls}`;
      }
      case 'tool':
        return `Tool ${message.name} returned: ${typeof message.output === 'string' ? message.output : JSON.stringify(message.output)}`;
    }
  });
  const text = lines.join('\n');
  if (estimateTokens(text) * 4 <= maxCharacters) return text;
  let start = Math.max(0, text.length - maxCharacters);
  while (estimateTokens(text.slice(start)) * 4 > maxCharacters) start += Math.ceil((text.length - start) / 10);
  return `…${text.slice(start)}`;
}

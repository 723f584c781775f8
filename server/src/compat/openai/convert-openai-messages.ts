import type { ModelMessage, ModelToolCall } from '../../providers/types.js';
import { HttpError } from '../http-io.js';
import type { OpenAIMessage } from './openai-api.js';

/** A Chat Completions conversation as a Threadline run takes it. */
export interface ConvertedConversation {
  /** The last message, the user's: the run's message. */
  content: string;
  /** Everything before it (system messages aside), for a stateless run. */
  prior: ModelMessage[];
  /** Everything after it: the answer's calls of the client's tools and the client's results. */
  continued: ModelMessage[];
  /** The system and developer messages, joined: added to the agent's instructions. */
  instructions: string | undefined;
}

function textOf(content: OpenAIMessage['content'] | undefined, index: number): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content
    .map((part, partIndex) => {
      if (part.type !== 'text' || part.text === undefined) {
        throw new HttpError(400, 'invalid', `messages.${index}.content.${partIndex}: only text parts are supported, not ${part.type}`, undefined, `messages.${index}.content`);
      }
      return part.text;
    })
    .join('');
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * OpenAI messages → the run's message (the last user message), the conversation before and after
 * it, and extra instructions. The last message is the user's, or a result of one of the client's
 * tools (the answer goes on from there).
 */
export function convertOpenAIMessages(messages: OpenAIMessage[]): ConvertedConversation {
  const last = messages.at(-1)!;
  if (last.role !== 'user' && last.role !== 'tool') {
    throw new HttpError(400, 'invalid', `the last message must be the user's or a tool result, not ${last.role}`, undefined, 'messages');
  }
  const userIndex = messages.findLastIndex((message) => message.role === 'user');
  if (userIndex < 0) throw new HttpError(400, 'invalid', 'there is no user message', undefined, 'messages');
  const instructions: string[] = [];
  const prior: ModelMessage[] = [];
  const continued: ModelMessage[] = [];
  /** Tool names by call id, for the tool messages that answer them. */
  const callNames = new Map<string, string>();
  for (const [index, message] of messages.entries()) {
    if (index === userIndex) continue;
    const turns = index < userIndex ? prior : continued;
    switch (message.role) {
      case 'system':
      case 'developer':
        instructions.push(textOf(message.content, index));
        break;
      case 'user':
        turns.push({ role: 'user', content: textOf(message.content, index) });
        break;
      case 'assistant': {
        const toolCalls: ModelToolCall[] = (message.tool_calls ?? []).map((call) => {
          callNames.set(call.id, call.function.name);
          return { callId: call.id, name: call.function.name, input: parseArguments(call.function.arguments) };
        });
        turns.push({ role: 'assistant', content: textOf(message.content, index), ...(toolCalls.length ? { toolCalls } : {}) });
        break;
      }
      case 'tool':
        turns.push({ role: 'tool', callId: message.tool_call_id, name: callNames.get(message.tool_call_id) ?? 'tool', output: textOf(message.content, index), isError: false });
        break;
      default:
        message satisfies never;
    }
  }
  const system = instructions.filter(Boolean).join('\n\n');
  return { content: textOf(messages[userIndex]!.content, userIndex), prior, continued, instructions: system || undefined };
}

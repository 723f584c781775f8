import type { ModelMessage, ModelToolCall } from '../../providers/types.js';
import { HttpError } from '../http-io.js';
import type { OpenAIMessage } from './openai-api.js';

/** A Chat Completions conversation as a Threadline run takes it. */
export interface ConvertedConversation {
  /** The last message, the user's: the run's message. */
  content: string;
  /** Everything before it (system messages aside), for a stateless run. */
  prior: ModelMessage[];
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
 * OpenAI messages → the run's message, the conversation before it and extra instructions. The last
 * message must be the user's (a client's own tool results are not taken: its tools are refused).
 */
export function convertOpenAIMessages(messages: OpenAIMessage[]): ConvertedConversation {
  const last = messages.at(-1)!;
  if (last.role !== 'user') {
    throw new HttpError(400, 'invalid', `the last message must be the user's, not ${last.role}`, undefined, 'messages');
  }
  const instructions: string[] = [];
  const prior: ModelMessage[] = [];
  /** Tool names by call id, for the tool messages that answer them. */
  const callNames = new Map<string, string>();
  for (const [index, message] of messages.slice(0, -1).entries()) {
    switch (message.role) {
      case 'system':
      case 'developer':
        instructions.push(textOf(message.content, index));
        break;
      case 'user':
        prior.push({ role: 'user', content: textOf(message.content, index) });
        break;
      case 'assistant': {
        const toolCalls: ModelToolCall[] = (message.tool_calls ?? []).map((call) => {
          callNames.set(call.id, call.function.name);
          return { callId: call.id, name: call.function.name, input: parseArguments(call.function.arguments) };
        });
        prior.push({ role: 'assistant', content: textOf(message.content, index), ...(toolCalls.length ? { toolCalls } : {}) });
        break;
      }
      case 'tool':
        prior.push({ role: 'tool', callId: message.tool_call_id, name: callNames.get(message.tool_call_id) ?? 'tool', output: textOf(message.content, index), isError: false });
        break;
      default:
        message satisfies never;
    }
  }
  const system = instructions.filter(Boolean).join('\n\n');
  return { content: textOf(last.content, messages.length - 1), prior, instructions: system || undefined };
}

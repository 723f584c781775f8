import type { Message, MessagePart } from '@threadline/shared';
import type { ModelMessage, ModelToolCall } from '../../providers/types.js';

/**
 * Stored messages → the provider-neutral conversation. An assistant message holds its whole run in
 * order (reasoning, tool calls, tool results, text), so it unfolds into assistant turns with their
 * tool calls, each followed by the tool results, then the final text.
 */
export function toModelMessages(messages: Message[]): ModelMessage[] {
  const result: ModelMessage[] = [];
  for (const message of messages) {
    if (message.role === 'user') result.push({ role: 'user', content: message.content });
    else if (message.role === 'assistant') result.push(...unfoldAssistant(message.parts, message.content));
  }
  return result;
}

function unfoldAssistant(parts: MessagePart[], content: string): ModelMessage[] {
  if (parts.length === 0) return content ? [{ role: 'assistant', content }] : [];
  const result: ModelMessage[] = [];
  let text = '';
  let reasoning = '';
  let signature: string | undefined;
  let toolCalls: ModelToolCall[] = [];
  const flush = () => {
    if (text || toolCalls.length > 0) {
      result.push({
        role: 'assistant',
        content: text,
        ...(reasoning ? { reasoning } : {}),
        ...(reasoning && signature ? { reasoningSignature: signature } : {}),
        ...(toolCalls.length > 0 ? { toolCalls } : {}),
      });
    }
    text = '';
    reasoning = '';
    signature = undefined;
    toolCalls = [];
  };
  for (const part of parts) {
    switch (part.type) {
      case 'text':
        text += part.text;
        break;
      case 'reasoning':
        reasoning += part.text;
        signature = part.signature ?? signature;
        break;
      case 'tool-call':
        toolCalls.push({ callId: part.callId, name: part.name, input: part.input });
        break;
      case 'tool-result':
        flush();
        result.push({ role: 'tool', callId: part.callId, name: part.name, output: part.output, isError: part.isError });
        break;
    }
  }
  flush();
  return withEveryResult(result);
}

/** What the model sees for a call whose run ended before it ran (cancelled while waiting for approval, say). */
const NO_RESULT = 'no result: the run ended before this call ran';

/**
 * Every provider wants each tool call answered before the conversation goes on: calls that have
 * no result (the run stopped first) get an error result after the results they do have.
 */
function withEveryResult(messages: ModelMessage[]): ModelMessage[] {
  const answered = new Set(messages.flatMap((message) => (message.role === 'tool' ? [message.callId] : [])));
  const result: ModelMessage[] = [];
  let missing: ModelToolCall[] = [];
  const answerMissing = () => {
    for (const call of missing) result.push({ role: 'tool', callId: call.callId, name: call.name, output: NO_RESULT, isError: true });
    missing = [];
  };
  for (const message of messages) {
    if (message.role !== 'tool') answerMissing();
    result.push(message);
    if (message.role === 'assistant') missing = (message.toolCalls ?? []).filter((call) => !answered.has(call.callId));
  }
  answerMissing();
  return result;
}

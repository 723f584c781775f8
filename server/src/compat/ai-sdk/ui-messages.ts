import type { UIMessage } from 'ai';
import { z } from 'zod';
import type { Message } from '@threadline/shared';
import { HttpError } from '../http-io.js';
import { approvalIdOf, type ThreadlineDataParts, type ThreadlineMessageMetadata } from './ui-message-chunks.js';

/** A UI message as Threadline stores and sends it back. */
export type ThreadlineUIMessage = UIMessage<ThreadlineMessageMetadata, ThreadlineDataParts>;

const UIPart = z.looseObject({ type: z.string() });

/** The request body `DefaultChatTransport` sends (plus the body fields a page adds: agent, model, onDisconnect). */
export const ChatRequestBody = z.looseObject({
  id: z.string(),
  messages: z.array(z.looseObject({ id: z.string(), role: z.enum(['system', 'user', 'assistant']), parts: z.array(UIPart) })).min(1),
  trigger: z.enum(['submit-message', 'regenerate-message']),
  messageId: z.string().nullish(),
  /** Answer with this agent (default: the session's). */
  agent: z.string().optional(),
  /** Answer with this `provider/model` (default: the session's, else the agent's). */
  model: z.string().optional(),
  /** What the client leaving does: `cancel` (default: unless it comes back within the grace, see disconnects.ts) or `continue`. */
  onDisconnect: z.enum(['cancel', 'continue']).optional(),
});
export type ChatRequestBody = z.infer<typeof ChatRequestBody>;
type RequestMessage = ChatRequestBody['messages'][number];

const ApprovalResponse = z.looseObject({
  state: z.literal('approval-responded'),
  approval: z.looseObject({ id: z.string(), approved: z.boolean(), reason: z.string().optional() }),
});

/** What the last message of a request asks: a new user message, or the answers to approval requests. */
export type ChatTurn = { kind: 'message'; messageId: string; text: string } | { kind: 'approvals'; responses: { approvalId: string; approved: boolean; reason?: string }[] };

/** Reads the request's last message: the user's text, or the assistant message's approval responses. */
export function turnOf(body: ChatRequestBody): ChatTurn {
  const last: RequestMessage = body.messages.at(-1)!;
  if (body.trigger === 'regenerate-message') throw new HttpError(400, 'invalid', 'regenerating an answer is not supported: send the message again', undefined, 'trigger');
  if (last.role === 'user') {
    const text = last.parts.flatMap((part) => (part.type === 'text' && typeof part.text === 'string' ? [part.text] : [])).join('');
    if (!text) throw new HttpError(400, 'invalid', 'the last user message has no text (only text parts are supported)', undefined, 'messages');
    return { kind: 'message', messageId: last.id, text };
  }
  if (last.role === 'assistant') {
    const responses = last.parts.flatMap((part) => {
      const parsed = ApprovalResponse.safeParse(part);
      if (!parsed.success) return [];
      const { id, approved, reason } = parsed.data.approval;
      return [{ approvalId: id, approved, ...(reason ? { reason } : {}) }];
    });
    if (responses.length > 0) return { kind: 'approvals', responses };
  }
  throw new HttpError(400, 'invalid', 'the last message must be a user message or an assistant message with approval responses', undefined, 'messages');
}

/** A stored message as the UI message useChat shows (an assistant message's id is its run's, as in the stream's `start`). */
export function toUIMessage(message: Message): ThreadlineUIMessage {
  if (message.role !== 'assistant') return { id: message.id, role: message.role === 'system' ? 'system' : 'user', parts: [{ type: 'text', text: message.content }] };
  const parts: ThreadlineUIMessage['parts'] = [];
  const results = new Map(message.parts.flatMap((part) => (part.type === 'tool-result' ? [[part.callId, part] as const] : [])));
  for (const part of message.parts) {
    if (part.type === 'text') parts.push({ type: 'text', text: part.text, state: 'done' });
    else if (part.type === 'reasoning') parts.push({ type: 'reasoning', text: part.text, state: 'done' });
    else if (part.type === 'tool-call') {
      const result = results.get(part.callId);
      const base = { type: 'dynamic-tool' as const, toolName: part.name, toolCallId: part.callId, input: part.input };
      if (!result) parts.push({ ...base, state: 'input-available' });
      else if (result.approval && !result.approval.approved) parts.push({ ...base, state: 'output-denied', approval: { id: approvalIdOf(message.runId ?? message.id, part.callId), approved: false, ...(result.approval.reason ? { reason: result.approval.reason } : {}) } });
      else if (result.isError) parts.push({ ...base, state: 'output-error', errorText: typeof result.output === 'string' ? result.output : JSON.stringify(result.output) });
      else parts.push({ ...base, state: 'output-available', output: result.output });
    }
  }
  const metadata: ThreadlineMessageMetadata = { runId: message.runId ?? message.id, sessionId: message.sessionId, ...(message.agent ? { agent: message.agent } : {}), ...(message.model ? { model: message.model } : {}), ...(message.usage ? { usage: message.usage } : {}) };
  return { id: message.runId ?? message.id, role: 'assistant', metadata, parts };
}

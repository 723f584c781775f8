import type { Message } from '@threadline/client';
import { say, type ChatContext } from './chat-context.js';
import { titleOf } from './session-picker.js';

/** Every message of the current session, oldest first, page by page. */
export async function loadHistory(context: ChatContext): Promise<Message[]> {
  const messages: Message[] = [];
  let cursor: string | undefined;
  do {
    const page = await context.client.sessions.history.query({ sessionId: context.session.id, limit: 200, ...(cursor ? { cursor } : {}) });
    messages.push(...page.messages);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return messages;
}

/** Prints the session's conversation: `you: …` for the user, answers as they were streamed. Resolves with its messages. */
export async function printHistory(context: ChatContext): Promise<Message[]> {
  const messages = await loadHistory(context);
  if (messages.length === 0) say(context, '(no messages yet)');
  for (const message of messages) printMessage(context, message);
  return messages;
}

/** Prints one stored message: `you: …` for the user, an answer as it was streamed. */
export function printMessage(context: ChatContext, message: Message): void {
  const { renderer, style } = context;
  if (message.role === 'user') renderer.line(`${style.strong('you:')} ${message.content}`);
  else if (message.role === 'assistant') renderer.assistant(message);
  else renderer.line(style.notice(`[${message.role}] ${message.content}`));
}

/**
 * One line naming the session, the model that answers it (the session's own, else its agent's) and
 * its agent, and where to get help.
 */
export async function printSessionHeader(context: ChatContext): Promise<void> {
  const { session, style } = context;
  const model = session.model ?? (await context.client.agents.get.query({ agent: session.agent })).model;
  const details = [model, `agent ${session.agent}`, `id ${session.id}`].join(' · ');
  context.renderer.line(`${style.strong(`── ${titleOf(session)} ──`)} ${style.notice(`${details} · /help for commands`)}`);
}

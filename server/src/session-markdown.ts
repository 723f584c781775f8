import type { Message, MessagePart, Session } from '@threadline/shared';

/** A fenced block that no backtick run inside `text` can close. */
function fenced(text: string, language = ''): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${language}\n${text}\n${fence}`;
}

const json = (value: unknown) => fenced(JSON.stringify(value, null, 2) ?? 'null', 'json');

function part(entry: MessagePart): string {
  switch (entry.type) {
    case 'text':
      return entry.text;
    case 'reasoning':
      return entry.text.split('\n').map((line) => `> ${line}`).join('\n');
    case 'tool-call':
      return `**Tool call** \`${entry.name}\`\n\n${json(entry.input)}`;
    case 'tool-result': {
      const decision = entry.approval ? ` (${entry.approval.approved ? 'approved' : `denied${entry.approval.reason ? `: ${entry.approval.reason}` : ''}`})` : '';
      return `**Tool result** \`${entry.name}\`${entry.isError ? ' (error)' : ''}${decision}\n\n${json(entry.output)}`;
    }
    default:
      return '';
  }
}

function heading(message: Message): string {
  const who = message.role === 'user' ? 'You' : message.role === 'assistant' ? 'Assistant' : message.role;
  const details = [message.model, message.createdAt.toISOString()];
  if (message.status !== 'complete') details.push(message.status);
  if (message.usage) details.push(`${message.usage.inputTokens} in / ${message.usage.outputTokens} out tokens`);
  if (message.rating) details.push(`rated ${message.rating}${message.ratingComment ? `: "${message.ratingComment}"` : ''}`);
  return `### ${who}\n\n_${details.filter(Boolean).join(' · ')}_`;
}

/**
 * The branch a session shows, for reading: title, then each message with its reasoning (quoted),
 * tool calls and results (JSON blocks) and text. Other branches are not in it (the JSON export
 * holds them); a message with other versions says which one this is.
 */
export function sessionMarkdown(session: Session, shown: Message[], versions: Map<string, { index: number; count: number }>): string {
  const lines = [`# ${session.title ?? 'Untitled session'}`, '', `_Agent ${session.agent}${session.model ? ` · ${session.model}` : ''} · created ${session.createdAt.toISOString()} · ${shown.length} messages shown_`];
  for (const message of shown) {
    const version = versions.get(message.id);
    const body = message.parts.length > 0 ? message.parts.map(part).filter(Boolean).join('\n\n') : message.content;
    lines.push('', heading(message) + (version && version.count > 1 ? ` _(version ${version.index} of ${version.count})_` : ''), '', body);
  }
  return `${lines.join('\n')}\n`;
}

/** Each message's place among its siblings (1-based) and their number, from every message of a session. */
export function versionsOf(messages: readonly { id: string; parentId?: string | null | undefined }[]): Map<string, { index: number; count: number }> {
  const groups = new Map<string, string[]>();
  for (const message of messages) {
    const key = message.parentId ?? '';
    groups.set(key, [...(groups.get(key) ?? []), message.id]);
  }
  const versions = new Map<string, { index: number; count: number }>();
  for (const ids of groups.values()) ids.sort().forEach((id, index) => versions.set(id, { index: index + 1, count: ids.length }));
  return versions;
}

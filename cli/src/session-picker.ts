import * as prompts from '@clack/prompts';
import type { Session, ThreadlineClient } from '@threadline/client';
import type { LineInput } from './line-input.js';
import type { Style } from './style.js';

/** What the picker needs. */
export interface PickerContext {
  client: ThreadlineClient;
  input: LineInput;
  output: NodeJS.WritableStream;
  style: Style;
  /** `provider/model` for sessions created here (--model); the server's default otherwise. */
  newSessionModel?: string | undefined;
}

/** How many sessions the picker offers (the newest activity first). */
const PAGE_SIZE = 50;

/**
 * Lists the user's sessions to resume one, create one or delete some. A terminal gets
 * @clack/prompts pickers; a pipe gets numbered lines and reads a choice per line, so it can be
 * scripted. Resolves with the chosen session, or undefined when the user leaves (`leaveLabel`).
 */
export async function pickSession(context: PickerContext, leaveLabel: string): Promise<Session | undefined> {
  for (;;) {
    const page = await context.client.sessions.list.query({ limit: PAGE_SIZE });
    const choice = context.input.terminal
      ? await chooseOnTerminal(context, page.items, leaveLabel)
      : await chooseByLine(context, page.items, leaveLabel);
    switch (choice.action) {
      case 'leave':
        return undefined;
      case 'resume':
        return choice.session;
      case 'create':
        return context.client.sessions.create.mutate({
          ...(choice.title ? { title: choice.title } : {}),
          ...(context.newSessionModel ? { model: context.newSessionModel } : {}),
        });
      case 'delete':
        await context.client.sessions.delete.mutate({ sessionId: choice.session.id });
        context.output.write(context.style.notice(`deleted "${titleOf(choice.session)}"`) + '\n');
        break;
      default:
    }
  }
}

type Choice =
  | { action: 'leave' }
  | { action: 'resume'; session: Session }
  | { action: 'create'; title: string | undefined }
  | { action: 'delete'; session: Session }
  | { action: 'again' };

async function chooseOnTerminal(context: PickerContext, sessions: Session[], leaveLabel: string): Promise<Choice> {
  const choice = await prompts.select<string>({
    message: sessions.length > 0 ? 'Pick a session' : 'No sessions yet',
    options: [
      { value: ':new', label: 'New session' },
      ...sessions.map((session) => ({ value: session.id, label: `${titleOf(session)}  ${context.style.notice(`(${activityOf(session)})`)}` })),
      ...(sessions.length > 0 ? [{ value: ':delete', label: 'Delete a session…' }] : []),
      { value: ':leave', label: leaveLabel },
    ],
    maxItems: 12,
  });
  if (prompts.isCancel(choice) || choice === ':leave') return { action: 'leave' };
  if (choice === ':new') {
    const title = await prompts.text({ message: 'Title', placeholder: 'optional, Enter to skip' });
    if (prompts.isCancel(title)) return { action: 'again' };
    return { action: 'create', title: title?.trim() || undefined };
  }
  if (choice === ':delete') {
    const doomed = await prompts.select<string>({
      message: 'Delete which session?',
      options: [...sessions.map((session) => ({ value: session.id, label: titleOf(session), hint: activityOf(session) })), { value: ':back', label: 'back' }],
      maxItems: 12,
    });
    const session = sessions.find((candidate) => candidate.id === doomed);
    if (!session) return { action: 'again' };
    const sure = await prompts.confirm({ message: `Delete "${titleOf(session)}" and its ${session.messageCount} messages?`, initialValue: false });
    return sure === true ? { action: 'delete', session } : { action: 'again' };
  }
  const session = sessions.find((candidate) => candidate.id === choice);
  return session ? { action: 'resume', session } : { action: 'again' };
}

async function chooseByLine(context: PickerContext, sessions: Session[], leaveLabel: string): Promise<Choice> {
  const { output, style } = context;
  if (sessions.length === 0) output.write('No sessions yet.\n');
  else {
    output.write(`${style.strong('Sessions')} (latest activity first):\n`);
    sessions.forEach((session, index) => output.write(`  ${index + 1}. ${titleOf(session)}  ${style.notice(`(${activityOf(session)})`)}\n`));
  }
  const numbers = sessions.length > 0 ? 'a number to resume, ' : '';
  const deletion = sessions.length > 0 ? ', d NUMBER to delete' : '';
  output.write(`Enter ${numbers}n [TITLE] for a new session${deletion}, q to ${leaveLabel}.\n`);
  for (;;) {
    const line = await context.input.read('session> ');
    if (line === undefined) return { action: 'leave' };
    const answer = line.trim();
    const create = /^n(?:ew)?(?:\s+(.*))?$/i.exec(answer);
    if (create) return { action: 'create', title: create[1]?.trim() || undefined };
    if (/^(q|quit)$/i.test(answer)) return { action: 'leave' };
    const deletion = /^d(?:elete)?\s+(\d+)$/i.exec(answer);
    const index = Number(deletion ? deletion[1] : answer) - 1;
    const session = /^\d+$/.test(deletion ? deletion[1]! : answer) ? sessions[index] : undefined;
    if (session) return deletion ? { action: 'delete', session } : { action: 'resume', session };
    if (answer) output.write(style.error(`"${answer}" is not a choice here`) + '\n');
  }
}

/** A session's title, or a stand-in for an untitled one. */
export function titleOf(session: Pick<Session, 'title'>): string {
  return session.title ?? '(untitled)';
}

/** "3 messages, 5 minutes ago": how much a session holds and when it was last active. */
export function activityOf(session: Pick<Session, 'messageCount' | 'lastMessageAt' | 'updatedAt'>): string {
  const count = `${session.messageCount} message${session.messageCount === 1 ? '' : 's'}`;
  return `${count}, ${timeAgo(session.lastMessageAt ?? session.updatedAt)}`;
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400],
  ['month', 30 * 86_400],
  ['week', 7 * 86_400],
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
];
const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "just now", "5 minutes ago", "yesterday", … */
export function timeAgo(date: Date, now = Date.now()): string {
  const seconds = (date.getTime() - now) / 1000;
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return 'just now';
}

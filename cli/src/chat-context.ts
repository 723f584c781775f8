import type { Session, ThreadlineClient } from '@threadline/client';
import type { Connection } from './connection.js';
import type { Interrupts } from './interrupts.js';
import type { LineInput } from './line-input.js';
import type { AnswerRenderer } from './render.js';
import type { Style } from './style.js';

/** Everything the interactive client's parts share: where it talks, how it writes, and its state. */
export interface ChatContext {
  connection: Connection;
  client: ThreadlineClient;
  input: LineInput;
  output: NodeJS.WritableStream;
  style: Style;
  renderer: AnswerRenderer;
  interrupts: Interrupts;
  /** The session the user talks in. */
  session: Session;
  /** true: answers stream (chat.stream); false: wait for the whole answer (chat.send). */
  streaming: boolean;
  /** `provider/model` for sessions created from here (--model). */
  newSessionModel?: string | undefined;
}

/** Writes one line of the CLI's own (a note, a confirmation) in the notice style. */
export function say(context: Pick<ChatContext, 'renderer' | 'style'>, text: string): void {
  context.renderer.line(context.style.notice(text));
}

/** Writes one error line. */
export function complain(context: Pick<ChatContext, 'renderer' | 'style'>, text: string): void {
  context.renderer.line(context.style.error(`error: ${text}`));
}

/** What a command asks of the chat loop afterwards. */
export type CommandOutcome = 'continue' | 'exit';

/** One slash command (slash-commands.ts and branch-commands.ts hold them). */
export interface SlashCommand {
  name: string;
  /** How to call it, for /help. */
  usage: string;
  summary: string;
  run(context: ChatContext, argument: string): Promise<CommandOutcome | void>;
}

import { streamAnswer, waitForAnswer } from './answer.js';
import { complain, type ChatContext } from './chat-context.js';
import { resolveConnection, type Connection, type ConnectionOptions } from './connection.js';
import { describeError } from './errors.js';
import { enterSession } from './enter-session.js';
import { Interrupts } from './interrupts.js';
import { pipedLineInput, terminalLineInput, type LineInput } from './line-input.js';
import { AnswerRenderer } from './render.js';
import { pickSession } from './session-picker.js';
import { parseCommand } from './slash-commands.js';
import { createStyle } from './style.js';

/** Options of the interactive client (`threadline` / `threadline chat`). */
export interface InteractiveOptions extends ConnectionOptions {
  /** Resume this session instead of picking one. */
  session?: string;
  /** `provider/model` for sessions created from here. */
  model?: string;
}

/** The exit code after Ctrl-C outside the prompt and outside an answer (128 + SIGINT). */
const INTERRUPTED = 130;

/**
 * The interactive terminal client: finds the server, lets the user pick, create or delete a
 * session (from a pipe: starts a new one, or --session's), prints its history, then reads lines: slash commands (/help) or messages, whose answers
 * stream with reasoning and tool calls shown apart from the text. At a terminal it uses line
 * editing and @clack/prompts pickers; from a pipe it reads plain lines, so it can be scripted.
 * Resolves with the exit code: 0 when the user leaves (/exit, end of input, Ctrl-C at the prompt).
 */
export async function runInteractive(options: InteractiveOptions): Promise<number> {
  const output = process.stdout;
  const style = createStyle(output);
  const fail = (message: string) => (process.stderr.write(`threadline: ${message}\n`), 1);

  let connection: Connection | undefined;
  try {
    connection = await resolveConnection(options);
    // One authenticated call up front: a bad token or an unreachable server is one clear line.
    await connection.client.sessions.list.query({ limit: 1 });
    if (options.model) await checkModel(connection, options.model);
  } catch (error) {
    return fail(describeError(error, connection));
  }

  const terminal = process.stdin.isTTY === true && output.isTTY === true;
  const input: LineInput = terminal ? terminalLineInput(process.stdin, output) : pipedLineInput(process.stdin);
  const interrupts = new Interrupts(() => {
    output.write('\n');
    process.exit(INTERRUPTED);
  });
  try {
    const pickerContext = { client: connection.client, input, output, style, newSessionModel: options.model };
    // From a pipe there is nobody to pick: the lines are a conversation, in a new session unless
    // --session names one (/sessions still lists and switches).
    const session = options.session
      ? await connection.client.sessions.get.query({ sessionId: options.session })
      : terminal
        ? await pickSession(pickerContext, 'quit')
        : await connection.client.sessions.create.mutate(options.model ? { model: options.model } : {});
    if (!session) return 0;
    const context: ChatContext = {
      ...pickerContext,
      connection,
      renderer: new AnswerRenderer(output, style),
      interrupts,
      session,
      streaming: true,
    };
    await enterSession(context, session);
    return await chat(context);
  } catch (error) {
    return fail(describeError(error, connection));
  } finally {
    interrupts[Symbol.dispose]();
    input.close();
  }
}

/** Reads lines until the user leaves: commands run, anything else is sent as a message. */
async function chat(context: ChatContext): Promise<number> {
  const { input, style } = context;
  for (;;) {
    const release = context.interrupts.push(() => input.interrupt());
    const line = await input.read(style.prompt('› '));
    release();
    if (line === undefined) return 0;
    const text = line.trim();
    if (!text) continue;
    const parsed = parseCommand(text);
    try {
      if (parsed) {
        if ((await parsed.command.run(context, parsed.argument)) === 'exit') return 0;
      } else if (context.streaming) await streamAnswer(context, text);
      else await waitForAnswer(context, text);
    } catch (error) {
      complain(context, describeError(error, context.connection));
    }
  }
}

/** Throws when `model` is not one of the server's models. */
async function checkModel(connection: Connection, model: string): Promise<void> {
  const models = (await connection.client.models.list.query()).map((entry) => entry.id);
  if (!models.includes(model)) throw new Error(`unknown model ${model}; available: ${models.join(', ')}`);
}

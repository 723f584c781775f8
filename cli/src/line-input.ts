import { createInterface, type Interface } from 'node:readline';

/** Where the interactive client reads the user's lines from. */
export interface LineInput {
  /** True for a person at a terminal (line editing, history, pickers); false for a pipe or file. */
  readonly terminal: boolean;
  /** The next line, or undefined when the user leaves: end of input, Ctrl-D, or Ctrl-C at the prompt. */
  read(prompt: string): Promise<string | undefined>;
  /** Makes a pending read return undefined (Ctrl-C delivered as a signal while idle). */
  interrupt(): void;
  /** Lets go of stdin. */
  close(): void;
}

/**
 * A terminal: one readline interface per line (with a shared history), closed again before the
 * answer streams, so that stdin is out of raw mode then and Ctrl-C arrives as SIGINT, and so that
 * the pickers (@clack/prompts) can have stdin to themselves in between.
 */
export function terminalLineInput(input: NodeJS.ReadStream, output: NodeJS.WriteStream): LineInput {
  const history: string[] = [];
  let current: Interface | undefined;
  let finish: ((line: string | undefined) => void) | undefined;
  // Ctrl-D typed while no line is being read (the terminal is not in raw mode then) ends stdin.
  let ended = false;
  input.once('end', () => {
    ended = true;
    finish?.(undefined);
  });
  return {
    terminal: true,
    read(prompt) {
      if (ended) return Promise.resolve(undefined);
      return new Promise((resolve) => {
        const readline = createInterface({ input, output, terminal: true, history, historySize: 500 });
        current = readline;
        let settled = false;
        finish = (line) => {
          if (settled) return;
          settled = true;
          current = undefined;
          finish = undefined;
          readline.close();
          resolve(line);
        };
        readline.on('SIGINT', () => {
          output.write('\n');
          finish?.(undefined);
        });
        readline.on('close', () => finish?.(undefined));
        readline.question(prompt, (line) => finish?.(line));
      });
    },
    interrupt: () => finish?.(undefined),
    close: () => current?.close(),
  };
}

/** A pipe or a file: lines are read ahead and handed out in order; no prompts are printed. */
export function pipedLineInput(input: NodeJS.ReadableStream): LineInput {
  const lines: string[] = [];
  let ended = false;
  let waiting: ((line: string | undefined) => void) | undefined;
  const readline = createInterface({ input, terminal: false, crlfDelay: Infinity });
  readline.on('line', (line) => {
    if (waiting) {
      const resolve = waiting;
      waiting = undefined;
      resolve(line);
    } else lines.push(line);
  });
  readline.on('close', () => {
    ended = true;
    waiting?.(undefined);
    waiting = undefined;
  });
  return {
    terminal: false,
    read() {
      if (lines.length > 0) return Promise.resolve(lines.shift());
      if (ended) return Promise.resolve(undefined);
      return new Promise((resolve) => (waiting = resolve));
    },
    interrupt() {
      waiting?.(undefined);
      waiting = undefined;
    },
    close: () => readline.close(),
  };
}

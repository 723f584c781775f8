import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PATIENCE_MS } from './patience.js';

/** The `threadline` terminal client's entry (@threadline/cli), run from source through tsx. */
export const CLIENT_CLI = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url));
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/**
 * Arguments for `node` that run the client CLI from source with `args`; the `@threadline/source`
 * condition makes its `@threadline/client` imports load the client's source too, not its build.
 */
export function cliCommand(args: string[]): string[] {
  return ['--conditions=@threadline/source', '--import', TSX_LOADER, CLIENT_CLI, ...args];
}

/**
 * The parent's environment without what would steer the CLI (THREADLINE_*, XDG_CONFIG_HOME,
 * NO_COLOR, FORCE_COLOR), plus `overrides`.
 */
export function cliEnvironment(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const steering = /^(THREADLINE_.*|XDG_CONFIG_HOME|NO_COLOR|FORCE_COLOR)$/;
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...process.env })) {
    if (value !== undefined && !steering.test(name)) environment[name] = value;
  }
  for (const [name, value] of Object.entries(overrides)) {
    if (value !== undefined) environment[name] = value;
  }
  return environment;
}

/** Removes terminal escape sequences (colours, cursor moves) and carriage returns. */
export function plain(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r/g, '');
}

/** A running client CLI, driven through its stdin. */
export interface CliProcess {
  child: ChildProcess;
  /** Everything written to stdout so far (raw: escape codes included). */
  stdout(): string;
  stderr(): string;
  /** Writes to the program's stdin (a pipe, or the terminal's keyboard). */
  write(text: string): void;
  /** Resolves once `plain(stdout)` matches `pattern` after position `from`; rejects after `timeoutMs` (PATIENCE_MS). */
  waitFor(pattern: RegExp | string, options?: { from?: number; timeoutMs?: number }): Promise<void>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Where and how to run it. */
export interface CliOptions {
  environment: Record<string, string>;
  cwd: string;
  /**
   * true: run it in a pseudo-terminal (util-linux `script`, 120×40) so stdin and stdout are TTYs;
   * Ctrl-C is then the byte \x03, which the terminal turns into SIGINT when not in raw mode.
   */
  terminal?: boolean;
}

/** Starts the client CLI with `args`, stdin open for writing. */
export function startCli(args: string[], options: CliOptions): CliProcess {
  const command = [process.execPath, ...cliCommand(args)];
  const child = options.terminal
    ? spawn('script', ['-qfec', `stty cols 120 rows 40; exec ${command.map(quote).join(' ')}`, '/dev/null'], { cwd: options.cwd, env: options.environment })
    : spawn(command[0]!, command.slice(1), { cwd: options.cwd, env: options.environment });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const listener of listeners) listener();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    write: (text) => void child.stdin!.write(text),
    waitFor(pattern, { from = 0, timeoutMs = PATIENCE_MS } = {}) {
      const matches = () => {
        const text = plain(stdout).slice(from);
        return typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
      };
      if (matches()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!matches()) return;
          finish();
          resolve();
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`no ${String(pattern)} in the output within ${timeoutMs} ms:\n${plain(stdout).slice(from)}\n--- stderr ---\n${stderr}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
      });
    },
    exited,
    async [Symbol.asyncDispose]() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** What a finished run printed and its exit code. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the client CLI to completion with `input` on stdin (closed right away when absent). */
export async function runClientCli(args: string[], options: CliOptions & { input?: string; timeoutMs?: number }): Promise<CliResult> {
  const cli = startCli(args, options);
  cli.child.stdin!.end(options.input ?? '');
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), options.timeoutMs ?? PATIENCE_MS);
  const code = await cli.exited;
  clearTimeout(timer);
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

function quote(argument: string): string {
  return `'${argument.replaceAll("'", `'\\''`)}'`;
}

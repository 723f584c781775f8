import { execFile, spawn, type ChildProcess } from 'node:child_process';

/** What a documented curl line printed, and the HTTP status curl saw. */
export interface CurlResult {
  status: number;
  body: string;
}

/** The variables the documented lines use, plus PATH (for curl itself). */
function shellEnvironment(variables: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, ...variables };
}

/**
 * Runs a documented curl command line as a user would, in `sh` with `variables` set
 * (THREADLINE_URL, THREADLINE_TOKEN, ...), with curl's `-w` appended to learn the status.
 */
export function runCurl(command: string, variables: Record<string, string>): Promise<CurlResult> {
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', `${command} -w '\\n%{http_code}'`], { env: shellEnvironment(variables), timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${command}\nfailed: ${error.message}\n${stderr}`));
      const cut = stdout.lastIndexOf('\n');
      resolve({ body: stdout.slice(0, cut), status: Number(stdout.slice(cut + 1)) });
    });
  });
}

/** A long-running documented command (a stream): its output so far, and its end. */
export interface RunningCommand {
  output(): string;
  /** Resolves once the output satisfies `test`. */
  waitFor(test: (output: string) => boolean): Promise<string>;
  /** Resolves with the whole output when the command exits (rejects on a non-zero exit). */
  ended: Promise<string>;
  child: ChildProcess;
}

/** Starts a command line in `sh` with `variables` set, reading its output as it comes. */
export function startCommand(command: string, variables: Record<string, string>): RunningCommand {
  const child = spawn('sh', ['-c', command], { env: shellEnvironment(variables), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let errors = '';
  const waiters: { test: (output: string) => boolean; resolve: (output: string) => void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    for (const waiter of waiters.splice(0)) {
      if (waiter.test(output)) waiter.resolve(output);
      else waiters.push(waiter);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
  const ended = new Promise<string>((resolve, reject) =>
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command}\nexited ${code}: ${errors}`)))),
  );
  return {
    output: () => output,
    waitFor: (test) => (test(output) ? Promise.resolve(output) : new Promise((resolve) => waiters.push({ test, resolve }))),
    ended,
    child,
  };
}

/** One SSE frame: its `event:`, `id:` and `data:` fields (data parsed as JSON when there is some). */
export interface SseFrame {
  event?: string;
  id?: string;
  data?: unknown;
}

/** The frames of an SSE text, in order (a `retry:`-only frame left out). */
export function sseFrames(text: string): SseFrame[] {
  const frames: SseFrame[] = [];
  for (const block of text.split(/\n\n+/)) {
    const frame: SseFrame = {};
    for (const line of block.split('\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const [field, value] = [line.slice(0, colon), line.slice(colon + 1).replace(/^ /, '')];
      if (field === 'event') frame.event = value;
      else if (field === 'id') frame.id = value;
      else if (field === 'data' && value !== '') frame.data = JSON.parse(value) as unknown;
    }
    if (frame.event !== undefined || frame.id !== undefined || frame.data !== undefined) frames.push(frame);
  }
  return frames;
}

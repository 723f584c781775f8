import { spawn, type ChildProcess } from 'node:child_process';

/** A child process whose output is kept, with a way to stop it. */
export interface StartedProcess {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves once it has exited. Safe to call twice. */
  stop(timeoutMs?: number): Promise<void>;
}

/** Every child still running, killed if the orchestrator exits first (no orphans left on 2 cores). */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => process.exit(130));
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * Spawns `node <args>` and resolves once `ready` finds what it waits for in stdout (it returns
 * undefined until then), with that value. Rejects with the output when the child exits first or
 * does not get there within `timeoutMs`.
 */
export async function startNodeProcess<T>(
  args: string[],
  options: { env: Record<string, string>; cwd?: string; timeoutMs?: number; ready: (stdout: string) => T | undefined },
): Promise<{ process: StartedProcess; value: T }> {
  const child = spawn(process.execPath, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));

  const exited = new Promise<void>((resolve) => (hasExited(child) ? resolve() : child.once('exit', () => resolve())));
  const stop = async (timeoutMs = 10_000) => {
    if (hasExited(child)) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  };
  const started: StartedProcess = { child, pid: child.pid!, stdout: () => stdout, stderr: () => stderr, stop };

  const value = await new Promise<T>((resolve, reject) => {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const describe = () => `node ${args.join(' ')}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`;
    const timer = setTimeout(() => fail(new Error(`not ready within ${timeoutMs} ms: ${describe()}`)), timeoutMs);
    const check = () => {
      const found = options.ready(stdout);
      if (found !== undefined) done(found);
    };
    const onClose = () => fail(new Error(`exited (code ${child.exitCode}) before it was ready: ${describe()}`));
    function cleanUp() {
      clearTimeout(timer);
      child.stdout!.off('data', check);
      child.off('close', onClose);
    }
    function done(found: T) {
      cleanUp();
      resolve(found);
    }
    function fail(error: Error) {
      cleanUp();
      child.kill('SIGKILL');
      reject(error);
    }
    child.stdout!.on('data', check);
    child.once('close', onClose);
  });
  return { process: started, value };
}

/** The `{"listening":<port>}` line the bench's own scripts print once ready. */
export function listeningPort(stdout: string): number | undefined {
  const match = /\{"listening":(\d+)\}/.exec(stdout);
  return match ? Number(match[1]) : undefined;
}

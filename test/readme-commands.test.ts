import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PATIENCE_MS } from './helpers/patience.js';
import { freePort, startProcessTarget, TOKEN_PATTERN, type ProcessTarget } from './helpers/process.js';

// Every shell command README.md shows, read from the file itself (not copied here), run as written
// against real servers: server starts must answer /readyz, client and operator commands must exit 0.
// The only adaptations are the ones a reader makes: the server the README calls
// http://127.0.0.1:3000 is the test's own (on a free port, found through THREADLINE_URL and
// THREADLINE_DATA_DIR as the README describes), and placeholders such as <id> become real ids. A
// new command in the README that no rule below knows fails this test until it gets one.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const README_SERVER = 'http://127.0.0.1:3000';

/** The commands of README.md: every line of its ```sh blocks, without trailing `# comments`. */
async function readmeCommands(): Promise<string[]> {
  const markdown = await readFile(join(ROOT, 'README.md'), 'utf8');
  const commands: string[] = [];
  for (const [, block] of markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    // A line ending in a backslash, or inside an open single quote, goes on on the next one.
    let pending = '';
    for (const line of block!.split('\n')) {
      pending += withoutComment(pending, line);
      if (pending.endsWith('\\')) {
        pending = `${pending.slice(0, -1).trimEnd()} `;
        continue;
      }
      if ((pending.match(/'/g)?.length ?? 0) % 2 === 1) {
        pending += '\n';
        continue;
      }
      const command = pending.trim();
      pending = '';
      if (command && !command.startsWith('#')) commands.push(command);
    }
  }
  return commands;
}

/** `line` without its trailing `# comment`: a ` # ` outside quotes (counting those `before` it opened). */
function withoutComment(before: string, line: string): string {
  if (line.trimStart().startsWith('#') && before === '') return '';
  for (const match of line.matchAll(/\s#(\s|$)/g)) {
    const prefix = before + line.slice(0, match.index);
    const quotes = (quote: string) => prefix.split(quote).length - 1;
    if (quotes("'") % 2 === 0 && quotes('"') % 2 === 0) return line.slice(0, match.index);
  }
  return line;
}

/** What CI runs itself (.ci/run: `npm ci`, then `npm test` with both services, which type-checks and builds first). */
const RUN_BY_CI = new Set([
  'npm test',
  'npm run typecheck',
  'npm run build',
  'TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm test',
  'TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test TEST_REDIS_URL=redis://127.0.0.1:6379 npm test',
]);

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one command line with sh in the checkout, as a reader would paste it. */
function shell(command: string, options: { environment?: Record<string, string>; input?: string; cwd?: string } = {}): Promise<Result> {
  const child = spawn('sh', ['-c', command], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', ...options.environment },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // A command that exits without reading its input (curl, a quick failure) closes the pipe first.
  child.stdin.on('error', () => {});
  child.stdin.end(options.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/**
 * Starts a long-running command (a server, a dev server) in its own process group, waits until
 * `url` answers 200, then stops the whole group. Resolves with what it printed when it did not.
 */
async function startAndProbe(command: string, url: string, environment: Record<string, string>): Promise<{ ready: boolean; output: string }> {
  const child = spawn('sh', ['-c', command], { cwd: ROOT, env: { ...process.env, ...environment }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let ready = false;
  const deadline = Date.now() + 3 * PATIENCE_MS;
  while (!ready && Date.now() < deadline && child.exitCode === null) {
    ready = await fetch(url).then((response) => response.ok, () => false);
    if (!ready) await sleep(200);
  }
  try {
    process.kill(-child.pid!, 'SIGTERM');
  } catch {
    // Already gone.
  }
  const killer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }, PATIENCE_MS);
  await closed;
  clearTimeout(killer);
  return { ready, output };
}

describe("README.md's commands, as written", () => {
  let server: ProcessTarget;
  let work: string;
  let sessionId: string;
  /** A token `threadline-server token create` printed, for `token revoke <token-or-id>`. */
  let createdToken: string | undefined;

  beforeAll(async () => {
    // The agents file the README's approvals example starts its server with (the agent `guarded`).
    server = await startProcessTarget({ environment: { THREADLINE_AGENTS_FILE: join(ROOT, 'examples/agents/approvals.yaml') } });
    sessionId = (await server.client.sessions.create.mutate({ title: 'README' })).id;
    work = await mkdtemp(join(tmpdir(), 'threadline-readme-'));
    // `cat data/token` is read where a `data` folder is the server's data dir.
    await symlink(server.database.dataDir, join(work, 'data'));
    await mkdir(join(work, 'config'));
  });

  afterAll(async () => {
    await server?.close();
    if (work) await rm(work, { recursive: true, force: true });
    // What the README's commands write in the checkout (reports/ is ignored by git).
    await rm(join(ROOT, 'trip.json'), { force: true });
  });

  /** The environment in which the CLI finds the test's server the ways the README describes. */
  const cliEnvironment = () => ({ THREADLINE_URL: server.url, THREADLINE_DATA_DIR: server.database.dataDir, XDG_CONFIG_HOME: join(work, 'config'), THREADLINE_TOKEN: '' });

  /** The command with the README's placeholders and server address made real. */
  const adapted = (command: string) =>
    command
      .replaceAll(README_SERVER, server.url)
      .replaceAll('<id>', sessionId)
      .replaceAll('<token-or-id>', createdToken ?? '<token-or-id>');

  it('every command runs', { timeout: 600_000 }, async () => {
    const commands = await readmeCommands();
    expect(commands.length).toBeGreaterThan(15);
    const unknown: string[] = [];
    const failures: string[] = [];
    const probes: Promise<void>[] = [];
    const fail = (command: string, why: string) => failures.push(`${command}\n    ${why.trim().split('\n').slice(-8).join('\n    ')}`);

    for (const command of commands) {
      if (RUN_BY_CI.has(command)) continue;

      // `npm install && npm start`: CI's `npm ci` is the install; the start is checked as any other.
      // Servers start side by side, while the commands below run in order.
      if (/^((?:[A-Z_]+=\S+\s+)*)npm (?:install && npm )?(start|run dev)$/.test(command)) {
        probes.push(
          (async () => {
            const port = await freePort();
            const dataDir = await mkdtemp(join(work, 'start-'));
            const launched = command.replace(/^npm install && /, '');
            const { ready, output } = await startAndProbe(launched, `http://127.0.0.1:${port}/readyz`, { PORT: String(port), THREADLINE_DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
            if (!ready) fail(command, `the server did not answer /readyz:\n${output}`);
          })(),
        );
        continue;
      }

      if (command === 'npm run dev -w @threadline/example-web') {
        probes.push(
          startAndProbe(command, 'http://127.0.0.1:5173/', {}).then(({ ready, output }) => {
            if (!ready) fail(command, `the page's dev server did not answer on :5173:\n${output}`);
          }),
        );
        continue;
      }

      if (command === 'cat data/token') {
        const result = await shell(command, { cwd: work });
        if (result.code !== 0 || result.stdout.trim() !== server.token) fail(command, `code ${result.code}: ${result.stdout}${result.stderr}`);
        continue;
      }

      if (/^npx threadline-server /.test(command)) {
        const result = await shell(adapted(command), { environment: { THREADLINE_DATA_DIR: server.database.dataDir, LOG_LEVEL: 'warn' } });
        if (result.code !== 0) fail(command, `code ${result.code}: ${result.stderr}`);
        if (/ token create /.test(command)) createdToken = result.stdout.match(TOKEN_PATTERN)?.[0];
        continue;
      }

      if (/(?:^|\|\s*)npx threadline(?:\s|$)/.test(command)) {
        // `login` reads its token from stdin; everything else gets an empty stdin (a pipe).
        const input = / login\b/.test(command) ? `${server.token}\n` : '';
        const result = await shell(adapted(command), { environment: cliEnvironment(), input });
        if (result.code !== 0) fail(command, `code ${result.code}: ${result.stdout}${result.stderr}`);
        if (/"What is 6 \* 7\?"/.test(command) && !result.stdout.includes('"result":42')) fail(command, `no calculator result in: ${result.stdout}`);
        if (/ask "What is tRPC\?"/.test(command) && result.stdout !== 'Echo: What is tRPC?\n') fail(command, `answered: ${result.stdout}`);
        // With --start-server every example runs on a server set up for it: nothing is skipped.
        if (/ run .* --start-server/.test(command) && !/^\d+ scenarios, \d+ steps: \d+ passed, 0 failed$/m.test(result.stdout)) fail(command, result.stdout);
        continue;
      }

      // curl against the server, its token read the README's way (`$(cat data/token)` where data/ is the server's).
      if (/^curl /.test(command)) {
        const result = await shell(adapted(command), { cwd: work });
        if (result.code !== 0 || !result.stdout.trim()) fail(command, `code ${result.code}: ${result.stdout}${result.stderr}`);
        if (/"stream": true/.test(command) && !result.stdout.includes('data: [DONE]')) fail(command, `no [DONE] in: ${result.stdout}`);
        continue;
      }

      unknown.push(command);
    }
    await Promise.all(probes);
    // `unknown`: README commands no rule here knows how to run.
    expect({ unknown, failures }).toEqual({ unknown: [], failures: [] });
  });
});

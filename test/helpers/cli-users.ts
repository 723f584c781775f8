import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ThreadlineClient } from '../../client/src/client.js';
import { cliEnvironment, plain, startCli, type CliProcess } from './pty.js';
import { startTestServer, type TestServer } from './server.js';

/** A user of their own (so the session list is theirs alone) and how to start the client as them. */
export interface CliUser {
  client: ThreadlineClient;
  start(args?: string[], options?: { terminal?: boolean; environment?: Record<string, string> }): Promise<CliProcess>;
}

/** A server for the interactive `threadline` client, run as a program (from source), and its users. */
export interface CliServer {
  server: TestServer;
  freshUser(): Promise<CliUser>;
  close(): Promise<void>;
}

export async function startCliServer(): Promise<CliServer> {
  const server = await startTestServer();
  const workDir = await mkdtemp(join(tmpdir(), 'threadline-cli-interactive-'));
  return {
    server,
    async freshUser() {
      const user = await server.addUser(`cli-${crypto.randomUUID().slice(0, 8)}`);
      return {
        client: user.client,
        async start(args = [], options = {}) {
          const cwd = await mkdtemp(join(workDir, 'run-'));
          const environment = cliEnvironment({ THREADLINE_URL: server.url, THREADLINE_TOKEN: user.token, XDG_CONFIG_HOME: join(cwd, 'config'), ...options.environment });
          return startCli(args, { cwd, environment, terminal: options.terminal ?? false });
        },
      };
    },
    async close() {
      await server.close();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

/** Where the output has got to: a wait `from` it looks only at what comes after. */
export const mark = (cli: CliProcess) => plain(cli.stdout()).length;

/** Writes a line and waits for `expected` in what follows. */
export async function send(cli: CliProcess, line: string, expected: RegExp | string): Promise<string> {
  const from = mark(cli);
  cli.write(line.endsWith('\r') ? line : `${line}\n`);
  await cli.waitFor(expected, { from });
  return plain(cli.stdout()).slice(from);
}

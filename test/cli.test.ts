import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThreadlineClient } from '../client/src/client.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../server/src/testing/databases.js';
import { runCli, startServerProcess, TOKEN_PATTERN, type ProcessOptions, type ServerProcess } from './helpers/process.js';

const SINGLE_TOKEN = /^tl_[A-Za-z0-9_-]{20,}$/;

for (const dialect of DIALECTS) {
  // The steps share one database and run in order: each builds on the tokens the previous made.
  describe(`threadline-server CLI on ${dialect}`, () => {
    let database: TestDatabase;
    let server: ServerProcess;
    let options: ProcessOptions;
    let aliceToken: string;
    let labelledToken: string;

    /** sessions.list with this token: resolves when it authenticates. */
    const listSessions = (token: string) => createThreadlineClient({ url: server.url, token }).sessions.list.query({});

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      options = { dataDir: database.dataDir, databaseUrl: database.databaseUrl };
      // The server migrates the empty database; the CLI then works beside it, as an operator would.
      server = await startServerProcess(options);
    });

    afterAll(async () => {
      await server?.[Symbol.asyncDispose]();
      await database?.destroy();
    });

    it('user create prints a token that authenticates', async () => {
      const result = await runCli(['user', 'create', 'alice'], options);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      aliceToken = result.stdout.trim();
      expect(aliceToken).toMatch(SINGLE_TOKEN);
      await expect(listSessions(aliceToken)).resolves.toEqual({ items: [], nextCursor: null });
    });

    it('token create --label prints a second working token', async () => {
      const result = await runCli(['token', 'create', 'alice', '--label', 'x'], options);
      expect(result.code).toBe(0);
      labelledToken = result.stdout.trim();
      expect(labelledToken).toMatch(SINGLE_TOKEN);
      expect(labelledToken).not.toBe(aliceToken);
      await expect(listSessions(labelledToken)).resolves.toMatchObject({ items: [] });
    });

    it('token list shows both tokens but not their values; a taken name fails; migrate exits 0', async () => {
      // Independent commands, run at once: each process start costs about a second of CPU.
      const [list, duplicate, migrate] = await Promise.all([
        runCli(['token', 'list', 'alice'], options),
        runCli(['user', 'create', 'alice'], options),
        runCli(['migrate'], options),
      ]);

      expect(list.code).toBe(0);
      expect(list.stdout).not.toMatch(TOKEN_PATTERN);
      const rows = list.stdout.trim().split('\n').map((line) => line.split('\t'));
      expect(rows).toHaveLength(2);
      expect(rows.map((row) => row[1])).toEqual(['created with the user', 'x']);
      expect(rows.map((row) => row[3])).toEqual(['live', 'live']);

      expect(duplicate.code).toBe(1);
      expect(duplicate.stdout).not.toMatch(TOKEN_PATTERN);
      expect(duplicate.stderr).toContain('already exists');

      expect(migrate).toMatchObject({ code: 0, stdout: 'database is up to date\n' });
    });

    it('token revoke makes that token UNAUTHORIZED and leaves the other working', async () => {
      const result = await runCli(['token', 'revoke', labelledToken], options);
      expect(result.code).toBe(0);
      await expect(listSessions(labelledToken)).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
      await expect(listSessions(aliceToken)).resolves.toMatchObject({ items: [] });
    });
  });
}

describe('threadline-server CLI failures', () => {
  it('a store it cannot open (unreachable, or no directory) is one line on stderr and exit code 1, not a stack', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'threadline-cli-'));
    const [unreachable, notADirectory] = await Promise.all([
      runCli(['user', 'list'], { dataDir, databaseUrl: 'postgres://postgres@127.0.0.1:1/none' }),
      runCli(['token', 'list', 'alice'], { dataDir, environment: { THREADLINE_DATA_DIR: join(fileURLToPath(import.meta.url), 'data') } }),
    ]);
    expect(unreachable).toMatchObject({ code: 1, stdout: '', stderr: 'threadline-server: connect ECONNREFUSED 127.0.0.1:1\n' });
    expect(notADirectory.code).toBe(1);
    expect(notADirectory.stderr).toMatch(/^threadline-server: E[A-Z]+: [^\n]+\n$/);
    rmSync(dataDir, { recursive: true, force: true });
  });
});

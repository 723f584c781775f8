import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { userLimitsCommand } from '../server/src/operator/user-limits-command.js';
import { cliEnvironment, runClientCli } from './helpers/pty.js';
import { startTestServer } from './helpers/server.js';

describe('threadline usage, and a spent budget in the terminal client', () => {
  it('prints your usage by model; an answer refused by the budget says so on stderr', async () => {
    await using t = await startTestServer({ environment: { THREADLINE_LIMITS_CACHE_MS: '0' } });
    const cwd = await mkdtemp(join(tmpdir(), 'threadline-cli-usage-'));
    try {
      const { token } = await t.addUser('carol');
      const environment = cliEnvironment({ THREADLINE_URL: t.url, THREADLINE_TOKEN: token, XDG_CONFIG_HOME: join(cwd, 'config') });
      const run = (args: string[]) => runClientCli(args, { cwd, environment });
      expect((await run(['ask', 'count', 'me'])).code).toBe(0);

      const [byModel, bad] = await Promise.all([run(['usage', '--by', 'model']), run(['usage', '--by', 'planet'])]);
      expect(byModel).toMatchObject({ code: 0, stderr: '' });
      const lines = byModel.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^your usage from \d{4}-\d\d-\d\dT.* to /);
      expect(lines.find((line) => line.startsWith('local/echo'))).toMatch(/^local\/echo\s+1\s+\d+\s+\d+\s+0\s+0\s+0\s+0\.0000$/);
      expect(lines.at(-1)).toMatch(/^total\s+1\s/);
      expect(bad).toMatchObject({ code: 1 });
      expect(bad.stderr).toContain('--by must be one of day, model, session, agent');

      await userLimitsCommand(t.server.services.db, t.server.services.config.userLimits, 'carol', { tokensPerDay: '1' });
      const refused = await run(['ask', 'again']);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toMatch(/usage budget reached: your token budget for this day is spent.*threadline usage/);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});

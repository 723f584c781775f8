import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../server/src/testing/databases.js';
import { runCli } from './helpers/process.js';

describe('threadline-server user limits', () => {
  it("sets, shows and clears a user's limits; refuses a bad value and an unknown user", async () => {
    await using database = await createTestDatabase('sqlite');
    const options = { dataDir: database.dataDir, databaseUrl: database.databaseUrl };
    expect((await runCli(['user', 'create', 'alice'], options)).code).toBe(0);

    const set = await runCli(['user', 'limits', 'alice', '--runs-per-minute', '5', '--cost-per-month', '2.5', '--open-streams', '0'], { ...options, environment: { THREADLINE_LIMIT_ACTIVE_RUNS: '3' } });
    expect(set).toMatchObject({ code: 0, stderr: '' });
    expect(set.stdout).toMatch(/runs-per-minute\s+5\s+set for this user/);
    expect(set.stdout).toMatch(/cost-per-month\s+2\.5\s+set for this user/);
    expect(set.stdout).toMatch(/open-streams\s+unlimited\s+set for this user/);
    expect(set.stdout).toMatch(/active-runs\s+3\s+default/);

    const [shown, bad, unknown, clearWithOthers] = await Promise.all([
      runCli(['user', 'limits', 'alice'], options),
      runCli(['user', 'limits', 'alice', '--active-runs', '1.5'], options),
      runCli(['user', 'limits', 'nobody', '--active-runs', '1'], options),
      runCli(['user', 'limits', 'alice', '--clear', '--active-runs', '1'], options),
    ]);
    expect(shown.stdout).toMatch(/runs-per-minute\s+5\s+set for this user/);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--active-runs must be a whole number');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no user nobody');
    expect(clearWithOthers.code).toBe(1);

    const cleared = await runCli(['user', 'limits', 'alice', '--clear'], options);
    expect(cleared.stdout).toMatch(/cost-per-month\s+unlimited\s+default/);
    expect(cleared.stdout).toMatch(/runs-per-minute\s+120\s+default/);
  });
});

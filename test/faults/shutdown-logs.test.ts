import { describe, expect, it } from 'vitest';
import { createThreadlineClient } from '../../client/src/client.js';
import { createTestDatabase } from '../../server/src/testing/databases.js';
import { GUARDED_AGENTS_YAML, writeAgentsFile } from '../fixtures/agents-files.js';
import { startServerProcess } from '../helpers/process.js';

/** The JSON lines pino wrote, parsed. */
function logLines(stdout: string): { level: number; msg: string; runId?: string; err?: unknown }[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
}

describe('fault: what SIGTERM logs about a run waiting for approval', () => {
  it('"run parked, waiting for approval" at info, never an error', async () => {
    await using database = await createTestDatabase('sqlite');
    await using agentsFile = await writeAgentsFile(GUARDED_AGENTS_YAML);
    await using server = await startServerProcess({
      dataDir: database.dataDir,
      environment: { LOG_LEVEL: 'info', THREADLINE_AGENTS_FILE: agentsFile.path, THREADLINE_SHUTDOWN_GRACE_MS: '60000' },
    });
    const client = createThreadlineClient({ url: server.url, token: server.token });
    const waiting = await client.chat.send.mutate({ newSession: true, agent: 'guarded', content: '/tool calculator {"expression": "6 * 7"}' });
    expect(waiting.status).toBe('waiting');

    expect(await server.stop('SIGTERM')).toBe(0);
    const lines = logLines(server.stdout());
    expect(lines.filter((line) => line.level >= 50), server.stdout()).toEqual([]);
    expect(lines.find((line) => line.msg === 'run parked, waiting for approval')).toMatchObject({ level: 30, runId: waiting.runId });
  });
});

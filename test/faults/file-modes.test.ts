import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createThreadlineClient } from '../../client/src/client.js';
import { loadConfig } from '../../server/src/config.js';
import { startServer } from '../../server/src/main.js';
import { createTestDatabase } from '../../server/src/testing/databases.js';
import { runCli } from '../helpers/process.js';

/** The permission bits of a path, as `ls -l` shows them in octal. */
async function modeOf(path: string): Promise<string> {
  return ((await stat(path)).mode & 0o777).toString(8).padStart(3, '0');
}

describe('fault: who may read the data dir and the SQLite files', () => {
  it('a data dir the server creates is 0700; the database, its WAL and SHM, the token and the instance id are 0600', async () => {
    await using database = await createTestDatabase('sqlite');
    const parent = join(database.dataDir, 'new');
    const dataDir = join(parent, 'data');
    const server = await startServer(loadConfig({ PORT: '0', THREADLINE_DATA_DIR: dataDir, THREADLINE_LOCAL_DELAY_MS: '0', LOG_LEVEL: 'silent' }));
    try {
      // A write, so the WAL holds something and the SHM is mapped.
      const client = createThreadlineClient({ url: server.url, token: server.firstToken! });
      await client.chat.send.mutate({ newSession: true, content: 'hello' });
      expect({
        parent: await modeOf(parent),
        dataDir: await modeOf(dataDir),
        database: await modeOf(join(dataDir, 'threadline.db')),
        wal: await modeOf(join(dataDir, 'threadline.db-wal')),
        shm: await modeOf(join(dataDir, 'threadline.db-shm')),
        token: await modeOf(join(dataDir, 'token')),
        instanceId: await modeOf(join(dataDir, 'instance-id')),
      }).toEqual({ parent: '700', dataDir: '700', database: '600', wal: '600', shm: '600', token: '600', instanceId: '600' });
    } finally {
      await server.close();
    }
  });

  it('the CLI (`migrate`) on a new data dir makes it the same way', async () => {
    await using database = await createTestDatabase('sqlite');
    const dataDir = join(database.dataDir, 'cli-data');
    const result = await runCli(['migrate'], { dataDir: database.dataDir, environment: { THREADLINE_DATA_DIR: dataDir } });
    expect(result.code, result.stderr).toBe(0);
    expect({ dataDir: await modeOf(dataDir), database: await modeOf(join(dataDir, 'threadline.db')) }).toEqual({ dataDir: '700', database: '600' });
  });
});

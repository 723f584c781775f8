import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createThreadlineClient } from '../../client/src/client.js';
import { createTestDatabase } from '../../server/src/testing/databases.js';
import { startServerProcess } from '../helpers/process.js';

const adminUrl = process.env.TEST_DATABASE_URL;

/** Terminates every backend of `applicationName` (what a database restart or failover does to them); returns how many. */
async function terminateBackends(applicationName: string): Promise<number> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const result = await admin.query<{ terminated: boolean }>(
      'select pg_terminate_backend(pid) as terminated from pg_stat_activity where application_name = $1',
      [applicationName],
    );
    return result.rows.filter((row) => row.terminated).length;
  } finally {
    await admin.end();
  }
}

describe.runIf(adminUrl)('fault: PostgreSQL connections dropped while idle', () => {
  it('the server logs a warning, stays up and answers the next requests on new connections', async () => {
    const applicationName = `threadline-fault-${randomBytes(4).toString('hex')}`;
    await using database = await createTestDatabase('postgres');
    // The server's connections carry a name this test can find them by.
    const url = new URL(database.databaseUrl!);
    url.searchParams.set('application_name', applicationName);
    await using process = await startServerProcess({ dataDir: database.dataDir, databaseUrl: url.toString() });
    const client = createThreadlineClient({ url: process.url, token: process.token });

    const session = await client.sessions.create.mutate({ title: 'before the drop' });
    await client.chat.send.mutate({ sessionId: session.id, content: 'hello' });

    // Nothing in flight: every pooled connection is idle when it is cut.
    expect(await terminateBackends(applicationName)).toBeGreaterThan(0);
    // Before the fix the process died here: 'error' emitted on the pool with no listener.
    await expect.poll(() => process.stdout().includes('an idle connection was lost') || process.child.exitCode !== null).toBe(true);
    expect(process.child.exitCode, process.stderr()).toBeNull();

    const answer = await client.chat.send.mutate({ sessionId: session.id, content: 'still here?' });
    expect(answer.message.content).toBe('Echo: still here?');
    const { messages } = await client.sessions.history.query({ sessionId: session.id });
    expect(messages.map((message) => message.content)).toEqual(['hello', 'Echo: hello', 'still here?', 'Echo: still here?']);

    // Twice, as a failover followed by an idle timeout would.
    const lost = () => process.stdout().split('an idle connection was lost').length - 1;
    const lostBefore = lost();
    expect(await terminateBackends(applicationName)).toBeGreaterThan(0);
    await expect.poll(() => lost() > lostBefore || process.child.exitCode !== null).toBe(true);
    expect(process.child.exitCode, process.stderr()).toBeNull();
    expect((await client.sessions.get.query({ sessionId: session.id })).messageCount).toBe(4);
  });
});

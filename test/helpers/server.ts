import { createThreadlineClient, type ThreadlineClient } from '../../client/src/client.js';
import { loadConfig } from '../../server/src/config.js';
import { startServer, type RunningServer } from '../../server/src/main.js';
import type { ServiceOptions } from '../../server/src/services.js';
import type { DriverWrapper } from '../../server/src/store/driver-wrapper.js';
import type { DialectName } from '../../server/src/store/open.js';
import { createToken, createUser } from '../../server/src/store/users.js';
import { createTestDatabase, type TestDatabase } from '../../server/src/testing/databases.js';

/** A server running in this process on a free port, with a fresh database, and typed clients for it. */
export interface TestServer {
  server: RunningServer;
  database: TestDatabase;
  url: string;
  /** The first user's (`local`) client. */
  client: ThreadlineClient;
  token: string;
  /** A new user with its own token and client. */
  addUser(name: string): Promise<{ userId: string; token: string; client: ThreadlineClient }>;
  clientFor(token?: string): ThreadlineClient;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts a test server; `environment` overrides the configuration (the built-in model's delay is 0),
 * `wrapStoreDriver` sees every statement the server sends its database, `logDestination` gets its
 * log lines (give LOG_LEVEL too: the default here is `silent`), `spanExporter` its spans.
 */
export async function startTestServer(
  options: { dialect?: DialectName; environment?: Record<string, string>; wrapStoreDriver?: DriverWrapper } & Pick<ServiceOptions, 'logDestination' | 'spanExporter'> = {},
): Promise<TestServer> {
  const database = await createTestDatabase(options.dialect ?? 'sqlite');
  const config = loadConfig({
    PORT: '0',
    THREADLINE_DATA_DIR: database.dataDir,
    THREADLINE_LOCAL_DELAY_MS: '0',
    LOG_LEVEL: 'silent',
    ...(database.databaseUrl ? { DATABASE_URL: database.databaseUrl } : {}),
    ...options.environment,
  });
  const server = await startServer(config, {
    ...(options.wrapStoreDriver ? { wrapStoreDriver: options.wrapStoreDriver } : {}),
    ...(options.logDestination ? { logDestination: options.logDestination } : {}),
    ...(options.spanExporter ? { spanExporter: options.spanExporter } : {}),
  });
  const clientFor = (token?: string) => createThreadlineClient({ url: server.url, ...(token ? { token } : {}) });
  const close = async () => {
    await server.close();
    await database.destroy();
  };
  return {
    server,
    database,
    url: server.url,
    token: server.firstToken!,
    client: clientFor(server.firstToken!),
    clientFor,
    async addUser(name) {
      const user = await createUser(server.services.db, name);
      const { token } = await createToken(server.services.db, user.id, 'test');
      return { userId: user.id, token, client: clientFor(token) };
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

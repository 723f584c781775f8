import { setTimeout as sleep } from 'node:timers/promises';
import type { AddressInfo } from 'node:net';
import { bootstrapFirstUser } from './bootstrap.js';
import type { Config } from './config.js';
import { ensurePrivateDir } from './data-dir.js';
import { createHttpServer } from './http.js';
import { startupSummary } from './observability/index.js';
import { createServices, type ServiceOptions, type Services } from './services.js';
import { attachWebSocket } from './websocket.js';

/** A listening server. */
export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:3000 (the client adds /trpc). */
  url: string;
  port: number;
  services: Services;
  /** The first user's token when this start created it, else null. */
  firstToken: string | null;
  /**
   * Stops accepting connections and runs, lets active runs finish for up to `graceMs` (default
   * none), interrupts the rest, ends open streams and closes the database.
   */
  close(graceMs?: number): Promise<void>;
}

/** config → store (migrated) → providers → HTTP server. */
export async function startServer(config: Config, options: ServiceOptions = {}): Promise<RunningServer> {
  ensurePrivateDir(config.dataDir);
  const services = await createServices(config, undefined, options);
  const first = await bootstrapFirstUser(services.db, config.dataDir);
  const server = createHttpServer(services);
  const websocket = attachWebSocket(server, services);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  const facts = { url, database: services.dialect, agents: services.agents.list().map((agent) => agent.name), mcpServers: services.mcp.names() };
  services.logger.info(startupSummary(config, facts), 'threadline listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    services,
    firstToken: first?.token ?? null,
    close(graceMs = 0) {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        await services.close(graceMs);
        // Every run has ended: WebSocket clients are told to reconnect elsewhere, then let go.
        await websocket.close();
        // Every run has ended, so every stream has its terminal event: give them a moment to
        // reach their clients, then cut what is left (idle keep-alives, stalled readers).
        const flushed = setInterval(() => server.closeIdleConnections(), 50);
        await Promise.race([closed, sleep(1000)]);
        clearInterval(flushed);
        server.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}

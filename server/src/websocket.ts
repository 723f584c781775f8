import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { WebSocketServer } from 'ws';
import { contextForToken } from './request-context.js';
import { appRouter } from './routers/app.js';
import type { Services } from './services.js';

/** Where WebSocket clients connect: the same path as HTTP calls, on the same port. */
export const WEBSOCKET_PATH = '/trpc';

/** The WebSocket transport attached to an HTTP server. */
export interface WebSocketTransport {
  /** Tells every client to reconnect (to another instance), then closes their sockets. */
  close(): Promise<void>;
}

/**
 * Serves the same router over WebSocket (tRPC's ws adapter) on `server`'s port: an upgrade of
 * `path` (`/trpc`; another when Threadline is mounted under a prefix) becomes a tRPC connection whose user is the token in its connection params
 * (`{ token }`, as `createThreadlineClient({ transport: 'websocket' })` sends it) or in an
 * `Authorization: Bearer` header. A browser's upgrade from an origin THREADLINE_CORS_ORIGINS does
 * not list is refused, as its HTTP calls would be. Subscriptions resume after a dropped socket from
 * their last event id, as over SSE; leaving cancels nothing unless the call said so.
 */
export function attachWebSocket(server: Server, services: Services, path = WEBSOCKET_PATH): WebSocketTransport {
  const { config, logger } = services;
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxBodyBytes });
  const handler = applyWSSHandler({
    wss,
    router: appRouter,
    createContext: ({ req, info }) => {
      const fromParams = info.connectionParams?.token;
      const header = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      return contextForToken(services, fromParams ?? header);
    },
    keepAlive: { enabled: true, pingMs: 15_000, pongWaitMs: 5_000 },
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') logger.error({ err: error.cause ?? error, path }, 'websocket call failed');
    },
  });

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const requested = (request.url ?? '/').split('?')[0];
    const origin = request.headers.origin;
    const allowed = !origin || config.corsOrigins.includes('*') || config.corsOrigins.includes(origin);
    if (requested !== path || !allowed) {
      if (!allowed) logger.warn({ origin }, 'websocket refused: origin not in THREADLINE_CORS_ORIGINS');
      socket.end(`HTTP/1.1 ${allowed ? '404 Not Found' : '403 Forbidden'}\r\nconnection: close\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(request, socket, head, (client) => wss.emit('connection', client, request));
  };
  server.on('upgrade', onUpgrade);

  return {
    async close() {
      server.off('upgrade', onUpgrade);
      handler.broadcastReconnectNotification();
      for (const client of wss.clients) client.close(1012, 'server restarting');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

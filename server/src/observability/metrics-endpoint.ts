import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerMetrics } from './metrics.js';

/**
 * `GET /metrics`: the Prometheus exposition of this server's registry. With a token configured
 * (THREADLINE_METRICS_TOKEN) the scrape must send `Authorization: Bearer <token>`; without it, 401.
 */
export async function serveMetrics(request: IncomingMessage, response: ServerResponse, metrics: ServerMetrics, token: string | undefined): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' }).end(JSON.stringify({ error: 'method not allowed' }));
    return;
  }
  if (token && !bearerMatches(request.headers.authorization, token)) {
    response.writeHead(401, { 'www-authenticate': 'Bearer realm="metrics"', 'content-type': 'application/json' }).end(JSON.stringify({ error: 'a valid bearer token is required' }));
    return;
  }
  const { contentType, body } = await metrics.scrape();
  response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(request.method === 'HEAD' ? undefined : body);
}

/** Compares in constant time (the token is a secret). */
function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1] ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AnyRouter } from '@trpc/server';
import { createOpenApiDocument } from './openapi-document.js';

/** The files of swagger-ui-dist that the page loads, and their types: nothing else there is served. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

/**
 * The page: swagger-ui-dist's own files from node_modules (no CDN), pointed at `openapi.json`.
 * Relative URLs, so it works behind a proxy that mounts the server under a prefix.
 */
const PAGE = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>Threadline API</title>
    <link rel="stylesheet" href="docs/swagger-ui.css">
    <link rel="icon" type="image/png" href="docs/favicon-32x32.png" sizes="32x32">
    <link rel="icon" type="image/png" href="docs/favicon-16x16.png" sizes="16x16">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="docs/swagger-ui-bundle.js"></script>
    <script src="docs/docs-page.js"></script>
  </body>
</html>
`;

/** Starts Swagger UI (a file rather than an inline script, so the page's CSP allows no inline script). */
const PAGE_SCRIPT = `window.ui = SwaggerUIBundle({
  url: 'openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  tryItOutEnabled: true,
  displayRequestDuration: true,
  // Swagger UI's validator badge asks an outside service; this page talks to this server only.
  validatorUrl: null,
});
`;

/** Everything the page loads comes from this server (Swagger UI sets inline styles and data: images). */
const CONTENT_SECURITY_POLICY = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

/** The routes of the API reference: `/openapi.json`, the `/docs` page and its assets. */
export interface DocsRoutes {
  /** True when `path` is one of these routes. */
  serves(path: string): boolean;
  /** Answers a request for one of them. */
  respond(request: IncomingMessage, response: ServerResponse, path: string): void;
}

/**
 * `GET /openapi.json`: the OpenAPI document of `router`, made on the first request from the
 * procedures' schemas; `GET /docs`: Swagger UI on it, where a user authorizes with a bearer token
 * and tries calls against this server. Public: the document holds no data.
 */
export function createDocsRoutes(router: AnyRouter, options: { version: string }): DocsRoutes {
  const assetsDirectory = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  let document: string | undefined;

  function send(response: ServerResponse, status: number, headers: Record<string, string>, body?: string): void {
    response.writeHead(status, { 'x-content-type-options': 'nosniff', ...headers }).end(body);
  }

  return {
    serves: (path) => path === '/openapi.json' || path === '/docs' || path.startsWith('/docs/'),
    respond(request, response, path) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, { allow: 'GET, HEAD', 'content-type': 'application/json' }, JSON.stringify({ error: 'method not allowed' }));
      const body = (text: string) => (request.method === 'HEAD' ? undefined : text);
      if (path === '/openapi.json') {
        document ??= JSON.stringify(createOpenApiDocument(router, options));
        return send(response, 200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' }, body(document));
      }
      if (path === '/docs') return send(response, 200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CONTENT_SECURITY_POLICY }, body(PAGE));
      // `/docs/` would resolve the page's relative URLs one level too deep.
      if (path === '/docs/') return send(response, 308, { location: '../docs' });
      const name = path.slice('/docs/'.length);
      if (name === 'docs-page.js') return send(response, 200, { 'content-type': 'text/javascript; charset=utf-8' }, body(PAGE_SCRIPT));
      const type = ASSETS[name];
      if (!type) return send(response, 404, { 'content-type': 'application/json' }, JSON.stringify({ error: 'not found' }));
      response.writeHead(200, { 'content-type': type, 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' });
      if (request.method === 'HEAD') return void response.end();
      createReadStream(join(assetsDirectory, name))
        .on('error', () => response.destroy())
        .pipe(response);
    },
  };
}

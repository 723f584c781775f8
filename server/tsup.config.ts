import { defineConfig } from 'tsup';

/**
 * Builds what `npm start` and the `threadline-server` bin run: dist/threadline-server.js, one ESM
 * file for Node 20. Running the TypeScript through tsx instead costs a loader worker thread,
 * esbuild and source maps in memory (about 130 MB of RSS at idle, measured side by side) and
 * transpiled-on-load code on every start: a production server runs built JavaScript.
 *
 * @threadline/shared is a private workspace package consumed as source, so it is bundled in;
 * every other package stays an import of node_modules (tsup externalizes `dependencies`).
 * `npm run dev` still runs the sources through tsx, and vitest (test/global-setup.ts) builds this
 * before the tests that spawn the bin, so they never run a stale bundle.
 */
export default defineConfig({
  entry: { 'threadline-server': 'bin/threadline-server.ts' },
  // Dynamic imports (a provider's SDK, the pg driver, MCP) stay separate chunks, loaded when used.
  splitting: true,
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  clean: true,
  sourcemap: true,
  noExternal: [/^@threadline\/shared$/],
});

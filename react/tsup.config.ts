import { defineConfig } from 'tsup';

/**
 * Builds the publishable package: dist/index.js (ESM, for browsers and bundlers) and dist/index.d.ts.
 *
 * Unlike @threadline/client, nothing here is inlined: @threadline/client is a published dependency
 * (its reducer, its client and its AppRouter type are the ones this package uses), React and React
 * Query are peers, and tRPC's packages are dependencies. Every import stays external and must be
 * in package.json (test/react-pack.test.ts checks both outputs import nothing else).
 *
 * Inside the workspace, package.json's `@threadline/source` export points at src/index.ts, as the
 * client's does, so examples/web and the type-check use the source without waiting for this build.
 */
export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm'],
  platform: 'browser',
  target: 'es2022',
  clean: true,
  sourcemap: true,
  // The declarations name @threadline/client's published types (its dist/index.d.ts, built first by
  // the root build), not its source: the source condition would pull the server's files in.
  dts: { compilerOptions: { customConditions: [] } },
});

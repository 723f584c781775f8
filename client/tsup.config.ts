import { defineConfig } from 'tsup';

/**
 * Builds the publishable package: dist/index.js (ESM) and one self-contained dist/index.d.ts.
 *
 * @threadline/server and @threadline/shared are private workspace packages that are never
 * published, so nothing from them may stay an import in dist:
 * - JS: `noExternal` bundles shared's runtime code (isTerminalEvent, limits) into index.js; the
 *   server is only imported as a type, so none of its code is bundled.
 * - d.ts: the AppRouter type and shared's types are inlined. tsup's `dts.resolve` cannot do it: its
 *   resolver reads only a package's `types`/`typings` field, and these packages declare their types
 *   in `exports` alone, so it leaves them external. And rollup-plugin-dts (inside tsup) keeps every
 *   import TypeScript resolves through node_modules external, workspace symlinks included. A
 *   `paths` mapping to the sources makes TypeScript resolve them as project files, which get inlined.
 * Every other package stays external and must be in package.json `dependencies` (tsup externalizes
 * those); test/client-pack.test.ts checks both outputs import nothing else.
 *
 * package.json's `@threadline/source` export condition points at src/index.ts: inside the
 * workspace (tsc's customConditions, vitest, examples/web's Vite, the CLI run from source) packages
 * use each other's source, so nothing there waits for this build; a consumer of the packed package,
 * which knows no such condition, gets dist/.
 */
export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  clean: true,
  sourcemap: true,
  noExternal: [/^@threadline\//],
  dts: {
    compilerOptions: { paths: { '@threadline/*': ['../*/src/index.ts'] } },
  },
});

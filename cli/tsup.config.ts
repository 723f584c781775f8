import { defineConfig } from 'tsup';

/**
 * Builds the `threadline` command, dist/main.js (bin/threadline.js loads it), from src/main.ts.
 * @threadline/client stays an import (a dependency, built on its own); @threadline/shared is a
 * private workspace package that is never published, so its runtime code (the scenario schema's
 * Zod enums) is bundled. The commands main.ts loads on demand are bundled into the one file.
 */
export default defineConfig({
  entry: { main: 'src/main.ts' },
  splitting: false,
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  clean: true,
  sourcemap: true,
  noExternal: [/^@threadline\/shared$/],
});

import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Tests run in Node (Vite's server environment) and use @threadline/client from source through its
  // `@threadline/source` export, as tsc does (customConditions): no test waits for, or races, its build.
  ssr: { resolve: { conditions: ['@threadline/source', ...defaultServerConditions] } },
  test: {
    include: [
      'shared/src/**/*.test.ts',
      'server/src/**/*.test.ts',
      'client/src/**/*.test.ts',
      'cli/src/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/dist/**'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    typecheck: { enabled: true, include: ['client/src/**/*.test-d.ts'] },
  },
});

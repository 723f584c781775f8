import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';
import { PATIENCE_MS, POLL_INTERVAL_MS, TEST_TIMEOUT_MS } from './test/helpers/patience.js';

export default defineConfig({
  // Tests run in Node (Vite's server environment) and use @threadline/client from source through its
  // `@threadline/source` export, as tsc does (customConditions): no test waits for, or races, its build.
  // Without `module`, which Node itself never uses: @opentelemetry/* point it at ESM builds whose
  // extensionless imports Node cannot load.
  ssr: { resolve: { conditions: ['@threadline/source', ...defaultServerConditions.filter((condition) => condition !== 'module')] } },
  test: {
    include: [
      'shared/src/**/*.test.ts',
      'server/src/**/*.test.ts',
      'client/src/**/*.test.ts',
      'cli/src/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/dist/**'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    // Bounds for a loaded 2-core machine (test/helpers/patience.ts): a passing test never waits them out.
    testTimeout: TEST_TIMEOUT_MS,
    hookTimeout: 60_000,
    expect: { poll: { timeout: PATIENCE_MS, interval: POLL_INTERVAL_MS } },
    typecheck: { enabled: true, include: ['client/src/**/*.test-d.ts'] },
  },
});

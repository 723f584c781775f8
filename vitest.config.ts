import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';
import { PATIENCE_MS, POLL_INTERVAL_MS, TEST_TIMEOUT_MS } from './test/helpers/patience.js';

export default defineConfig({
  // Tests run in Node (Vite's server environment) and use @threadline/client from source through its
  // `@threadline/source` export, as tsc does (customConditions): no test waits for, or races, its build.
  // Without `module`, which Node itself never uses: @opentelemetry/api's `module` build (imported by
  // the Anthropic SDK and the `ai` package) has extensionless imports only a bundler can load.
  ssr: { resolve: { conditions: ['@threadline/source', ...defaultServerConditions.filter((condition) => condition !== 'module')] } },
  test: {
    include: [
      'shared/src/**/*.test.ts',
      'server/src/**/*.test.ts',
      'client/src/**/*.test.ts',
      'cli/src/**/*.test.ts',
      'react/src/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/dist/**'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    // Two files at a time on CI's 2 cores: most tests wait on servers and child processes, not CPU
    // (measured: 529 s for the suite with two, 691 s with vitest's default of one).
    maxWorkers: 2,
    // Bounds for a loaded 2-core machine (test/helpers/patience.ts): a passing test never waits them out.
    testTimeout: TEST_TIMEOUT_MS,
    hookTimeout: 60_000,
    expect: { poll: { timeout: PATIENCE_MS, interval: POLL_INTERVAL_MS } },
    typecheck: { enabled: true, include: ['client/src/**/*.test-d.ts'] },
  },
});

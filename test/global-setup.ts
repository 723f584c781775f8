import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Builds the server bundle the `threadline-server` bin runs (server/tsup.config.ts), once before
 * the suite: tests that spawn the bin must run the sources as they are now, never a stale build.
 */
export default function buildServer(): void {
  execFileSync('npx', ['tsup', '--silent'], { cwd: fileURLToPath(new URL('../server', import.meta.url)), stdio: 'inherit' });
}

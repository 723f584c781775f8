import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

// What the pack tests share: they pack a workspace package, install the tarball in a throwaway
// project and use it there as a consumer would.

/** execFile as a promise. */
export const run = promisify(execFile);
const require = createRequire(import.meta.url);

/** The version of a package this repository installed (so the npm cache has it). */
export const versionOf = (name: string): string => (require(`${name}/package.json`) as { version: string }).version;

/** npm settings inherited from a surrounding `npm test` (local_prefix=this repo, workspace, ...) must not steer the consumer's install. */
const keptNpmVariables = new Set(['npm_config_cache', 'npm_config_userconfig', 'npm_config_registry', 'npm_config_cafile']);
/** The environment for npm and the consumer: this process's, without the npm_* settings of a surrounding npm run. */
export const environment = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_') || keptNpmVariables.has(key.toLowerCase())),
);

/** Runs npm in `cwd` with that environment. */
export function npm(args: string[], cwd: string) {
  return run('npm', args, { cwd, env: environment, maxBuffer: 16 * 1024 * 1024 });
}

/** Bare package names imported by an ES module or declaration file (`@scope/name/sub` → `@scope/name`). */
export function importedPackages(source: string): string[] {
  const specifiers = [...source.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)].map((match) => match[1]!);
  const packages = specifiers
    .filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('node:'))
    .map((specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/'));
  return [...new Set(packages)].sort();
}

/** The names a bundled index.d.ts exports as values (`export { a, type B }` → a), sorted. */
export function declaredValueExports(declarations: string): string[] {
  const exportList = [...declarations.matchAll(/^export \{([^}]*)\};?$/gm)].flatMap((match) => match[1]!.split(','));
  return exportList.map((name) => name.trim()).filter((name) => name && !name.startsWith('type ')).map((name) => name.split(/\s+as\s+/).at(-1)!).sort();
}

const checkout = fileURLToPath(new URL('../..', import.meta.url));
const lockDirectory = join(tmpdir(), `threadline-build-${createHash('sha256').update(checkout).digest('hex').slice(0, 12)}.lock`);
/** A lock older than this was left by a process that died. */
const STALE_LOCK_MS = 10 * 60_000;

/**
 * Runs `work` (building packages and packing them) while no other test file of this checkout does:
 * tsup empties a package's dist/ before writing it, so a pack test packing while another builds
 * could pack half a package. The lock is a directory (mkdir is atomic).
 */
export async function whileBuildsAreMine<T>(work: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      await mkdir(lockDirectory);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const since = await stat(lockDirectory).then((entry) => entry.mtimeMs, () => Date.now());
      if (Date.now() - since > STALE_LOCK_MS) await rm(lockDirectory, { recursive: true, force: true });
      else await sleep(250);
    }
  }
  try {
    return await work();
  } finally {
    await rm(lockDirectory, { recursive: true, force: true });
  }
}

import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
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

import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

// @trpc/tanstack-react-query pins @trpc/client and @trpc/server to its own exact version; when the
// rest of the workspace resolved another, @threadline/react and examples/web saw two copies of
// tRPC's types. The root package.json's `overrides` keep one.

describe('tRPC across the workspace', () => {
  it('installs one copy of each @trpc package, all of one version', async () => {
    const lock = JSON.parse(await readFile(new URL('../package-lock.json', import.meta.url), 'utf8')) as {
      packages: Record<string, { version?: string }>;
    };
    const installed = Object.entries(lock.packages).filter(([path]) => /(^|\/)node_modules\/@trpc\/[^/]+$/.test(path));
    const names = installed.map(([path]) => path.slice(path.lastIndexOf('@trpc/')));
    expect(names.sort()).toEqual(['@trpc/client', '@trpc/server', '@trpc/tanstack-react-query']);
    expect(new Set(installed.map(([, entry]) => entry.version)).size).toBe(1);
  });
});

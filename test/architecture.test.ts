import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The server's source files (tests left out), each with the files of the tree it imports. */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const serverSource = join(root, 'server/src');

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

const IMPORT = /^(?:import|export)\s[^;]*?from\s+'(\.{1,2}\/[^']+)'/gm;

function importsOf(file: string): { target: string; statement: string }[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((match) => ({ target: resolve(dirname(file), match[1]!.replace(/\.js$/, '.ts')), statement: match[0] }));
}

const files = sourceFiles(serverSource);
const graph = new Map(files.map((file) => [file, importsOf(file).filter(({ target }) => existsSync(target)).map(({ target }) => target)]));
const name = (file: string) => relative(root, file);

/** Every import circle (strongly connected component of more than one file, or a file importing itself). */
function circles(): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let counter = 0;
  const visit = (file: string) => {
    index.set(file, counter);
    low.set(file, counter++);
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(file, Math.min(low.get(file)!, index.get(next)!));
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(name(member));
      } while (member !== file);
      if (component.length > 1 || (graph.get(file) ?? []).includes(file)) found.push(component.sort());
    }
  };
  for (const file of files) if (!index.has(file)) visit(file);
  return found;
}

/** Packages loaded only when configured (a provider's SDK, a driver, MCP, Redis's client, YAML for a YAML file, pino-pretty for a terminal): never reached from the entry by a static import. */
const LOADED_WHEN_USED = ['@anthropic-ai/sdk', 'openai', 'ollama', '@modelcontextprotocol/sdk', 'pg', 'ioredis', 'yaml', 'pino-pretty'];
/** A value import (not `import type`) of a package or a file: what runs when the importing file loads. */
const VALUE_IMPORT = /^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'/gm;

/** Files the server's entry loads as it starts (static value imports, followed), each with the packages it imports. */
function loadedAtStart(entry: string): Map<string, string[]> {
  const loaded = new Map<string, string[]>();
  const visit = (file: string) => {
    if (loaded.has(file)) return;
    const specifiers = [...readFileSync(file, 'utf8').matchAll(VALUE_IMPORT)].map((match) => match[1]!);
    loaded.set(file, specifiers.filter((specifier) => !specifier.startsWith('.')));
    for (const specifier of specifiers.filter((specifier) => specifier.startsWith('.'))) {
      const target = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));
      if (existsSync(target)) visit(target);
    }
  };
  visit(entry);
  return loaded;
}

describe('the shape of the server', () => {
  it('has no import circle', () => {
    expect(circles()).toEqual([]);
  });

  it('keeps rows and columns inside store/: outside it, only the Database type comes from store/database.ts', () => {
    const leaks = files
      .filter((file) => !file.startsWith(join(serverSource, 'store')))
      .flatMap((file) => importsOf(file).filter(({ target }) => target === join(serverSource, 'store/database.ts')).map(({ statement }) => ({ file: name(file), statement })))
      .filter(({ statement }) => !/^import type \{ Database \} from/.test(statement));
    expect(leaks).toEqual([]);
  });

  it('lets the store, the cluster and the event logs know nothing of runs, and the agent loop nothing of storage or scheduling', () => {
    const below = (folder: string, forbidden: string[]) =>
      files
        .filter((file) => file.startsWith(join(serverSource, folder)))
        .flatMap((file) => (graph.get(file) ?? []).filter((target) => forbidden.some((other) => target.startsWith(join(serverSource, other)))).map((target) => `${name(file)} -> ${name(target)}`));
    expect(below('store/', ['runs/', 'routers/', 'cluster/'])).toEqual([]);
    expect(below('cluster/', ['runs/', 'store/'])).toEqual([]);
    expect(below('events/', ['runs/', 'store/'])).toEqual([]);
    expect(below('runs/loop/', ['runs/record/', 'runs/scheduling/', 'runs/approvals/', 'runs/engine', 'runs/run-executor'])).toEqual([]);
    expect(below('runs/record/', ['runs/loop/', 'runs/scheduling/', 'runs/approvals/', 'runs/engine', 'runs/run-executor'])).toEqual([]);
  });

  it('loads a provider SDK, the PostgreSQL driver, MCP, Redis, YAML and pino-pretty only when they are used (dynamic imports), not as it starts', () => {
    const eager = [...loadedAtStart(join(root, 'server/bin/threadline-server.ts'))].flatMap(([file, packages]) =>
      packages.filter((specifier) => LOADED_WHEN_USED.some((heavy) => specifier === heavy || specifier.startsWith(`${heavy}/`))).map((specifier) => `${name(file)} -> ${specifier}`),
    );
    expect(eager).toEqual([]);
  });

  it('gives each room of runs/, events/ and cluster/ an index that states its job', () => {
    for (const folder of ['runs', 'runs/record', 'runs/scheduling', 'runs/loop', 'runs/approvals', 'events', 'cluster']) {
      const index = join(serverSource, folder, 'index.ts');
      expect(existsSync(index), folder).toBe(true);
      expect(readFileSync(index, 'utf8'), folder).toMatch(/^\/\*\*\n \* \S/);
    }
  });
});

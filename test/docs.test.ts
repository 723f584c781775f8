import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { appRouter } from '../server/src/routers/app.js';

// The docs name what the code serves: every procedure of the real appRouter is in a table of
// docs/API.md (with its kind) and in README's "Other calls" paragraph, and README's layout line
// names every top-level folder of the checkout.

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');

/** `sessions.create` → `mutation`, for every procedure the server serves (tRPC v11 keeps them flat by path). */
const procedures = new Map(
  Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>).map(([path, procedure]) => [path, procedure._def.type]),
);

const PROCEDURE_NAME = /^[a-z]+\.[a-zA-Z]+$/;

/** The names in backticks in `text`, with `group.a / b / c` read as `group.a`, `group.b`, `group.c`. */
function namesIn(text: string): string[] {
  const names: string[] = [];
  for (const [, quoted] of text.matchAll(/`([^`]+)`/g)) {
    const [first, ...rest] = quoted!.split('/').map((part) => part.trim());
    const group = first!.split('.')[0];
    names.push(first!, ...rest.map((name) => (name.includes('.') ? name : `${group}.${name}`)));
  }
  return names;
}

/** Procedure name → the first word of its row's second (kind) column, from every table row of `markdown`. */
function documentedProcedures(markdown: string): Map<string, string> {
  const documented = new Map<string, string>();
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|')) continue;
    // Cells are split on pipes that are not escaped (`tools \| research` stays in its cell).
    const [, name = '', kind = ''] = line.split(/(?<!\\)\|/).map((cell) => cell.trim());
    for (const procedure of namesIn(name).filter((each) => PROCEDURE_NAME.test(each))) documented.set(procedure, kind.split(/[\s,]/)[0]!);
  }
  return documented;
}

/** The paragraph of `markdown` that starts with `start`, its lines joined. */
function paragraph(markdown: string, start: string): string {
  const found = markdown.split(/\n\s*\n/).find((each) => each.trimStart().startsWith(start));
  expect(found, `a paragraph starting "${start}"`).toBeDefined();
  return found!.replace(/\s+/g, ' ');
}

describe('docs', () => {
  it('the server has the procedures these checks read', () => {
    expect(procedures.get('chat.stream')).toBe('subscription');
    expect(procedures.size).toBeGreaterThan(20);
  });

  it('docs/API.md has a table row for every procedure, with its kind, and none that the server lacks', () => {
    const documented = documentedProcedures(read('docs/API.md'));
    const kinds = Object.fromEntries([...procedures.keys()].map((name) => [name, documented.get(name) ?? 'missing']));
    expect(kinds).toEqual(Object.fromEntries(procedures));
    expect([...documented.keys()].filter((name) => !procedures.has(name))).toEqual([]);
  });

  it('README\'s "Other calls" paragraph names every procedure, and none that the server lacks', () => {
    const named = new Set(namesIn(paragraph(read('README.md'), 'Other calls:')).filter((name) => PROCEDURE_NAME.test(name)));
    expect([...procedures.keys()].filter((name) => !named.has(name))).toEqual([]);
    expect([...named].filter((name) => !procedures.has(name))).toEqual([]);
  });

  it("README's layout line names every top-level folder of the checkout", () => {
    const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n');
    const folders = new Set(tracked.filter((path) => path.includes('/')).map((path) => `${path.split('/')[0]}/`));
    const layout = paragraph(read('README.md'), 'Layout:');
    expect([...folders].filter((folder) => !layout.includes(`\`${folder}\``))).toEqual([]);
  });
});

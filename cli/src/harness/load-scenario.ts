import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { isMap, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { Scenario } from './scenario-schema.js';

/** A scenario read from its file, validated, with its name settled. */
export interface LoadedScenario {
  file: string;
  name: string;
  scenario: Scenario;
}

/** A scenario file that cannot be used; `problems` are lines like `file:12:7: steps[2].expect.status: …`. */
export class ScenarioFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(problems.join('\n'));
    this.name = 'ScenarioFileError';
  }
}

/**
 * Reads a YAML or JSON scenario and validates it. Every problem names the file, the line and column
 * when known, and the path inside the document (`steps[1].parallel[0].send`).
 */
export async function loadScenario(file: string): Promise<LoadedScenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ScenarioFileError(file, [`${file}: cannot read: ${(error as Error).message}`]);
  }
  return parseScenario(file, text);
}

/** Validates scenario text; the format follows the extension (.json is JSON, anything else YAML). */
export function parseScenario(file: string, text: string): LoadedScenario {
  if (extname(file).toLowerCase() === '.json') {
    try {
      JSON.parse(text);
    } catch (error) {
      throw new ScenarioFileError(file, [`${file}: not valid JSON: ${(error as Error).message}`]);
    }
  }
  // JSON is YAML too: one parser gives line numbers for both.
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new ScenarioFileError(
      file,
      document.errors.map((error) => {
        const position = error.linePos ? `:${error.linePos[0].line}:${error.linePos[0].col}` : '';
        return `${file}${position}: ${error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`;
      }),
    );
  }
  const parsed = Scenario.safeParse(document.toJS());
  if (!parsed.success) {
    throw new ScenarioFileError(file, parsed.error.issues.map((issue) => describeIssue(file, issue, document, lineCounter)));
  }
  const name = parsed.data.name ?? basename(file, extname(file));
  return { file, name, scenario: parsed.data };
}

function describeIssue(file: string, issue: z.core.$ZodIssue, document: Document, lineCounter: LineCounter): string {
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
  const position = positionOf(document, lineCounter, path as (string | number)[]);
  const where = formatPath(path as (string | number)[]) || '(top level)';
  return `${file}${position}: ${where}: ${issue.message}`;
}

/** `:line:column` of the deepest node of `path` that exists, or '' when the document has none. */
function positionOf(document: Document, lineCounter: LineCounter, path: (string | number)[]): string {
  for (let length = path.length; length >= 0; length--) {
    const prefix = path.slice(0, length);
    const node = length === 0 ? document.contents : document.getIn(prefix, true);
    let offset = (node as { range?: [number, number, number] } | undefined)?.range?.[0];
    // For a key, point at the key itself rather than its value.
    const parent = length > 0 ? (length === 1 ? document.contents : document.getIn(path.slice(0, length - 1), true)) : undefined;
    if (isMap(parent)) {
      const pair = parent.items.find((item) => (item.key as { value?: unknown } | null)?.value === path[length - 1]);
      const keyOffset = (pair?.key as { range?: [number, number, number] } | null)?.range?.[0];
      if (keyOffset !== undefined) offset = keyOffset;
    }
    if (offset !== undefined) {
      const { line, col } = lineCounter.linePos(offset);
      return `:${line}:${col}`;
    }
  }
  return '';
}

/** `steps[2].expect.status` from `['steps', 2, 'expect', 'status']`. */
export function formatPath(path: readonly (string | number)[]): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`)).join('');
}

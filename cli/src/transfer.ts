import { readFile, writeFile } from 'node:fs/promises';
import { TRPCClientError } from '@trpc/client';
import type { RouterInputs } from '@threadline/client';
import { resolveConnection, type Connection, type ConnectionOptions } from './connection.js';
import { describeError } from './errors.js';

/** Options of `threadline export`. */
export interface ExportOptions extends ConnectionOptions {
  /** json (default, lossless: every branch) or markdown (the branch shown, for reading). */
  format?: string;
  /** Write to this file instead of stdout. */
  output?: string;
}

const fail = (message: string) => (process.stderr.write(`threadline: ${message}\n`), 1);

/** The server's Zod issues, one per line, so a refused import says which field and why. */
function issuesOf(error: unknown): string[] {
  if (!(error instanceof TRPCClientError)) return [];
  const issues = (error.data as { issues?: { path?: (string | number)[]; message?: string }[] } | undefined)?.issues ?? [];
  return issues.map((issue) => `  ${(issue.path ?? []).join('.') || '(the file)'}: ${issue.message ?? 'invalid'}`);
}

/** `threadline export SESSION [--format json|markdown] [-o FILE]`: the session as a file. Resolves to the exit code. */
export async function runExport(sessionId: string, options: ExportOptions): Promise<number> {
  const format = options.format ?? 'json';
  if (format !== 'json' && format !== 'markdown') return fail(`--format ${format}: json or markdown`);
  let connection: Connection | undefined;
  try {
    connection = await resolveConnection(options);
    const file = await connection.client.sessions.export.query({ sessionId, format });
    if (!options.output) {
      process.stdout.write(file.content);
      return 0;
    }
    await writeFile(options.output, file.content);
    process.stderr.write(`exported to ${options.output}\n`);
    return 0;
  } catch (error) {
    return fail(describeError(error, connection));
  }
}

/** `threadline import FILE`: a JSON export stored as a new session; prints its id. Resolves to the exit code. */
export async function runImport(path: string, options: ConnectionOptions): Promise<number> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    return fail(`${path}: ${error instanceof SyntaxError ? `not JSON (${error.message})` : describeError(error)}`);
  }
  let connection: Connection | undefined;
  try {
    connection = await resolveConnection(options);
    // The server validates the file: anything wrong is a BAD_REQUEST naming the field.
    const session = await connection.client.sessions.import.mutate({ data: data as RouterInputs['sessions']['import']['data'] });
    process.stdout.write(`${session.id}\n`);
    process.stderr.write(`imported "${session.title ?? 'untitled'}" (${session.messageCount} messages)\n`);
    return 0;
  } catch (error) {
    const issues = issuesOf(error);
    if (issues.length === 0) return fail(`${path}: ${describeError(error, connection)}`);
    return fail([`${path}: not a valid export (BAD_REQUEST):`, ...issues].join('\n'));
  }
}

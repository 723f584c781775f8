import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { z } from 'zod';

/** A name usable inside a model-facing tool name (`<server>__<tool>`) and in the file's tool references. */
const McpServerName = z.string().regex(/^[A-Za-z0-9-]+(_[A-Za-z0-9-]+)*$/, 'MCP server names are letters, digits, - and single _');

const AgentEntry = z.strictObject({
  name: z.string().min(1).max(64).regex(/^[a-z0-9][a-z0-9_-]*$/i, 'agent names are letters, digits, - and _'),
  description: z.string().default(''),
  /** The system prompt. */
  instructions: z.string().min(1),
  /** Default `provider/model`; unset, the server's default model. */
  model: z.string().regex(/^[a-z0-9_-]+\/.+$/i, 'a model is provider/model, e.g. local/echo').optional(),
  /** Models that take over, in order, when the model fails before its first token. */
  fallbacks: z.array(z.string().regex(/^[a-z0-9_-]+\/.+$/i, 'a model is provider/model, e.g. local/echo')).max(4).optional(),
  /** Built-in tool names, `<server>/<tool>` or `<server>/*`. */
  tools: z.array(z.string().min(1)).default([]),
  /** Which of those tools wait for the user's approval before each call (same references as `tools`). */
  approval: z.array(z.string().min(1)).optional(),
  maxSteps: z.int().min(1).max(100).default(8),
  context: z
    .strictObject({
      lastMessages: z.int().positive().optional(),
      maxTokens: z.int().positive().optional(),
      /** The model's context window, tokens, when the server does not know it. */
      windowTokens: z.int().min(256).max(100_000_000).optional(),
      /** What happens to messages that do not fit: left out (`drop`, the default) or summarised. */
      overflow: z.enum(['drop', 'summarize']).optional(),
    })
    .optional(),
  /** Agents this one may hand the conversation to (a `handoff_to_<agent>` tool each). */
  handoffs: z.array(z.string().min(1)).optional(),
  /** Ask the model to reason first: low, medium or high (thinking budget, reasoning effort). */
  reasoning: z.enum(['low', 'medium', 'high']).optional(),
  /** Longest answer of one model call, in tokens. */
  maxOutputTokens: z.int().positive().max(1_000_000).optional(),
  /** End answers with 2-4 suggested follow-up questions. */
  suggestions: z.boolean().optional(),
  /** How untitled sessions get their title: the first words (default) or by asking the model. */
  titles: z.enum(['words', 'model']).optional(),
});

const McpServerEntry = z
  .strictObject({
    /** stdio: the program to start, its arguments, extra environment and working directory. */
    command: z.string().min(1).optional(),
    args: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string()).optional(),
    cwd: z.string().min(1).optional(),
    /** Streamable HTTP: the endpoint and headers sent with every request. */
    url: z.url({ protocol: /^https?$/ }).optional(),
    headers: z.record(z.string(), z.string()).optional(),
  })
  .superRefine((entry, context) => {
    if ((entry.command === undefined) === (entry.url === undefined)) {
      context.addIssue({ code: 'custom', message: 'set either command (stdio) or url (streamable HTTP)' });
    }
    const stdioOnly = (['args', 'env', 'cwd'] as const).filter((key) => entry[key] !== undefined);
    if (entry.url !== undefined && stdioOnly.length > 0) {
      context.addIssue({ code: 'custom', message: `${stdioOnly.join(', ')} only apply to a command server` });
    }
    if (entry.command !== undefined && entry.headers !== undefined) {
      context.addIssue({ code: 'custom', message: 'headers only apply to a url server' });
    }
  });

const AgentsFileSchema = z.strictObject({
  agents: z.array(AgentEntry).default([]),
  mcpServers: z.record(McpServerName, McpServerEntry).default({}),
});

/** One agent as the agents file declares it (tools still by name). */
export type AgentsFileAgent = z.infer<typeof AgentEntry>;

/** How to reach an MCP server: a program speaking MCP on stdio, or a streamable HTTP endpoint. */
export type McpServerConfig =
  | { transport: 'stdio'; command: string; args: string[]; env: Record<string, string>; cwd: string | undefined }
  | { transport: 'http'; url: string; headers: Record<string, string> };

/** The agents file, validated. */
export interface AgentsFile {
  /** Absolute path, for messages. */
  path: string;
  /** The well-formed agents, each with its place in the file (`agents[position]` in messages). */
  agents: (AgentsFileAgent & { position: number })[];
  mcpServers: Record<string, McpServerConfig>;
  /**
   * What is wrong with its shape (fields, duplicate names). The file's agents are checked further
   * when they are built (agentsWithFile: tools, approvals, handoffs, models), which reports these
   * together with its own, so that one start names every mistake.
   */
  problems: string[];
}

/** A problem in the agents file: the message names the file and where in it. */
export class AgentsFileError extends Error {
  constructor(
    readonly file: string,
    problems: string[],
  ) {
    super(`agents file ${file}:\n  ${problems.join('\n  ')}`);
    this.name = 'AgentsFileError';
  }
}

/** `agents[0].tools[2]`, as a reader of the file looks for it. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`))
    .join('') || '(top level)';
}

/**
 * Reads and validates an agents file (`.json` is read as JSON, anything else as YAML). Relative
 * `cwd`s are resolved against the file's folder. Throws an `AgentsFileError` when it cannot be read
 * or parsed; problems of shape come back in `problems` (see AgentsFile).
 */
export async function readAgentsFile(path: string): Promise<AgentsFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new AgentsFileError(path, [`cannot read it: ${(error as Error).message}`]);
  }
  const raw = (extname(path).toLowerCase() === '.json' ? parseJson(path, text) : await parseYaml(path, text)) ?? {};
  return validAgentsFile(path, raw);
}

/** Validates a parsed agents file; see `readAgentsFile`. */
function validAgentsFile(path: string, raw: unknown): AgentsFile {
  const { data, problems } = wellFormedParts(path, raw);
  const agents = data.agents.filter((agent, index, all) => {
    if (all.findIndex((other) => other.name === agent.name) === index) return true;
    problems.push(`agents[${agent.position}].name: agent ${agent.name} is defined more than once`);
    return false;
  });

  const folder = dirname(path);
  const mcpServers: Record<string, McpServerConfig> = {};
  for (const [name, entry] of Object.entries(data.mcpServers)) {
    mcpServers[name] = entry.url
      ? { transport: 'http', url: entry.url, headers: entry.headers ?? {} }
      : { transport: 'stdio', command: entry.command!, args: entry.args ?? [], env: entry.env ?? {}, cwd: entry.cwd && resolve(folder, entry.cwd) };
  }
  return { path, agents, mcpServers, problems };
}

/**
 * The file's well-formed agents and MCP servers, and a line for every problem of shape. A broken
 * agent or server is left out (and reported) so that the rest can still be checked; a broken top
 * level (not a mapping, an unknown key) stops here.
 */
function wellFormedParts(path: string, raw: unknown): { data: { agents: AgentsFile['agents']; mcpServers: z.infer<typeof AgentsFileSchema>['mcpServers'] }; problems: string[] } {
  const parsed = AgentsFileSchema.safeParse(raw);
  if (parsed.success) return { data: { ...parsed.data, agents: parsed.data.agents.map((agent, position) => ({ ...agent, position })) }, problems: [] };
  const problems = parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
  const brokenAgents = new Set<number>();
  const brokenServers = new Set<string>();
  for (const { path: where } of parsed.error.issues) {
    if (where[0] === 'agents' && typeof where[1] === 'number') brokenAgents.add(where[1]);
    else if (where[0] === 'mcpServers' && typeof where[1] === 'string') brokenServers.add(where[1]);
    else throw new AgentsFileError(path, problems);
  }
  const document = raw as { agents?: unknown[]; mcpServers?: Record<string, unknown> };
  const agents = (document.agents ?? []).flatMap((entry, position) => (brokenAgents.has(position) ? [] : [{ ...AgentEntry.parse(entry), position }]));
  const mcpServers = Object.fromEntries(
    Object.entries(document.mcpServers ?? {}).flatMap(([name, entry]) => (brokenServers.has(name) ? [] : [[name, McpServerEntry.parse(entry)]])),
  );
  return { data: { agents, mcpServers }, problems };
}

function parseJson(path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AgentsFileError(path, [`not valid JSON: ${(error as Error).message}`]);
  }
}

/** YAML's parser is loaded only for a YAML file: a server without one does not keep it in memory. */
async function parseYaml(path: string, text: string): Promise<unknown> {
  const { parseDocument } = await import('yaml');
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    throw new AgentsFileError(path, document.errors.map((error) => `not valid YAML: ${error.message}`));
  }
  return document.toJS();
}

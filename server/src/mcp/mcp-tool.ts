import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { ToolDefinition, ToolInputCheck } from '../agents/types.js';

/** A tool as an MCP server lists it. */
export interface McpToolInfo {
  name: string;
  description?: string | undefined;
  inputSchema: Record<string, unknown>;
}

/** What `tools/call` answers (the fields Threadline reads). */
export interface McpCallResult {
  content?: unknown;
  structuredContent?: unknown;
  isError?: unknown;
}

/** Calls one tool of one server; throws when the server is not running. */
export type McpCall = (tool: string, input: Record<string, unknown>, signal: AbortSignal) => Promise<McpCallResult>;

/** Longest tool name OpenAI accepts. */
const MAX_TOOL_NAME = 64;

/**
 * The name the model sees for `<server>/<tool>`: `<server>__<tool>`, with every character outside
 * `[A-Za-z0-9_-]` replaced by `_` and cut to 64 characters (what OpenAI and Anthropic accept).
 */
export function modelToolName(server: string, tool: string): string {
  return `${server}__${tool}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, MAX_TOOL_NAME);
}

const validators = new AjvJsonSchemaValidator();

/** A validation of the tool's input against its JSON Schema (an object at least, when the schema will not compile). */
function inputValidator(schema: Record<string, unknown>): (input: unknown) => ToolInputCheck {
  const isObject = (input: unknown) => typeof input === 'object' && input !== null && !Array.isArray(input);
  try {
    const validate = validators.getValidator(schema);
    return (input) => {
      if (!isObject(input)) return { ok: false, message: 'the input must be a JSON object' };
      const result = validate(input);
      return result.valid ? { ok: true, value: input } : { ok: false, message: result.errorMessage };
    };
  } catch {
    return (input) => (isObject(input) ? { ok: true, value: input } : { ok: false, message: 'the input must be a JSON object' });
  }
}

/** A text, image or resource part of a result, as text. */
function partText(part: unknown): string {
  const value = part as { type?: string; text?: string; mimeType?: string; uri?: string; resource?: { uri?: string; text?: string } };
  switch (value.type) {
    case 'text':
      return value.text ?? '';
    case 'resource':
      return value.resource?.text ?? `[resource ${value.resource?.uri ?? ''}]`;
    case 'resource_link':
      return `[resource ${value.uri ?? ''}]`;
    case 'image':
    case 'audio':
      return `[${value.type} ${value.mimeType ?? ''}]`;
    default:
      return JSON.stringify(part);
  }
}

/**
 * A tool result as the model sees it: `structuredContent` when the server sends it, else the
 * content's parts as text, joined by new lines.
 */
export function resultOutput(result: McpCallResult): unknown {
  if (result.structuredContent !== undefined && result.structuredContent !== null) return result.structuredContent;
  const content = Array.isArray(result.content) ? result.content : [];
  return content.map(partText).join('\n');
}

/** An MCP tool as an agent's tool; an `isError` result (or a server that is not running) is an error result. */
export function mcpToolDefinition(server: string, tool: McpToolInfo, call: McpCall): ToolDefinition {
  const validate = inputValidator(tool.inputSchema);
  return {
    name: modelToolName(server, tool.name),
    description: tool.description ?? `${tool.name} (MCP server ${server})`,
    inputSchema: tool.inputSchema,
    validate,
    async execute(input, context) {
      const result = await call(tool.name, input as Record<string, unknown>, context.signal);
      const output = resultOutput(result);
      if (result.isError === true) throw new Error(typeof output === 'string' ? output : JSON.stringify(output));
      return output;
    },
  };
}

/** A tool named in the agents file whose server is not available: every call is an error result. */
export function unavailableToolDefinition(server: string, tool: string, reason: () => string): ToolDefinition {
  return {
    name: modelToolName(server, tool),
    description: `${tool} (MCP server ${server}, not available)`,
    inputSchema: { type: 'object' },
    validate: (input) => ({ ok: true, value: input }),
    execute: async () => {
      throw new Error(reason());
    },
  };
}

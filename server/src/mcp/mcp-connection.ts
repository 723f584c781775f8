import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Logger } from 'pino';
import type { McpServerConfig } from '../agents/agents-file.js';
import { splitCredentials } from '../url-credentials.js';
import { version } from '../version.js';
import type { McpCallResult, McpToolInfo } from './mcp-tool.js';

/** How long a server may take to start and list its tools. */
export const MCP_CONNECT_TIMEOUT_MS = 30_000;

/** `connecting` → `connected`; `failed` when it did not start or went away; `closed` after `close()`. */
export type McpConnectionState = 'connecting' | 'connected' | 'failed' | 'closed';

/** Credentials in an HTTP server's URL are sent as `Authorization: Basic` (a header of its own wins). */
function transportFor(config: McpServerConfig): Transport {
  if (config.transport === 'http') {
    const { url, headers } = splitCredentials(config.url);
    const ownAuthorization = Object.keys(config.headers).some((name) => name.toLowerCase() === 'authorization');
    return new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: ownAuthorization ? config.headers : { ...headers, ...config.headers } } });
  }
  // The child inherits the SDK's minimal environment (PATH, HOME...) plus `env`; its stderr is ours.
  return new StdioClientTransport({ command: config.command, args: config.args, env: config.env, cwd: config.cwd, stderr: 'inherit' });
}

/** One MCP server: started (or reached) once, its tools listed once, closed on shutdown. */
export class McpConnection {
  state: McpConnectionState = 'connecting';
  /** Why the server is not available, when `failed`. */
  failure: string | undefined;
  tools: McpToolInfo[] = [];
  private readonly client = new Client({ name: 'threadline', version });
  private transport: Transport | undefined;

  constructor(
    readonly name: string,
    readonly config: McpServerConfig,
    private readonly logger: Logger,
  ) {}

  /** Connects and lists the tools; a failure is logged and leaves the connection `failed`, never throws. */
  async connect(timeoutMs = MCP_CONNECT_TIMEOUT_MS): Promise<void> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      this.transport = transportFor(this.config);
      // While connecting, a closed connection fails the pending request, so `catch` reports it.
      this.client.onclose = () => {
        if (this.state === 'connected') this.lost('the connection closed (the server exited?)');
      };
      await this.client.connect(this.transport, { signal, timeout: timeoutMs });
      const tools: McpToolInfo[] = [];
      let cursor: string | undefined;
      do {
        const page = await this.client.listTools(cursor ? { cursor } : {}, { signal, timeout: timeoutMs });
        tools.push(...page.tools.map((tool) => ({ name: tool.name, description: tool.description, inputSchema: tool.inputSchema })));
        cursor = page.nextCursor;
      } while (cursor);
      if (this.state !== 'connecting') return;
      this.tools = tools;
      this.state = 'connected';
      this.logger.info({ mcpServer: this.name, tools: tools.map((tool) => tool.name) }, 'MCP server connected');
    } catch (error) {
      this.lost(`it did not start: ${(error as Error)?.message ?? String(error)}`);
      await this.client.close().catch(() => undefined);
    }
  }

  /** The process id of a stdio server while it runs. */
  get pid(): number | undefined {
    return this.transport instanceof StdioClientTransport ? (this.transport.pid ?? undefined) : undefined;
  }

  /** Calls a tool; throws when the server is not running (the caller's tool becomes an error result). */
  async callTool(tool: string, input: Record<string, unknown>, signal: AbortSignal): Promise<McpCallResult> {
    if (this.state !== 'connected') throw new Error(this.unavailableReason());
    return (await this.client.callTool({ name: tool, arguments: input }, undefined, { signal })) as McpCallResult;
  }

  /** What a call answers while the server is not available. */
  unavailableReason(): string {
    return `MCP server ${this.name} is not available: ${this.failure ?? this.state}`;
  }

  /** Ends the session; a stdio server's process is asked to exit, then terminated. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.failure = 'the server is shutting down';
    if (this.transport instanceof StreamableHTTPClientTransport) {
      await this.transport.terminateSession().catch(() => undefined);
    }
    await this.client.close().catch(() => undefined);
  }

  private lost(reason: string): void {
    if (this.state === 'closed' || this.state === 'failed') return;
    this.state = 'failed';
    this.failure = reason;
    this.logger.warn({ mcpServer: this.name, reason }, 'MCP server unavailable; its tools answer errors');
  }
}

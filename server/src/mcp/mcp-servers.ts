import type { Logger } from 'pino';
import type { McpServerConfig } from '../agents/agents-file.js';
import type { ToolDefinition } from '../agents/types.js';
import type { McpConnection } from './mcp-connection.js';

/** The MCP servers of the agents file, connected, with their tools as agents' tools. */
export class McpServers {
  private constructor(
    private readonly connections: Map<string, McpConnection>,
    private readonly definitions?: typeof import('./mcp-tool.js'),
  ) {}

  /**
   * Starts (or reaches) every server in parallel; one that fails is logged and its tools answer
   * errors. The MCP SDK is loaded only when the agents file names a server.
   */
  static async connect(configs: Record<string, McpServerConfig>, logger: Logger, timeoutMs?: number): Promise<McpServers> {
    if (Object.keys(configs).length === 0) return new McpServers(new Map());
    const [{ McpConnection }, definitions] = await Promise.all([import('./mcp-connection.js'), import('./mcp-tool.js')]);
    const connections = new Map(Object.entries(configs).map(([name, config]) => [name, new McpConnection(name, config, logger)]));
    await Promise.all([...connections.values()].map((connection) => connection.connect(timeoutMs)));
    return new McpServers(connections, definitions);
  }

  /** A server by name (undefined when the agents file does not declare it). */
  /** The names of the connected servers. */
  names(): string[] {
    return [...this.connections.keys()];
  }

  get(name: string): McpConnection | undefined {
    return this.connections.get(name);
  }

  /** Every tool the server listed, as agents' tools (none when it did not start). */
  tools(server: string): ToolDefinition[] {
    const connection = this.connections.get(server);
    if (!connection || !this.definitions) return [];
    const { mcpToolDefinition } = this.definitions;
    return connection.tools.map((tool) => mcpToolDefinition(server, tool, (name, input, signal) => connection.callTool(name, input, signal)));
  }

  /**
   * One tool: the listed one, or, when the server is not available, a stand-in whose calls are error
   * results. Undefined when the server is connected and has no such tool.
   */
  tool(server: string, name: string): ToolDefinition | undefined {
    const connection = this.connections.get(server);
    if (!connection || !this.definitions) return undefined;
    const { mcpToolDefinition, unavailableToolDefinition } = this.definitions;
    if (connection.state !== 'connected') return unavailableToolDefinition(server, name, () => connection.unavailableReason());
    const listed = connection.tools.find((tool) => tool.name === name);
    return listed && mcpToolDefinition(server, listed, (tool, input, signal) => connection.callTool(tool, input, signal));
  }

  /** Closes every server (stdio processes exit). */
  async close(): Promise<void> {
    await Promise.all([...this.connections.values()].map((connection) => connection.close()));
  }
}

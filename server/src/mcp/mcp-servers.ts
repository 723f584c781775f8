import type { Logger } from 'pino';
import type { McpServerConfig } from '../agents/agents-file.js';
import type { ToolDefinition } from '../agents/types.js';
import { McpConnection } from './mcp-connection.js';
import { mcpToolDefinition, unavailableToolDefinition } from './mcp-tool.js';

/** The MCP servers of the agents file, connected, with their tools as agents' tools. */
export class McpServers {
  private constructor(private readonly connections: Map<string, McpConnection>) {}

  /** Starts (or reaches) every server in parallel; one that fails is logged and its tools answer errors. */
  static async connect(configs: Record<string, McpServerConfig>, logger: Logger, timeoutMs?: number): Promise<McpServers> {
    const connections = new Map(Object.entries(configs).map(([name, config]) => [name, new McpConnection(name, config, logger)]));
    await Promise.all([...connections.values()].map((connection) => connection.connect(timeoutMs)));
    return new McpServers(connections);
  }

  /** A server by name (undefined when the agents file does not declare it). */
  get(name: string): McpConnection | undefined {
    return this.connections.get(name);
  }

  /** Every tool the server listed, as agents' tools (none when it did not start). */
  tools(server: string): ToolDefinition[] {
    const connection = this.connections.get(server);
    if (!connection) return [];
    return connection.tools.map((tool) => mcpToolDefinition(server, tool, (name, input, signal) => connection.callTool(name, input, signal)));
  }

  /**
   * One tool: the listed one, or, when the server is not available, a stand-in whose calls are error
   * results. Undefined when the server is connected and has no such tool.
   */
  tool(server: string, name: string): ToolDefinition | undefined {
    const connection = this.connections.get(server);
    if (!connection) return undefined;
    if (connection.state !== 'connected') return unavailableToolDefinition(server, name, () => connection.unavailableReason());
    const listed = connection.tools.find((tool) => tool.name === name);
    return listed && mcpToolDefinition(server, listed, (tool, input, signal) => connection.callTool(tool, input, signal));
  }

  /** Closes every server (stdio processes exit). */
  async close(): Promise<void> {
    await Promise.all([...this.connections.values()].map((connection) => connection.close()));
  }
}

import { describe, expect, it } from 'vitest';
import { mcpToolDefinition, modelToolName, resultOutput } from './mcp-tool.js';

const context = { userId: 'u', sessionId: null, runId: 'r', signal: new AbortController().signal };

describe('MCP tools as agent tools', () => {
  it('names server/tool for the model with only [A-Za-z0-9_-], at most 64 characters', () => {
    expect(modelToolName('files', 'read_file')).toBe('files__read_file');
    expect(modelToolName('search', 'web.query/v2')).toBe('search__web_query_v2');
    const long = modelToolName('server', 'x'.repeat(100));
    expect(long).toHaveLength(64);
    expect(long).toMatch(/^[a-zA-Z0-9_-]+$/);
  });

  it('prefers structuredContent, else joins the text of the parts', () => {
    expect(resultOutput({ structuredContent: { sum: 5 }, content: [{ type: 'text', text: '5' }] })).toEqual({ sum: 5 });
    expect(
      resultOutput({
        content: [
          { type: 'text', text: 'a' },
          { type: 'image', data: '...', mimeType: 'image/png' },
          { type: 'resource', resource: { uri: 'file:///x', text: 'body' } },
        ],
      }),
    ).toBe('a\n[image image/png]\nbody');
    expect(resultOutput({})).toBe('');
  });

  it('validates input with the JSON Schema and turns isError into a throw', async () => {
    const schema = { type: 'object', properties: { a: { type: 'number' } }, required: ['a'] };
    const tool = mcpToolDefinition('s', { name: 't', inputSchema: schema }, async (_name, input) =>
      input.a === 0 ? { isError: true, content: [{ type: 'text', text: 'zero' }] } : { content: [{ type: 'text', text: `got ${input.a}` }] },
    );
    expect(tool.validate({ a: 1 })).toEqual({ ok: true, value: { a: 1 } });
    expect(tool.validate({ a: 'x' })).toMatchObject({ ok: false });
    expect(tool.validate([1])).toMatchObject({ ok: false, message: 'the input must be a JSON object' });
    await expect(tool.execute({ a: 2 }, context)).resolves.toBe('got 2');
    await expect(tool.execute({ a: 0 }, context)).rejects.toThrow('zero');
  });

  it('falls back to an object check when the schema does not compile', () => {
    const tool = mcpToolDefinition('s', { name: 't', inputSchema: { type: 'object', $ref: '#/nowhere' } }, async () => ({}));
    expect(tool.validate({ anything: true })).toMatchObject({ ok: true });
    expect(tool.validate('text')).toMatchObject({ ok: false });
  });
});

import fc from 'fast-check';
import { AgentName, ModelId, Session, SessionCreateInput } from '@threadline/shared';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { caseInsensitive, wireSchema, type JsonSchema, type SchemaComponents } from './json-schema.js';

describe('caseInsensitive', () => {
  const sources = ['^[a-z0-9][a-z0-9_-]*$', '^[a-z0-9_-]+\\/[^\\s\\u0000]+$', '^ab\\x7e[^a-c]\\d$', 'x{2}'];
  it.each(sources)('matches without a flag what %s matches with i', (source) => {
    const flagged = new RegExp(source, 'i');
    const plain = new RegExp(caseInsensitive(source));
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'aAbBcCzZxX09_-/~ \u0000'.split('')), maxLength: 8 }), (text) => {
        expect(plain.test(text)).toBe(flagged.test(text));
      }),
      { numRuns: 300 },
    );
  });
});

describe('wireSchema', () => {
  it('keeps the i flag of a pattern: the document accepts what the server accepts', () => {
    for (const [schema, accepted] of [[AgentName, 'Chat-2'], [ModelId, 'Local/Echo']] as const) {
      const pattern = (wireSchema(schema, 'input', {}) as { pattern: string }).pattern;
      expect(schema.safeParse(accepted).success).toBe(true);
      expect(new RegExp(pattern).test(accepted), pattern).toBe(true);
    }
  });

  it('writes Dates as date-time strings, as superjson sends them', () => {
    const schema = wireSchema(Session, 'output', {}) as { properties: Record<string, JsonSchema> };
    expect(schema.properties.createdAt).toEqual({ type: 'string', format: 'date-time' });
  });

  it("lifts z.json()'s recursion into components, with refs into the document, and refuses two schemas under one name", () => {
    const components: SchemaComponents = {};
    const schema = wireSchema(SessionCreateInput, 'input', components);
    expect(Object.keys(components)).toEqual(['JsonValue']);
    expect(JSON.stringify(schema)).toContain('"$ref":"#/components/schemas/JsonValue"');
    expect(JSON.stringify(components)).not.toContain('$defs');
    expect(schema).not.toHaveProperty('$schema');
    components.JsonValue = { type: 'string' };
    expect(() => wireSchema(z.object({ value: z.json() }), 'input', components)).toThrow('two different schemas are named JsonValue');
  });
});

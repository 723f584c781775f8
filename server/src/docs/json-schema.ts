import { z } from 'zod';

/** A JSON Schema (draft 2020-12, which OpenAPI 3.1 uses), as plain data. */
export type JsonSchema = { [key: string]: unknown };

/** Where lifted definitions go: the document's `components.schemas`, by name. */
export type SchemaComponents = Record<string, JsonSchema>;

/**
 * How a `Date` travels: superjson writes it as an ISO 8601 string in `json` (and says so in
 * `meta`), so that is what the schema of the wire describes. Zod alone cannot represent a Date.
 */
function describeWireTypes(context: { zodSchema: unknown; jsonSchema: JsonSchema }): void {
  const { def } = (context.zodSchema as { _zod: { def: { type: string; checks?: { _zod: { def: { pattern?: unknown } } }[] } } })._zod;
  if (def.type === 'date') {
    context.jsonSchema.type = 'string';
    context.jsonSchema.format = 'date-time';
  }
  // JSON Schema patterns have no flags: Zod writes a `/…/i` regex's source alone, stricter than the server.
  for (const check of def.checks ?? []) {
    const pattern = check._zod.def.pattern;
    if (!(pattern instanceof RegExp) || !pattern.flags.includes('i')) continue;
    const written = [context.jsonSchema, ...((context.jsonSchema.allOf as JsonSchema[] | undefined) ?? [])].find((schema) => schema.pattern === pattern.source);
    if (written) written.pattern = caseInsensitive(pattern.source);
  }
}

/** The length of the escape at `index` (a backslash): `\\xHH` 4, `\\uHHHH` 6, any other 2. */
function escapeLength(source: string, index: number): number {
  const kind = source[index + 1];
  return kind === 'x' ? 4 : kind === 'u' && source[index + 2] !== '{' ? 6 : 2;
}

/** The other case of each ASCII letter and letter range in a character class's body (escapes skipped). */
function otherCases(body: string): string {
  let extra = '';
  for (let index = 0; index < body.length; index++) {
    if (body[index] === '\\') {
      index += escapeLength(body, index) - 1;
      continue;
    }
    const [from, dash, to] = [body[index]!, body[index + 1], body[index + 2]];
    const swap = (letter: string) => (letter === letter.toLowerCase() ? letter.toUpperCase() : letter.toLowerCase());
    if (dash === '-' && to && /[a-z]/i.test(from) && /[a-z]/i.test(to)) {
      extra += `${swap(from)}-${swap(to)}`;
      index += 2;
    } else if (/[a-z]/i.test(from)) {
      extra += swap(from);
    }
  }
  return extra;
}

/**
 * A regex source that matches, without the `i` flag, what `source` matches with it: each ASCII
 * letter becomes both cases (`a` → `[aA]`, `[a-z]` → `[a-zA-Z]`). Enough for the contract's
 * patterns (letters, ranges, classes, escapes); a test compares it with the flagged regex.
 */
export function caseInsensitive(source: string): string {
  let result = '';
  for (let index = 0; index < source.length; index++) {
    const character = source[index]!;
    if (character === '\\') {
      const length = escapeLength(source, index);
      result += source.slice(index, index + length);
      index += length - 1;
    } else if (character === '[') {
      let end = index + 1;
      while (end < source.length && source[end] !== ']') end += source[end] === '\\' ? escapeLength(source, end) : 1;
      const body = source.slice(index + 1, end);
      // The other cases go first: after a trailing `-` they would make a range.
      const negated = body.startsWith('^') ? '^' : '';
      result += `[${negated}${otherCases(body.slice(negated.length))}${body.slice(negated.length)}]`;
      index = end;
    } else {
      result += /[a-z]/i.test(character) ? `[${character.toLowerCase()}${character.toUpperCase()}]` : character;
    }
  }
  return result;
}

/** The schema Zod makes for `z.json()`: any JSON value (metadata, tool inputs and outputs). */
function isJsonValue(schema: JsonSchema): boolean {
  const variants = schema.anyOf as JsonSchema[] | undefined;
  return variants?.map((variant) => variant.type).join(',') === 'string,number,boolean,null,array,object';
}

/**
 * The JSON Schema of a Zod schema as it appears on the wire, `input` (what a caller sends: defaults
 * make fields optional) or `output` (what the server sends). Recursive parts, which Zod puts in a
 * local `$defs`, are lifted into `components` (shared by content, `JsonValue` for any JSON), because
 * a `$ref` inside an OpenAPI document resolves against the document, not the schema.
 */
export function wireSchema(schema: z.ZodType, io: 'input' | 'output', components: SchemaComponents): JsonSchema {
  const generated = z.toJSONSchema(schema, { io, unrepresentable: 'any', cycles: 'ref', reused: 'inline', override: describeWireTypes }) as JsonSchema;
  const { $schema: _dialect, $defs: definitions = {}, ...root } = generated as JsonSchema & { $defs?: Record<string, JsonSchema> };
  const names = new Map<string, string>();
  for (const [local, definition] of Object.entries(definitions)) {
    const name = isJsonValue(definition) ? 'JsonValue' : `${schemaTitle(root)}${local.replace(/[^A-Za-z0-9]/g, '')}`;
    names.set(local, name);
  }
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value).map(([key, inner]) => {
      if (key === '$ref' && typeof inner === 'string' && inner.startsWith('#/$defs/')) {
        return [key, `#/components/schemas/${names.get(inner.slice('#/$defs/'.length))}`];
      }
      return [key, rewrite(inner)];
    });
    return Object.fromEntries(entries);
  };
  for (const [local, definition] of Object.entries(definitions)) {
    const name = names.get(local)!;
    const lifted = rewrite(definition) as JsonSchema;
    // Two different schemas under one name would make one of them lie: refuse rather than document it.
    if (components[name] && JSON.stringify(components[name]) !== JSON.stringify(lifted)) throw new Error(`two different schemas are named ${name}`);
    components[name] = lifted;
  }
  return rewrite(root) as JsonSchema;
}

/** A name prefix for a schema's own recursive parts (rare: only `z.json()` is recursive today). */
function schemaTitle(schema: JsonSchema): string {
  return typeof schema.title === 'string' ? schema.title.replace(/[^A-Za-z0-9]/g, '') : 'Recursive';
}

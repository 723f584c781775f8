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
  const type = (context.zodSchema as { _zod: { def: { type: string } } })._zod.def.type;
  if (type === 'date') {
    context.jsonSchema.type = 'string';
    context.jsonSchema.format = 'date-time';
  }
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

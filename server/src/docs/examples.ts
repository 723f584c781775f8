import type { JsonSchema } from './json-schema.js';

/** A placeholder id: well-formed, so a call made with it answers NOT_FOUND rather than BAD_REQUEST. */
const EXAMPLE_ID = '00000000-0000-7000-8000-000000000000';

/** Strings an example tries against a field's pattern, in order. */
const STRING_SAMPLES = ['hello', 'local/echo', 'chat', EXAMPLE_ID];

/**
 * The smallest input a schema accepts, as an example to start from: required fields only, each
 * with a value of its type. Swagger UI's own sample fills every optional field too (`"model":
 * "string"`), which the server then refuses; this one a newcomer can send as it is.
 */
export function minimalExample(schema: JsonSchema): unknown {
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const variants = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (variants) return minimalExample(variants.find((variant) => variant.type !== 'null') ?? variants[0]!);
  const type = Array.isArray(schema.type) ? schema.type.find((each) => each !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const required = (schema.required ?? []) as string[];
      return Object.fromEntries(required.map((name) => [name, properties[name] ? minimalExample(properties[name]) : null]));
    }
    case 'array':
      return [];
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'boolean':
      return true;
    case 'string':
      if (schema.format === 'uuid') return EXAMPLE_ID;
      if (schema.format === 'date-time') return new Date(0).toISOString();
      // A pattern (a model id is `provider/model`): the first sample it takes.
      return typeof schema.pattern === 'string' ? (STRING_SAMPLES.find((sample) => new RegExp(schema.pattern as string).test(sample)) ?? 'hello') : 'hello';
    default:
      return null;
  }
}

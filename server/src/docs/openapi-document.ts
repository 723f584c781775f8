import type { AnyRouter } from '@trpc/server';
import { StreamEvent } from '@threadline/shared';
import { minimalExample } from './examples.js';
import { wireSchema, type JsonSchema, type SchemaComponents } from './json-schema.js';
import { routerProcedures, type ProcedureEntry } from './procedures.js';
import { errorEnvelopeSchema, superjsonMetaSchema } from './wire-schemas.js';

/** An OpenAPI 3.1 document, as plain JSON data. */
export type OpenApiDocument = { openapi: string; info: JsonSchema; paths: Record<string, Record<string, JsonSchema>>; components: JsonSchema } & JsonSchema;

/** The placeholder for the caller's input in each operation's curl line (docs and tests substitute it). */
export const INPUT_PLACEHOLDER = '<input>';

const SECURITY_SCHEME = 'bearerToken';

const OVERVIEW = `Threadline speaks tRPC v11 over HTTP with the superjson transformer. This document describes
those very endpoints (\`/trpc/<procedure>\`), generated from the procedures' Zod schemas at start:

- a **query** is \`GET /trpc/<procedure>?input=<URL-encoded {"json": input}>\` (no \`input\` when it takes none);
- a **mutation** is \`POST /trpc/<procedure>\` with the body \`{"json": input}\` (\`content-type: application/json\`);
- a **subscription** is \`GET /trpc/<procedure>?input=…\` answered with Server-Sent Events (\`text/event-stream\`);
- an answer is \`{"result": {"data": {"json": output, "meta": …}}}\`, where \`meta\` (superjson) names the
  values JSON cannot hold as such: \`Date\`s arrive as ISO 8601 strings in \`json\`;
- an error is \`{"error": {"json": {"message", "code", "data": {"code", "httpStatus", "path", "issues"?, "retryAfterMs"?}}}}\`
  with that HTTP status.

Every call except the public ones needs \`Authorization: Bearer tl_…\` (the **Authorize** button here).
Each operation shows its curl line: set \`THREADLINE_URL\` and \`THREADLINE_TOKEN\` and replace \`${INPUT_PLACEHOLDER}\`
with the input as JSON. docs/API.md has worked examples.`;

/** The curl line that makes this call: the one way to call it from a shell. */
export function curlCommand(procedure: ProcedureEntry): string {
  const url = `"$THREADLINE_URL/trpc/${procedure.path}"`;
  const auth = procedure.access === 'public' ? [] : ['-H "authorization: Bearer $THREADLINE_TOKEN"'];
  const input = `'input={"json":${INPUT_PLACEHOLDER}}'`;
  const lines =
    procedure.type === 'mutation'
      ? [`curl -sS ${url}`, ...auth, `-H 'content-type: application/json'`, procedure.input ? `-d '{"json":${INPUT_PLACEHOLDER}}'` : '-X POST']
      : [`curl -sS${procedure.type === 'subscription' ? ' -N' : ''} -G ${url}`, ...auth, ...(procedure.input ? [`--data-urlencode ${input}`] : [])];
  return lines.join(' \\\n  ');
}

function superjsonOf(schema: JsonSchema): JsonSchema {
  return { type: 'object', required: ['json'], properties: { json: schema } };
}

/** An input's media type: its superjson envelope, with the smallest input as the example to start from. */
function inputContent(input: JsonSchema): JsonSchema {
  return { 'application/json': { schema: superjsonOf(input), example: { json: minimalExample(input) } } };
}

function operation(procedure: ProcedureEntry, components: SchemaComponents): JsonSchema {
  const input = procedure.input ? wireSchema(procedure.input, 'input', components) : undefined;
  const needs = { public: 'Public: no token needed.', user: 'Needs a bearer token.', operator: 'Needs an operator token (`threadline-server token create NAME --operator`); other tokens get FORBIDDEN.' }[procedure.access];
  const streamed = procedure.type === 'subscription';
  const description = [
    `tRPC ${procedure.type} \`${procedure.path}\`. ${needs}`,
    streamed
      ? 'Server-Sent Events: `retry:`, then `event: connected`, then one frame per event, `id: <event id>` and `data: {"json": <StreamEvent>}` (see the StreamEvent schema), `event: ping` frames while idle, and `event: return` after the terminal event. An error before the first event is an `event: serialized-error` frame. Resume with `lastEventId` in the input or a `Last-Event-ID` header.'
      : '',
    `\`\`\`sh\n${curlCommand(procedure)}\n\`\`\``,
  ].filter(Boolean).join('\n\n');
  const parameters: JsonSchema[] = [];
  if (input && procedure.type !== 'mutation') {
    parameters.push({
      name: 'input',
      in: 'query',
      required: !procedure.inputOptional,
      description: 'The input as superjson, `{"json": <input>}`, URL-encoded.',
      content: inputContent(input),
    });
  }
  if (streamed) parameters.push({ name: 'Last-Event-ID', in: 'header', required: false, description: 'Resume after this event id.', schema: { type: 'string' } });
  const success = streamed
    ? { description: 'The event stream.', content: { 'text/event-stream': { schema: { type: 'string', description: 'SSE frames; each `data:` holds `{"json": StreamEvent}`.' } } } }
    : {
        description: 'The procedure\'s output, in superjson\'s `{"json", "meta"}`.',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['result'],
              properties: {
                result: {
                  type: 'object',
                  required: ['data'],
                  properties: {
                    data: {
                      type: 'object',
                      required: ['json'],
                      properties: { json: procedure.output ? wireSchema(procedure.output, 'output', components) : {}, meta: { $ref: '#/components/schemas/SuperjsonMeta' } },
                    },
                  },
                },
              },
            },
          },
        },
      };
  return {
    operationId: procedure.path,
    summary: procedure.path,
    description,
    tags: [procedure.path.split('.')[0]],
    security: procedure.access === 'public' ? [] : [{ [SECURITY_SCHEME]: [] }],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(procedure.type === 'mutation' && input
      ? { requestBody: { required: !procedure.inputOptional, content: inputContent(input) } }
      : {}),
    responses: {
      '200': success,
      default: { description: 'A tRPC error; the HTTP status is `data.httpStatus`.', content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } } },
    },
  };
}

/**
 * The OpenAPI 3.1 document of `router`'s HTTP endpoints, from the procedures' own Zod schemas, so
 * it cannot drift from what the server accepts and answers. Every procedure is listed: queries
 * and subscriptions as GET, mutations as POST, under `/trpc/<procedure>`.
 */
export function createOpenApiDocument(router: AnyRouter, options: { version: string }): OpenApiDocument {
  const components: SchemaComponents = {};
  const paths: OpenApiDocument['paths'] = {};
  for (const procedure of routerProcedures(router)) {
    paths[`/trpc/${procedure.path}`] = { [procedure.type === 'mutation' ? 'post' : 'get']: operation(procedure, components) };
  }
  components.StreamEvent = wireSchema(StreamEvent, 'output', components);
  components.SuperjsonMeta = superjsonMetaSchema;
  components.ErrorEnvelope = errorEnvelopeSchema;
  return {
    openapi: '3.1.0',
    info: { title: 'Threadline', version: options.version, description: OVERVIEW },
    tags: [...new Set(routerProcedures(router).map((procedure) => procedure.path.split('.')[0]))].map((name) => ({ name })),
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(components).sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: {
        [SECURITY_SCHEME]: {
          type: 'http',
          scheme: 'bearer',
          description: 'A token from `threadline-server token create NAME` (or the one the first start prints).',
        },
      },
    },
  };
}

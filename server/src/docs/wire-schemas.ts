import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import type { JsonSchema } from './json-schema.js';

/**
 * superjson's `meta`: for each value JSON cannot hold as such, its path and type (`Date`,
 * `undefined`, ...). Absent when the value is plain JSON.
 */
export const superjsonMetaSchema: JsonSchema = {
  type: 'object',
  description: 'superjson annotations, e.g. `{"values": {"createdAt": ["Date"]}}`: that `json.createdAt` is an ISO 8601 string standing for a Date.',
  properties: {
    values: { description: 'Path in `json` (dot-separated) → its type annotation.' },
    referentialEqualities: { description: 'Paths that hold the same object.' },
    v: { type: 'integer', description: 'superjson format version.' },
  },
};

/** The body of every error answer (trpc.ts's errorFormatter; the `ThreadlineErrorData` of shared). */
export const errorEnvelopeSchema: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['json'],
      properties: {
        json: {
          type: 'object',
          required: ['message', 'code', 'data'],
          properties: {
            message: { type: 'string' },
            code: { type: 'integer', description: 'The JSON-RPC error number (tRPC); `data.code` names it.' },
            data: {
              type: 'object',
              required: ['code', 'httpStatus'],
              properties: {
                code: { type: 'string', enum: Object.keys(TRPC_ERROR_CODES_BY_KEY) },
                httpStatus: { type: 'integer' },
                path: { type: 'string', description: 'The procedure.' },
                issues: {
                  type: 'array',
                  description: 'With BAD_REQUEST from input validation: what is wrong, where.',
                  items: {
                    type: 'object',
                    required: ['path', 'message', 'code'],
                    properties: {
                      path: { type: 'array', items: { type: ['string', 'integer'] } },
                      message: { type: 'string' },
                      code: { type: 'string' },
                    },
                  },
                },
                retryAfterMs: { type: 'number', description: 'With TOO_MANY_REQUESTS: when to try again, ms from now (also `Retry-After`, seconds).' },
              },
            },
          },
        },
      },
    },
  },
};

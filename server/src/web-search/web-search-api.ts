import { z } from 'zod';

/**
 * The response formats of the search APIs `web_search` speaks, as far as it reads them (unknown
 * fields pass). SearXNG: `GET /search?q=…&format=json` (the instance must allow the json format).
 */
export const searxngResponseSchema = z.object({
  query: z.string().optional(),
  results: z.array(
    z.object({
      url: z.string(),
      title: z.string().default(''),
      content: z.string().nullish(),
      engine: z.string().optional(),
      publishedDate: z.string().nullish(),
    }),
  ),
});

/** Brave Search API: `GET /res/v1/web/search?q=…&count=…` with `X-Subscription-Token`. */
export const braveResponseSchema = z.object({
  type: z.literal('search').optional(),
  web: z
    .object({
      results: z.array(
        z.object({
          url: z.string(),
          title: z.string().default(''),
          description: z.string().nullish(),
          age: z.string().nullish(),
        }),
      ),
    })
    .optional(),
});

/** Tavily: `POST /search` with `{ query, max_results }` and `Authorization: Bearer <key>`. */
export const tavilyResponseSchema = z.object({
  query: z.string().optional(),
  results: z.array(
    z.object({
      url: z.string(),
      title: z.string().default(''),
      content: z.string().nullish(),
      published_date: z.string().nullish(),
    }),
  ),
});

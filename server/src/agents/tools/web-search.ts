import { z } from 'zod';
import { isStorableText, storableTextMessage } from '@threadline/shared';
import type { WebSearch } from '../../web-search/web-search.js';
import { defineTool } from '../define-tool.js';

/** The tool's name: the research agent searches with it when a search API is configured. */
export const WEB_SEARCH_TOOL = 'web_search';

/**
 * Searches the web through the configured API (SearXNG, Brave or Tavily). Every result carries its
 * URL, so an answer can cite the pages it used.
 */
export function webSearchTool(search: WebSearch) {
  return defineTool({
    name: WEB_SEARCH_TOOL,
    description: 'Searches the web; returns the best pages for the query, each with its title, URL and an excerpt. Cite the pages you use with their URLs.',
    input: z.object({ query: z.string().min(1).max(400).refine(isStorableText, storableTextMessage), count: z.number().int().min(1).max(10).optional() }),
    async execute({ query, count }, context) {
      const results = await search.search(query, count ?? 5, context.signal);
      return { query, results };
    },
  });
}

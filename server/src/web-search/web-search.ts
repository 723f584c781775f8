import type { z } from 'zod';
import { displayUrl, splitCredentials } from '../url-credentials.js';
import { braveResponseSchema, searxngResponseSchema, tavilyResponseSchema } from './web-search-api.js';

/** The search APIs `web_search` can use. */
export type WebSearchProvider = 'searxng' | 'brave' | 'tavily';

/** How the web is searched: which API, where, with which key. */
export interface WebSearchSettings {
  provider: WebSearchProvider;
  /** The API's root: a SearXNG instance, or Brave's / Tavily's (defaults below). */
  url: string;
  /** Brave's subscription token or Tavily's key (SearXNG needs none). */
  apiKey?: string;
}

/** Where Brave's and Tavily's APIs are when no URL is set. */
export const DEFAULT_WEB_SEARCH_URLS: Record<Exclude<WebSearchProvider, 'searxng'>, string> = {
  brave: 'https://api.search.brave.com',
  tavily: 'https://api.tavily.com',
};

/** One result of a web search. */
export interface WebResult {
  title: string;
  url: string;
  snippet: string;
  /** When the page was published, as the API says it (free text), if it does. */
  published?: string;
}

/** A configured web search. */
export interface WebSearch {
  readonly provider: WebSearchProvider;
  /** The results of `query`, at most `count`; throws an Error whose message says what went wrong (the model sees it). */
  search(query: string, count: number, signal: AbortSignal): Promise<WebResult[]>;
}

const SNIPPET_CHARACTERS = 400;

/** A web search over the configured API (credentials in its URL become a Basic header). */
export function createWebSearch(settings: WebSearchSettings): WebSearch {
  const { url: root, headers: credentials } = splitCredentials(settings.url.replace(/\/+$/, ''));
  const get = async <T>(path: string, schema: z.ZodType<T>, init: RequestInit & { signal: AbortSignal }): Promise<T> => {
    const target = `${root}${path}`;
    let response: Response;
    try {
      response = await fetch(target, { ...init, headers: { accept: 'application/json', ...credentials, ...(init.headers as Record<string, string>) } });
    } catch (error) {
      if (init.signal.aborted) throw error;
      throw new Error(`the ${settings.provider} search API at ${displayUrl(root)} cannot be reached`, { cause: error });
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`the ${settings.provider} search API answered ${response.status}${response.status === 429 ? ' (rate limited)' : response.status === 401 || response.status === 403 ? ' (check THREADLINE_WEB_SEARCH_API_KEY)' : ''}`);
    }
    const parsed = schema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) throw new Error(`the ${settings.provider} search API answered in a format this server does not read`);
    return parsed.data;
  };
  const snippet = (text: string | null | undefined) => {
    const plain = (text ?? '').replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim();
    return plain.length > SNIPPET_CHARACTERS ? `${plain.slice(0, SNIPPET_CHARACTERS)}…` : plain;
  };
  const result = (title: string, url: string, text: string | null | undefined, published: string | null | undefined): WebResult => ({
    title: snippet(title) || url,
    url,
    snippet: snippet(text),
    ...(published ? { published } : {}),
  });

  return {
    provider: settings.provider,
    async search(query, count, signal) {
      switch (settings.provider) {
        case 'searxng': {
          const body = await get(`/search?${new URLSearchParams({ q: query, format: 'json' })}`, searxngResponseSchema, { signal });
          return body.results.slice(0, count).map((hit) => result(hit.title, hit.url, hit.content, hit.publishedDate));
        }
        case 'brave': {
          const parameters = new URLSearchParams({ q: query, count: String(count) });
          const body = await get(`/res/v1/web/search?${parameters}`, braveResponseSchema, { signal, headers: { 'x-subscription-token': settings.apiKey ?? '' } });
          return (body.web?.results ?? []).slice(0, count).map((hit) => result(hit.title, hit.url, hit.description, hit.age));
        }
        case 'tavily': {
          const init = { method: 'POST', signal, headers: { 'content-type': 'application/json', authorization: `Bearer ${settings.apiKey ?? ''}` }, body: JSON.stringify({ query, max_results: count, search_depth: 'basic' }) };
          const body = await get('/search', tavilyResponseSchema, init);
          return body.results.slice(0, count).map((hit) => result(hit.title, hit.url, hit.content, hit.published_date));
        }
      }
    },
  };
}

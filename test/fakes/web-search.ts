import { randomUUID } from 'node:crypto';
import { startFakeServer, type FakeServer } from './fake-server.js';

/** A page a fake search API knows, found by any query sharing a word with its title or text. */
export interface FakePage {
  title: string;
  url: string;
  text: string;
}

/** The pages every fake search knows unless told otherwise. */
export const FAKE_PAGES: FakePage[] = [
  { title: 'Trams in Lisbon - Wikipedia', url: 'https://en.wikipedia.org/wiki/Trams_in_Lisbon', text: 'The Lisbon tramway network has served the city since 1873; line 28 climbs through Alfama.' },
  { title: 'Port wine cellars of Porto', url: 'https://www.visitporto.travel/en-GB/port-wine-cellars', text: 'Across the Douro in Vila Nova de Gaia, the Porto wine lodges age port in oak.' },
  { title: 'Lisbon travel guide', url: 'https://www.lonelyplanet.com/portugal/lisbon', text: 'Lisbon is the hilly, coastal capital city of Portugal.' },
];

function matching(pages: FakePage[], query: string): FakePage[] {
  const words = query.toLowerCase().split(/\W+/).filter((word) => word.length > 2);
  return pages.filter((page) => words.some((word) => `${page.title} ${page.text}`.toLowerCase().includes(word)));
}

/**
 * A SearXNG instance on 127.0.0.1: `GET /search?q=…&format=json` answers in SearXNG's JSON format
 * (results with url, title, content, engine(s), score, category; answers, suggestions, infoboxes),
 * and 403 without `format=json`, as an instance whose settings do not allow it does.
 */
export function startSearxngFake(pages = FAKE_PAGES): Promise<FakeServer> {
  return startFakeServer((request, response) => {
    const url = new URL(request.target, 'http://fake');
    if (request.method !== 'GET' || url.pathname !== '/search') return void response.writeHead(404).end();
    if (url.searchParams.get('format') !== 'json') return void response.writeHead(403, { 'content-type': 'text/html' }).end('<h1>403 Forbidden</h1>');
    const query = url.searchParams.get('q') ?? '';
    const results = matching(pages, query).map((page, index) => ({
      url: page.url,
      title: page.title,
      content: page.text,
      publishedDate: null,
      thumbnail: null,
      engine: 'duckduckgo',
      template: 'default.html',
      parsed_url: ['https', new URL(page.url).host, new URL(page.url).pathname, '', '', ''],
      img_src: '',
      priority: '',
      engines: ['duckduckgo', 'wikipedia'],
      positions: [index + 1],
      score: 4 / (index + 1),
      category: 'general',
    }));
    const body = { query, number_of_results: 0, results, answers: [], corrections: [], infoboxes: [], suggestions: [`${query} map`], unresponsive_engines: [] };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
}

/**
 * The Brave Search API on 127.0.0.1: `GET /res/v1/web/search?q=…&count=…` with
 * `X-Subscription-Token`, answering Brave's format (query, mixed, `web.results` with description,
 * profile, meta_url, age), or its ErrorResponse (422 SUBSCRIPTION_TOKEN_INVALID) for another token.
 */
export function startBraveFake(token: string, pages = FAKE_PAGES): Promise<FakeServer> {
  return startFakeServer((request, response) => {
    const url = new URL(request.target, 'http://fake');
    if (request.method !== 'GET' || url.pathname !== '/res/v1/web/search') return void response.writeHead(404).end();
    if (request.headers['x-subscription-token'] !== token) {
      const error = { type: 'ErrorResponse', error: { id: randomUUID(), status: 422, code: 'SUBSCRIPTION_TOKEN_INVALID', detail: 'The provided subscription token is invalid.', meta: { component: 'authentication' } }, time: Math.floor(Date.now() / 1000) };
      return void response.writeHead(422, { 'content-type': 'application/json' }).end(JSON.stringify(error));
    }
    const query = url.searchParams.get('q') ?? '';
    const count = Number(url.searchParams.get('count') ?? 20);
    const results = matching(pages, query).slice(0, count).map((page) => ({
      title: page.title,
      url: page.url,
      is_source_local: false,
      is_source_both: false,
      description: page.text.replace(/(Lisbon|Porto)/g, '<strong>$1</strong>'),
      page_age: '2025-06-01T00:00:00',
      profile: { name: new URL(page.url).host, url: page.url, long_name: new URL(page.url).host, img: 'https://imgs.search.brave.com/icon.png' },
      language: 'en',
      family_friendly: true,
      type: 'search_result',
      subtype: 'generic',
      meta_url: { scheme: 'https', netloc: new URL(page.url).host, hostname: new URL(page.url).host, favicon: 'https://imgs.search.brave.com/favicon.png', path: new URL(page.url).pathname },
      age: 'June 1, 2025',
    }));
    const body = {
      query: { original: query, show_strict_warning: false, is_navigational: false, is_news_breaking: false, spellcheck_off: true, country: 'us', bad_results: false, should_fallback: false, postal_code: '', city: '', header_country: '', more_results_available: false, state: '' },
      mixed: { type: 'mixed', main: results.map((_, index) => ({ type: 'web', index, all: false })), top: [], side: [] },
      type: 'search',
      web: { type: 'search', results, family_friendly: true },
    };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
}

/**
 * Tavily on 127.0.0.1: `POST /search` with `Authorization: Bearer <key>` and `{ query, max_results }`,
 * answering Tavily's format (query, answer, images, results with score and raw_content,
 * response_time), or 401 `{ detail: { error } }` for another key.
 */
export function startTavilyFake(apiKey: string, pages = FAKE_PAGES): Promise<FakeServer> {
  return startFakeServer((request, response) => {
    if (request.method !== 'POST' || request.path !== '/search') return void response.writeHead(404).end();
    if (request.headers.authorization !== `Bearer ${apiKey}`) {
      return void response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: { error: 'Unauthorized: missing or invalid API key.' } }));
    }
    const query = String(request.body?.query ?? '');
    const results = matching(pages, query)
      .slice(0, Number(request.body?.max_results ?? 5))
      .map((page, index) => ({ title: page.title, url: page.url, content: page.text, score: 0.98 - index * 0.1, raw_content: null }));
    const body = { query, follow_up_questions: null, answer: null, images: [], results, response_time: 0.42, request_id: randomUUID() };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
}

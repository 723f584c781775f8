import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../server/src/config.js';
import { startBraveFake, startSearxngFake, startTavilyFake } from './fakes/web-search.js';
import { startTestServer } from './helpers/server.js';
import { collectEvents, textOf } from './helpers/stream.js';

const LISBON_TRAMS = 'https://en.wikipedia.org/wiki/Trams_in_Lisbon';
const PORTO_WINE = 'https://www.visitporto.travel/en-GB/port-wine-cellars';

/** The urls of a web_search tool result. */
const urlsOf = (output: unknown) => ((output as { results?: { url: string }[] }).results ?? []).map((result) => result.url);

describe('web_search and the research agent', () => {
  it('research searches the web through SearXNG in parallel, shows the URLs in its tool results and ends its answer with its sources', async () => {
    await using searxng = await startSearxngFake();
    await using t = await startTestServer({ environment: { THREADLINE_WEB_SEARCH_URL: searxng.url } });
    expect(await t.client.agents.get.query({ agent: 'research' })).toMatchObject({ tools: [{ name: 'web_search' }] });

    const { events } = await collectEvents((handlers) =>
      t.client.chat.stream.subscribe({ newSession: true, agent: 'research', content: 'lisbon trams; porto wine', requestId: randomUUID() }, handlers),
    );
    const searched = searxng.requests.map((request) => new URL(request.target, 'http://x').searchParams);
    expect(searched.map((parameters) => [parameters.get('q'), parameters.get('format')]).sort()).toEqual([
      ['lisbon trams', 'json'],
      ['porto wine', 'json'],
    ]);
    const calls = events.flatMap((event) => (event.data.type === 'tool-call' ? [event.data] : []));
    expect(calls.map((call) => [call.name, call.input])).toEqual([
      ['web_search', { query: 'lisbon trams' }],
      ['web_search', { query: 'porto wine' }],
    ]);
    const results = events.flatMap((event) => (event.data.type === 'tool-result' ? [event.data] : []));
    expect(results.every((result) => !result.isError)).toBe(true);
    const byCall = new Map(results.map((result) => [result.callId, urlsOf(result.output)]));
    expect(byCall.get(calls[0]!.callId)).toContain(LISBON_TRAMS);
    expect(byCall.get(calls[1]!.callId)).toContain(PORTO_WINE);
    expect((results[0]!.output as { results: { title: string; snippet: string }[] }).results[0]).toMatchObject({ title: expect.any(String), snippet: expect.any(String) });

    const text = textOf(events);
    expect(text).toContain('Sources:');
    expect(text).toContain(`(${LISBON_TRAMS})`);
    expect(text).toContain(`(${PORTO_WINE})`);
    const end = events.find((event) => event.data.type === 'message-end')!.data;
    if (end.type !== 'message-end') throw new Error('expected message-end');
    expect(end.message.content).toBe(text);
    expect(end.message.agent).toBe('research');
  });

  it('Brave and Tavily answer through their own APIs with their keys; a wrong key is an error result the model sees, not a failed run', async () => {
    await using brave = await startBraveFake('brave-token');
    await using braveServer = await startTestServer({
      environment: { THREADLINE_WEB_SEARCH_PROVIDER: 'brave', THREADLINE_WEB_SEARCH_URL: brave.url, THREADLINE_WEB_SEARCH_API_KEY: 'brave-token' },
    });
    const viaBrave = await braveServer.client.chat.send.mutate({ newSession: true, agent: 'assistant', content: '/tool web_search {"query": "lisbon trams", "count": 2}' });
    const braveResult = viaBrave.message.parts.find((part) => part.type === 'tool-result');
    expect(braveResult).toMatchObject({ isError: false });
    expect(urlsOf(braveResult?.type === 'tool-result' && braveResult.output)).toEqual([LISBON_TRAMS, 'https://www.lonelyplanet.com/portugal/lisbon']);
    // Brave's <strong> highlights are left out of the snippet.
    expect(JSON.stringify(braveResult)).not.toContain('<strong>');
    expect(new URL(brave.requests[0]!.target, 'http://x').searchParams.get('count')).toBe('2');

    await using tavily = await startTavilyFake('tvly-key');
    await using tavilyServer = await startTestServer({
      environment: { THREADLINE_WEB_SEARCH_PROVIDER: 'tavily', THREADLINE_WEB_SEARCH_URL: tavily.url, THREADLINE_WEB_SEARCH_API_KEY: 'tvly-key' },
    });
    const viaTavily = await tavilyServer.client.chat.send.mutate({ newSession: true, agent: 'assistant', content: '/tool web_search {"query": "porto wine"}' });
    const tavilyResult = viaTavily.message.parts.find((part) => part.type === 'tool-result');
    expect(urlsOf(tavilyResult?.type === 'tool-result' && tavilyResult.output)).toEqual([PORTO_WINE]);
    expect(tavily.requests[0]!.body).toMatchObject({ query: 'porto wine', max_results: 5 });

    await using wrongKey = await startTestServer({
      environment: { THREADLINE_WEB_SEARCH_PROVIDER: 'tavily', THREADLINE_WEB_SEARCH_URL: tavily.url, THREADLINE_WEB_SEARCH_API_KEY: 'tvly-wrong' },
    });
    const refused = await wrongKey.client.chat.send.mutate({ newSession: true, agent: 'assistant', content: '/tool web_search {"query": "porto wine"}' });
    expect(refused.status).toBe('completed');
    expect(refused.message.parts.find((part) => part.type === 'tool-result')).toMatchObject({
      isError: true,
      output: expect.stringContaining('answered 401 (check THREADLINE_WEB_SEARCH_API_KEY)'),
    });
    expect(JSON.stringify(refused)).not.toContain('tvly-wrong');
  });

  it('without a search API, research searches history; an incomplete configuration stops the start with a clear error', async () => {
    await using t = await startTestServer();
    expect(await t.client.agents.get.query({ agent: 'research' })).toMatchObject({ tools: [{ name: 'search_history' }] });
    expect(() => loadConfig({ THREADLINE_WEB_SEARCH_PROVIDER: 'brave' })).toThrow('THREADLINE_WEB_SEARCH_API_KEY: brave needs an API key');
    expect(() => loadConfig({ THREADLINE_WEB_SEARCH_PROVIDER: 'searxng' })).toThrow('THREADLINE_WEB_SEARCH_URL: SearXNG needs the URL of its instance');
    expect(loadConfig({ THREADLINE_WEB_SEARCH_PROVIDER: 'tavily', THREADLINE_WEB_SEARCH_API_KEY: 'k' }).webSearch).toEqual({ provider: 'tavily', url: 'https://api.tavily.com', apiKey: 'k' });
  });

  it('the built-in assistant suggests follow-up questions, and local/echo makes them offline', async () => {
    await using t = await startTestServer();
    expect(await t.client.agents.get.query({ agent: 'assistant' })).toMatchObject({ suggestions: true });
    const answer = await t.client.chat.send.mutate({ newSession: true, agent: 'assistant', content: 'How do Lisbon trams work?' });
    expect(answer.message.suggestions).toEqual(['Can you tell me more about “How do Lisbon trams work”?', 'What else should I know about “How do Lisbon trams work”?']);
    const { messages } = await t.client.sessions.history.query({ sessionId: answer.sessionId! });
    expect(messages[1]!.suggestions).toEqual(answer.message.suggestions);
  });
});

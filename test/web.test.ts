import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { chromium, type Browser, type Locator, type Page, type Route } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeServer } from './fakes/fake-server.js';
import { startOpenAIFake } from './fakes/openai.js';
import { PATIENCE_MS } from './helpers/patience.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** Debian's chromium (`apt-get install chromium`); THREADLINE_CHROMIUM points elsewhere. */
const CHROMIUM = process.env.THREADLINE_CHROMIUM ?? '/usr/bin/chromium';
const WEB_ROOT = fileURLToPath(new URL('../examples/web/', import.meta.url));
const RESULTS = fileURLToPath(new URL('../test-results/', import.meta.url));

// Outside CI a machine without chromium skips this file; in CI a missing browser fails it.
describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('the React Query page in Chromium', () => {
  let outDir: string;
  let site: PreviewServer;
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let origin: string;
  /** A fake OpenAI API: answers of `openai/gpt-test` scripted with Markdown. */
  let openai: FakeServer;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'threadline-web-'));
    await buildForProduction(outDir);
    site = await preview({ root: WEB_ROOT, logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port: 0, strictPort: true } });
    origin = new URL(site.resolvedUrls!.local[0]!).origin;
    openai = await startOpenAIFake();
    server = await startTestServer({
      environment: {
        THREADLINE_CORS_ORIGINS: origin,
        THREADLINE_LOCAL_DELAY_MS: '5',
        THREADLINE_MODEL: 'local/echo',
        OPENAI_API_KEY: 'sk-test',
        OPENAI_BASE_URL: `${openai.url}/v1`,
      },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    page.setDefaultTimeout(PATIENCE_MS);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(origin);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await openai?.close();
    await site?.close();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  const messageBox = () => page.getByLabel('Message');
  const streamingText = () => page.getByTestId('streaming-answer').getByTestId('message-text');
  const storedAnswer = (runId: string) => page.locator(`[data-testid="message"][data-role="assistant"][data-run-id="${runId}"]`);
  const send = async (content: string) => {
    await messageBox().fill(content);
    await messageBox().press('Enter');
  };
  /** Waits until the streaming answer shows at least `count` words; returns its run id. */
  const waitForWords = async (count: number): Promise<string> => {
    await expect.poll(async () => words(await streamingText().textContent())).toBeGreaterThanOrEqual(count);
    const runId = await page.getByTestId('streaming-answer').getAttribute('data-run-id');
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);
    return runId!;
  };
  const selectedSessionId = async () => (await page.locator('[data-testid="session"].selected').getAttribute('data-session-id'))!;
  const lastAssistantMessage = async (sessionId: string) => {
    const { messages } = await server.client.sessions.history.query({ sessionId, limit: 200 });
    return messages.filter((message) => message.role === 'assistant').at(-1)!;
  };
  /**
   * Holds the page's history requests until `release()`: the streamed answer, which gives way to
   * the stored one when the history reloads, stays on screen to be looked at after its run ended.
   */
  const holdHistory = async () => {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    const handler = async (route: Route) => {
      await opened;
      await route.continue();
    };
    await page.route((url) => url.pathname.includes('sessions.history'), handler);
    return async () => {
      open();
      await page.unrouteAll({ behavior: 'wait' });
    };
  };

  it('keeps the token and server URL it is given and creates a session', async () => {
    await expect.poll(() => page.getByText('Enter the server URL and a token').isVisible()).toBe(true);
    await page.getByLabel('Server URL').fill(server.url);
    await page.getByLabel('Token').fill(server.token);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByRole('button', { name: 'New session' }).click();
    await expect.poll(() => page.getByTestId('session').count()).toBe(1);

    const { items } = await server.client.sessions.list.query();
    expect(items).toHaveLength(1);
    // Untitled, so that the server names it after its first exchange.
    expect(items[0]!.title).toBeNull();
    expect(await selectedSessionId()).toBe(items[0]!.id);
    expect(await page.getByTestId('message-count').textContent()).toBe('0 messages');
    await page.reload();
    expect(await page.getByLabel('Token').inputValue()).toBe(server.token);
    expect(await page.getByLabel('Server URL').inputValue()).toBe(server.url);
    expect(await selectedSessionId()).toBe(items[0]!.id);
  });

  it('streams an answer word by word, its reasoning apart, and keeps the stored one', async () => {
    // 500 ms a word: the checks below fit between the first word and the last on a busy machine.
    await send('/think weighing the words /slow 500 Hello from Chromium');
    // Caught mid-stream: part of the answer is there, the rest is still coming.
    await expect.poll(async () => words(await streamingText().textContent())).toBeGreaterThanOrEqual(1);
    const partial = (await streamingText().textContent())!;
    expect(await page.getByTestId('streaming-answer').getAttribute('data-phase')).toBe('streaming');
    expect('Echo: Hello from Chromium'.startsWith(partial)).toBe(true);
    expect(partial.length).toBeLessThan('Echo: Hello from Chromium'.length);

    const stored = await lastAnswerWhenDone(page);
    expect(await stored.getByTestId('message-text').textContent()).toBe('Echo: Hello from Chromium');
    expect(await stored.getByTestId('reasoning').textContent()).toContain('weighing the words');
    // Under the answer: its model, its usage and its status.
    const { usage } = await lastAssistantMessage(await selectedSessionId());
    expect(usage).toMatchObject({ outputTokens: 4, reasoningTokens: 3 });
    expect(await stored.getByTestId('model').textContent()).toBe('local/echo');
    expect(await stored.getByTestId('usage').textContent()).toBe(`${usage!.inputTokens} in · 4 out · 3 reasoning tokens`);
    expect(await stored.getByTestId('status').textContent()).toBe('complete');
    expect(await page.locator('[data-testid="message"][data-role="user"]').last().textContent()).toContain('Hello from Chromium');
    // The new session was named after its first exchange, and the list says so.
    expect((await server.client.sessions.get.query({ sessionId: await selectedSessionId() })).title).toBe('Hello from Chromium');
    await expect.poll(() => page.getByTestId('session').first().textContent()).toContain('Hello from Chromium');
    expect(await page.getByTestId('message-count').first().textContent()).toBe('2 messages');
  });

  it('stops a long answer with the stop button; the stored message is cancelled', async () => {
    const sessionId = await selectedSessionId();
    await send('/slow 30 /long 300');
    const runId = await waitForWords(10);
    await page.getByRole('button', { name: 'Stop' }).click();

    const stored = storedAnswer(runId);
    await expect.poll(() => stored.getAttribute('data-status')).toBe('cancelled');
    expect(await stored.getByTestId('status').textContent()).toBe('cancelled');
    const message = await lastAssistantMessage(sessionId);
    expect(message).toMatchObject({ runId, status: 'cancelled' });
    expect(words(message.content)).toBeGreaterThanOrEqual(10);
    expect(words(message.content)).toBeLessThan(300);
    expect(await stored.getByTestId('message-text').textContent()).toBe(message.content);
    expect((await server.client.runs.get.query({ runId })).status).toBe('cancelled');
    await expect.poll(() => page.getByRole('button', { name: 'Send' }).isVisible()).toBe(true);
  });

  it('finishes an answer after a reload in the middle of it, exactly once', async () => {
    const sessionId = await selectedSessionId();
    // 12 s in all: the reload and the replay are done while words are still coming, even on a busy machine.
    await send('/slow 80 /long 150');
    const runId = await waitForWords(15);
    await page.reload();

    // The page re-attaches to the same run: the replay rebuilds the answer so far, the rest streams in.
    await expect.poll(() => page.getByTestId('streaming-answer').getAttribute('data-run-id')).toBe(runId);
    await expect.poll(async () => words(await streamingText().textContent())).toSatisfy((count: number) => count > 15 && count < 150);
    await expect.poll(() => storedAnswer(runId).count()).toBe(1);
    const message = await lastAssistantMessage(sessionId);
    expect(message).toMatchObject({ runId, status: 'complete' });
    expect(words(message.content)).toBe(150);
    expect(await storedAnswer(runId).getByTestId('message-text').textContent()).toBe(message.content);
    await expect.poll(() => page.getByTestId('streaming-answer').count()).toBe(0);
    const texts = await page.getByTestId('message-text').allTextContents();
    expect(texts.filter((text) => text.includes(message.content))).toEqual([message.content]);
    expect(await page.locator(`[data-testid="message"][data-role="user"][data-run-id="${runId}"]`).count()).toBe(1);
    expect(await page.getByTestId('pending-question').count()).toBe(0);
    expect((await server.client.runs.get.query({ runId })).status).toBe('completed');

    await mkdir(RESULTS, { recursive: true });
    await page.screenshot({ path: join(RESULTS, 'web-page.png'), fullPage: true });
  });

  it('renames, archives and deletes sessions in the sidebar', async () => {
    const sessionId = await selectedSessionId();
    await page.getByRole('button', { name: 'Rename Hello from Chromium' }).click();
    await page.getByLabel('Session title').fill('Renamed in Chromium');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByTestId('session').first().textContent()).toContain('Renamed in Chromium');
    // Renaming is optimistic too: the server has the title once the call lands.
    await expect.poll(async () => (await server.client.sessions.get.query({ sessionId })).title).toBe('Renamed in Chromium');

    await page.getByRole('button', { name: 'New session' }).click();
    await expect.poll(() => page.getByTestId('session').count()).toBe(2);
    const newest = await selectedSessionId();
    expect(newest).not.toBe(sessionId);
    await send('Newest first');
    await expect.poll(() => page.locator('[data-testid="message"][data-role="assistant"]').count()).toBe(1);
    // The session with the latest activity is listed first.
    await expect.poll(() => page.getByTestId('session').first().getAttribute('data-session-id')).toBe(newest);

    // A third one, archived: it leaves the list (and the selection), and the server keeps it archived.
    await page.getByRole('button', { name: 'New session' }).click();
    await expect.poll(() => page.getByTestId('session').count()).toBe(3);
    const spare = await selectedSessionId();
    expect([sessionId, newest]).not.toContain(spare);
    await page.locator(`[data-testid="session"][data-session-id="${spare}"]`).getByRole('button', { name: /^Archive / }).click();
    await expect.poll(() => page.getByTestId('session').count()).toBe(2);
    expect(await page.locator('[data-testid="session"].selected').count()).toBe(0);
    // The list changes at once (archiving is optimistic); the server stores it when the call lands.
    await expect.poll(async () => (await server.client.sessions.get.query({ sessionId: spare })).archived).toBe(true);
    await page.locator(`[data-testid="session"][data-session-id="${newest}"] .session-title`).click();

    await page.getByRole('button', { name: 'Delete Renamed in Chromium' }).click();
    await expect.poll(() => page.getByTestId('session').count()).toBe(1);
    // So is deleting.
    await expect.poll(async () => (await server.client.sessions.list.query()).items.map((item) => item.id)).toEqual([newest]);
  });

  it('asks before a guarded tool runs: Allow runs it; after a reload the card is back, and Deny refuses it', async () => {
    const { agents } = server.server.services;
    agents.register({ ...agents.get('assistant'), name: 'guarded', description: 'Asks before it calculates.', approval: ['calculator'] });
    const sessionId = await selectedSessionId();
    await server.client.sessions.update.mutate({ sessionId, agent: 'guarded' });
    const answer = page.getByTestId('streaming-answer');
    const card = answer.getByTestId('approval');

    await send('/tool calculator {"expression": "6 * 7"}');
    await expect.poll(() => card.getAttribute('data-decision')).toBe('pending');
    expect(await card.locator('header').textContent()).toBe('Run calculator?');
    expect(JSON.parse((await card.getByTestId('approval-input').textContent())!)).toEqual({ expression: '6 * 7' });
    expect(await answer.getAttribute('data-phase')).toBe('waiting');
    expect(await answer.locator('header .badge').textContent()).toBe('waiting for approval');
    const runId = (await answer.getAttribute('data-run-id'))!;
    expect(await server.client.runs.get.query({ runId })).toMatchObject({ status: 'waiting', approvals: [{ name: 'calculator', decision: 'pending' }] });

    const release = await holdHistory();
    await card.getByRole('button', { name: 'Allow', exact: true }).click();
    const allowed = 'Tool calculator returned: {"expression":"6 * 7","result":42}';
    await expect.poll(() => answer.getAttribute('data-phase')).toBe('completed');
    expect(await card.getByTestId('approval-decision').textContent()).toBe('Allowed');
    expect(await answer.getByTestId('message-text').textContent()).toBe(allowed);
    expect(await answer.locator('.tool').textContent()).toContain('→ {"expression":"6 * 7","result":42}');
    await release();
    await expect.poll(() => storedAnswer(runId).count()).toBe(1);
    expect(await storedAnswer(runId).getByTestId('message-text').textContent()).toBe(allowed);
    // The stored answer keeps the decision, without buttons.
    expect(await storedAnswer(runId).getByTestId('approval-decision').textContent()).toBe('Allowed');
    expect(await storedAnswer(runId).getByTestId('approval').getByRole('button').count()).toBe(0);
    expect((await server.client.runs.get.query({ runId })).status).toBe('completed');

    await send('/tool calculator {"expression": "1 / 0"}');
    await expect.poll(() => card.getAttribute('data-decision')).toBe('pending');
    const deniedRunId = (await answer.getAttribute('data-run-id'))!;
    // The run waits on the server while the page is gone; the replayed events bring the card back.
    await page.reload();
    await expect.poll(() => card.getAttribute('data-decision')).toBe('pending');
    expect(await answer.getAttribute('data-run-id')).toBe(deniedRunId);

    const releaseAgain = await holdHistory();
    await card.getByLabel('Reason to deny').fill('not now');
    await card.getByRole('button', { name: 'Deny' }).click();
    const denied = 'Tool calculator failed: "the user denied this call: not now"';
    await expect.poll(() => answer.getAttribute('data-phase')).toBe('completed');
    expect(await card.getByTestId('approval-decision').textContent()).toBe('Denied: not now');
    expect(await answer.locator('.tool.error').count()).toBe(1);
    expect(await answer.getByTestId('message-text').textContent()).toBe(denied);
    await releaseAgain();
    await expect.poll(() => storedAnswer(deniedRunId).count()).toBe(1);
    expect(await storedAnswer(deniedRunId).getByTestId('message-text').textContent()).toBe(denied);
    expect(await storedAnswer(deniedRunId).getByTestId('approval-decision').textContent()).toBe('Denied: not now');
    await expect.poll(() => page.getByTestId('streaming-answer').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('joins a run another client started when its session opens: the approval card, Allow, the answer', async () => {
    // Started by the API client, not the page: it waits for approval of the `guarded` agent's calculator.
    const session = await server.client.sessions.create.mutate({ title: 'Started elsewhere', agent: 'guarded' });
    const { runId, status } = await server.client.chat.send.mutate({ sessionId: session.id, content: '/tool calculator {"expression": "6 * 7"}' });
    expect(status).toBe('waiting');
    await page.reload();
    await page.locator(`[data-testid="session"][data-session-id="${session.id}"] .session-title`).click();

    const answer = page.getByTestId('streaming-answer');
    const card = answer.getByTestId('approval');
    await expect.poll(() => card.getAttribute('data-decision')).toBe('pending');
    expect(await answer.getAttribute('data-run-id')).toBe(runId);
    expect(await answer.getAttribute('data-phase')).toBe('waiting');
    expect(await page.getByRole('button', { name: 'Stop' }).isEnabled()).toBe(true);
    // The question shows once, from the history.
    expect(await page.locator(`[data-testid="message"][data-role="user"][data-run-id="${runId}"]`).count()).toBe(1);
    expect(await page.getByTestId('pending-question').count()).toBe(0);

    await card.getByRole('button', { name: 'Allow', exact: true }).click();
    await expect.poll(() => storedAnswer(runId).count()).toBe(1);
    expect(await storedAnswer(runId).getByTestId('message-text').textContent()).toBe('Tool calculator returned: {"expression":"6 * 7","result":42}');
    await expect.poll(() => page.getByTestId('streaming-answer').count()).toBe(0);
    expect((await server.client.runs.get.query({ runId })).status).toBe('completed');
    await expect.poll(() => page.getByRole('button', { name: 'Send' }).isVisible()).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it('Always allow runs the tool without asking for the rest of the session, until Ask again', async () => {
    const previous = await selectedSessionId();
    await page.getByRole('button', { name: 'New session' }).click();
    await expect.poll(selectedSessionId).not.toBe(previous);
    const sessionId = await selectedSessionId();
    await server.client.sessions.update.mutate({ sessionId, agent: 'guarded' });
    const answer = page.getByTestId('streaming-answer');
    const card = answer.getByTestId('approval');
    const allowedTools = page.getByTestId('allowed-tools');
    const calculate = (expression: string) => send(`/tool calculator {"expression": "${expression}"}`);
    /** The session's `count`th stored answer, once the page shows it in place of the streamed one. */
    const answered = async (count: number) => {
      const answers = page.locator('[data-testid="message"][data-role="assistant"]');
      await expect.poll(() => answers.count()).toBe(count);
      await expect.poll(() => page.getByTestId('streaming-answer').count()).toBe(0);
      const runId = (await answers.last().getAttribute('data-run-id'))!;
      return { runId, stored: storedAnswer(runId) };
    };
    expect(await allowedTools.count()).toBe(0);

    await calculate('6 * 7');
    await expect.poll(() => card.getAttribute('data-decision')).toBe('pending');
    const release = await holdHistory();
    await card.getByRole('button', { name: 'Always allow' }).click();
    await expect.poll(() => answer.getAttribute('data-phase')).toBe('completed');
    expect(await card.getByTestId('approval-decision').textContent()).toBe('Allowed');
    expect(await card.getByRole('button').count()).toBe(0);
    await release();
    const first = await answered(1);
    expect(await first.stored.getByTestId('message-text').textContent()).toBe('Tool calculator returned: {"expression":"6 * 7","result":42}');
    expect((await server.client.sessions.get.query({ sessionId })).allowedTools).toEqual(['calculator']);
    await expect.poll(() => allowedTools.textContent()).toContain('Allowed without asking: calculator');

    // The next call runs at once: no card, no approval on the run.
    await calculate('2 + 2');
    const second = await answered(2);
    expect(second.runId).not.toBe(first.runId);
    expect(await second.stored.getByTestId('message-text').textContent()).toBe('Tool calculator returned: {"expression":"2 + 2","result":4}');
    expect(await second.stored.getByTestId('approval').count()).toBe(0);
    expect((await server.client.runs.get.query({ runId: second.runId })).approvals).toEqual([]);

    await allowedTools.getByRole('button', { name: 'Ask again' }).click();
    await expect.poll(() => allowedTools.count()).toBe(0);
    expect((await server.client.sessions.get.query({ sessionId })).allowedTools).toEqual([]);
    await calculate('3 + 3');
    await expect.poll(() => card.getAttribute('data-decision')).toBe('pending');
    await card.getByRole('button', { name: 'Deny' }).click();
    const third = await answered(3);
    expect(await third.stored.getByTestId('approval-decision').textContent()).toBe('Denied');
    expect((await server.client.runs.get.query({ runId: third.runId })).status).toBe('completed');
    expect(pageErrors).toEqual([]);
  });

  it('keeps the composer usable while an answer streams: a message sent meanwhile queues behind it (or is refused, as the session says)', async () => {
    const previous = await selectedSessionId();
    await page.getByRole('button', { name: 'New session' }).click();
    await expect.poll(selectedSessionId).not.toBe(previous);
    const sessionId = await selectedSessionId();
    // 80 words, 60 ms apart: the second message is sent while the first answer streams.
    await send('/slow 60 /long 80');
    const firstRunId = await waitForWords(3);
    expect(await page.getByRole('button', { name: 'Stop' }).isVisible()).toBe(true);
    await send('Second in line');

    const answers = page.getByTestId('streaming-answer');
    await expect.poll(() => answers.count()).toBe(2);
    await expect.poll(() => answers.nth(1).getAttribute('data-phase')).toBe('queued');
    expect(await answers.nth(1).locator('header .badge').textContent()).toBe('queued #1');
    expect(await answers.nth(0).getAttribute('data-run-id')).toBe(firstRunId);
    expect(await page.getByTestId('pending-question').last().textContent()).toContain('Second in line');

    // Answered in the order sent, each once.
    const stored = page.locator('[data-testid="message"][data-role="assistant"]');
    await expect.poll(() => stored.count()).toBe(2);
    await expect.poll(() => answers.count()).toBe(0);
    const texts = await stored.getByTestId('message-text').allTextContents();
    expect(words(texts[0]!)).toBe(80);
    expect(texts[1]).toBe('Echo: Second in line');
    const { messages } = await server.client.sessions.history.query({ sessionId });
    expect(messages.filter((message) => message.role === 'assistant').map((message) => message.content)).toEqual(texts);
    expect(await stored.first().getAttribute('data-run-id')).toBe(firstRunId);

    // With the policy `reject`, the server refuses it instead, and the page says so; the running answer goes on.
    await server.client.sessions.update.mutate({ sessionId, busyPolicy: 'reject' });
    await send('/slow 60 /long 80');
    const runningId = await waitForWords(3);
    await send('Refused');
    await expect.poll(() => page.getByTestId('error').textContent()).toBe('the session already has an active run');
    expect(await answers.first().getAttribute('data-phase')).toBe('streaming');
    expect(await answers.last().getAttribute('data-phase')).toBe('failed');
    await page.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => storedAnswer(runningId).getAttribute('data-status')).toBe('cancelled');
    expect((await server.client.runs.list.query({ sessionId })).items).toHaveLength(3);
    expect(pageErrors).toEqual([]);
  });

  it('edits a question and regenerates an answer on new branches, with ‹ N/M › arrows between the versions', async () => {
    const previous = await selectedSessionId();
    await page.getByRole('button', { name: 'New session' }).click();
    await expect.poll(selectedSessionId).not.toBe(previous);
    const sessionId = await selectedSessionId();
    const question = page.locator('[data-testid="message"][data-role="user"]');
    const answer = page.locator('[data-testid="message"][data-role="assistant"]');
    /** Waits for a new answer to stream (caught between its first word and its last), then for it to be stored. */
    const streamsThenStored = async (text: string) => {
      await expect.poll(async () => words(await streamingText().textContent())).toBeGreaterThanOrEqual(1);
      expect(await page.getByTestId('streaming-answer').getAttribute('data-phase')).toBe('streaming');
      expect((await streamingText().textContent())!.length).toBeLessThan(text.length);
      expect(await lastAnswerWhenDone(page).then((stored) => stored.getByTestId('message-text').textContent())).toBe(text);
    };
    // 300 ms a word: each answer is seen streaming.
    await send('/slow 300 First question');
    await streamsThenStored('Echo: First question');

    // Edit: the old question and answer give way to the new version, whose answer streams.
    await question.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Edit message').fill('/slow 300 Second question');
    await page.getByRole('button', { name: 'Save' }).click();
    await streamsThenStored('Echo: Second question');
    expect(await question.getByTestId('message-text').allTextContents()).toEqual(['/slow 300 Second question']);
    expect(await question.getByTestId('branch-position').textContent()).toBe('2/2');
    expect(await question.getByRole('button', { name: 'next version' }).isDisabled()).toBe(true);

    // ‹ shows the first version, with its own answer.
    await question.getByRole('button', { name: 'previous version' }).click();
    await expect.poll(() => question.getByTestId('branch-position').textContent()).toBe('1/2');
    expect(await question.getByTestId('message-text').allTextContents()).toEqual(['/slow 300 First question']);
    expect(await answer.getByTestId('message-text').allTextContents()).toEqual(['Echo: First question']);
    expect(await answer.getByTestId('branch').count()).toBe(0);

    // Regenerate that answer: a second version streams, and the arrows count it.
    const firstAnswerRunId = await answer.getAttribute('data-run-id');
    await answer.getByRole('button', { name: 'Regenerate' }).click();
    await streamsThenStored('Echo: First question');
    expect(await answer.getAttribute('data-run-id')).not.toBe(firstAnswerRunId);
    expect(await answer.getByTestId('branch-position').textContent()).toBe('2/2');
    expect(await question.getByTestId('branch-position').textContent()).toBe('1/2');
    // One run for each: the send, the edit, the regenerate.
    expect((await server.client.runs.list.query({ sessionId })).items).toHaveLength(3);
    expect((await server.client.sessions.get.query({ sessionId })).messageCount).toBe(5);
    expect(pageErrors).toEqual([]);
  });

  it('renders answers as Markdown with highlighted code, and HTML in any message as text, never as elements', async () => {
    openai.script({
      text: ['Here is **the code**:\n\n```js\nconst answer = 42;\n```\n\n', 'And <img src=x onerror="window.__injected = 1"> and <script>window.__injected = 2</script> stay text.'],
      usage: { inputTokens: 12, outputTokens: 34 },
    });
    const session = await server.client.sessions.create.mutate({ title: 'Markdown', model: 'openai/gpt-test' });
    await page.reload();
    await page.locator(`[data-testid="session"][data-session-id="${session.id}"] .session-title`).click();
    const question = 'Show me <img src=x onerror="window.__injected = 3"> and <script>window.__injected = 4</script>';
    await send(question);

    const answer = await lastAnswerWhenDone(page);
    await expect.poll(() => answer.count()).toBe(1);
    expect(await answer.locator('strong').textContent()).toBe('the code');
    const code = answer.locator('pre code.hljs.language-js');
    expect(await code.textContent()).toBe('const answer = 42;\n');
    expect(await code.locator('.hljs-keyword').textContent()).toBe('const');
    expect(await code.locator('.hljs-number').textContent()).toBe('42');
    const text = await answer.getByTestId('message-text').textContent();
    expect(text).toContain('<img src=x onerror="window.__injected = 1">');
    expect(text).toContain('<script>window.__injected = 2</script>');
    const asked = page.locator('[data-testid="message"][data-role="user"]').last();
    expect(await asked.getByTestId('message-text').textContent()).toBe(question);
    // Nothing of it became an element, and nothing ran.
    expect(await page.locator('.messages img, .messages script').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __injected?: number }).__injected)).toBeUndefined();

    expect(await answer.getByTestId('model').textContent()).toBe('openai/gpt-test');
    expect(await answer.getByTestId('usage').textContent()).toBe('12 in · 34 out tokens');
    expect(await answer.getByTestId('status').textContent()).toBe('complete');
    expect(pageErrors).toEqual([]);
  });

  it('says what to do when the server cannot be reached, or refuses the page’s origin', async () => {
    const context = await browser.newContext();
    try {
      const other = await context.newPage();
      other.setDefaultTimeout(PATIENCE_MS);
      const connect = async (url: string) => {
        await other.getByLabel('Server URL').fill(url);
        await other.getByLabel('Token').fill(server.token);
        await other.getByRole('button', { name: 'Connect' }).click();
      };
      const error = () => other.getByTestId('error').first().textContent();

      const nothingThere = `http://127.0.0.1:${await closedPort()}`;
      await other.goto(origin);
      await connect(nothingThere);
      await expect
        .poll(error)
        .toBe(`Cannot reach ${nothingThere}: is the server running? If it is, add this page's origin (${origin}) to THREADLINE_CORS_ORIGINS.`);

      // The same page from another origin, which the server does not allow.
      const foreign = origin.replace('127.0.0.1', 'localhost');
      await other.goto(foreign);
      await connect(server.url);
      await expect
        .poll(error)
        .toBe(`${server.url} answers, but not to this page: add this page's origin (${foreign}) to THREADLINE_CORS_ORIGINS where the server runs, and restart it.`);
    } finally {
      await context.close();
    }
  });
});

/**
 * `vite build` of the page into `outDir`. Vitest sets NODE_ENV=test, with which Vite and the React
 * plugin would bundle React's development build; the page is tested as it ships.
 */
async function buildForProduction(outDir: string): Promise<void> {
  const previous = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ root: WEB_ROOT, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  } finally {
    process.env.NODE_ENV = previous;
  }
}

/** Words in a text (null counts none). */
function words(text: string | null): number {
  return text?.split(/\s+/).filter(Boolean).length ?? 0;
}

/** The last assistant message of the history, once the streamed copy has given way to it. */
async function lastAnswerWhenDone(page: Page): Promise<Locator> {
  await expect.poll(() => page.getByTestId('streaming-answer').count()).toBe(0);
  return page.locator('[data-testid="message"][data-role="assistant"]').last();
}

/** A port nothing listens on (one the system just handed out and took back). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

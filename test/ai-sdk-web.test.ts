import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PATIENCE_MS } from './helpers/patience.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** Debian's chromium (`apt-get install chromium`); THREADLINE_CHROMIUM points elsewhere. */
const CHROMIUM = process.env.THREADLINE_CHROMIUM ?? '/usr/bin/chromium';
const WEB_ROOT = fileURLToPath(new URL('../examples/web/', import.meta.url));

// examples/web/ai-sdk.html: useChat from @ai-sdk/react with its default transport, against /api/chat.
describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('the useChat page in Chromium', () => {
  let outDir: string;
  let site: PreviewServer;
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'threadline-ai-sdk-'));
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      // Only this page: the main page is not needed here.
      await build({ root: WEB_ROOT, logLevel: 'warn', build: { outDir, emptyOutDir: true, rollupOptions: { input: { 'ai-sdk': join(WEB_ROOT, 'ai-sdk.html') } } } });
    } finally {
      process.env.NODE_ENV = previous;
    }
    site = await preview({ root: WEB_ROOT, logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port: 0, strictPort: true } });
    const origin = new URL(site.resolvedUrls!.local[0]!).origin;
    // A reload comes back well within 3 s; a stop is cancelled 3 s after it.
    server = await startTestServer({ environment: { THREADLINE_CORS_ORIGINS: origin, THREADLINE_LOCAL_DELAY_MS: '5', THREADLINE_CHAT_RESUME_GRACE_MS: '3000' } });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    page.setDefaultTimeout(PATIENCE_MS);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${origin}/ai-sdk.html?server=${encodeURIComponent(server.url)}&token=${encodeURIComponent(server.token)}#chat=page-chat`);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await site?.close();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  const answers = () => page.locator('[data-testid="message"][data-role="assistant"]');
  const words = async () => ((await answers().last().getByTestId('message-text').allTextContents()).join('').split(/\s+/).filter(Boolean).length);
  const send = async (text: string) => {
    await page.getByLabel('Message').fill(text);
    await page.getByLabel('Message').press('Enter');
  };
  const status = () => page.getByTestId('status').textContent();

  it('sends a message and streams the answer', async () => {
    await send('hello from the page');
    await expect.poll(() => answers().last().getByTestId('message-text').textContent()).toBe('Echo: hello from the page');
    await expect.poll(status).toBe('ready');
    expect(pageErrors).toEqual([]);
  });

  it('resumes the answer after a reload in the middle of it', async () => {
    // 20 ms a word, 200 words: about 4 s, so the reload lands mid-answer even on a busy machine.
    await send('/slow 20 /long 200');
    await expect.poll(words).toBeGreaterThanOrEqual(5);
    const runId = (await answers().last().getAttribute('data-run-id'))!;
    const resumes: number[] = [];
    page.on('response', (response) => void (response.url().endsWith('/api/chat/page-chat/stream') && resumes.push(response.status())));
    await page.reload();
    // The stored messages come back, then useChat's resume replays the run from its start to its end.
    await expect.poll(() => page.locator(`[data-run-id="${runId}"]`).count()).toBe(1);
    await expect.poll(words).toBe(200);
    await expect.poll(status).toBe('ready');
    expect((await server.client.runs.get.query({ runId })).status).toBe('completed');
    // It was resumed (200: the run's stream), not found finished (204).
    expect(resumes).toEqual([200]);
    expect(await page.locator('[data-testid="message"][data-role="user"]').allTextContents()).toEqual(['hello from the page', '/slow 20 /long 200']);
    expect(pageErrors).toEqual([]);
  });

  it('asks for approval and goes on once the approve button answers', async () => {
    const assistant = server.server.services.agents.get('assistant');
    server.server.services.agents.register({ ...assistant, name: 'guarded', approval: ['calculator'] });
    await page.goto(page.url().replace(/#.*$/, '#chat=approvals&agent=guarded'));
    await page.reload();
    await send('/tool calculator {"expression": "2 + 2"}');
    const tool = page.getByTestId('tool');
    await expect.poll(() => tool.getAttribute('data-state')).toBe('approval-requested');
    const runId = (await answers().last().getAttribute('data-run-id'))!;
    expect((await server.client.runs.get.query({ runId })).status).toBe('waiting');
    await page.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => tool.getAttribute('data-state')).toBe('output-available');
    await expect.poll(async () => (await server.client.runs.get.query({ runId })).status).toBe('completed');
    expect(await answers().last().getByTestId('message-text').allTextContents()).toEqual([expect.stringContaining('4')]);
    await expect.poll(status).toBe('ready');
    expect(pageErrors).toEqual([]);
  });

  it('stops an answer with useChat\'s stop: the run ends cancelled', async () => {
    await send('/slow 20 /long 1000');
    await expect.poll(words).toBeGreaterThanOrEqual(5);
    const runId = (await answers().last().getAttribute('data-run-id'))!;
    await page.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(status).toBe('ready');
    await expect.poll(async () => (await server.client.runs.get.query({ runId })).status).toBe('cancelled');
    expect(await words()).toBeLessThan(1000);
    expect(pageErrors).toEqual([]);
  });
});

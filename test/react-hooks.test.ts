import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { chromium, type Browser, type Page, type Route } from 'playwright-core';
import { createServer, defaultClientConditions, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PATIENCE_MS } from './helpers/patience.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// @threadline/react's hooks, bare, in a page under StrictMode served by Vite's dev server: React's
// development build runs every effect twice on mount, as in a developer's own app. The page is
// react/harness; Chromium drives it against a real server.

const CHROMIUM = process.env.THREADLINE_CHROMIUM ?? '/usr/bin/chromium';
const HARNESS = fileURLToPath(new URL('../react/harness/', import.meta.url));

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('@threadline/react hooks in StrictMode, in Chromium', () => {
  let cacheDir: string;
  let site: ViteDevServer;
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let sessionId: string;
  const pageErrors: string[] = [];
  const requestId = crypto.randomUUID();

  beforeAll(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'threadline-harness-'));
    site = await createServer({
      root: HARNESS,
      configFile: false,
      cacheDir,
      logLevel: 'warn',
      plugins: [react()],
      resolve: { conditions: ['@threadline/source', ...defaultClientConditions] },
      server: { host: '127.0.0.1', port: 0, strictPort: true },
      // Optimised up front, so no dependency found later reloads the page mid-test.
      optimizeDeps: { include: ['react', 'react/jsx-dev-runtime', 'react-dom/client', '@tanstack/react-query', '@trpc/tanstack-react-query', '@trpc/client', 'eventsource', 'superjson'] },
    });
    await site.listen();
    const origin = new URL(site.resolvedUrls!.local[0]!).origin;
    server = await startTestServer({ environment: { THREADLINE_CORS_ORIGINS: origin, THREADLINE_LOCAL_DELAY_MS: '5' } });
    sessionId = (await server.client.sessions.create.mutate({ title: 'Harness' })).id;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage();
    page.setDefaultTimeout(PATIENCE_MS);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const query = new URLSearchParams({ server: server.url, token: server.token, session: sessionId, requestId });
    await page.goto(`${origin}/?${query}`);
    await page.getByText('Harness').waitFor();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await site?.close();
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  const runsOfSession = async () => (await server.client.runs.list.query({ sessionId, limit: 100 })).items;
  const answers = () => page.locator('[data-testid="message"][data-role="assistant"]');
  const send = async (content: string, button = 'Send') => {
    await page.getByLabel('Content').fill(content);
    await page.getByRole('button', { name: button, exact: true }).click();
  };

  it('streams an answer once though StrictMode subscribes twice, and after a reload mid-answer finishes it, still once', async () => {
    await send('/slow 60 /long 60');
    await expect.poll(async () => words(await page.getByTestId('run').textContent())).toBeGreaterThanOrEqual(5);
    const runId = (await page.getByTestId('run').getAttribute('data-run-id'))!;
    await page.reload();
    // The same run, rebuilt from its replayed events, then followed to its end.
    await expect.poll(() => page.getByTestId('run').getAttribute('data-run-id')).toBe(runId);
    await expect.poll(() => answers().count()).toBe(1);
    await expect.poll(() => page.getByTestId('run').count()).toBe(0);
    expect(words(await answers().textContent())).toBe(60);
    expect(await page.getByTestId('status').textContent()).toBe('idle');
    expect((await runsOfSession()).map((run) => run.id)).toEqual([runId]);
    expect(pageErrors).toEqual([]);
  });

  it('starts one run for a double send, and one for a requestId sent again', async () => {
    await send('Twice?', 'Send twice');
    await expect.poll(() => answers().count()).toBe(2);
    await expect.poll(() => page.getByTestId('status').textContent()).toBe('idle');
    expect(await answers().last().textContent()).toBe('Echo: Twice?');
    expect(await runsOfSession()).toHaveLength(2);

    await send('Once with an id', 'Send with the requestId');
    await expect.poll(() => answers().count()).toBe(3);
    await send('Once with an id', 'Send with the requestId');
    // After a reload the hook no longer remembers it: the server does (chat.stream re-attaches).
    await page.reload();
    await send('Once with an id', 'Send with the requestId');
    await expect.poll(() => page.getByTestId('status').textContent()).toBe('idle');
    await expect.poll(() => page.getByTestId('run').count()).toBe(0);
    expect(await answers().count()).toBe(3);
    expect(await runsOfSession()).toHaveLength(3);
    expect(pageErrors).toEqual([]);
  });

  it('edits and regenerates once though clicked twice, re-attaches to an edit after a reload, and switches back to the first answer', async () => {
    const before = (await runsOfSession()).length;
    await page.getByLabel('Content').fill('/slow 60 /long 40');
    await page.getByRole('button', { name: 'Edit the first question twice' }).click();
    await expect.poll(async () => words(await page.getByTestId('run').textContent())).toBeGreaterThanOrEqual(3);
    const editRunId = (await page.getByTestId('run').getAttribute('data-run-id'))!;
    // The edited question and what followed it give way to the new version while it streams.
    expect(await page.getByTestId('message').count()).toBe(0);
    await page.reload();
    await expect.poll(() => page.getByTestId('run').getAttribute('data-run-id')).toBe(editRunId);
    await expect.poll(() => page.getByTestId('run').count()).toBe(0);
    expect(await page.getByTestId('message').allTextContents()).toEqual(['/slow 60 /long 40', await answers().textContent()]);
    expect(words(await answers().textContent())).toBe(40);
    expect(await answers().getAttribute('data-run-id')).toBe(editRunId);
    expect(await runsOfSession()).toHaveLength(before + 1);

    await page.getByRole('button', { name: 'Regenerate the last answer twice' }).click();
    await expect.poll(() => answers().getAttribute('data-run-id')).not.toBe(editRunId);
    await expect.poll(() => page.getByTestId('status').textContent()).toBe('idle');
    expect(await page.getByTestId('run').count()).toBe(0);
    expect(await runsOfSession()).toHaveLength(before + 2);
    await page.getByRole('button', { name: 'Previous answer' }).click();
    await expect.poll(() => answers().getAttribute('data-run-id')).toBe(editRunId);
    expect(pageErrors).toEqual([]);
  });

  it('renames optimistically: the list changes before the server answers, and changes back when it refuses', async () => {
    const item = page.locator(`[data-testid="session"][data-session-id="${sessionId}"]`);
    const rename = async (title: string) => {
      await page.getByLabel('Title').fill(title);
      await page.getByRole('button', { name: 'Rename' }).click();
    };
    // The server's answer waits until release().
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    await page.route((url) => url.pathname.includes('sessions.update'), async (route: Route) => {
      await opened;
      await route.continue();
    });

    await rename('Renamed at once');
    await expect.poll(() => item.textContent()).toBe('Renamed at once');
    expect((await server.client.sessions.get.query({ sessionId })).title).toBe('Harness');
    open();
    await expect.poll(async () => (await server.client.sessions.get.query({ sessionId })).title).toBe('Renamed at once');
    await page.unrouteAll({ behavior: 'wait' });

    // Longer than a title may be: shown at once, refused by the server, put back.
    await rename('x'.repeat(201));
    await expect.poll(() => page.getByTestId('sessions-error').textContent()).not.toBe('');
    await expect.poll(() => item.textContent()).toBe('Renamed at once');
    expect((await server.client.sessions.get.query({ sessionId })).title).toBe('Renamed at once');
    expect(pageErrors).toEqual([]);
  });
});

/** Words in a text (null counts none). */
function words(text: string | null): number {
  return text?.split(/\s+/).filter(Boolean).length ?? 0;
}

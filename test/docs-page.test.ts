import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRouter } from '../server/src/routers/app.js';
import { PATIENCE_MS } from './helpers/patience.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** Debian's chromium (`apt-get install chromium`); THREADLINE_CHROMIUM points elsewhere. */
const CHROMIUM = process.env.THREADLINE_CHROMIUM ?? '/usr/bin/chromium';

// Outside CI a machine without chromium skips this file; in CI a missing browser fails it.
describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('the /docs page in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const origins = new Set<string>();

  beforeAll(async () => {
    server = await startTestServer();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.setDefaultTimeout(PATIENCE_MS);
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => void (message.type() === 'error' && problems.push(`console: ${message.text()}`)));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
    page.on('request', (request) => void origins.add(new URL(request.url()).origin));
    await page.goto(`${server.url}/docs`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows an operation for every procedure, loading everything from this server, without console errors', async () => {
    const count = Object.keys(appRouter._def.procedures).length;
    await expect.poll(() => page.locator('.opblock').count()).toBe(count);
    await expect.poll(() => page.locator('.opblock-summary-path').allTextContents()).toContain('/trpc/sessions.create');
    expect(await page.title()).toBe('Threadline API');
    expect([...origins]).toEqual([server.url]);
    expect(problems).toEqual([]);
  });

  it('lets a user paste a token (Authorize) and try a call', async () => {
    await page.locator('.btn.authorize').first().click();
    await page.locator('.modal-ux input[type="text"], .modal-ux input[type="password"]').first().fill(server.token);
    await page.locator('.modal-ux .auth-btn-wrapper .btn.authorize').click();
    await page.locator('.modal-ux .btn-done, .modal-ux .close-modal').first().click();

    const operation = page.locator('.opblock').filter({ has: page.locator('.opblock-summary-path', { hasText: /^\/trpc\/system\.status$/ }) });
    await operation.locator('.opblock-summary').click();
    await operation.locator('.btn.execute').click();
    // The answer the page shows: 200 (system.status needs the token) with the status in superjson's envelope.
    const answer = operation.locator('.live-responses-table tbody .response');
    await expect.poll(() => answer.locator('.response-col_status').textContent()).toContain('200');
    expect(await answer.locator('.response-col_description').textContent()).toContain('"uptimeMs"');
    expect(problems).toEqual([]);
  });

  it('sends a query\'s input as the document describes it (URL-encoded superjson)', async () => {
    const operation = page.locator('.opblock').filter({ has: page.locator('.opblock-summary-path', { hasText: /^\/trpc\/agents\.get$/ }) });
    await operation.locator('.opblock-summary').click();
    await operation.locator('.parameters textarea').fill('{"json": {"agent": "assistant"}}');
    await operation.locator('.btn.execute').click();
    const answer = operation.locator('.live-responses-table tbody .response');
    await expect.poll(() => answer.locator('.response-col_status').textContent()).toContain('200');
    expect(await answer.locator('.response-col_description').textContent()).toContain('"name": "assistant"');
    expect(problems).toEqual([]);
  });

  it('offers examples a newcomer can send as they are: a mutation with its example body', async () => {
    const operation = page.locator('.opblock').filter({ has: page.locator('.opblock-summary-path', { hasText: /^\/trpc\/sessions\.create$/ }) });
    await operation.locator('.opblock-summary').click();
    await operation.locator('.btn.execute').click();
    const answer = operation.locator('.live-responses-table tbody .response');
    await expect.poll(() => answer.locator('.response-col_status').textContent()).toContain('200');
    const { items } = await server.client.sessions.list.query();
    expect(items).toHaveLength(1);
    expect(problems).toEqual([]);
  });
});

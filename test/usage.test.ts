import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../server/src/testing/databases.js';
import { startAnthropicFake } from './fakes/anthropic.js';
import { startOpenAIFake } from './fakes/openai.js';
import { runCli } from './helpers/process.js';
import { startTestServer } from './helpers/server.js';
import { collectEvents } from './helpers/stream.js';

const anthropicUsage = { inputTokens: 1000, outputTokens: 200, cachedInputTokens: 500, cacheWriteInputTokens: 100 };
const openaiUsage = { inputTokens: 2000, outputTokens: 100, cachedInputTokens: 1000, reasoningTokens: 40 };
/** claude-sonnet list price per million: input 3, cache read 0.30, cache write 3.75, output 15. */
const anthropicCost = (400 * 3 + 500 * 0.3 + 100 * 3.75 + 200 * 15) / 1e6;
/** gpt-4o-mini as the prices file below sets it: input 1 (cached input too: no price of its own), output 2. */
const openaiCost = (1000 * 1 + 1000 * 1 + 100 * 2) / 1e6;

for (const dialect of DIALECTS) {
  describe(`usage ledger and cost on ${dialect}`, () => {
    it("every run's usage (cached read and write, reasoning) is in the ledger with its model and cost; usage.summary totals and groups the caller's own", async () => {
      await using anthropic = await startAnthropicFake();
      await using openai = await startOpenAIFake();
      await using prices = await pricesFile();
      anthropic.script({ text: ['Hi', ' there'], usage: anthropicUsage });
      openai.script({ reasoning: ['hmm'], text: ['Hello'], usage: openaiUsage });
      await using t = await startTestServer({
        dialect,
        environment: {
          ANTHROPIC_API_KEY: 'sk-ant-test',
          ANTHROPIC_BASE_URL: anthropic.url,
          OPENAI_API_KEY: 'sk-test',
          OPENAI_BASE_URL: `${openai.url}/v1`,
          THREADLINE_PRICES_FILE: prices.path,
        },
      });

      const streamed = await collectEvents((handlers) =>
        t.client.chat.stream.subscribe({ newSession: { title: 'claude' }, content: 'hi', model: 'anthropic/claude-sonnet-5', requestId: randomUUID() }, handlers),
      );
      // Cache writes reach the client end to end: run-finish carries them.
      expect(streamed.events.at(-1)!.data).toMatchObject({ type: 'run-finish', usage: anthropicUsage });
      const sessionId = (streamed.events[0]!.data as { sessionId: string }).sessionId;
      const sent = await t.client.chat.send.mutate({ newSession: true, content: 'hello', model: 'openai/gpt-4o-mini' });
      expect(sent.usage).toEqual(openaiUsage);
      await t.client.chat.send.mutate({ content: 'free', model: 'local/echo' });

      const byModel = await t.client.usage.summary.query({ groupBy: 'model' });
      expect(byModel.currency).toBe('USD');
      expect(byModel.total).toMatchObject({ runs: 3, cachedInputTokens: 1500, cacheWriteInputTokens: 100, reasoningTokens: 40 });
      expect(byModel.total.cost).toBeCloseTo(anthropicCost + openaiCost, 10);
      const group = (key: string) => byModel.groups.find((entry) => entry.key === key)!;
      expect(group('anthropic/claude-sonnet-5')).toMatchObject({ runs: 1, ...anthropicUsage, reasoningTokens: 0 });
      expect(group('anthropic/claude-sonnet-5').cost).toBeCloseTo(anthropicCost, 10);
      expect(group('openai/gpt-4o-mini')).toMatchObject({ runs: 1, ...openaiUsage, cacheWriteInputTokens: 0 });
      expect(group('openai/gpt-4o-mini').cost).toBeCloseTo(openaiCost, 10);
      expect(group('local/echo')).toMatchObject({ runs: 1, cost: 0 });
      expect(group('local/echo').inputTokens).toBeGreaterThan(0);

      const bySession = await t.client.usage.summary.query({ groupBy: 'session' });
      expect(bySession.groups.find((entry) => entry.key === sessionId)).toMatchObject({ runs: 1, inputTokens: 1000 });
      // The stateless run has no session.
      expect(bySession.groups.find((entry) => entry.key === null)).toMatchObject({ runs: 1 });
      const byDay = await t.client.usage.summary.query({ groupBy: 'day' });
      expect(byDay.groups).toEqual([expect.objectContaining({ key: new Date().toISOString().slice(0, 10), runs: 3 })]);
      const byAgent = await t.client.usage.summary.query({ groupBy: 'agent' });
      expect(byAgent.groups.map((entry) => entry.key)).toEqual(['chat']);

      // A window before the runs holds nothing; from after to before is refused.
      const before = await t.client.usage.summary.query({ from: new Date(Date.now() - 86_400_000), to: new Date(Date.now() - 3_600_000) });
      expect(before.total).toMatchObject({ runs: 0, inputTokens: 0, cost: 0 });
      await expect(t.client.usage.summary.query({ from: new Date(), to: new Date(Date.now() - 1000) })).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' } });

      // Another user sees only their own.
      const { client: bob } = await t.addUser('bob');
      expect((await bob.usage.summary.query()).total.runs).toBe(0);
      await bob.chat.send.mutate({ content: 'mine' });
      expect((await bob.usage.summary.query()).total.runs).toBe(1);

      // The operator sees every user's, by user and by model.
      const options = { dataDir: t.database.dataDir, databaseUrl: t.database.databaseUrl };
      const [byUser, bad] = await Promise.all([runCli(['usage', '--from', '1d', '--by', 'user'], options), runCli(['usage', '--by', 'planet'], options)]);
      expect(byUser.code).toBe(0);
      const rows = byUser.stdout.split('\n');
      expect(rows.find((row) => row.startsWith('bob '))).toMatch(/^bob\s+1\s/);
      expect(rows.find((row) => row.startsWith('local '))).toContain((anthropicCost + openaiCost).toFixed(4));
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('--by must be one of');
    });
  });
}

/** A prices file setting gpt-4o-mini's price, removed on dispose. */
async function pricesFile(): Promise<{ path: string } & AsyncDisposable> {
  const dir = await mkdtemp(join(tmpdir(), 'threadline-prices-'));
  const path = join(dir, 'prices.yaml');
  await writeFile(path, 'models:\n  openai/gpt-4o-mini: { input: 1, output: 2 }\n');
  return { path, [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }) };
}

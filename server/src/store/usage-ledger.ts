import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { UsageGroup, UsageTotals } from '@threadline/shared';
import { newId } from '../ids.js';
import type { Database, UsageLedgerRow } from './database.js';
import { everyColumn, fieldsOf, StatementTemplate } from './statement-template.js';

/** What one model cost one run. */
export interface LedgerEntry {
  userId: string;
  runId: string;
  sessionId: string | null;
  agent: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  cacheWriteInputTokens: number;
  reasoningTokens: number;
  cost: number;
}

const LEDGER_COLUMNS = everyColumn<UsageLedgerRow>()(['id', 'user_id', 'run_id', 'session_id', 'agent', 'model', 'input_tokens', 'output_tokens', 'cached_input_tokens', 'cache_write_input_tokens', 'reasoning_tokens', 'cost', 'created_at']);
const insertLedgerRow = new StatementTemplate((db, args: UsageLedgerRow) => db.insertInto('usage_ledger').values(fieldsOf(args, LEDGER_COLUMNS)));

/** Appends entries to the ledger (inside the run's end transaction): one row per model that answered. */
export async function recordUsage(db: Kysely<Database> | Transaction<Database>, entries: LedgerEntry[], at = Date.now()): Promise<void> {
  for (const entry of entries) {
    await insertLedgerRow.execute(db, {
      id: newId(),
      user_id: entry.userId,
      run_id: entry.runId,
      session_id: entry.sessionId,
      agent: entry.agent,
      model: entry.model,
      input_tokens: entry.inputTokens,
      output_tokens: entry.outputTokens,
      cached_input_tokens: entry.cachedInputTokens,
      cache_write_input_tokens: entry.cacheWriteInputTokens,
      reasoning_tokens: entry.reasoningTokens,
      cost: entry.cost,
      created_at: at,
    });
  }
}

/** What a summary groups by; `user` is for operators only. */
export type LedgerGrouping = 'day' | 'model' | 'session' | 'agent' | 'user';

const DAY_MS = 86_400_000;
const MAX_GROUPS = 1000;

/** Sums over one user's (or, without `userId`, everyone's) entries in [from, to), in total and by `groupBy`. */
export async function summarizeUsage(
  db: Kysely<Database>,
  options: { userId?: string; from: number; to: number; groupBy?: LedgerGrouping },
): Promise<{ total: UsageTotals; groups: UsageGroup[] }> {
  let query = db.selectFrom('usage_ledger').where('usage_ledger.created_at', '>=', options.from).where('usage_ledger.created_at', '<', options.to);
  if (options.userId) query = query.where('usage_ledger.user_id', '=', options.userId);
  const sums = [
    sql<string>`count(distinct usage_ledger.run_id)`.as('runs'),
    sql<string>`coalesce(sum(usage_ledger.input_tokens), 0)`.as('input_tokens'),
    sql<string>`coalesce(sum(usage_ledger.output_tokens), 0)`.as('output_tokens'),
    sql<string>`coalesce(sum(usage_ledger.cached_input_tokens), 0)`.as('cached_input_tokens'),
    sql<string>`coalesce(sum(usage_ledger.cache_write_input_tokens), 0)`.as('cache_write_input_tokens'),
    sql<string>`coalesce(sum(usage_ledger.reasoning_tokens), 0)`.as('reasoning_tokens'),
    sql<string>`coalesce(sum(usage_ledger.cost), 0)`.as('cost'),
  ] as const;
  const total = totalsOf(await query.select(sums).executeTakeFirstOrThrow());
  if (!options.groupBy) return { total, groups: [] };
  const key = groupKey(options.groupBy);
  const grouped = options.groupBy === 'user' ? query.innerJoin('users', 'users.id', 'usage_ledger.user_id') : query;
  const rows = await grouped
    .select([key.as('key'), ...sums])
    .groupBy(key)
    .orderBy(key)
    .limit(MAX_GROUPS)
    .execute();
  const groups = rows.map((row) => ({ key: keyText(options.groupBy!, row.key), ...totalsOf(row) }));
  return { total, groups };
}

function groupKey(grouping: LedgerGrouping): RawBuilder<unknown> {
  switch (grouping) {
    case 'day':
      // Whole UTC days since the epoch: integer division on both dialects.
      return sql`(usage_ledger.created_at / ${sql.lit(DAY_MS)})`;
    case 'model':
      return sql`usage_ledger.model`;
    case 'session':
      return sql`usage_ledger.session_id`;
    case 'agent':
      return sql`usage_ledger.agent`;
    case 'user':
      return sql`users.name`;
  }
}

function keyText(grouping: LedgerGrouping, key: unknown): string | null {
  if (key === null || key === undefined) return null;
  if (grouping === 'day') return new Date(Number(key) * DAY_MS).toISOString().slice(0, 10);
  return String(key);
}

type SumRow = { runs: unknown; input_tokens: unknown; output_tokens: unknown; cached_input_tokens: unknown; cache_write_input_tokens: unknown; reasoning_tokens: unknown; cost: unknown };

/** PostgreSQL sums bigints as numeric (a string to pg): every sum becomes a number here. */
function totalsOf(row: SumRow): UsageTotals {
  return {
    runs: Number(row.runs),
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    cachedInputTokens: Number(row.cached_input_tokens),
    cacheWriteInputTokens: Number(row.cache_write_input_tokens),
    reasoningTokens: Number(row.reasoning_tokens),
    cost: Number(row.cost),
  };
}

/** A user's tokens (input + output) and cost since `since`: what budgets are measured against. */
export async function usageSince(db: Kysely<Database>, userId: string, since: number): Promise<{ tokens: number; cost: number }> {
  const row = await db
    .selectFrom('usage_ledger')
    .where('user_id', '=', userId)
    .where('created_at', '>=', since)
    .select([sql<string>`coalesce(sum(input_tokens + output_tokens), 0)`.as('tokens'), sql<string>`coalesce(sum(cost), 0)`.as('cost')])
    .executeTakeFirstOrThrow();
  return { tokens: Number(row.tokens), cost: Number(row.cost) };
}

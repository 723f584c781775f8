import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Usage } from '@threadline/shared';
import type { Database } from '../store/database.js';
import { usageSince } from '../store/usage-ledger.js';
import type { PriceTable } from '../usage/prices.js';
import type { LimitRefusal } from './user-limiter.js';
import type { UserLimits } from './user-limits.js';

/** What the meter of a streaming run sees: a delta of text or reasoning, a tool call's input, or a model call's usage. */
export type MeteredPart = { type: 'text-delta' | 'reasoning-delta'; delta: string } | { type: 'tool-call'; input: unknown } | { type: 'usage'; usage: Usage };

/** A budget that stops a run: which, and what the user reads. */
export interface BudgetStop {
  limit: 'tokensPerDay' | 'tokensPerMonth' | 'costPerMonth';
  message: string;
}

/** Characters per token when an answer's tokens are estimated before the provider reports them. */
const CHARS_PER_TOKEN = 4;

/** The start of the current UTC day and month, epoch ms. */
export function periodStarts(now = new Date()): { day: number; month: number } {
  return {
    day: Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()),
    month: Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1),
  };
}

/**
 * What one run may still spend of its user's budgets, measured as it streams: the ledger's sums
 * when it began, plus the usage its model calls report, plus an estimate of the answer streamed
 * since the last report (about four characters a token), so it stops near the budget rather than
 * a whole model call past it.
 */
export class RunBudget {
  private spentTokens = 0;
  private spentCost = 0;
  private pendingChars = 0;

  constructor(
    private readonly left: { tokens: number; tokensPeriod: 'day' | 'month'; cost: number },
    private readonly prices: PriceTable,
  ) {}

  /** Why the run may not go on (its user's budget is spent), or undefined. */
  exhausted(model: string): BudgetStop | undefined {
    const pendingTokens = Math.ceil(this.pendingChars / CHARS_PER_TOKEN);
    if (this.spentTokens + pendingTokens >= this.left.tokens) {
      const period = this.left.tokensPeriod;
      return { limit: period === 'day' ? 'tokensPerDay' : 'tokensPerMonth', message: `your token budget for this ${period} is spent (UTC); ask an operator to raise it or wait for the next ${period}` };
    }
    if (this.spentCost + pendingTokens * this.prices.outputPriceOf(model) >= this.left.cost) {
      return { limit: 'costPerMonth', message: 'your cost budget for this month is spent (UTC); ask an operator to raise it or wait for the next month' };
    }
    return undefined;
  }

  /** Counts a part of `model`'s answer; returns why the run must stop, or undefined to go on. */
  meter(model: string, part: MeteredPart): BudgetStop | undefined {
    switch (part.type) {
      case 'usage':
        this.spentTokens += part.usage.inputTokens + part.usage.outputTokens;
        this.spentCost += this.prices.costOf(model, part.usage);
        this.pendingChars = 0;
        break;
      case 'tool-call':
        this.pendingChars += JSON.stringify(part.input ?? null).length;
        break;
      default:
        this.pendingChars += part.delta.length;
    }
    return this.exhausted(model);
  }
}

/** Token and cost budgets per user per UTC day and month, against the usage ledger. */
export class Budgets {
  private readonly listeners: ((refusal: LimitRefusal) => void)[] = [];

  constructor(
    private readonly deps: { db: Kysely<Database>; prices: PriceTable; limitsOf: (userId: string) => Promise<UserLimits>; logger: Logger },
  ) {}

  /** Tells `listener` when a run is refused or stopped at a budget. */
  onRefusal(listener: (refusal: LimitRefusal) => void): void {
    this.listeners.push(listener);
  }

  /** The user's budget left now, for one run; undefined when the user has no budget. */
  async open(userId: string, now = new Date()): Promise<RunBudget | undefined> {
    const limits = await this.deps.limitsOf(userId);
    if (!limits.tokensPerDay && !limits.tokensPerMonth && !limits.costPerMonth) return undefined;
    const starts = periodStarts(now);
    const [today, month] = await Promise.all([
      limits.tokensPerDay ? usageSince(this.deps.db, userId, starts.day) : undefined,
      limits.tokensPerMonth || limits.costPerMonth ? usageSince(this.deps.db, userId, starts.month) : undefined,
    ]);
    const dayLeft = limits.tokensPerDay && today ? limits.tokensPerDay - today.tokens : Infinity;
    const monthLeft = limits.tokensPerMonth && month ? limits.tokensPerMonth - month.tokens : Infinity;
    const costLeft = limits.costPerMonth && month ? limits.costPerMonth - month.cost : Infinity;
    return new RunBudget({ tokens: Math.min(dayLeft, monthLeft), tokensPeriod: dayLeft <= monthLeft ? 'day' : 'month', cost: costLeft }, this.deps.prices);
  }

  /** The one place a budget stops a run (before it calls a model, or while it streams): listeners hear of it, and it is logged. */
  async refused(userId: string, runId: string, stop: BudgetStop): Promise<void> {
    const value = (await this.deps.limitsOf(userId).catch(() => undefined))?.[stop.limit] ?? 0;
    for (const listener of this.listeners) listener({ userId, limit: stop.limit, value, retryAfterMs: 0 });
    this.deps.logger.info({ userId, runId, limit: stop.limit, value }, 'budget reached: run stopped');
  }
}

import { Command } from 'commander';
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/main.js';
import { formatFeedback, parseSince, type FeedbackFormat } from '../src/feedback-report.js';
import { openStore } from '../src/store/open.js';
import { feedbackSince } from '../src/store/ratings.js';
import { createToken, createUser, findUserByName, listTokens, listUsers, revokeToken, tokenIdOf } from '../src/store/users.js';
import { cliSource } from '../src/audit/actors.js';
import { AUDIT_ACTIONS, recordAudit } from '../src/store/audit.js';
import { registerAuditCommand } from '../src/operator/audit-command.js';
import { registerRetentionCommands } from '../src/operator/retention-commands.js';
import { displayUrl } from '../src/url-credentials.js';
import { version } from '../src/version.js';
import { periodStarts } from '../src/limits/index.js';
import { describeUserLimits, userLimitsCommand, type UserLimitsCommandOptions } from '../src/operator/user-limits-command.js';
import { parseWhen, usageReport } from '../src/operator/usage-report.js';

/** Loads `.env` from the working directory when there is one (Node's own loader). */
function loadDotEnv(): void {
  try {
    process.loadEnvFile();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Opens the configured store for one command, then closes it. */
async function withStore<T>(action: (db: Awaited<ReturnType<typeof openStore>>['db']) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const { db } = await openStore(config);
  try {
    return await action(db);
  } finally {
    await db.destroy();
  }
}

function fail(message: string): never {
  // An error may quote a configured URL (a driver's, a library's): never with its credentials.
  console.error(`threadline-server: ${displayUrl(message)}`);
  process.exit(1);
}

const program = new Command('threadline-server')
  .description('Threadline: streaming AI-agent conversations over tRPC')
  .version(version);

program
  .command('start', { isDefault: true })
  .description('start the HTTP server (PORT, HOST, THREADLINE_DATA_DIR, DATABASE_URL, ...)')
  .action(async () => {
    let config: ReturnType<typeof loadConfig>;
    let server: Awaited<ReturnType<typeof startServer>>;
    try {
      config = loadConfig();
      server = await startServer(config);
    } catch (error) {
      // Configuration, agents file, database: say what is wrong, without a stack trace.
      fail((error as Error).message);
    }
    if (server.firstToken) {
      console.log(`\nCreated user "local". Its token (shown once, also saved to ${server.services.config.dataDir}/token):\n\n  ${server.firstToken}\n`);
    }
    console.log(`Threadline listening on ${server.url} (tRPC at ${server.url}/trpc, API reference at ${server.url}/docs)`);
    const stop = (signal: string) => {
      server.services.logger.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down');
      server.close(config.shutdownGraceMs).then(
        () => process.exit(0),
        (error) => {
          console.error(error);
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });

program
  .command('migrate')
  .description('bring the database schema up to date and exit')
  .action(() => withStore(async () => console.log('database is up to date')));

const user = program.command('user').description('manage users');
user
  .command('create <name>')
  .description('create a user and print its first token')
  .action((name: string) =>
    withStore(async (db) => {
      if (await findUserByName(db, name)) fail(`user ${name} already exists`);
      // The change and its audit entry commit together, or neither does.
      const token = await db.transaction().execute(async (trx) => {
        const created = await createUser(trx, name);
        const { token, row } = await createToken(trx, created.id, 'created with the user');
        await recordAudit(trx, { ...cliSource(), action: AUDIT_ACTIONS.userCreate, target: `user:${name}`, details: { userId: created.id, tokenId: row.id } });
        return token;
      });
      console.log(token);
    }),
  );
user
  .command('list')
  .description('list users')
  .action(() =>
    withStore(async (db) => {
      for (const row of await listUsers(db)) console.log(`${row.name}\t${row.id}\t${new Date(row.created_at).toISOString()}`);
    }),
  );
user
  .command('limits <name>')
  .description("show or set a user's rate, concurrency and budget limits (a number, 0 = unlimited, or \"default\")")
  .option('--requests-per-minute <n>', 'requests (any call) per minute')
  .option('--runs-per-minute <n>', 'runs started per minute')
  .option('--active-runs <n>', 'runs active at once')
  .option('--open-streams <n>', 'streams open at once')
  .option('--tokens-per-day <n>', 'input + output tokens per UTC day')
  .option('--tokens-per-month <n>', 'input + output tokens per UTC month')
  .option('--cost-per-month <usd>', 'cost per UTC month, USD')
  .option('--clear', "remove all of the user's own limits (back to the defaults)")
  .action((name: string, options: UserLimitsCommandOptions) =>
    withStore(async (db) => {
      try {
        const change = await userLimitsCommand(db, loadConfig().userLimits, name, options);
        // A change of limits or budgets is an operator action: the audit trail records it (showing them is not).
        if (change.changed !== null) {
          const budgets = change.changed === 'clear' || ['tokensPerDay', 'tokensPerMonth', 'costPerMonth'].some((key) => key in (change.changed as object));
          const action = budgets ? AUDIT_ACTIONS.budgetUpdate : AUDIT_ACTIONS.limitsUpdate;
          await recordAudit(db, { ...cliSource(), action, target: `user:${name}`, details: { changed: change.changed } });
        }
        console.log(describeUserLimits(change));
      } catch (error) {
        fail((error as Error).message);
      }
    }),
  );

program
  .command('usage')
  .description("every user's token usage and cost, from the usage ledger")
  .option('--from <when>', 'from (ISO date or time, or 30d / 12h ago; default: start of this month, UTC)')
  .option('--to <when>', 'until, exclusive (default: now)')
  .option('--by <group>', 'group by user, model, day, session or agent')
  .action((options: { from?: string; to?: string; by?: string }) =>
    withStore(async (db) => {
      const groups = ['user', 'model', 'day', 'session', 'agent'] as const;
      if (options.by !== undefined && !groups.includes(options.by as (typeof groups)[number])) fail(`--by must be one of ${groups.join(', ')}`);
      try {
        const to = options.to ? parseWhen(options.to) : new Date();
        const from = options.from ? parseWhen(options.from) : new Date(periodStarts(to).month);
        console.log(await usageReport(db, { from, to, ...(options.by ? { by: options.by as (typeof groups)[number] } : {}) }));
      } catch (error) {
        fail((error as Error).message);
      }
    }),
  );

const token = program.command('token').description('manage bearer tokens');
token
  .command('create <user>')
  .description("issue a new token for a user and print it (it is shown only once)")
  .option('-l, --label <label>', 'what the token is for', 'cli')
  .option('--operator', 'an operator token: it may also read every user\'s figures (system.operatorStatus)')
  .action((name: string, options: { label: string; operator?: boolean }) =>
    withStore(async (db) => {
      const row = await findUserByName(db, name);
      if (!row) fail(`no user ${name}`);
      const created = await db.transaction().execute(async (trx) => {
        const created = await createToken(trx, row.id, options.label, { operator: options.operator === true });
        await recordAudit(trx, { ...cliSource(), action: AUDIT_ACTIONS.tokenCreate, target: `user:${name}`, details: { tokenId: created.row.id, label: options.label, operator: options.operator === true } });
        return created;
      });
      console.log(created.token);
    }),
  );
token
  .command('revoke <tokenOrId>')
  .description('revoke a token, given the token itself or its id')
  .action((tokenOrId: string) =>
    withStore(async (db) => {
      const revoked = await db.transaction().execute(async (trx) => {
        const tokenId = await tokenIdOf(trx, tokenOrId);
        if (!(await revokeToken(trx, tokenOrId))) return false;
        await recordAudit(trx, { ...cliSource(), action: AUDIT_ACTIONS.tokenRevoke, target: `token:${tokenId}` });
        return true;
      });
      if (!revoked) fail('no such live token');
      console.log('revoked');
    }),
  );
token
  .command('list <user>')
  .description("list a user's tokens (ids and labels, never the tokens)")
  .action((name: string) =>
    withStore(async (db) => {
      const row = await findUserByName(db, name);
      if (!row) fail(`no user ${name}`);
      for (const entry of await listTokens(db, row.id)) {
        const state = entry.revoked_at ? `revoked ${new Date(entry.revoked_at).toISOString()}` : 'live';
        console.log(`${entry.id}\t${entry.label}\t${new Date(entry.created_at).toISOString()}\t${state}${entry.operator ? '\toperator' : ''}`);
      }
    }),
  );

registerRetentionCommands(program, fail);
registerAuditCommand(program, fail);
program
  .command('feedback')
  .description("print users' ratings of answers (messages.rate), oldest first")
  .option('--since <when>', 'from this date or time, or this long ago: 30m, 12h, 7d, 2w', '7d')
  .option('--format <format>', 'jsonl (one JSON object per line) or text', 'text')
  .option('--limit <n>', 'at most this many', '10000')
  .action((options: { since: string; format: string; limit: string }) => {
    const since = parseSince(options.since);
    if (!since) fail(`--since ${options.since}: give a date (2026-11-30), a time (2026-11-30T12:00:00Z) or a span (7d, 12h, 30m, 2w)`);
    if (options.format !== 'jsonl' && options.format !== 'text') fail(`--format ${options.format}: jsonl or text`);
    const limit = Number(options.limit);
    if (!Number.isSafeInteger(limit) || limit < 1) fail(`--limit ${options.limit}: a whole number of at least 1`);
    return withStore(async (db) => {
      for (const entry of await feedbackSince(db, since, limit)) console.log(formatFeedback(entry, options.format as FeedbackFormat));
    });
  });

loadDotEnv();
// A command's unexpected failure (the database locked past its timeout, unreachable, full): one
// line on stderr and exit code 1, as for the failures the commands name themselves.
await program.parseAsync().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));

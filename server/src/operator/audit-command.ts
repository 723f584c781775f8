import type { Command } from 'commander';
import { parseSince } from '../retention/duration.js';
import { listAudit, type AuditEvent } from '../store/audit.js';
import { withOperatorStore, type Fail } from './retention-commands.js';

const PAGE = 500;

/** One entry on one line: when, action, target, who, from where, details. */
export function auditLine(event: AuditEvent): string {
  const who = `${event.actor.kind}:${event.actor.name}${event.actor.tokenId ? ` (token ${event.actor.tokenId})` : ''}`;
  return [event.at.toISOString(), event.action, event.target ?? '-', who, event.origin, JSON.stringify(event.details)].join('\t');
}

/** One entry as a JSON line (`--format jsonl`). */
export function auditJson(event: AuditEvent): string {
  return JSON.stringify({ ...event, at: event.at.toISOString() });
}

/** `audit`: the audit trail, oldest first. */
export function registerAuditCommand(program: Command, fail: Fail): void {
  program
    .command('audit')
    .description('list the audit trail, oldest first: who did what, to what, when and from where')
    .option('--since <when>', 'from this time: an ISO date (2026-11-01) or a duration back from now (7d, 12h)')
    .option('--action <action>', 'only this action (token.revoke) or resource (token: every token.*)')
    .option('--format <format>', 'text (tab-separated) or jsonl', 'text')
    .action((options: { since?: string; action?: string; format: string }) =>
      withOperatorStore(async ({ db }) => {
        if (options.format !== 'text' && options.format !== 'jsonl') fail(`--format must be text or jsonl, not ${options.format}`);
        const since = options.since === undefined ? undefined : parseSince(options.since);
        if (options.since !== undefined && !since) fail(`--since takes an ISO date (2026-11-01) or a duration (7d), not ${JSON.stringify(options.since)}`);
        const format = options.format === 'jsonl' ? auditJson : auditLine;
        let afterId: string | undefined;
        for (;;) {
          const page = await listAudit(db, { since, action: options.action, afterId, limit: PAGE });
          if (page.length > 0) process.stdout.write(`${page.map(format).join('\n')}\n`);
          if (page.length < PAGE) break;
          afterId = page.at(-1)!.id;
        }
      }),
    );
}

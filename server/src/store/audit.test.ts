import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore } from '../testing/databases.js';
import { listAudit, recordAudit, withoutSecrets, type AuditRecord } from './audit.js';

const cli: Pick<AuditRecord, 'actor' | 'origin'> = { actor: { kind: 'cli', name: 'root' }, origin: 'cli@host' };

describe('withoutSecrets', () => {
  it('redacts secret-named keys at any depth and bearer tokens inside any string, keeping the rest', () => {
    const token = 'tl_' + 'a'.repeat(43);
    expect(
      withoutSecrets({ token, tokenId: 'id-1', label: `made from ${token}`, nested: [{ password: 'p', apiKey: 'k', keep: 1 }], at: 5 }),
    ).toEqual({ token: '[redacted]', tokenId: 'id-1', label: 'made from [redacted]', nested: [{ password: '[redacted]', apiKey: '[redacted]', keep: 1 }], at: 5 });
  });
});

for (const dialect of DIALECTS) {
  describe(`the audit trail on ${dialect}`, () => {
    it('records who, what, when and from where, and lists by time and action, oldest first, in pages', async () => {
      await using store = await openTestStore(dialect);
      const day = 24 * 60 * 60 * 1000;
      const now = Date.now();
      await recordAudit(store.db, { ...cli, action: 'user.create', target: 'user:alice', details: { userId: 'u1' } }, now - 3 * day);
      await recordAudit(store.db, { ...cli, action: 'token.create', target: 'user:alice', details: { tokenId: 't1', token: 'tl_secretsecretsecretsecret' } }, now - 2 * day);
      const user = { actor: { kind: 'user', name: 'alice', userId: 'u1', tokenId: 't1' }, origin: '203.0.113.9' } as const;
      await recordAudit(store.db, { ...user, action: 'token.revoke', target: 'token:t1' }, now - day);
      await recordAudit(store.db, { ...cli, action: 'limits.update', target: 'user:alice', details: { runsPerMinute: 5 } }, now);

      const all = await listAudit(store.db, { limit: 10 });
      expect(all.map((event) => event.action)).toEqual(['user.create', 'token.create', 'token.revoke', 'limits.update']);
      expect(all[1]!.details).toEqual({ tokenId: 't1', token: '[redacted]' });
      expect(all[2]).toMatchObject({ actor: { kind: 'user', name: 'alice', userId: 'u1', tokenId: 't1' }, origin: '203.0.113.9', target: 'token:t1', details: {} });
      expect(all[2]!.at.getTime()).toBe(now - day);

      expect((await listAudit(store.db, { since: new Date(now - 2.5 * day), limit: 10 })).map((event) => event.action)).toEqual(['token.create', 'token.revoke', 'limits.update']);
      expect((await listAudit(store.db, { action: 'token', limit: 10 })).map((event) => event.action)).toEqual(['token.create', 'token.revoke']);
      expect((await listAudit(store.db, { action: 'token.revoke', limit: 10 })).map((event) => event.target)).toEqual(['token:t1']);
      // `tok` is neither an action nor a resource here; `%` and `_` are taken literally.
      expect(await listAudit(store.db, { action: 'tok', limit: 10 })).toEqual([]);
      expect(await listAudit(store.db, { action: '%', limit: 10 })).toEqual([]);
      const first = await listAudit(store.db, { limit: 3 });
      expect(await listAudit(store.db, { afterId: first.at(-1)!.id, limit: 3 })).toEqual([all[3]]);
    });

    it('refuses to change or delete an entry (the database itself), and refuses a malformed action', async () => {
      await using store = await openTestStore(dialect);
      const entry = await recordAudit(store.db, { ...cli, action: 'token.revoke', target: 'token:t1' });
      await expect(store.db.updateTable('audit_events').set({ actor: 'someone else' }).where('id', '=', entry.id).execute()).rejects.toThrow(/append-only/);
      await expect(sql`update audit_events set details = '{}'`.execute(store.db)).rejects.toThrow(/append-only/);
      await expect(store.db.deleteFrom('audit_events').where('id', '=', entry.id).execute()).rejects.toThrow(/append-only/);
      if (dialect === 'postgres') await expect(sql`truncate audit_events`.execute(store.db)).rejects.toThrow(/append-only/);
      expect(await listAudit(store.db, { limit: 10 })).toEqual([entry]);
      await expect(recordAudit(store.db, { ...cli, action: 'Token revoke' })).rejects.toThrow(/resource>\.<verb/);
    });
  });
}

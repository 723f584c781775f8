import { describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore } from '../testing/databases.js';
import {
  countUsers,
  createToken,
  createUser,
  findUserByName,
  findUserByToken,
  generateToken,
  hashToken,
  listTokens,
  listUsers,
  revokeToken,
} from './users.js';


describe('tokens', () => {
  it('hashes with sha256, hex', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('generates distinct tl_ tokens of 32 random bytes', () => {
    const tokens = Array.from({ length: 50 }, generateToken);
    expect(new Set(tokens).size).toBe(50);
    for (const token of tokens) expect(token).toMatch(/^tl_[A-Za-z0-9_-]{43}$/);
  });
});

for (const dialect of DIALECTS) {
  describe(`users store on ${dialect}`, () => {
    it('creates users with unique names and finds, lists and counts them', async () => {
      await using store = await openTestStore(dialect);
      expect(await countUsers(store.db)).toBe(0);
      const bob = await createUser(store.db, 'bob');
      const alice = await createUser(store.db, 'alice');
      await expect(createUser(store.db, 'bob')).rejects.toThrow();
      expect(await findUserByName(store.db, 'bob')).toEqual(bob);
      expect(await findUserByName(store.db, 'carol')).toBeUndefined();
      expect(await listUsers(store.db)).toEqual([alice, bob]);
      expect(await countUsers(store.db)).toBe(2);
      expect(typeof bob.created_at).toBe('number');
    });

    it('stores a token’s hash, never the token, and resolves the token to its user', async () => {
      await using store = await openTestStore(dialect);
      const alice = await createUser(store.db, 'alice');
      const { token, row } = await createToken(store.db, alice.id, 'cli');
      expect(row).toMatchObject({ user_id: alice.id, label: 'cli', token_hash: hashToken(token), revoked_at: null });

      const stored = await store.db.selectFrom('tokens').selectAll().execute();
      expect(stored).toEqual([row]);
      const secret = token.slice('tl_'.length);
      for (const value of Object.values(stored[0]!)) expect(String(value)).not.toContain(secret);

      expect(await findUserByToken(store.db, token)).toEqual({ id: alice.id, name: 'alice', operator: false });
    });

    it('keeps each user’s tokens apart', async () => {
      await using store = await openTestStore(dialect);
      const alice = await createUser(store.db, 'alice');
      const bob = await createUser(store.db, 'bob');
      const first = await createToken(store.db, alice.id, 'cli');
      const second = await createToken(store.db, alice.id, 'web');
      const bobs = await createToken(store.db, bob.id, 'cli');
      expect(first.token).not.toBe(second.token);
      expect((await listTokens(store.db, alice.id)).map((row) => row.id).sort()).toEqual([first.row.id, second.row.id].sort());
      expect(await findUserByToken(store.db, second.token)).toEqual({ id: alice.id, name: 'alice', operator: false });
      expect(await findUserByToken(store.db, bobs.token)).toEqual({ id: bob.id, name: 'bob', operator: false });
    });

    it('revokes by the token itself, once, leaving the user’s other tokens alive', async () => {
      await using store = await openTestStore(dialect);
      const alice = await createUser(store.db, 'alice');
      const revoked = await createToken(store.db, alice.id, 'cli');
      const alive = await createToken(store.db, alice.id, 'web');
      const before = Date.now();
      expect(await revokeToken(store.db, revoked.token)).toBe(true);
      expect(await findUserByToken(store.db, revoked.token)).toBeUndefined();
      expect(await findUserByToken(store.db, alive.token)).toEqual({ id: alice.id, name: 'alice', operator: false });
      expect(await revokeToken(store.db, revoked.token)).toBe(false);

      const row = (await listTokens(store.db, alice.id)).find((token) => token.id === revoked.row.id)!;
      expect(row.revoked_at).toBeGreaterThanOrEqual(before);
      expect(row.revoked_at).toBeLessThanOrEqual(Date.now());
    });

    it('revokes by id', async () => {
      await using store = await openTestStore(dialect);
      const alice = await createUser(store.db, 'alice');
      const { token, row } = await createToken(store.db, alice.id, 'cli');
      expect(await revokeToken(store.db, row.id)).toBe(true);
      expect(await findUserByToken(store.db, token)).toBeUndefined();
      expect(await revokeToken(store.db, row.id)).toBe(false);
      expect(await revokeToken(store.db, token)).toBe(false);
    });

    it('revokes nothing for unknown tokens and ids', async () => {
      await using store = await openTestStore(dialect);
      const alice = await createUser(store.db, 'alice');
      const { token } = await createToken(store.db, alice.id, 'cli');
      expect(await revokeToken(store.db, generateToken())).toBe(false);
      expect(await revokeToken(store.db, alice.id)).toBe(false);
      expect(await revokeToken(store.db, token.slice(3))).toBe(false);
      expect(await findUserByToken(store.db, token)).toEqual({ id: alice.id, name: 'alice', operator: false });
    });

    it('resolves malformed, unknown and near-miss tokens to no user', async () => {
      await using store = await openTestStore(dialect);
      const alice = await createUser(store.db, 'alice');
      const { token, row } = await createToken(store.db, alice.id, 'cli');
      const attempts = [
        '',
        'tl_',
        'tl',
        token.slice(3),
        `${token}x`,
        token.slice(0, -1),
        token.toUpperCase(),
        ` ${token}`,
        `Bearer ${token}`,
        row.token_hash,
        row.id,
        `tl_${'a'.repeat(300)}`,
        'tl_\u0000',
        generateToken(),
      ];
      for (const attempt of attempts) expect(await findUserByToken(store.db, attempt), attempt).toBeUndefined();
    });

    it('marks operator tokens: only that token carries the rights, and revoking it takes them away', async () => {
      await using store = await openTestStore(dialect);
      const alice = await createUser(store.db, 'alice');
      const everyday = await createToken(store.db, alice.id, 'cli');
      const operator = await createToken(store.db, alice.id, 'ops', { operator: true });
      expect([everyday.row.operator, operator.row.operator]).toEqual([0, 1]);
      expect(await findUserByToken(store.db, operator.token)).toEqual({ id: alice.id, name: 'alice', operator: true });
      expect(await findUserByToken(store.db, everyday.token)).toEqual({ id: alice.id, name: 'alice', operator: false });
      expect((await listTokens(store.db, alice.id)).map((token) => [token.label, token.operator]).sort()).toEqual([['cli', 0], ['ops', 1]]);
      expect(await revokeToken(store.db, operator.token)).toBe(true);
      expect(await findUserByToken(store.db, operator.token)).toBeUndefined();
    });
  });
}

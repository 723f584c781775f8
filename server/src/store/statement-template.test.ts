import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { DIALECTS, openTestStore } from '../testing/databases.js';
import type { UserRow } from './database.js';
import { everyColumn, fieldsOf, StatementShapes, StatementTemplate } from './statement-template.js';
import { StatementCounter } from '../testing/statement-counter.js';

const USER_COLUMNS = everyColumn<UserRow>()(['id', 'name', 'created_at']);

describe('statement templates', () => {
  it('build and compile once per database, and bind each call\'s arguments (the same statement as the builder)', async () => {
    const stores = await Promise.all(DIALECTS.map((dialect) => openTestStore(dialect)));
    try {
      let builds = 0;
      const insertUser = new StatementTemplate((db, args: UserRow) => {
        builds++;
        return db.insertInto('users').values(fieldsOf(args, USER_COLUMNS));
      });
      const named = new StatementTemplate((db, args: { prefix: string; limit: number }) => {
        builds++;
        return db.selectFrom('users').select(['id', 'name']).where('name', 'like', sql<string>`${args.prefix} || '%'`).orderBy('name').limit(args.limit);
      });
      for (const store of stores) {
        for (const [index, name] of ['ann', 'anna', 'bob'].entries()) await insertUser.execute(store.db, { id: `u${index}`, name, created_at: index });
        // In a transaction of the same database: the same compiled statement.
        await store.db.transaction().execute((trx) => insertUser.execute(trx, { id: 'u3', name: 'annie', created_at: 3 }));
        expect((await named.execute(store.db, { prefix: 'ann', limit: 2 })).rows).toEqual([{ id: 'u0', name: 'ann' }, { id: 'u1', name: 'anna' }]);
        expect((await named.execute(store.db, { prefix: 'b', limit: 5 })).rows).toEqual([{ id: 'u2', name: 'bob' }]);
        const built = await store.db.selectFrom('users').select(['id', 'name']).where('name', 'like', sql<string>`${'ann'} || '%'`).orderBy('name').limit(5).execute();
        expect((await named.execute(store.db, { prefix: 'ann', limit: 5 })).rows).toEqual(built);
      }
      // Each template once per database (each dialect compiles its own text), whatever the calls.
      expect(builds).toBe(2 * stores.length);
    } finally {
      for (const store of stores) await store[Symbol.asyncDispose]();
    }
  });

  for (const dialect of DIALECTS) {
    it(`on ${dialect}: sends the same text each time, with only the parameters changed`, async () => {
      const counter = new StatementCounter();
      await using store = await openTestStore(dialect, { wrapDriver: counter.wrap });
      const byName = new StatementTemplate((db, args: { name: string }) => db.selectFrom('users').select('id').where('name', '=', args.name).where('created_at', '>=', 0));
      counter.take();
      await byName.execute(store.db, { name: 'ann' });
      await byName.execute(store.db, { name: 'bob' });
      const { queries } = counter.take();
      expect(queries.map((query) => query.sql)).toEqual([queries[0]!.sql, queries[0]!.sql]);
      // A value the statement holds itself stays bound beside the arguments.
      expect(queries.map((query) => query.parameters)).toEqual([['ann', 0], ['bob', 0]]);
    });
  }

  it('refuses an argument that is missing (undefined), naming it, rather than binding nothing', async () => {
    await using store = await openTestStore('sqlite');
    const byName = new StatementTemplate((db, args: { name: string }) => db.selectFrom('users').select('id').where('name', '=', args.name));
    await expect(byName.execute(store.db, {} as { name: string })).rejects.toThrow(/no value for "name"/);
    // null is a value: bound as NULL.
    expect((await byName.execute(store.db, { name: null as unknown as string })).rows).toEqual([]);
  });

  it('keeps one template per shape', async () => {
    await using store = await openTestStore('sqlite');
    const shapes = new StatementShapes<{ id: string; name: string }, { id: string }>();
    const find = (byName: boolean, args: { id: string; name: string }) =>
      shapes.execute(store.db, byName ? 'name' : 'id', (db, a) => (byName ? db.selectFrom('users').select('id').where('name', '=', a.name) : db.selectFrom('users').select('id').where('id', '=', a.id)), args);
    await store.db.insertInto('users').values({ id: 'u1', name: 'ann', created_at: 0 }).execute();
    expect((await find(true, { id: 'x', name: 'ann' })).rows).toEqual([{ id: 'u1' }]);
    expect((await find(false, { id: 'u1', name: 'x' })).rows).toEqual([{ id: 'u1' }]);
    expect((await find(true, { id: 'u1', name: 'x' })).rows).toEqual([]);
  });

  it('everyColumn type-checks that no column is left out', () => {
    // @ts-expect-error created_at is missing
    everyColumn<UserRow>()(['id', 'name']);
    expect(everyColumn<UserRow>()(['id', 'name', 'created_at'])).toEqual(['id', 'name', 'created_at']);
  });
});

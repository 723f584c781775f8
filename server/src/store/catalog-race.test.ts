import { describe, expect, it } from 'vitest';
import { retryingCatalogRaces } from './catalog-race.js';

describe('retryingCatalogRaces', () => {
  it('asks again after a catalog race (as PostgreSQL reports it), and not after any other error', async () => {
    let calls = 0;
    const racy = () => {
      calls++;
      if (calls < 3) return Promise.reject(Object.assign(new Error('column "actor_kind" of relation "audit_events" does not exist'), { code: '42703', routine: 'pg_get_serial_sequence' }));
      return Promise.resolve('tables');
    };
    expect(await retryingCatalogRaces(racy)).toBe('tables');
    expect(calls).toBe(3);
    let dropped = 0;
    const schemaGone = () => (dropped++ ? Promise.resolve('ok') : Promise.reject(Object.assign(new Error('schema "t_57206bb014d5" does not exist'), { code: '3F000' })));
    expect(await retryingCatalogRaces(schemaGone)).toBe('ok');

    // A table of another schema dropped while the introspection read it: named with its schema.
    let gone = 0;
    const tableGone = () => (gone++ ? Promise.resolve('ok') : Promise.reject(Object.assign(new Error('relation "t_cce50b130b1c.users" does not exist'), { code: '42P01', routine: 'RangeVarGetRelidExtended' })));
    expect(await retryingCatalogRaces(tableGone)).toBe('ok');
    expect(gone).toBe(2);

    let others = 0;
    const broken = () => (others++, Promise.reject(Object.assign(new Error('relation "x" does not exist'), { code: '42P01', routine: 'parserOpenTable' })));
    await expect(retryingCatalogRaces(broken)).rejects.toThrow('relation "x" does not exist');
    expect(others).toBe(1);
  });
});

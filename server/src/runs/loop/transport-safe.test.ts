import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { transportSafe } from './transport-safe.js';

describe('transportSafe', () => {
  it('renames the keys superjson refuses, at any depth, so the value serializes', () => {
    const risky = JSON.parse('{"constructor": {"prototype": [{"__proto__": 1}]}, "constructor_": 2, "ok": "yes"}');
    expect(() => superjson.serialize(risky)).toThrow();
    const safe = transportSafe(risky);
    expect(safe).toEqual({ constructor__: { prototype_: [{ __proto___: 1 }] }, constructor_: 2, ok: 'yes' });
    expect(superjson.deserialize(superjson.serialize(safe))).toEqual(safe);
  });

  it('leaves ordinary JSON as it is', () => {
    const value = { a: [1, 'two', null, { b: true }], c: 3.5 };
    expect(transportSafe(value)).toEqual(value);
  });
});

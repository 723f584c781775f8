import fc from 'fast-check';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { stringifySuperjson } from './superjson-text.js';

const reference = (value: unknown) => JSON.stringify(superjson.serialize(value));

describe('stringifySuperjson', () => {
  it('writes what superjson writes for arbitrary values', () => {
    fc.assert(
      fc.property(fc.anything({ withDate: true, withMap: true, withSet: true, withBigInt: true, withNullPrototype: true, withSparseArray: true, withBoxedValues: false }), (value) => {
        let expected: string | Error;
        try {
          expected = reference(value);
        } catch (error) {
          expected = error as Error;
        }
        if (expected instanceof Error) expect(() => stringifySuperjson(value)).toThrow();
        else expect(stringifySuperjson(value)).toBe(expected);
      }),
      { numRuns: 2_000 },
    );
  });

  it('agrees on the cases a plain-JSON check could miss', () => {
    const shared = { c: 1 };
    const sharedArray = [1];
    const cases: unknown[] = [
      { type: 'text-delta', delta: 'word' },
      { a: shared, b: shared },
      { a: { x: shared }, b: [shared] },
      { a: sharedArray, b: sharedArray },
      [shared, shared],
      { a: -0 },
      { a: Number.NaN, b: Infinity },
      { 'a.b': undefined },
      [1, undefined, 2],
      new Date(0),
      { at: new Date(0) },
      null,
      'text',
      undefined,
      [],
      {},
      Object.assign(Object.create(null), { a: 1 }),
      { toJSON: () => 'x' },
    ];
    for (const value of cases) expect(stringifySuperjson(value)).toBe(reference(value));
    expect(() => stringifySuperjson(JSON.parse('{"__proto__": 1}'))).toThrow();
  });
});

import { describe, expect, it } from 'vitest';
import { deriveQueries } from './research.js';

describe('deriveQueries', () => {
  it('splits on lines and semicolons, dropping list markers, labels, quotes and duplicates', () => {
    expect(deriveQueries('1. Lisbon flights\n2) "hotel in Porto"\n- Lisbon flights\nQuery 4: budget; weather in May', 'q')).toEqual([
      'Lisbon flights',
      'hotel in Porto',
      'budget',
      'weather in May',
    ]);
    expect(deriveQueries('Echo: lisbon; porto hotel', 'q')).toEqual(['lisbon', 'porto hotel']);
    expect(deriveQueries('a\nb\nc\nd\ne\nfirst\nsecond\nthird\nfourth\nfifth', 'q')).toEqual(['first', 'second', 'third', 'fourth']);
  });

  it("falls back to the user's question when the plan has no usable query", () => {
    expect(deriveQueries('', 'What did we say about Lisbon?')).toEqual(['What did we say about Lisbon?']);
    expect(deriveQueries(' ;\n - \n?!', 'lisbon')).toEqual(['lisbon']);
  });
});

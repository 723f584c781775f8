import { describe, expect, it } from 'vitest';
import { evaluate } from './calculator.js';

describe('calculator', () => {
  it.each([
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['2 ^ 3 ^ 2', 512],
    ['2 ** 10', 1024],
    ['-3 + +4', 1],
    ['10 % 4', 2],
    ['sqrt(16) + abs(-2)', 6],
    ['max(1, 5, 3) - min(4, 2)', 3],
    ['round(pi * 100) / 100', 3.14],
    ['1.5e3 / 3', 500],
  ])('%s = %d', (expression, expected) => {
    expect(evaluate(expression)).toBeCloseTo(expected, 10);
  });

  it.each(['1 +', '(1 + 2', 'foo(1)', '2 $ 3', '1 / 0', 'process.exit(1)', ''])('rejects %j', (expression) => {
    expect(() => evaluate(expression)).toThrow();
  });
});

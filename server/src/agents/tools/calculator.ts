import { z } from 'zod';
import { defineTool } from '../define-tool.js';

const FUNCTIONS: Record<string, (...values: number[]) => number> = {
  sqrt: Math.sqrt, abs: Math.abs, round: Math.round, floor: Math.floor, ceil: Math.ceil,
  ln: Math.log, log: Math.log10, exp: Math.exp, sin: Math.sin, cos: Math.cos, tan: Math.tan,
  min: Math.min, max: Math.max, pow: Math.pow,
};
const CONSTANTS: Record<string, number> = { pi: Math.PI, e: Math.E };
const TOKEN = /\s*(?:(\d+(?:\.\d+)?(?:e[+-]?\d+)?)|([a-z]+)|(\*\*|[-+*/%^(),]))/iy;

/**
 * Evaluates an arithmetic expression: numbers, + - * / % ^ (or **), parentheses, unary minus, the
 * functions above and pi, e. A small recursive-descent parser: nothing is ever passed to eval.
 */
export function evaluate(expression: string): number {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expression.length) {
    const start = TOKEN.lastIndex;
    const match = TOKEN.exec(expression);
    if (!match) {
      if (/^\s*$/.test(expression.slice(start))) break;
      throw new Error(`unexpected "${expression.slice(start).trim()[0]}" at ${start}`);
    }
    tokens.push(match[1] ?? match[2]?.toLowerCase() ?? (match[3] === '**' ? '^' : match[3]!));
  }
  let position = 0;
  const peek = () => tokens[position];
  const take = (expected?: string) => {
    const token = tokens[position++];
    if (token === undefined || (expected !== undefined && token !== expected)) throw new Error(`expected ${expected ?? 'more'} at the end`);
    return token;
  };
  const sum = (): number => {
    let value = product();
    while (peek() === '+' || peek() === '-') value = take() === '+' ? value + product() : value - product();
    return value;
  };
  const product = (): number => {
    let value = power();
    for (let operator = peek(); operator === '*' || operator === '/' || operator === '%'; operator = peek()) {
      take();
      const right = power();
      value = operator === '*' ? value * right : operator === '/' ? value / right : value % right;
    }
    return value;
  };
  const power = (): number => {
    const base = unary();
    return peek() === '^' ? (take(), base ** power()) : base;
  };
  const unary = (): number => (peek() === '-' ? (take(), -unary()) : peek() === '+' ? (take(), unary()) : atom());
  const atom = (): number => {
    const token = take();
    if (token === '(') {
      const value = sum();
      take(')');
      return value;
    }
    if (/^\d/.test(token)) return Number(token);
    if (token in CONSTANTS) return CONSTANTS[token]!;
    const fn = FUNCTIONS[token];
    if (!fn) throw new Error(`unknown name "${token}"`);
    take('(');
    const args = [sum()];
    while (peek() === ',') (take(), args.push(sum()));
    take(')');
    return fn(...args);
  };
  const value = sum();
  if (position < tokens.length) throw new Error(`unexpected "${tokens[position]}"`);
  if (!Number.isFinite(value)) throw new Error('the result is not a finite number');
  return value;
}

export const calculatorTool = defineTool({
  name: 'calculator',
  description: 'Evaluates an arithmetic expression, e.g. "(2 + 3) * sqrt(16) / 2^3". Supports + - * / % ^, parentheses, sqrt, abs, round, floor, ceil, ln, log, exp, sin, cos, tan, min, max, pow, pi, e.',
  input: z.object({ expression: z.string().min(1).max(1000) }),
  execute: async ({ expression }) => ({ expression, result: evaluate(expression) }),
});

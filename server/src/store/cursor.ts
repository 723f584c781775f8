import { invalid } from '../errors.js';

/** Encodes a keyset position as an opaque cursor. */
export function encodeCursor(position: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** Decodes a cursor made by encodeCursor with the given element types; anything else is a bad request. */
export function decodeCursor<const T extends readonly ('string' | 'number')[]>(
  cursor: string,
  shape: T,
): { [K in keyof T]: T[K] extends 'string' ? string : number } {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('invalid cursor');
  }
  if (
    !Array.isArray(value) ||
    value.length !== shape.length ||
    value.some((element, index) => !isElement(element, shape[index]!))
  ) {
    throw invalid('invalid cursor');
  }
  return value as { [K in keyof T]: T[K] extends 'string' ? string : number };
}

/** Numbers must be safe integers and strings free of NUL: PostgreSQL rejects anything else as a 500. */
function isElement(element: unknown, type: 'string' | 'number'): boolean {
  if (type === 'number') return Number.isSafeInteger(element);
  return typeof element === 'string' && !element.includes('\u0000');
}

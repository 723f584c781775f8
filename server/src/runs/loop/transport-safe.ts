/** Keys superjson refuses to serialize (prototype pollution guards): a response carrying one fails. */
const REFUSED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * A copy of a JSON value that every response can carry: object keys superjson refuses
 * (`__proto__`, `constructor`, `prototype`) get a trailing underscore. Applied to what models and
 * tools produce (tool inputs and outputs), which is stored and streamed but never under our control;
 * client-supplied JSON (session metadata) is validated instead.
 */
export function transportSafe(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(transportSafe);
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    let safeKey = key;
    while (REFUSED_KEYS.has(safeKey) || (safeKey !== key && Object.hasOwn(value, safeKey))) safeKey += '_';
    Object.defineProperty(copy, safeKey, { value: transportSafe(inner), enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

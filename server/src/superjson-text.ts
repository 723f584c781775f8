import superjson from 'superjson';

/**
 * `JSON.stringify(superjson.serialize(value))`, without superjson's walk when the value is plain
 * JSON. superjson's walker builds paths, maps and annotation records for every value it visits:
 * measured at about 1.7 KB allocated per stream event, a tenth of what the server allocates per
 * token. A stream's events are almost always plain JSON (strings, finite numbers, booleans, null,
 * arrays, plain objects, no shared references), for which superjson's output is `{"json": …}`
 * with no `meta`; anything else (a Date, undefined, -0, NaN, a Map, a shared reference, a
 * prototype-polluting key) goes through superjson itself. server/src/superjson-text.test.ts checks
 * the two agree on arbitrary values.
 */
export function stringifySuperjson(value: unknown): string {
  return isPlainJson(value, undefined) ? `{"json":${JSON.stringify(value)}}` : JSON.stringify(superjson.serialize(value));
}

/** Keys superjson refuses (prototype pollution): left to it, so that it throws as it would. */
const REFUSED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * True when superjson would annotate nothing in `value`. `seen` holds the objects met so far
 * (superjson records a second sight of one as a referential equality); it is made when the top
 * value turns out to nest objects, so a flat event allocates nothing.
 */
function isPlainJson(value: unknown, seen: Set<object> | undefined): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': {
      if (value === null) return true;
      if (seen) {
        if (seen.has(value)) return false;
        seen.add(value);
      }
      if (Array.isArray(value)) {
        for (let index = 0; index < value.length; index++) {
          const item: unknown = value[index];
          if (typeof item === 'object' && item !== null) seen ??= new Set([value]);
          if (!isPlainJson(item, seen)) return false;
        }
        return true;
      }
      if (Object.getPrototypeOf(value) !== Object.prototype) return false;
      for (const key in value) {
        if (REFUSED_KEYS.has(key)) return false;
        const item: unknown = (value as Record<string, unknown>)[key];
        if (typeof item === 'object' && item !== null) seen ??= new Set([value]);
        if (!isPlainJson(item, seen)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

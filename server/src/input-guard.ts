import { TRPCError, type DataTransformer } from '@trpc/server';
import { limits } from '@threadline/shared';
import { ZodRealError } from 'zod';

/**
 * Most values an input may hold once superjson's references are applied. A body within the
 * default 1 MiB limit holds at most about 500,000; references can multiply that without bound
 * (`a` holds `b` twice, `b` holds `c` twice...), and every later step walks each copy.
 */
export const MAX_INPUT_VALUES = 1_000_000;
/** The superjson annotations mirror the input's shape, a few levels deeper. */
const META_EXTRA_DEPTH = 4;

type Path = (string | number)[];

/** A BAD_REQUEST with one Zod issue, so clients get `issues` as for any invalid input (ZodRealError: the Error subclass parse throws). */
function refuse(path: Path, message: string): TRPCError {
  return new TRPCError({ code: 'BAD_REQUEST', message, cause: new ZodRealError([{ code: 'custom', path, message, input: undefined }]) });
}

/** An object's or array's entries, array indexes as numbers (as Zod names them in paths). */
function entriesOf(value: object): [string | number, unknown][] {
  return Array.isArray(value) ? value.map((inner, index) => [index, inner]) : Object.entries(value);
}

/**
 * Checks the JSON of a request as parsed, before superjson copies it: no `__proto__` key (JSON.parse
 * keeps it as an own key, every copy after that turns it into the object's prototype, so a check
 * later would never see it) and no nesting beyond `maxDepth` (recursive code later would overflow
 * the stack). Iterative, so no input can overflow it.
 */
function checkParsedJson(root: unknown, maxDepth: number, describe: (path: Path) => Path): void {
  const pending: { value: unknown; path: Path; depth: number }[] = [{ value: root, path: [], depth: 1 }];
  for (let item = pending.pop(); item; item = pending.pop()) {
    const { value, path, depth } = item;
    if (value === null || typeof value !== 'object') continue;
    if (depth > maxDepth) throw refuse(describe(path), `the input is nested deeper than ${limits.inputDepth} levels`);
    for (const [key, inner] of entriesOf(value)) {
      if (key === '__proto__') throw refuse(describe([...path, key]), 'the key __proto__ is not allowed');
      pending.push({ value: inner, path: [...path, key], depth: depth + 1 });
    }
  }
}

/**
 * Checks the input as procedures will see it, superjson's references applied: no value inside
 * itself (a cycle would overflow or hang whatever walks it next), no nesting beyond the limit and
 * at most MAX_INPUT_VALUES values in all. Iterative, and it stops at the first excess.
 */
function checkInput(input: unknown): void {
  const onPath = new Set<object>();
  const pending: ({ value: unknown; path: Path; depth: number } | { leaving: object })[] = [{ value: input, path: [], depth: 1 }];
  let count = 0;
  for (let item = pending.pop(); item; item = pending.pop()) {
    if ('leaving' in item) {
      onPath.delete(item.leaving);
      continue;
    }
    const { value, path, depth } = item;
    if (++count > MAX_INPUT_VALUES) throw refuse([], `the input is too large: more than ${MAX_INPUT_VALUES} values once its superjson references are applied`);
    if (value === null || typeof value !== 'object') continue;
    if (onPath.has(value)) throw refuse(path, 'the input refers to itself (a circular superjson reference)');
    if (depth > limits.inputDepth) throw refuse(path, `the input is nested deeper than ${limits.inputDepth} levels`);
    onPath.add(value);
    pending.push({ leaving: value });
    for (const [key, inner] of entriesOf(value)) pending.push({ value: inner, path: [...path, key], depth: depth + 1 });
  }
}

/**
 * `transformer` (superjson) for inputs, with the checks above around its `deserialize`: input the
 * transport would mangle or choke on is a BAD_REQUEST that says what is wrong, before any schema,
 * and superjson's own errors (annotations that do not fit the input) become one as well.
 */
export function guardedInput(transformer: DataTransformer): DataTransformer {
  return {
    serialize: (value) => transformer.serialize(value),
    deserialize(payload: unknown) {
      if (payload !== null && typeof payload === 'object' && !Array.isArray(payload)) {
        const { json, meta } = payload as { json?: unknown; meta?: unknown };
        checkParsedJson(json, limits.inputDepth, (path) => path);
        checkParsedJson(meta, limits.inputDepth + META_EXTRA_DEPTH, (path) => ['(superjson meta)', ...path]);
      }
      let input: unknown;
      try {
        input = transformer.deserialize(payload);
      } catch {
        throw refuse([], 'the input is not superjson as the API expects ({ json, meta? }), or its annotations (meta) do not fit it');
      }
      // Without superjson references the input is a copy of the JSON checked above: same depth, same size, no cycle.
      if (hasReferences(payload)) checkInput(input);
      return input;
    },
  };
}

/** Whether a superjson payload shares values between places (`meta.referentialEqualities`). */
function hasReferences(payload: unknown): boolean {
  const meta = (payload as { meta?: { referentialEqualities?: unknown } } | null)?.meta;
  return meta?.referentialEqualities !== undefined;
}

/**
 * The same checks of parsed JSON for a plain-HTTP body (the compatibility endpoints): no `__proto__`
 * key, no nesting beyond `limits.inputDepth`. Throws a BAD_REQUEST TRPCError naming the path.
 */
export function checkJsonBody(body: unknown): void {
  checkParsedJson(body, limits.inputDepth, (path) => path);
}

import { createQueryId, type Compilable, type Kysely, type QueryResult, type RootOperationNode } from 'kysely';
import type { Database } from './database.js';

/**
 * A statement of a fixed shape, built and compiled by Kysely once per database and then sent with
 * only its parameters bound: the store's statements on a run's path (the token, the start, the
 * checkpoints, the end) are the same text every time, and building Kysely's immutable node tree
 * and compiling it anew cost about as much CPU per statement as SQLite's own work in a transaction
 * (docs/PERFORMANCE.md, item 21).
 *
 * `build` receives `args`, an object whose every field stands for the argument of that name (a
 * placeholder Kysely binds as a parameter, typed as the value it stands for); it must build the
 * same statement whatever the arguments are, so a value is never tested or spread in it, and each
 * is bound as it is given: give `null`, not `undefined` (an error says which argument was missing),
 * and use SQL (`coalesce(?, column)`) to keep a column when a value is absent. Kysely leaves a
 * column whose value is `undefined` out of an insert: a placeholder is never undefined, so every
 * column named is written.
 *
 *     const byRequest = new StatementTemplate((db, args: { userId: string; requestId: string }) =>
 *       db.selectFrom('runs').selectAll().where('user_id', '=', args.userId).where('request_id', '=', args.requestId));
 *     const { rows } = await byRequest.execute(db, { userId, requestId });
 */
export class StatementTemplate<Args extends object, Row = never> {
  /** Compiled once per dialect adapter (a database and its transactions share one). */
  private readonly compiled = new WeakMap<object, Compiled>();

  constructor(private readonly build: (db: Kysely<Database>, args: Args) => Compilable<Row>) {}

  /** Sends the statement with `args` bound, on `db` (a database or a transaction of it). */
  async execute(db: Kysely<Database>, args: Args): Promise<QueryResult<Row>> {
    // The adapter is one object per database, shared by its transactions, and says its dialect.
    const adapter = db.getExecutor().adapter;
    let compiled = this.compiled.get(adapter);
    if (!compiled) this.compiled.set(adapter, (compiled = compile(this.build(db, placeholders() as Args))));
    const { sql, query, bindings } = compiled;
    const parameters: unknown[] = new Array(bindings.length);
    for (let index = 0; index < bindings.length; index++) {
      const binding = bindings[index]!;
      if (binding instanceof Placeholder) {
        const value = (args as Record<string, unknown>)[binding.name];
        if (value === undefined) throw new TypeError(`no value for "${binding.name}" in a statement template (${sql.slice(0, 60)}…)`);
        parameters[index] = value;
      } else parameters[index] = binding;
    }
    return db.executeQuery<Row>({ sql, query, parameters, queryId: createQueryId() });
  }
}

/**
 * One statement whose shape varies among a few (which columns it writes, whether it has a
 * condition): a template per shape, made the first time that shape is sent. `shape` names it;
 * `build` must build the same statement for the same `shape`.
 */
export class StatementShapes<Args extends object, Row = never> {
  private readonly templates = new Map<string, StatementTemplate<Args, Row>>();

  execute(db: Kysely<Database>, shape: string, build: (db: Kysely<Database>, args: Args) => Compilable<Row>, args: Args): Promise<QueryResult<Row>> {
    let template = this.templates.get(shape);
    if (!template) this.templates.set(shape, (template = new StatementTemplate(build)));
    return template.execute(db, args);
  }
}

/** The fields `names` of `args` (placeholders inside a template), as one object: the columns of an insert or an update. */
export function fieldsOf<Args extends object, Name extends keyof Args>(args: Args, names: readonly Name[]): Pick<Args, Name> {
  const fields = {} as Pick<Args, Name>;
  for (const name of names) fields[name] = args[name];
  return fields;
}

/**
 * `names`, checked by the compiler to be every column of `Row` (an argument leaving one out does
 * not type-check): an insert's template names its columns, and a column added to a table later must
 * not be left out of it silently.
 */
export function everyColumn<Row>(): <const Names extends readonly (keyof Row)[]>(names: Names & ([Exclude<keyof Row, Names[number]>] extends [never] ? unknown : never)) => Names {
  return (names) => names;
}

interface Compiled {
  sql: string;
  query: RootOperationNode;
  /** Each parameter: the argument it is bound to, or a value the statement itself holds. */
  bindings: readonly unknown[];
}

/** Stands for the argument `name` inside a template's statement. */
class Placeholder {
  constructor(readonly name: string) {}
}

/** An object whose every field is the placeholder of that name. */
function placeholders(): object {
  return new Proxy({}, { get: (_target, name) => new Placeholder(String(name)) });
}

function compile(builder: Compilable<unknown>): Compiled {
  const { sql, query, parameters } = builder.compile();
  return { sql, query, bindings: [...parameters] };
}

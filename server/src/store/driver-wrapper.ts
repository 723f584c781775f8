import type { Dialect, Driver } from 'kysely';

/** Wraps the driver a dialect creates: how a test sees every statement and transaction of a store. */
export type DriverWrapper = (driver: Driver) => Driver;

/** The dialect with its driver wrapped by each wrapper given, in order (the last is outermost); the dialect itself without one. */
export function withDriverWrapper(dialect: Dialect, ...wrappers: (DriverWrapper | undefined)[]): Dialect {
  const wraps = wrappers.filter((wrap): wrap is DriverWrapper => wrap !== undefined);
  if (wraps.length === 0) return dialect;
  return {
    createDriver: () => wraps.reduce((driver, wrap) => wrap(driver), dialect.createDriver()),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db) => dialect.createIntrospector(db),
  };
}

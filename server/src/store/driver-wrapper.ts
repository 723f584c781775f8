import type { Dialect, Driver } from 'kysely';

/** Wraps the driver a dialect creates: how a test sees every statement and transaction of a store. */
export type DriverWrapper = (driver: Driver) => Driver;

/** The dialect with its driver wrapped; the dialect itself without a wrapper. */
export function withDriverWrapper(dialect: Dialect, wrap: DriverWrapper | undefined): Dialect {
  if (!wrap) return dialect;
  return {
    createDriver: () => wrap(dialect.createDriver()),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db) => dialect.createIntrospector(db),
  };
}

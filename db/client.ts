import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema.js';

/** The drizzle handle with its postgres-js pool (`$client`: what a reserved connection is taken from). */
export type Database = PostgresJsDatabase<typeof schema> & { $client: postgres.Sql };
/** A transaction handle; query functions accept either a Database or a Transaction. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
export type Queryable = Database | Transaction;

export interface DatabaseHandle {
  db: Database;
  sql: postgres.Sql;
  close(): Promise<void>;
}

/** Creates the one postgres-js pool of a process; pool settings live here only. */
export function createDatabase(url: string, options: { poolSize?: number; onQuery?: () => void } = {}): DatabaseHandle {
  const sql = postgres(url, {
    max: options.poolSize ?? 10,
    // Benchmarks count the statements a code path sends.
    ...(options.onQuery ? { debug: () => options.onQuery?.() } : {}),
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    // Bigints (epoch ms, counters) come back as JS numbers: every value we store fits in 2^53.
    types: { bigint: postgres.BigInt },
  });
  const db = drizzle(sql, { schema, casing: 'snake_case' });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}

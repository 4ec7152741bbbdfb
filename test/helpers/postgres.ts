import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../../db/client.js';

export const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Databases of one test run are named `duo_sync_t<pid of the vitest process>_…`, so runs never touch each other's. */
export const runDatabasePrefix = (pid: number) => `duo_sync_t${pid}_`;

export function databaseUrl(name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface TestDatabase extends DatabaseHandle {
  url: string;
  name: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** A fresh database cloned from the run's migrated template (built once per run by global-setup). */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const template = inject('templateDatabase');
  const name = `${template.replace(/template$/, '')}${randomBytes(5).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        // empty: no tables at all, for tests that migrate it themselves.
        await admin.unsafe(options.empty ? `create database ${name}` : `create database ${name} template ${template}`);
        break;
      } catch (error) {
        // Two files cloning the template at the same instant: Postgres refuses one; try again.
        if (attempt >= 30 || (error as { code?: string }).code !== '55006') throw error;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = databaseUrl(name);
  const handle = createDatabase(url, { poolSize: 5 });
  // Drizzle swaps the timestamp parsers of the client it wraps for pass-through ones (it parses dates
  // itself), so raw queries on that client would see timestamps as text. Tests get their own client.
  const sql = postgres(url, { max: 2, onnotice: () => {}, types: { bigint: postgres.BigInt } });
  return {
    ...handle,
    sql,
    url,
    name,
    async close() {
      await sql.end({ timeout: 5 });
      await handle.close();
    },
    async drop() {
      await sql.end({ timeout: 5 });
      await handle.close();
      const cleaner = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await cleaner.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await cleaner.end({ timeout: 5 });
      }
    },
  };
}

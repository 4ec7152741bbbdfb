import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeAuthEvents, type AuthEventRecord } from '../../../db/auth-events.js';
import { migrationsFolder } from '../../../db/migrate.js';
import { tenants } from '../../../db/schema.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { authEvent } from '../../helpers/usage-tenant.js';

// Migration 0001 creates the per-application rollups and fills them from the events already stored.
// That backfill must leave exactly what storeAuthEvents would have maintained had the rollups always
// existed, or tenants synced before the migration would get different answers from new ones.

const MIGRATION = join(migrationsFolder, '0001_usage_rollups.sql');
const ROLLUPS = ['duo_application_users', 'duo_application_daily_totals'] as const;

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await database.db.insert(tenants).values([{ id: 'north' }, { id: 'south' }]);
});

afterAll(async () => {
  await database?.drop();
});

/** The migration's backfill statements (every INSERT), as drizzle's migrator runs them. */
function backfillStatements(): string[] {
  const statements = readFileSync(MIGRATION, 'utf8').split('--> statement-breakpoint').map((s) => s.trim());
  return statements.filter((s) => /^(--[^\n]*\n)*\s*INSERT INTO/i.test(s));
}

/** Varied events: identified, anonymous ('' and null) users, events without an application, every result, days apart. */
function eventsOf(prefix: string, count: number): AuthEventRecord[] {
  const users = ['DUA', 'DUB', 'DUC', '', null];
  const apps = ['DIAPPONE000000000000', 'DIAPPTWO000000000000', null];
  const results = ['success', 'denied', 'fraud', 'error', 'success'];
  const events: AuthEventRecord[] = [];
  for (let i = 0; i < count; i++) {
    const at = new Date(Date.UTC(2026, 8, 1) + i * 7_919_000 + (i % 1000)).toISOString();
    events.push(authEvent(`${prefix}${i}`, at, users[i % 5] ?? null, { applicationKey: apps[i % 3] ?? null, result: results[(i * 3) % 5] ?? 'success' }));
  }
  return events;
}

async function tableRows(table: string) {
  return database.sql`select * from ${database.sql(table)} order by 1, 2, 3`;
}

describe('migration 0001 backfill of the per-application rollups', () => {
  it('holds two INSERT statements, one per new rollup', () => {
    const statements = backfillStatements();
    expect(statements).toHaveLength(2);
    ROLLUPS.forEach((table, i) => expect(statements[i]).toContain(`INSERT INTO "${table}"`));
  });

  it('yields the same rows as the maintenance in storeAuthEvents', async () => {
    // Pages out of order and partly re-delivered, two tenants.
    const north = eventsOf('n', 600);
    for (const page of [north.slice(300), north.slice(0, 350), north.slice(250, 400)]) await storeAuthEvents(database.db, 'north', page);
    await storeAuthEvents(database.db, 'south', eventsOf('s', 200));
    const maintained = { users: await tableRows(ROLLUPS[0]), totals: await tableRows(ROLLUPS[1]) };
    expect(maintained.users.length).toBeGreaterThan(6);
    expect(maintained.totals.length).toBeGreaterThan(50);

    for (const table of ROLLUPS) await database.sql`truncate ${database.sql(table)}`;
    for (const statement of backfillStatements()) await database.sql.unsafe(statement);

    expect(await tableRows(ROLLUPS[0])).toEqual(maintained.users);
    expect(await tableRows(ROLLUPS[1])).toEqual(maintained.totals);
  });
});

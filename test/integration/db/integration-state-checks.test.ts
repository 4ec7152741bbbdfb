import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { initialSyncPhases, initialSyncStates, integrationStatuses, runOutcomes } from '../../../db/integration-states.js';
import { migrationsFolder } from '../../../db/migrate.js';
import { transition } from '../../../integrations/transitions.js';
import { adminUrl, createTestDatabase, databaseUrl, type TestDatabase } from '../../helpers/postgres.js';

/** Each lifecycle column, with its documented values (db/integration-states.ts). */
const columns = [
  { column: 'status', values: integrationStatuses },
  { column: 'initial_sync_state', values: initialSyncStates },
  { column: 'initial_sync_phase', values: initialSyncPhases },
  { column: 'last_run_outcome', values: runOutcomes },
] as const;

const documented = columns.flatMap(({ column, values }) => values.map((value) => ({ column, value })));

describe('duo_integrations CHECK constraints', () => {
  let database: TestDatabase;
  const tenantId = 'checked';

  beforeAll(async () => {
    database = await createTestDatabase();
    const now = new Date();
    await transition.connect(database.db, {
      tenantId, apiHost: 'api-x.duosecurity.com', integrationKey: 'DIXXXXXXXXXXXXXXXXXX', secretKeySealed: 'v1.k.a.b.c',
      encryptionKeyId: 'k', anchorAt: now, backfillStartAt: now, initialSyncWorkflowId: `duo-initial-sync:${tenantId}`,
    });
  });
  afterAll(async () => {
    await database?.drop();
  });

  it.each(columns.map(({ column }) => column))('refuses an undocumented value in %s', async (column) => {
    const before = await database.sql`select * from duo_integrations where tenant_id = ${tenantId}`;
    await expect(database.sql`update duo_integrations set ${database.sql(column)} = 'weird' where tenant_id = ${tenantId}`).rejects.toMatchObject({
      code: '23514', // check_violation
      constraint_name: `duo_integrations_${column}_check`,
    });
    expect(await database.sql`select * from duo_integrations where tenant_id = ${tenantId}`).toEqual(before);
  });

  it.each(documented)('accepts $column = $value', async ({ column, value }) => {
    await database.sql`update duo_integrations set ${database.sql(column)} = ${value} where tenant_id = ${tenantId}`;
    const [row] = await database.sql`select ${database.sql(column)} as value from duo_integrations where tenant_id = ${tenantId}`;
    expect(row?.value).toBe(value);
  });

  it('accepts no run outcome before the first run', async () => {
    await expect(database.sql`update duo_integrations set last_run_outcome = null where tenant_id = ${tenantId}`).resolves.toBeDefined();
  });
});

describe('the migration adding the CHECK constraints', () => {
  const name = `${inject('templateDatabase').replace(/template$/, '')}checks${randomBytes(4).toString('hex')}`;
  let sql: postgres.Sql;
  let earlierMigrations: string;
  let throughChecks: string;

  beforeAll(async () => {
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    await admin.end({ timeout: 5 });
    sql = postgres(databaseUrl(name), { max: 1, onnotice: () => {} });
    // The committed migrations up to the one before the constraints.
    const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] };
    const checks = journal.entries.findIndex((entry) => entry.tag.endsWith('_integration_state_checks'));
    expect(checks).toBeGreaterThan(0);
    earlierMigrations = mkdtempSync(join(tmpdir(), 'duo-migrations-'));
    cpSync(migrationsFolder, earlierMigrations, { recursive: true });
    writeFileSync(join(earlierMigrations, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries: journal.entries.slice(0, checks) }));
    // Later migrations add columns and states of their own; this test is about the constraints' migration.
    throughChecks = mkdtempSync(join(tmpdir(), 'duo-migrations-'));
    cpSync(migrationsFolder, throughChecks, { recursive: true });
    writeFileSync(join(throughChecks, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries: journal.entries.slice(0, checks + 1) }));
  });
  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    rmSync(earlierMigrations, { recursive: true, force: true });
    rmSync(throughChecks, { recursive: true, force: true });
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end({ timeout: 5 });
  });

  it('applies to a database already holding integrations in every documented state, changing none', async () => {
    await migrate(drizzle(sql), { migrationsFolder: earlierMigrations });
    // The states documented when the constraints were added (`purging` came with the purge workflow).
    const statusesAtChecks = integrationStatuses.filter((status) => status !== 'purging');
    const count = Math.max(...columns.map(({ values }) => values.length));
    for (let i = 0; i < count; i++) {
      const pick = <T extends readonly string[]>(values: T): T[number] => values[i % values.length] as T[number];
      const tenantId = `held-${i}`;
      await sql`insert into tenants (id) values (${tenantId})`;
      await sql`insert into duo_integrations (tenant_id, api_host, integration_key, status, anchor_at, backfill_start_at,
          initial_sync_state, initial_sync_phase, initial_sync_started_at, last_run_outcome)
        values (${tenantId}, 'api-x.duosecurity.com', 'DIXXXXXXXXXXXXXXXXXX', ${pick(statusesAtChecks)}, now(), now(),
          ${pick(initialSyncStates)}, ${pick(initialSyncPhases)}, now(), ${i === 0 ? null : pick(runOutcomes)})`;
    }
    const before = await sql`select * from duo_integrations order by tenant_id`;

    await migrate(drizzle(sql), { migrationsFolder: throughChecks });

    expect(await sql`select * from duo_integrations order by tenant_id`).toEqual(before);
    const constraints = await sql<{ conname: string }[]>`
      select conname from pg_constraint where conrelid = 'duo_integrations'::regclass and contype = 'c'`;
    expect(constraints.map((c) => c.conname).sort()).toEqual(columns.map(({ column }) => `duo_integrations_${column}_check`).sort());
  });
});

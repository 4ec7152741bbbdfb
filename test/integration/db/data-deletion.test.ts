import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeAuthEvents } from '../../../db/auth-events.js';
import { deleteEventsBatch, deleteUserRollupsBatch, purgeTenantDataBatch, refreshLatestAfterUserErasure } from '../../../db/data-deletion.js';
import { tenantDataTables } from '../../../db/integrations.js';
import { storeStreamEvents } from '../../../db/optional-streams.js';
import { rollupMismatches } from '../../../db/rollup-check.js';
import { upsertUsers } from '../../../db/roster.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { authEvent, connectUsageTenant, DAY_MS, userRecord } from '../../helpers/usage-tenant.js';

// Deletion in bounded batches: one tenant's data (what a purge runs step by step), one user's events
// and rollup rows (an erasure request). Each step is a transaction of its own.

const nowMs = Date.now();
const users = ['DUANN', 'DUBEN', 'DUCY'];
const apps = ['DIAPPONE000000000000', 'DIAPPTWO000000000000', null];

/** Events of three users over 90 days and three months, some without an application. */
function eventsOf(prefix: string, count: number) {
  return Array.from({ length: count }, (_, i) =>
    authEvent(`${prefix}-${i}`, new Date(nowMs - (i % 90) * DAY_MS - i * 1000).toISOString(), users[i % 3] ?? null, {
      applicationKey: apps[i % 3] ?? null,
      result: ['success', 'denied', 'success', 'fraud'][i % 4] ?? 'success',
    }),
  );
}

async function seedTenant(database: TestDatabase, tenantId: string): Promise<void> {
  await connectUsageTenant(database.db, tenantId, { anchorAt: new Date(nowMs), backfillStartAt: new Date(nowMs - 179 * DAY_MS) });
  await upsertUsers(database.db, tenantId, users.map((u) => userRecord(u, u.toLowerCase(), { lastLoginAt: new Date(nowMs - 200 * DAY_MS).toISOString() })), new Date(nowMs));
  const events = eventsOf(tenantId, 240);
  for (let i = 0; i < events.length; i += 60) await storeAuthEvents(database.db, tenantId, events.slice(i, i + 60));
  await storeStreamEvents(database.db, tenantId, 'telephony', [{ id: `${tenantId}-t1`, occurredAt: new Date(nowMs - DAY_MS).toISOString(), raw: { telephony_id: `${tenantId}-t1` } }]);
}

async function rowsOf(database: TestDatabase, tenantId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of tenantDataTables) {
    const [row] = await database.sql<{ n: number }[]>`select count(*)::int as n from ${database.sql(table)} where tenant_id = ${tenantId}`;
    counts[table] = row?.n ?? 0;
  }
  return counts;
}

describe('deleting stored data in bounded batches', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
    for (const tenantId of ['purged', 'kept', 'erasing']) await seedTenant(database, tenantId);
  });
  afterAll(async () => {
    await database.drop();
  });

  it("deletes one tenant's data step by step until nothing is left, and no other tenant's", async () => {
    const keptBefore = await rowsOf(database, 'kept');
    let steps = 0;
    for (let step = await purgeTenantDataBatch(database.db, 'purged', 50); step; step = await purgeTenantDataBatch(database.db, 'purged', 50)) {
      expect(step.deleted).toBeLessThanOrEqual(50);
      steps += 1;
    }
    expect(steps).toBeGreaterThan(5); // 240 events alone take five steps of 50
    expect(Object.values(await rowsOf(database, 'purged')).every((n) => n === 0)).toBe(true);
    expect(await rowsOf(database, 'kept')).toEqual(keptBefore);
    expect(await rollupMismatches(database.sql, 'kept')).toEqual([]);
  });

  it("deletes one user's events and rollup rows in batches, leaving the tenant's figures equal to its remaining events", async () => {
    let events = 0;
    for (let n = -1; n !== 0; events += n) n = await deleteEventsBatch(database.db, 'duo_auth_events', { tenantId: 'erasing', userId: 'DUBEN' }, 30);
    let rollupRows = 0;
    for (let n = -1; n !== 0; rollupRows += n) n = await deleteUserRollupsBatch(database.db, 'erasing', 'DUBEN', 30);
    await refreshLatestAfterUserErasure(database.db, 'erasing', 'DUBEN');

    expect(events).toBe(80);
    expect(rollupRows).toBeGreaterThan(30);
    const [left] = await database.sql<{ events: number; rollups: number; counted: number }[]>`
      select (select count(*)::int from duo_auth_events where tenant_id = 'erasing' and user_id = 'DUBEN') as events,
        (select count(*)::int from duo_user_daily_activity where tenant_id = 'erasing' and user_id = 'DUBEN')
          + (select count(*)::int from duo_application_daily_activity where tenant_id = 'erasing' and user_id = 'DUBEN')
          + (select count(*)::int from duo_application_users where tenant_id = 'erasing' and user_id = 'DUBEN') as rollups,
        (select event_count::int from stream_checkpoints where tenant_id = 'erasing' and stream = 'auth') as counted`;
    expect(left).toEqual({ events: 0, rollups: 0, counted: 160 });
    // Every rollup, application total, latest time and counter agrees with SQL over what is left.
    expect(await rollupMismatches(database.sql, 'erasing')).toEqual([]);
  });

  it('deletes events older than an instant oldest first, keeping the counters and month rows exact', async () => {
    const before = new Date(nowMs - 60 * DAY_MS).toISOString();
    let deleted = 0;
    for (let n = -1; n !== 0; deleted += n) n = await deleteEventsBatch(database.db, 'duo_auth_events', { tenantId: 'kept', before }, 25);
    const [row] = await database.sql<{ left_old: number; months: number; oldest: Date }[]>`
      select (select count(*)::int from duo_auth_events where tenant_id = 'kept' and occurred_at < ${before}) as left_old,
        (select sum(events)::int from duo_event_months where tenant_id = 'kept' and stream = 'auth') as months,
        (select min(oldest_at) from duo_event_months where tenant_id = 'kept' and stream = 'auth') as oldest`;
    expect(deleted).toBeGreaterThan(50);
    expect(row?.left_old).toBe(0);
    expect(row?.months).toBe(240 - deleted);
    expect(row?.oldest.getTime()).toBeGreaterThanOrEqual(Date.parse(before));
    const [checkpoint] = await database.sql<{ n: number; oldest: Date }[]>`
      select event_count::int as n, oldest_event_at as oldest from stream_checkpoints where tenant_id = 'kept' and stream = 'auth'`;
    expect(checkpoint).toEqual({ n: 240 - deleted, oldest: row?.oldest });
  });
});

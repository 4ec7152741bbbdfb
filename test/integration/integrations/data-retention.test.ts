import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeAuthEvents } from '../../../db/auth-events.js';
import { ensureEventPartitions, listEventPartitions, monthStart } from '../../../db/event-partitions.js';
import { updateSettings } from '../../../db/integrations.js';
import { maintainEventStorage } from '../../../integrations/data-retention.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { authEvent, connectUsageTenant, DAY_MS } from '../../helpers/usage-tenant.js';

// The worker's storage pass: a month's partition goes whole once it is past the longest retention
// any tenant has; a tenant with a shorter one loses its rows in batches; daily rollups follow their
// own retention. Day 0 is a fixed "now" the pass is given.

const now = Date.UTC(2026, 11, 7, 12);
const config = { EVENT_RETENTION_DAYS: 400, ROLLUP_RETENTION_DAYS: 800 };
const at = (daysAgo: number) => new Date(now - daysAgo * DAY_MS).toISOString();
const partitionName = (daysAgo: number) => `duo_auth_events_${new Date(monthStart(now - daysAgo * DAY_MS)).toISOString().slice(0, 7).replace('-', '_')}`;

describe('maintainEventStorage', () => {
  let database: TestDatabase;
  const count = async (tenantId: string, olderThanDays: number) => {
    const [row] = await database.sql<{ n: number }[]>`
      select count(*)::int as n from duo_auth_events where tenant_id = ${tenantId} and occurred_at < ${at(olderThanDays)}`;
    return row?.n ?? 0;
  };
  const checkpoint = async (tenantId: string) => {
    const [row] = await database.sql<{ events: number; oldest: Date }[]>`
      select event_count::int as events, oldest_event_at as oldest from stream_checkpoints where tenant_id = ${tenantId} and stream = 'auth'`;
    return row;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    // Three years back: older than the template's partitions.
    await ensureEventPartitions(database.db, now - 1100 * DAY_MS, now);
    for (const tenantId of ['plain', 'keeper']) {
      await connectUsageTenant(database.db, tenantId, { anchorAt: new Date(now), backfillStartAt: new Date(now - 179 * DAY_MS) });
      // 900 days (past every retention), 600 (past the default 400, within keeper's 730), 10 days.
      await storeAuthEvents(database.db, tenantId, [
        ...[0, 1, 2].map((i) => authEvent(`${tenantId}-900-${i}`, at(900 - i / 24), 'DUA')),
        ...[0, 1, 2, 3, 4].map((i) => authEvent(`${tenantId}-600-${i}`, at(600 - i / 24), 'DUA')),
        authEvent(`${tenantId}-10`, at(10), 'DUA'),
      ]);
    }
    await updateSettings(database.db, 'keeper', { eventRetentionDays: 730 });
  });
  afterAll(async () => {
    await database.drop();
  });

  it('drops the months past the longest retention whole, keeps a month a longer retention still needs, and batch-deletes for the others', async () => {
    const report = await maintainEventStorage(database.db, config, now, { batchRows: 2, maxBatches: 10 });

    const partitions = (await listEventPartitions(database.db)).map((p) => p.partition);
    expect(report.droppedPartitions).toContain(partitionName(900));
    expect(partitions).not.toContain(partitionName(900));
    expect(partitions).toContain(partitionName(600));
    expect(report.deletedEvents).toBe(5);
    expect(await count('plain', 400)).toBe(0);
    expect(await count('keeper', 400)).toBe(5);
  });

  it('keeps every counter equal to what is left', async () => {
    expect(await checkpoint('plain')).toEqual({ events: 1, oldest: new Date(at(10)) });
    expect(await checkpoint('keeper')).toEqual({ events: 6, oldest: new Date(at(600)) });
    const [months] = await database.sql<{ n: number }[]>`select count(*)::int as n from duo_event_months where month < ${at(730)}::date`;
    expect(months?.n).toBe(0);
  });

  it('keeps daily rollups after their events are gone, until their own retention', async () => {
    const [row] = await database.sql<{ older: number; kept: number }[]>`
      select (select count(*)::int from duo_user_daily_activity where day < ${at(800).slice(0, 10)}::date) as older,
        (select count(*)::int from duo_user_daily_activity where tenant_id = 'plain' and day < ${at(400).slice(0, 10)}::date) as kept`;
    expect(row).toEqual({ older: 0, kept: 1 });
  });

  it('creates the partitions of the months ahead', async () => {
    await maintainEventStorage(database.db, config, now + 400 * DAY_MS);
    const months = new Set((await listEventPartitions(database.db)).filter((p) => p.table === 'duo_admin_events').map((p) => p.month));
    for (let ahead = 0; ahead <= 3; ahead++) {
      const month = new Date(Date.UTC(2028, 0 + ahead, 1)).toISOString().slice(0, 10);
      expect(months.has(month), month).toBe(true);
    }
  });
});

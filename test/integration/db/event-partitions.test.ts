import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeAuthEvents } from '../../../db/auth-events.js';
import { createDatabase } from '../../../db/client.js';
import { ensureEventPartitions, ensurePartitionsForRows, listEventPartitions } from '../../../db/event-partitions.js';
import { storeStreamEvents } from '../../../db/optional-streams.js';
import { tenants } from '../../../db/schema.js';
import { AppError } from '../../../errors/app-error.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { authEvent } from '../../helpers/usage-tenant.js';

// The template holds partitions from two years ago to a year ahead; these tests use months far
// outside that range, which no partition covers until a test creates one.

describe('event partitions', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
    await database.db.insert(tenants).values([{ id: 'acme' }]);
  });
  afterAll(async () => {
    await database.drop();
  });

  const partitionOf = async (txid: string) => {
    const [row] = await database.sql<{ partition: string }[]>`select tableoid::regclass::text as partition from duo_auth_events where txid = ${txid}`;
    return row?.partition;
  };

  it('creates the partition of every event table for each month of a range, once', async () => {
    const created = await ensureEventPartitions(database.db, Date.UTC(2031, 0, 15), Date.UTC(2031, 2, 1));
    expect(created.sort()).toEqual(
      ['auth', 'telephony', 'activity', 'admin'].flatMap((t) => ['2031_01', '2031_02', '2031_03'].map((m) => `duo_${t}_events_${m}`)).sort(),
    );
    expect(await ensureEventPartitions(database.db, Date.UTC(2031, 0, 1), Date.UTC(2031, 2, 31))).toEqual([]);
    const partitions = (await listEventPartitions(database.db)).filter((p) => p.month.startsWith('2031'));
    expect(partitions).toHaveLength(12);
    expect(partitions.every((p) => p.state === 'attached')).toBe(true);
  });

  it('lets two processes ensure the same month at once: one creates it, neither fails', async () => {
    // A second pool on the same database: another process, as far as Postgres is concerned.
    const other = createDatabase(database.url, { poolSize: 1 });
    try {
      const [a, b] = await Promise.all([
        ensureEventPartitions(database.db, Date.UTC(2032, 5, 1), Date.UTC(2032, 5, 1), ['duo_auth_events']),
        ensureEventPartitions(other.db, Date.UTC(2032, 5, 1), Date.UTC(2032, 5, 1), ['duo_auth_events']),
      ]);
      expect([...a, ...b]).toEqual(['duo_auth_events_2032_06']);
    } finally {
      await other.close();
    }
  });

  it('routes a row to the partition of its UTC month, the first microsecond of a month included', async () => {
    await storeAuthEvents(database.db, 'acme', [
      authEvent('jan-last', '2031-01-31T23:59:59.999999Z', 'DU1'),
      authEvent('feb-first', '2031-02-01T00:00:00Z', 'DU1'),
      // 23:30 on 31 January in New York is February in UTC.
      authEvent('feb-by-utc', '2031-01-31T23:30:00-05:00', 'DU1'),
    ]);
    expect(await partitionOf('jan-last')).toBe('duo_auth_events_2031_01');
    expect(await partitionOf('feb-first')).toBe('duo_auth_events_2031_02');
    expect(await partitionOf('feb-by-utc')).toBe('duo_auth_events_2031_02');
  });

  it('keeps dedupe exact when a re-delivered page spans two months', async () => {
    const page = [authEvent('edge-1', '2031-02-28T23:00:00Z', 'DU2'), authEvent('edge-2', '2031-03-01T01:00:00Z', 'DU2')];
    expect((await storeAuthEvents(database.db, 'acme', page)).inserted).toBe(2);
    expect((await storeAuthEvents(database.db, 'acme', [...page].reverse())).inserted).toBe(0);
    const [row] = await database.sql<{ n: number; daily: number; months: number }[]>`
      select (select count(*)::int from duo_auth_events where tenant_id = 'acme' and txid like 'edge-%') as n,
        (select sum(auth_count)::int from duo_user_daily_activity where tenant_id = 'acme' and user_id = 'DU2') as daily,
        (select sum(events)::int from duo_event_months where tenant_id = 'acme' and month in ('2031-02-01', '2031-03-01')) as months`;
    expect(row).toEqual({ n: 2, daily: 2, months: 4 });
  });

  it('fails a row of a month without a partition with EVENT_PARTITION_MISSING and stores nothing of its page', async () => {
    const page = [authEvent('ok', '2031-01-10T00:00:00Z', 'DU3'), authEvent('orphan', '2040-07-01T00:00:00Z', 'DU3')];
    const failure = await storeAuthEvents(database.db, 'acme', page).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AppError);
    expect(failure).toMatchObject({ code: 'EVENT_PARTITION_MISSING', retryable: true });
    expect(await partitionOf('ok')).toBeUndefined();
    const stream = await storeStreamEvents(database.db, 'acme', 'telephony', [{ id: 't1', occurredAt: '2040-07-01T00:00:00Z', raw: {} }]).catch((e: unknown) => e);
    expect(stream).toMatchObject({ code: 'EVENT_PARTITION_MISSING' });
  });

  it("before a page: creates its rows' months, but none for an instant Duo cannot send", async () => {
    const now = Date.UTC(2033, 6, 15);
    await ensurePartitionsForRows(database.db, 'duo_admin_events', ['2033-05-31T23:00:00Z', '2033-07-14T00:00:00Z', '1970-01-01T00:00:00Z', '2099-01-01T00:00:00Z'], now);
    const months = (await listEventPartitions(database.db)).filter((p) => p.table === 'duo_admin_events' && /^(2033|1970|2099)/.test(p.month)).map((p) => p.month);
    expect(months).toEqual(['2033-05-01', '2033-06-01', '2033-07-01']);
  });
});

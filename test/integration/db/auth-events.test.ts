import { sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeAuthEvents, type AuthEventRecord } from '../../../db/auth-events.js';
import { upsertUsers } from '../../../db/roster.js';
import { tenants } from '../../../db/schema.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { authEvent } from '../../helpers/usage-tenant.js';

const event = (txid: string, at: string, userId: string | null, result = 'success', app = 'DIAPP1'): AuthEventRecord =>
  authEvent(txid, at, userId, { result, applicationKey: app, applicationName: `App ${app}` });

describe('storeAuthEvents', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
    await database.db.insert(tenants).values([{ id: 'acme' }, { id: 'other' }, { id: 'concurrent' }]);
  });
  afterAll(async () => { await database.drop(); });

  it('counts only new rows when a page is delivered twice', async () => {
    const page = [event('t1', '2026-11-01T10:00:00.123456+00:00', 'DU1'), event('t2', '2026-11-01T11:00:00Z', 'DU1', 'denied')];
    expect((await storeAuthEvents(database.db, 'acme', page)).inserted).toBe(2);
    expect((await storeAuthEvents(database.db, 'acme', page)).inserted).toBe(0);
    const [daily] = await database.sql`select auth_count, success_count, denied_count from duo_user_daily_activity where tenant_id = 'acme' and user_id = 'DU1'`;
    expect(daily).toMatchObject({ auth_count: 2, success_count: 1, denied_count: 1 });
  });

  it('keeps microsecond timestamps from isotimestamp', async () => {
    const [row] = await database.sql`select to_char(occurred_at at time zone 'UTC', 'US') as us from duo_auth_events where tenant_id = 'acme' and txid = 't1'`;
    expect(row?.us).toBe('123456');
  });

  it('creates a placeholder user for events of users not yet in the roster, replaced by the roster later', async () => {
    await storeAuthEvents(database.db, 'acme', [event('t3', '2026-11-02T09:00:00Z', 'DU9')]);
    const [placeholder] = await database.sql`select in_roster, last_success_at from duo_users where tenant_id = 'acme' and user_id = 'DU9'`;
    expect(placeholder?.in_roster).toBe(false);
    await upsertUsers(database.db, 'acme', [{
      userId: 'DU9', username: 'nine', realname: null, email: null, status: 'active', isEnrolled: true,
      createdInDuoAt: null, lastLoginAt: '2026-10-01T00:00:00Z', aliases: [], groupIds: [], raw: {},
    }], new Date());
    const [joined] = await database.sql`select in_roster, username, last_activity_at from duo_users where tenant_id = 'acme' and user_id = 'DU9'`;
    expect(joined).toMatchObject({ in_roster: true, username: 'nine' });
    expect(new Date(joined?.last_activity_at).toISOString()).toBe('2026-11-02T09:00:00.000Z');
  });

  it('rewrites a user or application-user row only when a page brings a newer event', async () => {
    const versions = async () => {
      const [row] = await database.sql`
        select u.xmin::text as user_version, to_char(u.last_success_at at time zone 'UTC', 'HH24:MI') as last_success,
          au.xmin::text as app_user_version, to_char(au.last_at at time zone 'UTC', 'HH24:MI') as app_last
        from duo_users u join duo_application_users au using (tenant_id, user_id)
        where u.tenant_id = 'acme' and u.user_id = 'DU5' and au.application_key = 'DIAPP5'`;
      return row;
    };
    await storeAuthEvents(database.db, 'acme', [event('v1', '2026-11-03T12:00:00Z', 'DU5', 'success', 'DIAPP5')]);
    const first = await versions();
    // Older events (a backfill runs newest first), and a newer failure that is no activity.
    await storeAuthEvents(database.db, 'acme', [event('v2', '2026-11-03T08:00:00Z', 'DU5', 'success', 'DIAPP5')]);
    await storeAuthEvents(database.db, 'acme', [event('v3', '2026-11-03T09:00:00Z', 'DU5', 'denied', 'DIAPP5')]);
    const second = await versions();
    expect(second).toEqual(first);
    await storeAuthEvents(database.db, 'acme', [event('v4', '2026-11-03T13:00:00Z', 'DU5', 'denied', 'DIAPP5')]);
    const third = await versions();
    expect(third).toMatchObject({ user_version: first?.user_version, last_success: '12:00', app_last: '13:00' });
    expect(third?.app_user_version).not.toBe(first?.app_user_version);
    await storeAuthEvents(database.db, 'acme', [event('v5', '2026-11-03T14:00:00Z', 'DU5', 'success', 'DIAPP5')]);
    const fourth = await versions();
    expect(fourth?.user_version).not.toBe(first?.user_version);
    expect(fourth).toMatchObject({ last_success: '14:00', app_last: '14:00' });
  });

  /**
   * Two pages in concurrent transactions (backfill windows run side by side) that both bring a user,
   * an application and a user-application pair the database has never seen. The second waits for the
   * first's commit; whichever holds the newer event, its time and the newest application name win.
   */
  const concurrentPages = async (first: AuthEventRecord[], second: AuthEventRecord[]) => {
    let releaseFirst!: () => void;
    const firstMayCommit = new Promise<void>((resolve) => { releaseFirst = resolve; });
    let firstStored!: () => void;
    const firstHasStored = new Promise<void>((resolve) => { firstStored = resolve; });
    const one = database.db.transaction(async (tx) => {
      await storeAuthEvents(tx, 'concurrent', first);
      firstStored();
      await firstMayCommit;
    });
    await firstHasStored;
    const two = database.db.transaction((tx) => storeAuthEvents(tx, 'concurrent', second));
    await new Promise((resolve) => setTimeout(resolve, 300)); // the second is now waiting on the first
    releaseFirst();
    await Promise.all([one, two]);
    const [row] = await database.sql`
      select to_char(u.last_success_at at time zone 'UTC', 'HH24:MI') as user_success,
        to_char(a.last_used_at at time zone 'UTC', 'HH24:MI') as app_used, a.name as app_name,
        to_char(au.last_at at time zone 'UTC', 'HH24:MI') as pair_at, to_char(au.last_success_at at time zone 'UTC', 'HH24:MI') as pair_success
      from duo_users u
      join duo_application_users au on au.tenant_id = u.tenant_id and au.user_id = u.user_id
      join duo_applications a on a.tenant_id = au.tenant_id and a.application_key = au.application_key
      where u.tenant_id = 'concurrent' and u.user_id = ${first[0]?.userId ?? ''}`;
    return row;
  };

  it('keeps the newer times when a concurrent page that committed first brought the older events', async () => {
    const older = [{ ...event('c1', '2026-11-04T08:00:00Z', 'DUC1', 'success', 'DIAPPC1'), applicationName: 'Old name' }];
    const newer = [{ ...event('c2', '2026-11-04T10:00:00Z', 'DUC1', 'success', 'DIAPPC1'), applicationName: 'New name' }];
    expect(await concurrentPages(older, newer)).toEqual({ user_success: '10:00', app_used: '10:00', app_name: 'New name', pair_at: '10:00', pair_success: '10:00' });
  });

  it('keeps the newer times when a concurrent page that committed later brought the older events', async () => {
    const newer = [{ ...event('c3', '2026-11-04T10:00:00Z', 'DUC2', 'success', 'DIAPPC2'), applicationName: 'New name' }];
    const older = [{ ...event('c4', '2026-11-04T08:00:00Z', 'DUC2', 'success', 'DIAPPC2'), applicationName: 'Old name' }];
    expect(await concurrentPages(newer, older)).toEqual({ user_success: '10:00', app_used: '10:00', app_name: 'New name', pair_at: '10:00', pair_success: '10:00' });
  });

  it('does not make a page of older events wait on the users and applications a concurrent open page holds', async () => {
    await storeAuthEvents(database.db, 'concurrent', [event('l1', '2026-11-05T12:00:00Z', 'DUL1', 'success', 'DIAPPL')]);
    let release!: () => void;
    const open = new Promise<void>((resolve) => { release = resolve; });
    let stored!: () => void;
    const hasStored = new Promise<void>((resolve) => { stored = resolve; });
    const holder = database.db.transaction(async (tx) => {
      await storeAuthEvents(tx, 'concurrent', [event('l2', '2026-11-05T09:00:00Z', 'DUL1', 'success', 'DIAPPL')]);
      stored();
      await open;
    });
    await hasStored;
    // Another day (as concurrent backfill windows are) and older than what is stored: nothing to
    // raise. The one row both pages must update is the stream's event counter, the last statement
    // before commit (held for the commit only): that is where a wait may happen, nowhere before.
    const statements: string[] = [];
    const outcome = await database.db
      .transaction(async (tx) => {
        await tx.execute(sql`set local lock_timeout = '1s'`);
        const recording = { execute: (query: SQL) => { statements.push(new PgDialect().sqlToQuery(query).sql); return tx.execute(query); } };
        await storeAuthEvents(recording as unknown as typeof tx, 'concurrent', [event('l3', '2026-11-04T08:00:00Z', 'DUL1', 'success', 'DIAPPL')]);
      })
      .then(() => 'committed', (error: unknown) => `failed: ${String(error)}`);
    release();
    await holder;
    expect(statements.length).toBeGreaterThanOrEqual(3);
    if (outcome !== 'committed') expect(statements.at(-1)).toContain('stream_checkpoints');
    expect(statements.slice(0, -1).join('\n')).not.toContain('stream_checkpoints');
  });

  it('keeps rollups equal to a straightforward SQL over the raw events, tenant by tenant', async () => {
    const many: AuthEventRecord[] = [];
    for (let i = 0; i < 500; i++) {
      many.push(event(`m${i}`, new Date(Date.UTC(2026, 10, 1 + (i % 7), i % 24)).toISOString(), `DU${i % 13}`, ['success', 'denied', 'fraud'][i % 3], `DIAPP${i % 4}`));
    }
    await storeAuthEvents(database.db, 'other', many.slice(0, 300));
    await storeAuthEvents(database.db, 'other', many.slice(200)); // overlaps: rows 200..299 re-delivered
    const differences = await database.sql`
      with raw as (
        select user_id, (occurred_at at time zone 'UTC')::date as day, count(*) as n,
          count(*) filter (where result = 'success') as s, count(*) filter (where result = 'fraud') as f
        from duo_auth_events where tenant_id = 'other' group by 1, 2)
      select * from raw full join (select * from duo_user_daily_activity where tenant_id = 'other') d using (user_id, day)
      where d.auth_count is distinct from raw.n or d.success_count is distinct from raw.s or d.fraud_count is distinct from raw.f`;
    expect(differences).toHaveLength(0);
    const [apps] = await database.sql`
      select (select count(*) from (select distinct application_key, user_id, (occurred_at at time zone 'UTC')::date from duo_auth_events where tenant_id = 'other') x)::int as raw,
             (select count(*) from duo_application_daily_activity where tenant_id = 'other')::int as rollup`;
    expect(apps?.rollup).toBe(apps?.raw);
    const [counter] = await database.sql`select event_count from stream_checkpoints where tenant_id = 'other' and stream = 'auth'`;
    expect(Number(counter?.event_count)).toBe(500);
  });
});

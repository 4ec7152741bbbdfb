import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeAuthEvents } from '../../../db/auth-events.js';
import { decodeAuthEvent } from '../../../db/event-codec.js';
import { migrationsFolder, runMigrations } from '../../../db/migrate.js';
import { rollupMismatches } from '../../../db/rollup-check.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { authEvent, DAY_MS } from '../../helpers/usage-tenant.js';

// Migration 0004 rebuilds the event tables as partitioned tables on a database that holds data.
// The database is migrated to 0003 only, filled as the code of that schema filled it (raw JSONB,
// every column, rollups and counters consistent with the events), then migrated to the end.

const PREVIOUS = '0003_integration_state_checks';
const nowMs = Date.now();
const users = ['DUONE', 'DUTWO', 'DUTHREE', ''];
const apps = ['DIAPPONE000000000000', 'DIAPPTWO000000000000', null];
/** 300 events over 120 days (five months), identified and anonymous users, every result. */
const events = Array.from({ length: 300 }, (_, i) =>
  authEvent(`mig-${i}`, new Date(nowMs - (i % 120) * DAY_MS - i * 7_000).toISOString(), users[i % 4] || null, {
    applicationKey: apps[i % 3] ?? null,
    result: ['success', 'denied', 'fraud', 'error'][i % 4] ?? 'success',
  }),
);

/** A migrations folder holding the migrations up to and including `tag`. */
function migrationsUpTo(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'duo-migrations-'));
  cpSync(migrationsFolder, dir, { recursive: true });
  const journalPath = join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
  const last = journal.entries.findIndex((entry) => entry.tag === tag);
  writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, last + 1) }));
  return dir;
}

describe('migration 0004 on a database holding events', () => {
  let database: TestDatabase;
  let before: { auth: number; telephony: number; admin: number };

  beforeAll(async () => {
    database = await createTestDatabase({ empty: true });
    const folder = migrationsUpTo(PREVIOUS);
    try {
      await migrate(drizzle(database.sql), { migrationsFolder: folder });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
    const sql = database.sql;
    await sql`insert into tenants (id) values ('acme')`;
    for (const e of events) {
      const raw = e.raw as { reason?: string; factor?: string; event_type?: string };
      await sql`insert into duo_auth_events (tenant_id, txid, occurred_at, user_id, username, result, reason, factor, event_type,
          application_key, application_name, access_ip, raw)
        values ('acme', ${e.txid}, ${e.occurredAt}, ${e.userId}, ${e.username}, ${e.result}, ${raw.reason ?? null}, ${raw.factor ?? null},
          ${raw.event_type ?? null}, ${e.applicationKey}, ${e.applicationName}, '192.0.2.10', ${JSON.stringify(e.raw)}::jsonb)`;
    }
    await sql`insert into duo_telephony_events (tenant_id, telephony_id, occurred_at, raw)
      select 'acme', 'tel-' || g, now() - g * interval '1 day', jsonb_build_object('telephony_id', 'tel-' || g) from generate_series(1, 40) g`;
    await sql`insert into duo_admin_events (tenant_id, row_hash, occurred_at, raw)
      select 'acme', md5(g::text), now() - g * interval '3 days', jsonb_build_object('n', g) from generate_series(1, 30) g`;
    // The rollups and counters the previous ingest maintained: consistent with the events.
    const identified = sql`from duo_auth_events where tenant_id = 'acme' and user_id is not null and user_id <> ''`;
    await sql`insert into duo_users (tenant_id, user_id, username, status, in_roster, last_success_at, last_activity_at)
      select 'acme', user_id, user_id, 'unknown', false, max(occurred_at) filter (where result = 'success'), max(occurred_at) filter (where result = 'success')
      ${identified} group by user_id`;
    await sql`insert into duo_user_daily_activity select 'acme', user_id, (occurred_at at time zone 'UTC')::date, count(*),
        count(*) filter (where result = 'success'), count(*) filter (where result = 'denied'), count(*) filter (where result = 'fraud'),
        max(occurred_at) filter (where result = 'success')
      ${identified} group by 2, 3`;
    await sql`insert into duo_application_daily_activity (tenant_id, application_key, user_id, day, auth_count, success_count, denied_count, fraud_count, last_at)
      select 'acme', application_key, user_id, (occurred_at at time zone 'UTC')::date, count(*), count(*) filter (where result = 'success'),
        count(*) filter (where result = 'denied'), count(*) filter (where result = 'fraud'), max(occurred_at)
      ${identified} and application_key is not null group by 2, 3, 4`;
    await sql`insert into duo_application_users select 'acme', application_key, user_id, max(occurred_at) filter (where result = 'success'), max(occurred_at)
      ${identified} and application_key is not null group by 2, 3`;
    await sql`insert into duo_application_daily_totals select 'acme', application_key, (occurred_at at time zone 'UTC')::date, count(*),
        count(*) filter (where result = 'success'), count(*) filter (where result = 'denied'), count(*) filter (where result = 'fraud')
      ${identified} and application_key is not null group by 2, 3`;
    await sql`insert into duo_applications select 'acme', application_key,
        (array_agg(application_name order by occurred_at desc) filter (where application_name is not null))[1], max(occurred_at)
      from duo_auth_events where tenant_id = 'acme' and application_key is not null group by 2`;
    await sql`insert into stream_checkpoints (tenant_id, stream, synced_through_ms, event_count, oldest_event_at, newest_event_at)
      select 'acme', 'auth', 0, count(*), min(occurred_at), max(occurred_at) from duo_auth_events`;
    expect(await rollupMismatches(sql, 'acme')).toEqual([]); // consistent before, or the comparison after proves nothing
    const [counts] = await sql<{ auth: number; telephony: number; admin: number }[]>`
      select (select count(*)::int from duo_auth_events) as auth, (select count(*)::int from duo_telephony_events) as telephony,
        (select count(*)::int from duo_admin_events) as admin`;
    if (!counts) throw new Error('no counts');
    before = counts;

    await runMigrations(database.url);
  }, 120_000);
  afterAll(async () => {
    await database?.drop();
  });

  it('keeps every row of every event table, now in partitions by month', async () => {
    const [after] = await database.sql<{ auth: number; telephony: number; admin: number; partitioned: number }[]>`
      select (select count(*)::int from duo_auth_events) as auth, (select count(*)::int from duo_telephony_events) as telephony,
        (select count(*)::int from duo_admin_events) as admin,
        (select count(*)::int from pg_partitioned_table p join pg_class c on c.oid = p.partrelid
          where c.relname in ('duo_auth_events', 'duo_telephony_events', 'duo_activity_events', 'duo_admin_events')) as partitioned`;
    expect(after).toEqual({ ...before, partitioned: 4 });
    const [months] = await database.sql<{ n: number }[]>`select count(distinct tableoid)::int as n from duo_auth_events`;
    expect(months?.n).toBeGreaterThanOrEqual(5);
  });

  it('keeps the rollups and counters equal to SQL over the migrated events', async () => {
    expect(await rollupMismatches(database.sql, 'acme')).toEqual([]);
    const [row] = await database.sql<{ months: number; telephony: number }[]>`
      select (select sum(events)::int from duo_event_months where tenant_id = 'acme' and stream = 'auth') as months,
        (select sum(events)::int from duo_event_months where tenant_id = 'acme' and stream = 'telephony') as telephony`;
    expect(row).toEqual({ months: before.auth, telephony: before.telephony });
  });

  it('returns every migrated event exactly as it was stored', async () => {
    const rows = await database.sql<{ txid: string; raw: Buffer }[]>`select txid, raw from duo_auth_events where tenant_id = 'acme'`;
    const byTxid = new Map(events.map((e) => [e.txid, e.raw]));
    expect(rows).toHaveLength(events.length);
    for (const row of rows) expect(decodeAuthEvent(row.raw, row.txid), row.txid).toEqual(byTxid.get(row.txid));
  });

  it('dedupes a page re-delivered after the migration against the migrated rows', async () => {
    const redelivered = events.slice(0, 50);
    expect((await storeAuthEvents(database.db, 'acme', redelivered)).inserted).toBe(0);
    expect(await rollupMismatches(database.sql, 'acme')).toEqual([]);
  });
});

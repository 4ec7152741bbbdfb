import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { toAuthEventRecord } from '../activities/duo-records.js';
import { storeAuthEvents, type AuthEventRecord } from '../db/auth-events.js';
import { createDatabase, type Queryable } from '../db/client.js';
import { runMigrations } from '../db/migrate.js';
import { duoAuthLogSchema } from '../duo/schemas.js';
import { createDataset } from '../simulator/dataset.js';
import { buildAuthEvent } from '../simulator/events/auth.js';

/**
 * Where a stored page's Postgres time goes: the same 1000-event pages written one transaction each,
 * once with only the idempotent insert of the raw events (the first part of storeAuthEvents' page
 * statement, same JSON path) and once with storeAuthEvents (the insert plus every rollup, the latest
 * times and the stream counters). The difference is what ingest-time rollups cost per page; the
 * benchmark's scenario A compares the whole sync with COPY.
 *
 *   npx tsx bench/store-cost.ts [--events 120000] [--users 5000] [--days 30]
 */

const { values: args } = parseArgs({
  options: { events: { type: 'string', default: '120000' }, users: { type: 'string', default: '5000' }, days: { type: 'string', default: '30' } },
});
const adminUrl = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `duo_store_cost_${process.pid}`;
const url = new URL(adminUrl);
url.pathname = `/${name}`;

async function insertOnly(db: Queryable, tenantId: string, events: AuthEventRecord[]): Promise<void> {
  await db.execute(sql`
    insert into duo_auth_events (tenant_id, txid, occurred_at, user_id, username, result, reason, factor, event_type,
      application_key, application_name, access_ip, access_city, access_state, access_country, raw)
    select ${tenantId}, i."txid", i."occurredAt", i."userId", i."username", i."result", i."reason", i."factor",
      i."eventType", i."applicationKey", i."applicationName", i."accessIp", i."accessCity", i."accessState", i."accessCountry", i."raw"
    from (select distinct on (x.txid) x.* from jsonb_to_recordset(${JSON.stringify(events)}::jsonb) as x(
      "txid" text, "occurredAt" timestamptz, "userId" text, "username" text, "result" text, "reason" text,
      "factor" text, "eventType" text, "applicationKey" text, "applicationName" text, "accessIp" text,
      "accessCity" text, "accessState" text, "accessCountry" text, "raw" jsonb)) i
    on conflict (tenant_id, txid) do nothing`);
}

async function main(): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const { db, close } = createDatabase(url.toString(), { poolSize: 1 });
  try {
    await runMigrations(url.toString());
    const anchorMs = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    const data = createDataset({ seed: 9, users: Number(args.users), groups: 10, authEvents: Number(args.events), days: Number(args.days), anchorMs }, Date.now());
    const pages: AuthEventRecord[][] = [[]];
    const timeline = data.timelines.auth;
    for (const key of timeline.walk(timeline.firstBucket * 60_000, data.anchorMs - 1, 'asc')) {
      let page = pages[pages.length - 1] as AuthEventRecord[];
      if (page.length === 1000) pages.push((page = []));
      page.push(toAuthEventRecord(duoAuthLogSchema.parse(buildAuthEvent(data, key))));
    }
    const time = async (label: string, tenantId: string, write: (tx: Queryable, page: AuthEventRecord[]) => Promise<unknown>) => {
      await db.execute(sql`insert into tenants (id) values (${tenantId})`);
      const started = process.hrtime.bigint();
      for (const page of pages) await db.transaction((tx) => write(tx, page));
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      process.stdout.write(`${label}: ${(ms / pages.length).toFixed(1)} ms per page, ${Math.round((pages.length * 1000) / (ms / 1000))} events/s\n`);
    };
    process.stdout.write(`${pages.length} pages of up to 1000 events, ${args.users} users, ${args.days} days\n`);
    await time('insert of the raw events only', 'insert-only', (tx, page) => insertOnly(tx, 'insert-only', page));
    await time('storeAuthEvents (insert, rollups, latest times, counters)', 'store', (tx, page) => storeAuthEvents(tx, 'store', page));
  } finally {
    await close();
    await admin.unsafe(`drop database if exists ${name}`);
    await admin.end();
  }
}

await main();

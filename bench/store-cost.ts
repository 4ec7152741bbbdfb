import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { toAuthEventRecord } from '../activities/duo-records.js';
import { storeAuthEvents, type AuthEventRecord } from '../db/auth-events.js';
import { createDatabase, type Queryable } from '../db/client.js';
import { encodeAuthEvent } from '../db/event-codec.js';
import { ensureEventPartitions } from '../db/event-partitions.js';
import { runMigrations } from '../db/migrate.js';
import { measureCopyCeiling } from './lib/copy.js';
import { processSample } from './lib/proc.js';
import { duoAuthLogSchema } from '../duo/schemas.js';
import { createDataset } from '../simulator/dataset.js';
import { buildAuthEvent } from '../simulator/events/auth.js';

/**
 * Where a stored page's time goes: the same 1000-event pages written one transaction each, once
 * with only the idempotent insert of the raw events (the first part of storeAuthEvents' page
 * statement, same JSON path and compression) and once with storeAuthEvents (the insert plus every
 * rollup, the latest times and the stream counters), then COPY of the rows stored. The differences
 * are what ingest-time rollups and the page path cost; CPU per event is given for Postgres and for
 * this process (encoding), since wall time moves with whatever else the machine runs. The
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
  const payload = events.map((e) => ({ t: e.txid, o: e.occurredAt, u: e.userId, r: e.result, a: e.applicationKey, an: e.applicationName, b: encodeAuthEvent(e.raw, e.txid).toString('base64') }));
  await db.execute(sql`
    insert into duo_auth_events (occurred_at, tenant_id, txid, user_id, result, application_key, application_name, raw)
    select i."o", ${tenantId}, i."t", i."u", i."r", i."a", i."an", decode(i."b", 'base64')
    from (select distinct on (x.t) x.* from jsonb_to_recordset(${JSON.stringify(payload)}::jsonb) as x(
      "t" text, "o" timestamptz, "u" text, "r" text, "a" text, "an" text, "b" text)) i
    order by i."o", i."t"
    on conflict (tenant_id, occurred_at, txid) do nothing`);
}

async function main(): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const { db, close } = createDatabase(url.toString(), { poolSize: 1 });
  try {
    await runMigrations(url.toString());
    const anchorMs = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    const data = createDataset({ seed: 9, users: Number(args.users), groups: 10, authEvents: Number(args.events), days: Number(args.days), anchorMs }, Date.now());
    await ensureEventPartitions(db, anchorMs - Number(args.days) * 86_400_000 - 86_400_000, anchorMs);
    const pages: AuthEventRecord[][] = [[]];
    const timeline = data.timelines.auth;
    for (const key of timeline.walk(timeline.firstBucket * 60_000, data.anchorMs - 1, 'asc')) {
      let page = pages[pages.length - 1] as AuthEventRecord[];
      if (page.length === 1000) pages.push((page = []));
      page.push(toAuthEventRecord(duoAuthLogSchema.parse(buildAuthEvent(data, key))));
    }
    const events = pages.reduce((n, page) => n + page.length, 0);
    const [backend] = await db.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`);
    const backendCpu = () => processSample(backend?.pid ?? 0)?.cpuSeconds ?? Number.NaN;
    // CPU time, not only wall time: this machine is shared, and CPU per event is what the page costs.
    const time = async (label: string, tenantId: string, write: (tx: Queryable, page: AuthEventRecord[]) => Promise<unknown>) => {
      await db.execute(sql`insert into tenants (id) values (${tenantId})`);
      const pgBefore = backendCpu();
      const nodeBefore = process.cpuUsage();
      const started = process.hrtime.bigint();
      for (const page of pages) await db.transaction((tx) => write(tx, page));
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const node = process.cpuUsage(nodeBefore);
      const pgMicros = ((backendCpu() - pgBefore) * 1e6) / events;
      const nodeMicros = (node.user + node.system) / events;
      process.stdout.write(
        `${label}: ${(ms / pages.length).toFixed(1)} ms per page, ${Math.round(events / (ms / 1000))} events/s; ` +
          `CPU per event: Postgres ${pgMicros.toFixed(0)} µs, this process ${nodeMicros.toFixed(0)} µs\n`,
      );
    };
    process.stdout.write(`${pages.length} pages of up to 1000 events, ${args.users} users, ${args.days} days\n`);
    await time('insert of the raw events only', 'insert-only', (tx, page) => insertOnly(tx, 'insert-only', page));
    await time('storeAuthEvents (insert, rollups, latest times, counters)', 'store', (tx, page) => storeAuthEvents(tx, 'store', page));
    await db.execute(sql`vacuum duo_auth_events`);
    const copy = await measureCopyCeiling(url.toString(), 'store');
    process.stdout.write(`COPY of the same ${copy.rows} rows: ${Math.round(copy.rowsPerSecond)} rows/s; CPU per row: Postgres ${copy.postgresCpuMicrosPerRow.toFixed(0)} µs\n`);
  } finally {
    await close();
    await admin.unsafe(`drop database if exists ${name}`);
    await admin.end();
  }
}

await main();

import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { toAuthEventRecord, toGroupRecord, toUserRecord } from '../activities/duo-records.js';
import { storeAuthEvents, type AuthEventRecord } from '../db/auth-events.js';
import { createDatabase, type Database } from '../db/client.js';
import { ensureEventPartitions } from '../db/event-partitions.js';
import { runMigrations } from '../db/migrate.js';
import { upsertGroups, upsertUsers } from '../db/roster.js';
import { duoAuthLogSchema, duoGroupSchema, duoUserSchema } from '../duo/schemas.js';
import { transition } from '../integrations/transitions.js';
import { createDataset, type Dataset } from '../simulator/dataset.js';
import { buildAuthEvent } from '../simulator/events/auth.js';

/**
 * Loads one large tenant for bench/usage-queries.ts: the simulator's deterministic dataset (users,
 * groups, authentication events) mapped by the sync's own record mappers and written by the sync's
 * own write functions (upsertGroups, upsertUsers, storeAuthEvents). Going through storeAuthEvents
 * rather than COPY costs load time but means the rollups are maintained by exactly the statement
 * production runs, so the benchmark cannot measure a data shape production never has.
 *
 *   npx tsx bench/load-usage-tenant.ts --events 1000000 [--users 50000] [--groups 40] [--tenant bench]
 *
 * DATABASE_URL (default postgres://postgres@127.0.0.1:5432/duo_usage_bench) is created and migrated.
 */

const { values: args } = parseArgs({
  options: {
    tenant: { type: 'string', default: 'bench' },
    users: { type: 'string', default: '50000' },
    groups: { type: 'string', default: '40' },
    events: { type: 'string', default: '1000000' },
    days: { type: 'string', default: '179' },
    seed: { type: 'string', default: '5' },
    batch: { type: 'string', default: '5000' },
  },
});

const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/duo_usage_bench';
const USER_PAGE = 1000;
/**
 * Production runs autovacuum; this server may not (the test server has it off): vacuum as it would.
 * Autovacuum visits a table once a fifth of its rows are dead: the small tables whose rows every
 * batch rewrites (a user's or application-user's latest times, the counters) after a few batches,
 * the large rollups far less often.
 */
const VACUUM_SMALL_EVERY_EVENTS = 5_000;
const VACUUM_EVERY_EVENTS = 250_000;
const SMALL_HOT_TABLES = sql`duo_users, duo_application_users, duo_applications, stream_checkpoints, duo_event_months`;
const VACUUMED_TABLES = sql`duo_users, duo_user_daily_activity, duo_application_daily_activity, duo_application_users, duo_application_daily_totals, duo_applications, stream_checkpoints, duo_event_months`;

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function positive(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer`);
  return n;
}

async function loadRoster(db: Database, tenantId: string, data: Dataset): Promise<void> {
  const seenAt = new Date();
  const groups = [];
  for (let j = 0; j < data.roster.groupTotal; j++) groups.push(toGroupRecord(duoGroupSchema.parse(data.roster.groupJson(j))));
  await upsertGroups(db, tenantId, groups, seenAt);
  for (let start = 0; start < data.roster.userTotal; start += USER_PAGE) {
    const page = [];
    for (let i = start; i < Math.min(start + USER_PAGE, data.roster.userTotal); i++) {
      page.push(toUserRecord(duoUserSchema.parse(data.roster.userJson(i))));
    }
    await upsertUsers(db, tenantId, page, seenAt);
  }
  print(`roster: ${data.roster.groupTotal} groups, ${data.roster.userTotal} users`);
}

/**
 * Events oldest first in batches. The next batch is generated while the previous one is written, so
 * the Node process (generation, validation, JSON) and Postgres (insert, rollups) overlap on two cores.
 * One writer only: concurrent pages of one tenant would contend on the same rollup rows.
 */
async function loadEvents(db: Database, tenantId: string, data: Dataset, batchSize: number): Promise<number> {
  const timeline = data.timelines.auth;
  const startedAt = Date.now();
  let inserted = 0;
  let generated = 0;
  let writeMs = 0;
  let pending: Promise<void> = Promise.resolve();
  let batch: AuthEventRecord[] = [];
  const flush = async (records: AuthEventRecord[]) => {
    await pending;
    const writeStartedAt = Date.now();
    pending = storeAuthEvents(db, tenantId, records).then((page) => {
      inserted += page.inserted;
      writeMs += Date.now() - writeStartedAt;
    });
  };
  const firstMs = timeline.firstBucket * 60_000;
  await ensureEventPartitions(db, firstMs, data.anchorMs);
  for (const key of timeline.walk(firstMs, data.anchorMs - 1, 'asc')) {
    batch.push(toAuthEventRecord(duoAuthLogSchema.parse(buildAuthEvent(data, key))));
    generated++;
    if (batch.length >= batchSize) {
      await flush(batch);
      batch = [];
      if (generated % VACUUM_EVERY_EVENTS < batchSize) {
        await pending;
        await db.execute(sql`vacuum ${VACUUMED_TABLES}`);
      } else if (generated % VACUUM_SMALL_EVERY_EVENTS < batchSize) {
        await pending;
        await db.execute(sql`vacuum ${SMALL_HOT_TABLES}`);
      }
      if (generated % (batchSize * 40) === 0) {
        const seconds = (Date.now() - startedAt) / 1000;
        print(`events: ${generated} generated, ${inserted} stored, ${Math.round(generated / seconds)}/s, ${Math.round(writeMs / seconds / 10)}% writing`);
      }
    }
  }
  if (batch.length > 0) await flush(batch);
  await pending;
  print(`events: ${inserted} stored in ${Math.round((Date.now() - startedAt) / 1000)} s`);
  return inserted;
}

async function main(): Promise<void> {
  const tenantId = args.tenant ?? 'bench';
  const users = positive('users', args.users);
  const events = positive('events', args.events);
  const days = positive('days', args.days);
  const batchSize = positive('batch', args.batch);
  // The history ends a few minutes ago, like a tenant whose incremental sync just ran.
  const anchorMs = Math.floor((Date.now() - 5 * 60_000) / 60_000) * 60_000;
  const data = createDataset(
    { seed: positive('seed', args.seed), users, groups: positive('groups', args.groups), authEvents: events, days, anchorMs },
    anchorMs,
  );
  await runMigrations(databaseUrl);
  const handle = createDatabase(databaseUrl, { poolSize: 2 });
  try {
    const { db } = handle;
    await transition.connect(db, {
      tenantId,
      apiHost: 'api-bench.duosecurity.com',
      integrationKey: 'DIBENCHBENCHBENCHBEN',
      secretKeySealed: 'v1.bench.unused',
      encryptionKeyId: 'bench',
      anchorAt: new Date(anchorMs),
      backfillStartAt: new Date(anchorMs - days * 86_400_000),
      initialSyncWorkflowId: `bench-${tenantId}`,
    });
    await loadRoster(db, tenantId, data);
    await loadEvents(db, tenantId, data, batchSize);
    await transition.completeInitialSync(db, tenantId);
    // Vacuumed (visibility map set) and analysed, as autovacuum leaves a tenant shortly after a sync.
    await db.execute(sql`vacuum (analyze) duo_auth_events, ${VACUUMED_TABLES}, duo_user_groups, duo_groups`);
    print('done');
  } finally {
    await handle.close();
  }
}

await main();

import { mkdir } from 'node:fs/promises';
import { sql } from 'drizzle-orm';
import { connectIntegration } from '../../integrations/connect.js';
import { storeAuthEvents } from '../../db/auth-events.js';
import { createDatabase, type DatabaseHandle } from '../../db/client.js';
import { dropEventPartition } from '../../db/data-deletion.js';
import { ensureEventPartitions, listEventPartitions } from '../../db/event-partitions.js';
import { startSimulator } from '../../simulator/server.js';
import { initialSyncWorkflowId } from '../../workflows/definitions.js';
import { formatProfile, summarizeProfiles, type ProfileSummary } from '../lib/cpuprofile.js';
import { measureCopyCeiling, type CopyCeiling } from '../lib/copy.js';
import { authRecordPages } from '../lib/duo-pages.js';
import { explainStoreAuthEvents } from '../lib/explain.js';
import { largestHistory } from '../lib/history.js';
import { samplePostgresCpu } from '../lib/pg-cpu.js';
import {
  credentialsOf,
  deleteSchedules,
  devServerCpuSeconds,
  log,
  makeAccount,
  scenarioClient,
  scenarioEnv,
  startWorkerChild,
  type BenchStack,
} from '../lib/stack.js';
import { withDeadline } from '../lib/wait.js';

export interface IngestOptions {
  label: string;
  events: number;
  users: number;
  groups: number;
  days: number;
  /** Also measure the COPY ceiling of the same rows. */
  copy: boolean;
  /** Also page the simulator alone and run storeAuthEvents alone (no Temporal) on the same data. */
  components: boolean;
  /** Write the worker's V8 CPU profile here and EXPLAIN ANALYZE the page insert. */
  profileDir?: string | undefined;
  timeoutMs: number;
}

export interface IngestResult {
  label: string;
  datasetEvents: number;
  eventsStored: number;
  users: number;
  seconds: number;
  eventsPerSecond: number;
  /** Connect to the first committed log page: credential check, workflow start, roster. */
  rosterSeconds: number;
  /** Events per second from the first committed log page to completion. */
  logPhaseEventsPerSecond: number;
  logPages: number;
  workerPeakRssMb: number;
  /** RSS once the worker had started, before any work. */
  workerStartRssMb: number;
  workerCpuSeconds: number;
  /** CPU of the Postgres backends serving the run's database while it ran. */
  postgresCpuSeconds: number;
  /** CPU of this process while it ran: almost all of it the simulator generating and serving pages. */
  simulatorCpuSeconds: number;
  /** CPU of the Temporal dev server while it ran (NaN when the bench did not start it). */
  temporalCpuSeconds: number;
  maxHistoryEvents: number;
  historyRuns: number;
  copy?: CopyCeiling;
  simulatorEventsPerSecond?: number;
  storeEventsPerSecond?: number;
  storeMsPerPage?: number;
  explain?: { plan: string; executionMs: number; pageRows: number };
  /** The event table (every partition, its indexes and TOAST) ÷ events stored, after VACUUM. */
  bytesPerEvent?: number;
  /** The whole database ÷ events stored, after VACUUM. */
  bytesPerEventAllIn?: number;
  /** Retention's drop of the fullest month's partition (detach concurrently, drop, counters), and its rows. */
  partitionDropSeconds?: number;
  partitionDropRows?: number;
  profile?: ProfileSummary[];
}

/**
 * Scenario A (and each size of B): one tenant, no effective rate limit, from connect until the
 * initial-sync workflow returns, against a fresh database and a fresh worker process.
 */
export async function runIngest(stack: BenchStack, options: IngestOptions): Promise<IngestResult> {
  const tenantId = `bench-${options.label}`;
  const anchorMs = Math.floor((Date.now() - 10 * 60_000) / 60_000) * 60_000;
  const account = makeAccount({ seed: 7, users: options.users, groups: options.groups, authEvents: options.events, days: options.days, anchorMs });
  const database = await stack.createDatabase(options.label);
  const simulator = await startSimulator({ accounts: [account] });
  const env = scenarioEnv(stack, database, simulator.origin, { BACKFILL_DAYS: String(Math.min(179, options.days + 1)) });
  const client = scenarioClient(stack, env);
  if (options.profileDir) await mkdir(options.profileDir, { recursive: true });
  const worker = await startWorkerChild(stack, env, { cpuProfileDir: options.profileDir });
  try {
    log(`${options.label}: ${options.events} events, ${options.users} users, ${options.days} days; worker pid ${worker.pid}`);
    const cpuBefore = worker.sample().cpuSeconds;
    const postgresCpu = samplePostgresCpu(client.database.sql);
    const ownCpu = process.cpuUsage();
    const temporalBefore = devServerCpuSeconds(stack);
    const started = Date.now();
    await connectIntegration(client.deps, tenantId, credentialsOf(account));
    await withDeadline(stack.temporal.workflow.getHandle(initialSyncWorkflowId(tenantId)).result(), options.timeoutMs, `${options.label} initial sync`);
    const finished = Date.now();
    const usage = worker.sample();
    const ownUsage = process.cpuUsage(ownCpu);
    const temporalAfter = devServerCpuSeconds(stack);
    const postgresCpuSeconds = await postgresCpu.stop();
    const seconds = (finished - started) / 1000;

    const [stored] = await client.database.sql<{ events: number; first_page_at: Date | null; pages: number }[]>`
      select (select count(*)::int from duo_auth_events where tenant_id = ${tenantId}) as events,
        (select min(updated_at) from backfill_windows where tenant_id = ${tenantId} and pages > 0) as first_page_at,
        (select coalesce(sum(pages), 0)::int from backfill_windows where tenant_id = ${tenantId}) as pages`;
    const eventsStored = stored?.events ?? 0;
    const firstPageMs = stored?.first_page_at ? new Date(stored.first_page_at).getTime() : started;
    const rosterSeconds = (firstPageMs - started) / 1000;
    const history = await largestHistory(stack.temporal, `TenantId = "${tenantId}"`);
    const result: IngestResult = {
      label: options.label,
      datasetEvents: options.events,
      eventsStored,
      users: options.users,
      seconds,
      eventsPerSecond: eventsStored / seconds,
      rosterSeconds,
      logPhaseEventsPerSecond: eventsStored / Math.max(0.001, (finished - firstPageMs) / 1000),
      logPages: stored?.pages ?? 0,
      workerPeakRssMb: usage.peakRssMb,
      workerStartRssMb: worker.atStart.rssMb,
      workerCpuSeconds: usage.cpuSeconds - cpuBefore,
      postgresCpuSeconds,
      simulatorCpuSeconds: (ownUsage.user + ownUsage.system) / 1e6,
      temporalCpuSeconds: temporalBefore !== undefined && temporalAfter !== undefined ? temporalAfter - temporalBefore : Number.NaN,
      maxHistoryEvents: history.maxHistoryEvents,
      historyRuns: history.runs,
    };
    log(
      `${options.label}: ${eventsStored} events in ${seconds.toFixed(1)} s = ${Math.round(result.eventsPerSecond)}/s ` +
        `(roster ${rosterSeconds.toFixed(1)} s; log phase ${Math.round(result.logPhaseEventsPerSecond)}/s); worker peak RSS ${usage.peakRssMb.toFixed(0)} MB, ` +
        `CPU ${result.workerCpuSeconds.toFixed(1)} s; Postgres backends CPU ${postgresCpuSeconds.toFixed(1)} s, ` +
        `simulator (bench process) ${result.simulatorCpuSeconds.toFixed(1)} s, Temporal ${result.temporalCpuSeconds.toFixed(1)} s; largest history ${history.maxHistoryEvents} events of ${history.runs} runs`,
    );
    await deleteSchedules(stack, [tenantId]);
    await worker.stop();
    Object.assign(result, await measureStorage(client.database.sql, eventsStored));
    log(`${options.label}: ${result.bytesPerEvent?.toFixed(0)} bytes per event in the event table, ${result.bytesPerEventAllIn?.toFixed(0)} all in (after VACUUM)`);

    if (options.profileDir) {
      result.profile = await summarizeProfiles(options.profileDir);
      log(`worker CPU profiles (V8 .cpuprofile, one per thread) kept in ${options.profileDir}`);
      for (const summary of result.profile.slice(0, 2)) log(`worker CPU profile\n${formatProfile(summary)}`);
    }
    if (options.copy) {
      result.copy = await measureCopyCeiling(database.url, tenantId);
      log(`${options.label}: COPY of the same ${result.copy.rows} rows (${result.copy.fileMb.toFixed(0)} MB as text) in ${result.copy.seconds.toFixed(1)} s = ${Math.round(result.copy.rowsPerSecond)}/s`);
    }
    if (options.components || options.profileDir) {
      Object.assign(result, await measureComponents(stack, account, simulator.origin, { tenantId, anchorMs, days: options.days, components: options.components, explainUrl: options.profileDir ? database.url : undefined }));
    }
    Object.assign(result, await measurePartitionDrop(client.database));
    log(`${options.label}: dropping the partition of the fullest month (${result.partitionDropRows} rows) took ${result.partitionDropSeconds?.toFixed(3)} s`);
    return result;
  } finally {
    if (worker.child.exitCode === null && worker.child.signalCode === null) await worker.stop();
    await client.close();
    await simulator.close();
    await database.drop();
  }
}

/** Sizes after VACUUM (as autovacuum leaves a table): the event table's partitions, and the database. */
async function measureStorage(sql: DatabaseHandle['sql'], events: number): Promise<Pick<IngestResult, 'bytesPerEvent' | 'bytesPerEventAllIn'>> {
  await sql`vacuum`;
  const [row] = await sql<{ table_bytes: number; database_bytes: number; parts: string }[]>`
    select (select sum(pg_total_relation_size(relid))::float8 from pg_partition_tree('duo_auth_events')) as table_bytes,
      pg_database_size(current_database())::float8 as database_bytes,
      (select string_agg(format('%s %s B', k, round(b / ${events})), ', ' order by b desc) from (
        select 'event heap' as k, sum(pg_relation_size(relid))::float8 as b from pg_partition_tree('duo_auth_events')
        union all select 'event key', sum(pg_relation_size(i.indexrelid)) from pg_partition_tree('duo_auth_events') t join pg_index i on i.indrelid = t.relid and i.indisprimary
        union all select 'event user index', sum(pg_relation_size(i.indexrelid)) from pg_partition_tree('duo_auth_events') t join pg_index i on i.indrelid = t.relid and not i.indisprimary
        union all select c.relname, pg_total_relation_size(c.oid) from pg_class c
          where c.relkind = 'r' and c.relnamespace = 'public'::regnamespace and not c.relispartition and pg_total_relation_size(c.oid) > 1048576
      ) x) as parts`;
  log(`per event: ${row?.parts ?? ''}`);
  return { bytesPerEvent: (row?.table_bytes ?? Number.NaN) / events, bytesPerEventAllIn: (row?.database_bytes ?? Number.NaN) / events };
}

/** What retention does to a month past every tenant's retention, timed on the fullest month the sync stored. */
async function measurePartitionDrop(database: DatabaseHandle): Promise<Pick<IngestResult, 'partitionDropSeconds' | 'partitionDropRows'>> {
  const [fullest] = await database.sql<{ month: string; events: number }[]>`
    select to_char(month, 'YYYY-MM-DD') as month, sum(events)::float8 as events from duo_event_months where stream = 'auth'
    group by month order by events desc limit 1`;
  const partition = (await listEventPartitions(database.db)).find((p) => p.table === 'duo_auth_events' && p.month === fullest?.month);
  if (!partition || !fullest) return {};
  const started = process.hrtime.bigint();
  await dropEventPartition(database.db, partition);
  return { partitionDropSeconds: Number(process.hrtime.bigint() - started) / 1e9, partitionDropRows: fullest.events };
}

/**
 * The two halves of the pipeline alone, on the same data, in this process, one page at a time:
 * paging the simulator with the Duo client (HTTP, signing, validation, mapping) and storeAuthEvents
 * into a fresh database (one transaction per page, as the activity does, without Temporal).
 */
async function measureComponents(
  stack: BenchStack,
  account: ReturnType<typeof makeAccount>,
  origin: string,
  options: { tenantId: string; anchorMs: number; days: number; components: boolean; explainUrl: string | undefined },
): Promise<Pick<IngestResult, 'simulatorEventsPerSecond' | 'storeEventsPerSecond' | 'storeMsPerPage' | 'explain'>> {
  const window = { mintimeMs: options.anchorMs - options.days * 86_400_000 - 60_000, maxtimeMs: options.anchorMs + 60_000 };
  const out: Pick<IngestResult, 'simulatorEventsPerSecond' | 'storeEventsPerSecond' | 'storeMsPerPage' | 'explain'> = {};
  if (options.explainUrl) {
    const handle = createDatabase(options.explainUrl, { poolSize: 1 });
    try {
      for await (const page of authRecordPages(origin, account, window)) {
        const explained = await explainStoreAuthEvents(handle.db, options.tenantId, page.records);
        out.explain = { ...explained, pageRows: page.records.length };
        log(`EXPLAIN ANALYZE of storeAuthEvents: one page of ${page.records.length} new rows for the synced tenant (rolled back):\n${explained.plan}`);
        break;
      }
    } finally {
      await handle.close();
    }
  }
  if (!options.components) return out;
  const target = await stack.createDatabase('store');
  const handle = createDatabase(target.url, { poolSize: 1 });
  const tenantId = 'bench-direct';
  try {
    await handle.db.execute(sql`insert into tenants (id) values (${tenantId})`);
    await ensureEventPartitions(handle.db, window.mintimeMs, window.maxtimeMs);
    let events = 0;
    let pages = 0;
    let fetchMs = 0;
    let storeMs = 0;
    for await (const page of authRecordPages(origin, account, window)) {
      fetchMs += page.fetchMs;
      const started = process.hrtime.bigint();
      await handle.db.transaction((tx) => storeAuthEvents(tx, tenantId, page.records));
      storeMs += Number(process.hrtime.bigint() - started) / 1e6;
      events += page.records.length;
      pages++;
    }
    out.simulatorEventsPerSecond = events / (fetchMs / 1000);
    out.storeEventsPerSecond = events / (storeMs / 1000);
    out.storeMsPerPage = storeMs / Math.max(1, pages);
    log(
      `components: simulator + Duo client alone ${Math.round(out.simulatorEventsPerSecond)} events/s; ` +
        `storeAuthEvents alone ${Math.round(out.storeEventsPerSecond)} events/s (${out.storeMsPerPage.toFixed(0)} ms per page of ≤1000)`,
    );
    return out;
  } finally {
    await handle.close();
    await target.drop();
  }
}

/**
 * Chaos run: a full initial sync plus recurring syncs with live events for a few tenants while
 * the worker is SIGKILLed at random moments (a new one started each time, two at once for part of the
 * run), the Temporal dev server is restarted mid-backfill (persisted with --db-filename), Postgres is
 * restarted mid-backfill, and the Duo simulator fails ~10% of calls (5xx, resets, slow and truncated
 * answers, malformed bodies, 429 bursts). At the end, per tenant, users, memberships and the set of
 * event ids must equal the simulator's truth exactly, no workflow may be failed or stuck, and every
 * rollup must equal raw SQL. Prints a table of what happened, and fails (exit 1, a `CHAOS RUN FAILED`
 * line per reason) when a required event did not happen: fewer than 10 kills, a restart that was
 * skipped or came after every backfill had completed, a fault type that never fired.
 *
 *   npm run chaos -- --seed 7 [--tenants 3] [--kills 10] [--days 24] [--events-per-day 4000]
 *                    [--no-postgres-restart] [--no-temporal-restart]
 *
 * Postgres is a cluster of the run's own (pg_createcluster with the installed version, dropped at the
 * end), so restarting it breaks no other test run on the machine; with --no-postgres-restart the run
 * uses the shared server instead. test/e2e/chaos-reduced.test.ts runs a smaller plan of the same code
 * inside `npm test` (with a Temporal restart, without a Postgres restart).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import postgres from 'postgres';
import { buildApp } from '../api/app.js';
import { configToEnv, loadConfig, type Config } from '../config/config.js';
import { createDatabase } from '../db/client.js';
import { createKeyring } from '../db/credentials.js';
import { runMigrations } from '../db/migrate.js';
import { startSimulator, type AccountSpec, type FaultSpec } from '../simulator/server.js';
import { Rng } from '../simulator/prng.js';
import { isolatedEnv } from '../local/isolated-env.js';
import { createControlClient, type SimulatorControl } from '../simulator/control-client.js';
import { makeAccount } from '../simulator/account-builder.js';
import { startWorkerProcess, type WorkerProcess } from '../local/worker-process.js';
import { incrementalScheduleId, initialSyncWorkflowId } from '../workflows/definitions.js';
import { freePort, startTemporalDevServer, type DevServer } from '../local/temporal-dev-server.js';
import { createPrivateCluster, type PrivateCluster } from './lib/chaos-postgres.js';
import { rollupMismatches } from '../db/rollup-check.js';

/** What the chaos run does; the reduced plan (in `npm test`) and the full one differ only here. */
export interface ChaosPlan {
  seed: number;
  tenants: number;
  users: number;
  /** Days of history (BACKFILL_DAYS is one more, so the backfill covers all of it). */
  days: number;
  eventsPerDay: number;
  liveEventsPerMinute: number;
  /** Per Duo account: slows the backfill down so the chaos lands in the middle of it. */
  logRequestsPerMinute: number;
  /** Share of Duo calls that fail (spread over 5xx, resets, slow, truncated, malformed, 429 bursts). */
  faultRate: number;
  /** SIGKILLs of a worker, at least. */
  minKills: number;
  /**
   * Pause before each chaos action, counted from the moment the newest worker process reported
   * `worker started` (so a kill never lands on a worker that is still bundling its workflows).
   */
  gapMs: readonly [number, number];
  /** At this chaos action a second worker starts; at `dualUntil` one of the two is killed without replacement. */
  dualFrom: number;
  dualUntil: number;
  /** Chaos action at which the Temporal dev server / Postgres is restarted (if the environment can). */
  restartTemporalAt?: number;
  restartPostgresAt?: number;
  /** Incremental runs per tenant after the initial sync, with live events arriving. */
  incrementalRuns: number;
}

/** Where the run happens: Postgres database and Temporal address, and how to restart them. */
export interface ChaosEnvironment {
  databaseUrl: string;
  temporalAddress: string;
  restartTemporal?: () => Promise<void>;
  restartPostgres?: () => Promise<void>;
  log?: (line: string) => void;
}

export type ChaosActionKind = 'kill' | 'start-worker' | 'second-worker' | 'restart-temporal' | 'restart-postgres';

/** One chaos action, and where the initial syncs stood when it began. */
export interface ChaosAction {
  index: number;
  kind: ChaosActionKind;
  /** Since the start of the run. */
  atMs: number;
  /**
   * Tenants whose initial sync had not completed yet (`tenant phase`); null when Postgres could not
   * tell (then the action does not count as mid-backfill).
   */
  backfilling: string[] | null;
}

export interface TenantOutcome {
  tenantId: string;
  users: number;
  events: number;
  /** Users, groups, memberships and event ids missing or extra against the simulator's truth. */
  differences: number;
  /** Rows of rollup tables and users' latest times that differ from raw SQL over the events. */
  rollupMismatches: number;
  initialSync: string;
  /** A few of the differences, to start an investigation from. */
  samples: string[];
}

/** The fault types of the mix (faultMix); the simulator's stats count each one separately. */
export const mixedFaultTypes = ['serverError', 'reset', 'slow', 'truncated', 'malformed', 'rateLimit'] as const;
export type MixedFaultType = (typeof mixedFaultTypes)[number];

export interface ChaosReport {
  seed: number;
  actions: ChaosAction[];
  kills: number;
  /** Kills while at least one tenant's initial sync was still running. */
  killsDuringBackfill: number;
  workerStarts: number;
  /** Worker processes that died on their own (e.g. while Temporal was down) and were replaced. */
  workerCrashes: number;
  temporalRestarts: number;
  postgresRestarts: number;
  maxWorkersAtOnce: number;
  /** When the last initial sync completed (ms since the start), undefined if none did. */
  initialSyncsDoneAtMs: number | undefined;
  faultsInjected: number;
  faultsByType: Record<MixedFaultType, number>;
  duoRequests: number;
  /** Activity attempts beyond the first, read from every workflow history of the tenants. */
  retriesSeen: number;
  failedWorkflows: number;
  stuckWorkflows: number;
  tenants: TenantOutcome[];
  differences: number;
  wallMs: number;
}

/** Roughly `rate` of all calls fail, spread over every fault type of the mix so each one fires. */
export function faultMix(rate: number, seed: number): FaultSpec {
  const share = rate / 0.1;
  return {
    seed,
    serverErrorRate: 0.02 * share,
    resetRate: 0.02 * share,
    slowRate: 0.015 * share,
    slowMs: 400,
    truncatedRate: 0.015 * share,
    malformedRate: 0.015 * share,
    rateLimitRate: 0.015 * share,
    rateLimitBurst: 3,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, intervalMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // Temporal or Postgres restarting: ask again.
    }
    if (Date.now() > deadline) throw new Error(`chaos: timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Worker child processes: killed on purpose, replaced when they die on their own. */
class WorkerPool {
  /** In the order they were started: the last one is the newest. */
  readonly alive: WorkerProcess[] = [];
  starts = 0;
  crashes = 0;
  maxAtOnce = 0;
  private stopping = false;
  private readonly killed = new Set<WorkerProcess>();

  constructor(
    private readonly env: Record<string, string>,
    private readonly log: (line: string) => void,
  ) {}

  start(): WorkerProcess {
    const worker = startWorkerProcess(this.env);
    this.starts++;
    this.alive.push(worker);
    this.maxAtOnce = Math.max(this.maxAtOnce, this.alive.length);
    worker.child.once('exit', (code, signal) => {
      const index = this.alive.indexOf(worker);
      if (index >= 0) this.alive.splice(index, 1);
      if (this.killed.has(worker) || this.stopping) return;
      this.crashes++;
      this.log(`worker ${worker.child.pid} exited on its own (${signal ?? code}); starting another`);
      setTimeout(() => {
        if (!this.stopping && this.alive.length === 0) this.start();
      }, 1000);
    });
    return worker;
  }

  async kill(worker: WorkerProcess): Promise<void> {
    this.killed.add(worker);
    await worker.kill('SIGKILL');
  }

  /** Resolves when the most recently started live worker has connected and is polling. */
  async newestReady(): Promise<void> {
    await until(
      'the newest worker to start',
      async () => {
        const newest = this.alive[this.alive.length - 1];
        return newest !== undefined && newest.output().includes('worker started');
      },
      120_000,
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const worker of [...this.alive]) await worker.kill('SIGTERM');
  }
}

export async function runChaos(plan: ChaosPlan, environment: ChaosEnvironment): Promise<ChaosReport> {
  const started = Date.now();
  const log = environment.log ?? (() => {});
  const rng = new Rng(plan.seed);
  const anchorMs = started - 15 * 60_000;
  const accounts: AccountSpec[] = Array.from({ length: plan.tenants }, (_, i) =>
    makeAccount({
      dataset: {
        seed: plan.seed * 100 + i,
        users: plan.users,
        groups: 6,
        authEvents: plan.eventsPerDay * plan.days,
        days: plan.days,
        liveEventsPerMinute: plan.liveEventsPerMinute,
        anchorMs,
      },
      faults: faultMix(plan.faultRate, plan.seed + i),
    }),
  );
  const tenantIds = accounts.map((_, i) => `chaos-${plan.seed}-${i}`);
  const simulator = await startSimulator({ accounts });
  const control: SimulatorControl = createControlClient(simulator.origin);
  const config: Config = loadConfig(
    isolatedEnv({
      DATABASE_URL: environment.databaseUrl,
      TEMPORAL_ADDRESS: environment.temporalAddress,
      DUO_API_ORIGIN_OVERRIDE: simulator.origin,
      DUO_LOG_REQUESTS_PER_MINUTE: String(plan.logRequestsPerMinute),
      // One day more than the history, so the backfill starts before the simulator's first event.
      BACKFILL_DAYS: String(plan.days + 1),
      LOG_LEVEL: 'info',
    }),
  );
  const database = createDatabase(config.DATABASE_URL, { poolSize: 4 });
  const sql = postgres(config.DATABASE_URL, { max: 2, onnotice: () => {} });
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const keyring = createKeyring({ id: config.ENCRYPTION_KEY_ID, key: config.ENCRYPTION_KEY }, config.ENCRYPTION_PREVIOUS_KEYS);
  const app = buildApp({ db: database.db, config, keyring, temporal });
  await app.ready();
  const pool = new WorkerPool(configToEnv(config), log);
  const report: ChaosReport = {
    seed: plan.seed,
    actions: [],
    kills: 0,
    killsDuringBackfill: 0,
    workerStarts: 0,
    workerCrashes: 0,
    temporalRestarts: 0,
    postgresRestarts: 0,
    maxWorkersAtOnce: 0,
    initialSyncsDoneAtMs: undefined,
    faultsInjected: 0,
    faultsByType: Object.fromEntries(mixedFaultTypes.map((type) => [type, 0])) as Record<MixedFaultType, number>,
    duoRequests: 0,
    retriesSeen: 0,
    failedWorkflows: 0,
    stuckWorkflows: 0,
    tenants: [],
    differences: 0,
    wallMs: 0,
  };

  const inject = async (method: 'PUT' | 'POST' | 'GET', url: string, payload?: Record<string, unknown>) => {
    const response = await app.inject({ method, url, headers: { authorization: `Bearer ${config.API_TOKEN}` }, ...(payload ? { payload } : {}) });
    return response.statusCode;
  };

  /** Tenants whose initial sync has not completed, as Postgres says right now (null if it cannot say). */
  const backfilling = async (): Promise<string[] | null> => {
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        const rows = await sql<{ tenant_id: string; phase: string }[]>`
          select tenant_id, initial_sync_phase as phase from duo_integrations
          where tenant_id in ${sql(tenantIds)} and initial_sync_state <> 'completed' order by tenant_id`;
        return rows.map((row) => `${row.tenant_id} ${row.phase}`);
      } catch {
        await sleep(1000);
      }
    }
    return null;
  };

  try {
    pool.start();
    // Connect; Duo faults apply to the key check too, so a 502 is retried as a customer would.
    for (const [i, account] of accounts.entries()) {
      const body = { integrationKey: account.integrationKey, secretKey: account.secretKey, apiHost: account.apiHost };
      await until(`connect ${tenantIds[i]}`, async () => (await inject('PUT', `/v1/tenants/${tenantIds[i]}/integrations/duo`, body)) === 202, 60_000, 500);
    }

    // Every planned action happens, and kills go on until there were at least minKills; then the run
    // finishes in peace (each kill of a worker with activities in flight costs a heartbeat timeout, 1 min).
    const lastPlanned = Math.max(plan.dualFrom, plan.dualUntil, plan.restartTemporalAt ?? 0, plan.restartPostgresAt ?? 0);
    const chaos = (async () => {
      for (let index = 0; report.kills < plan.minKills || index <= lastPlanned; index++) {
        await pool.newestReady();
        await sleep(plan.gapMs[0] + rng.int(plan.gapMs[1] - plan.gapMs[0] + 1));
        const state = await backfilling();
        const record = (kind: ChaosActionKind, what: string) => {
          report.actions.push({ index, kind, atMs: Date.now() - started, backfilling: state });
          const where = state === null ? 'initial syncs: unknown' : state.length === 0 ? 'every initial sync complete' : `backfilling: ${state.join(', ')}`;
          log(`action ${index}: ${what} (${where})`);
        };
        if (index === plan.dualFrom) {
          record('second-worker', 'a second worker joins');
          pool.start();
        } else if (index === plan.dualUntil && pool.alive.length > 1) {
          const victim = rng.pick(pool.alive);
          record('kill', `SIGKILL worker ${victim.child.pid}, two workers down to one`);
          await pool.kill(victim);
        } else if (index === plan.restartTemporalAt && environment.restartTemporal) {
          record('restart-temporal', 'restarting the Temporal dev server');
          await environment.restartTemporal();
          report.temporalRestarts++;
        } else if (index === plan.restartPostgresAt && environment.restartPostgres) {
          record('restart-postgres', 'restarting Postgres');
          await environment.restartPostgres();
          report.postgresRestarts++;
        } else {
          const victim = pool.alive.length > 0 ? rng.pick(pool.alive) : undefined;
          if (victim) {
            record('kill', `SIGKILL worker ${victim.child.pid}`);
            await pool.kill(victim);
          } else {
            record('start-worker', 'no worker alive to kill; starting one');
          }
          pool.start();
        }
        report.kills = report.actions.filter((action) => action.kind === 'kill').length;
      }
    })();
    // A chaos action that throws ends the run now, not when the initial syncs time out.
    chaos.catch(() => undefined);
    const chaosFailed = chaos.then(() => new Promise<never>(() => {}));

    // Initial syncs (polled: the long poll of result() would break across a Temporal restart).
    await Promise.race([
      chaosFailed,
      Promise.all(
        tenantIds.map((tenantId) =>
          until(
            `initial sync of ${tenantId}`,
            async () => {
              const status = (await temporal.workflow.getHandle(initialSyncWorkflowId(tenantId)).describe()).status.name;
              if (status === 'FAILED' || status === 'TERMINATED' || status === 'TIMED_OUT') throw new Error(`initial sync of ${tenantId} ${status}`);
              return status === 'COMPLETED';
            },
            30 * 60_000,
            1000,
          ),
        ),
      ),
    ]);
    report.initialSyncsDoneAtMs = Date.now() - started;
    log('initial syncs complete');

    const finishedRuns = async (tenantId: string) => {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from sync_runs where tenant_id = ${tenantId} and kind = 'incremental' and outcome <> 'running'`;
      return row?.n ?? 0;
    };
    const runIncremental = async (tenantId: string) => {
      const schedule = temporal.schedule.getHandle(incrementalScheduleId(tenantId));
      await until(`no running sync of ${tenantId}`, async () => (await schedule.describe()).info.runningActions.length === 0, 15 * 60_000, 500);
      const before = await finishedRuns(tenantId);
      await until(`sync now for ${tenantId}`, async () => (await inject('POST', `/v1/tenants/${tenantId}/integrations/duo/sync`)) === 202, 60_000, 500);
      await until(`an incremental run of ${tenantId}`, async () => (await finishedRuns(tenantId)) > before, 15 * 60_000, 500);
    };
    for (let r = 0; r < plan.incrementalRuns; r++) await Promise.race([chaosFailed, Promise.all(tenantIds.map(runIncremental))]);
    await chaos;
    log(`chaos over after ${report.kills} kills`);

    // Duo behaves again; one more run per tenant brings everything up to now.
    for (const account of accounts) {
      const stats = await control.stats(account.integrationKey);
      for (const type of mixedFaultTypes) report.faultsByType[type] += stats.faults[type] ?? 0;
      report.faultsInjected += Object.values(stats.faults).reduce((a, b) => a + b, 0);
      await control.setFaults(account.integrationKey, {});
    }
    if (pool.alive.length === 0) pool.start();
    await Promise.all(tenantIds.map(runIncremental));
    for (const account of accounts) report.duoRequests += (await control.stats(account.integrationKey)).requests.total;

    await checkWorkflows(temporal, tenantIds, report);
    for (const [i, tenantId] of tenantIds.entries()) {
      const account = accounts[i];
      if (account) report.tenants.push(await checkTenant(sql, control, tenantId, account, inject));
    }
    report.differences = report.tenants.reduce((sum, t) => sum + t.differences + t.rollupMismatches, 0);
  } finally {
    await pool.stop();
    report.workerStarts = pool.starts;
    report.workerCrashes = pool.crashes;
    report.maxWorkersAtOnce = pool.maxAtOnce;
    report.killsDuringBackfill = report.actions.filter((action) => action.kind === 'kill' && midBackfill(action)).length;
    await app.close();
    await connection.close();
    await sql.end({ timeout: 5 });
    await database.close();
    await simulator.close();
  }
  report.wallMs = Date.now() - started;
  return report;
}

const midBackfill = (action: ChaosAction) => action.backfilling !== null && action.backfilling.length > 0;

/** Failed or still-running workflows of the tenants, and activity retries from their histories. */
async function checkWorkflows(temporal: Client, tenantIds: string[], report: ChaosReport): Promise<void> {
  const query = `TenantId IN (${tenantIds.map((t) => `"${t}"`).join(', ')})`;
  // Visibility trails the runs a little; nothing may still be running once it has caught up.
  await until('no running workflow', async () => (await temporal.workflow.count(`${query} AND ExecutionStatus = "Running"`)).count === 0, 60_000, 500).catch(
    () => undefined,
  );
  report.stuckWorkflows = (await temporal.workflow.count(`${query} AND ExecutionStatus = "Running"`)).count;
  report.failedWorkflows = (await temporal.workflow.count(`${query} AND ExecutionStatus IN ("Failed", "TimedOut", "Terminated")`)).count;
  for await (const execution of temporal.workflow.list({ query })) {
    const history = await temporal.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    for (const event of history.events ?? []) {
      const attempt = event.activityTaskStartedEventAttributes?.attempt ?? 0;
      if (attempt > 1) report.retriesSeen += attempt - 1;
    }
  }
}

/** Postgres against the simulator's truth for one tenant: roster, memberships, event ids, rollups. */
async function checkTenant(
  sql: postgres.Sql,
  control: SimulatorControl,
  tenantId: string,
  account: AccountSpec,
  inject: (method: 'GET', url: string) => Promise<number>,
): Promise<TenantOutcome> {
  const samples: string[] = [];
  const diffCount = (what: string, expected: string[], actual: string[]) => {
    const want = new Set(expected);
    const have = new Set(actual);
    const missing = expected.filter((x) => !have.has(x));
    const extra = actual.filter((x) => !want.has(x));
    const duplicates = actual.length - have.size;
    samples.push(...missing.slice(0, 3).map((x) => `${what} missing ${x}`), ...extra.slice(0, 3).map((x) => `${what} extra ${x}`));
    if (duplicates > 0) samples.push(`${what}: ${duplicates} duplicates`);
    return missing.length + extra.length + duplicates;
  };
  const roster = await control.roster(account.integrationKey);
  // The fields the roster sync copies, as in test/helpers/sync-harness.ts compareWithTruth.
  const describeUser = (u: { user_id: string; username: string; status: string; is_enrolled: boolean; email: string | null; last_login: number | null }) =>
    `${u.user_id}|${u.username}|${u.status}|${u.is_enrolled}|${u.email || ''}|${u.last_login === null ? '' : Number(u.last_login)}`;
  const users = await sql<{ user_id: string; username: string; status: string; is_enrolled: boolean; email: string | null; last_login: number | null }[]>`
    select user_id, username, status, is_enrolled, email, extract(epoch from last_login_at)::bigint as last_login
    from duo_users where tenant_id = ${tenantId} and in_roster and deleted_at is null`;
  const groups = await sql<{ group_id: string }[]>`select group_id from duo_groups where tenant_id = ${tenantId} and deleted_at is null`;
  const memberships = await sql<{ m: string }[]>`
    select m.user_id || ':' || m.group_id as m from duo_user_groups m
    join duo_users u on u.tenant_id = m.tenant_id and u.user_id = m.user_id
    where m.tenant_id = ${tenantId} and u.deleted_at is null`;
  const [checkpoint] = await sql<{ ms: string }[]>`select synced_through_ms::text as ms from stream_checkpoints where tenant_id = ${tenantId} and stream = 'auth'`;
  const truthTxids = await control.authTxids(account.integrationKey, { maxtime: Number(checkpoint?.ms) });
  const stored = await sql<{ txid: string }[]>`select txid from duo_auth_events where tenant_id = ${tenantId}`;
  const rollups = await rollupMismatches(sql, tenantId);
  samples.push(...rollups.map((mismatch) => `${mismatch.table}: ${mismatch.rows} rows, e.g. ${mismatch.samples[0] ?? ''}`));
  const [state] = await sql<{ s: string }[]>`select initial_sync_state as s from duo_integrations where tenant_id = ${tenantId}`;
  await inject('GET', `/v1/tenants/${tenantId}/integrations/duo`);
  return {
    tenantId,
    users: users.length,
    events: stored.length,
    differences:
      diffCount('user', roster.users.map(describeUser), users.map(describeUser)) +
      diffCount('group', roster.groups.map((g) => g.group_id), groups.map((g) => g.group_id)) +
      diffCount('membership', roster.users.flatMap((u) => u.group_ids.map((g) => `${u.user_id}:${g}`)), memberships.map((r) => r.m)) +
      diffCount('event', truthTxids, stored.map((r) => r.txid)),
    samples,
    rollupMismatches: rollups.reduce((sum, mismatch) => sum + mismatch.rows, 0),
    initialSync: state?.s ?? 'missing',
  };
}

/** What a run must show to count: the events it was meant to cause, and a clean end. */
export interface ChaosRequirements {
  minKills: number;
  minKillsDuringBackfill?: number;
  /** The restart must have happened while at least one initial sync was still running. */
  temporalRestartMidBackfill: boolean;
  postgresRestartMidBackfill: boolean;
  /** At least one fault of every type in the mix. */
  everyFaultType: boolean;
}

/** Why the run does not count (empty = it passed). */
export function chaosFailures(report: ChaosReport, requirements: ChaosRequirements): string[] {
  const failures: string[] = [];
  if (report.differences > 0) failures.push(`${report.differences} differences against the simulator's truth or raw SQL`);
  if (report.failedWorkflows > 0) failures.push(`${report.failedWorkflows} failed workflows`);
  if (report.stuckWorkflows > 0) failures.push(`${report.stuckWorkflows} workflows still running`);
  if (report.kills < requirements.minKills) failures.push(`${report.kills} worker kills, fewer than the required ${requirements.minKills}`);
  if (report.killsDuringBackfill < (requirements.minKillsDuringBackfill ?? 0)) {
    failures.push(`${report.killsDuringBackfill} worker kills during the backfill, fewer than the required ${requirements.minKillsDuringBackfill}`);
  }
  const restart = (kind: 'restart-temporal' | 'restart-postgres', name: string) => {
    const done = report.actions.filter((action) => action.kind === kind);
    if (done.length === 0) failures.push(`the ${name} restart did not happen`);
    else if (!done.some(midBackfill)) failures.push(`the ${name} restart came after every initial sync had completed, not mid-backfill`);
  };
  if (requirements.temporalRestartMidBackfill) restart('restart-temporal', 'Temporal dev server');
  if (requirements.postgresRestartMidBackfill) restart('restart-postgres', 'Postgres');
  if (requirements.everyFaultType) {
    for (const type of mixedFaultTypes) if (report.faultsByType[type] === 0) failures.push(`no ${type} fault was injected`);
  }
  return failures;
}

const seconds = (ms: number | undefined) => (ms === undefined ? 'never' : `${(ms / 1000).toFixed(1)} s`);

function describeRestarts(report: ChaosReport, kind: 'restart-temporal' | 'restart-postgres', count: number): string {
  const done = report.actions.filter((action) => action.kind === kind);
  if (done.length === 0) return String(count);
  const when = done.map((action) =>
    `at ${seconds(action.atMs)}, ${midBackfill(action) ? `mid-backfill (${action.backfilling?.length} of ${report.tenants.length || '?'} tenants backfilling)` : 'NOT mid-backfill'}`,
  );
  return `${count} (${when.join('; ')})`;
}

/** The table of what happened: kills, restarts, faults by type, differences. */
export function formatReport(report: ChaosReport): string {
  const faultNames: Record<MixedFaultType, string> = {
    serverError: '5xx (JSON 500, HTML 502/503/504)',
    reset: 'connection resets',
    slow: 'slow answers',
    truncated: 'truncated bodies',
    malformed: 'malformed bodies',
    rateLimit: '429 (bursts)',
  };
  const rows: Array<[string, string]> = [
    ['seed', String(report.seed)],
    ['worker SIGKILLs', `${report.kills} (${report.killsDuringBackfill} during the backfill)`],
    ['worker processes started', String(report.workerStarts)],
    ['workers that died on their own (replaced)', String(report.workerCrashes)],
    ['most workers at once', String(report.maxWorkersAtOnce)],
    ['Temporal dev server restarts', describeRestarts(report, 'restart-temporal', report.temporalRestarts)],
    ['Postgres restarts', describeRestarts(report, 'restart-postgres', report.postgresRestarts)],
    ['initial syncs complete at', seconds(report.initialSyncsDoneAtMs)],
    ['Duo requests', String(report.duoRequests)],
    ['Duo faults injected', String(report.faultsInjected)],
    ...mixedFaultTypes.map((type): [string, string] => [`  ${faultNames[type]}`, String(report.faultsByType[type])]),
    ['activity retries seen', String(report.retriesSeen)],
    ['failed workflows', String(report.failedWorkflows)],
    ['stuck workflows', String(report.stuckWorkflows)],
    ...report.tenants.map((t): [string, string] => [
      `${t.tenantId}`,
      `${t.users} users, ${t.events} events, initial sync ${t.initialSync}, differences ${t.differences}, rollup mismatches ${t.rollupMismatches}` +
        (t.samples.length > 0 ? ` (e.g. ${t.samples.slice(0, 4).join('; ')})` : ''),
    ]),
    ['final differences (must be 0)', String(report.differences)],
    ['wall time', seconds(report.wallMs)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `| ${k.padEnd(width)} | ${v} |`).join('\n');
}

/** The kills required of `npm run chaos`, whatever --kills says. */
export const FULL_RUN_MIN_KILLS = 10;

/**
 * The full plan of `npm run chaos`. Sized so that ~400 Duo requests are made (a page holds 1 000
 * events, so requests come from days × pages per day): at 10% faults every type fires several times.
 */
export function fullPlan(seed: number, overrides: Partial<ChaosPlan> = {}): ChaosPlan {
  return {
    seed,
    tenants: 3,
    users: 650,
    days: 24,
    eventsPerDay: 4000,
    liveEventsPerMinute: 300,
    logRequestsPerMinute: 60,
    faultRate: 0.1,
    minKills: FULL_RUN_MIN_KILLS,
    gapMs: [4_000, 15_000],
    dualFrom: 2,
    dualUntil: 6,
    restartTemporalAt: 4,
    restartPostgresAt: 8,
    incrementalRuns: 3,
    ...overrides,
  };
}

/** The commit the run is on, and whether tracked files differ from it (figures belong to a commit). */
async function commitOf(): Promise<string> {
  const git = (args: string[]) => promisify(execFile)('git', args, { cwd: fileURLToPath(new URL('..', import.meta.url)) }).then((r) => r.stdout.trim());
  try {
    const [commit, changes] = await Promise.all([git(['rev-parse', 'HEAD']), git(['status', '--porcelain', '--untracked-files=no'])]);
    return changes ? `${commit} with uncommitted changes to ${changes.split('\n').length} files` : commit;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: String(Date.now() % 100_000) },
      tenants: { type: 'string' },
      kills: { type: 'string' },
      days: { type: 'string' },
      'events-per-day': { type: 'string' },
      'no-postgres-restart': { type: 'boolean', default: false },
      'no-temporal-restart': { type: 'boolean', default: false },
    },
  });
  const seed = Number(values.seed);
  const overrides: Partial<ChaosPlan> = {};
  if (values.tenants) overrides.tenants = Number(values.tenants);
  if (values.kills) {
    overrides.minKills = Number(values.kills);
    if (!(overrides.minKills >= FULL_RUN_MIN_KILLS)) throw new Error(`--kills must be at least ${FULL_RUN_MIN_KILLS}`);
  }
  if (values.days) overrides.days = Number(values.days);
  if (values['events-per-day']) overrides.eventsPerDay = Number(values['events-per-day']);
  const plan = fullPlan(seed, overrides);
  const restartPostgres = !values['no-postgres-restart'];
  const restartTemporal = !values['no-temporal-restart'];
  // Set-up lines count from the start of the script, the run's lines from the start of the run (as the table does).
  let startedAt = Date.now();
  const log = (line: string) => process.stdout.write(`[chaos ${((Date.now() - startedAt) / 1000).toFixed(1)}s] ${line}\n`);

  const stateDir = mkdtempSync(join(tmpdir(), 'duo-chaos-'));
  const dbFilename = join(stateDir, 'temporal.db');
  const port = await freePort();
  let devServer: DevServer | undefined;
  let cluster: PrivateCluster | undefined;
  let admin: postgres.Sql | undefined;
  const databaseName = `duo_sync_chaos_${seed}_${randomBytes(3).toString('hex')}`;
  try {
    devServer = await startTemporalDevServer({ dbFilename, port });
    if (restartPostgres) cluster = await createPrivateCluster(await freePort());
    const adminUrl = cluster?.adminUrl ?? process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
    const databaseUrl = Object.assign(new URL(adminUrl), { pathname: `/${databaseName}` }).toString();
    admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${databaseName}`);
    await runMigrations(databaseUrl);
    log(
      `seed ${seed}, database ${databaseName} on ${cluster ? `a private Postgres ${cluster.version} cluster ${cluster.name} (port ${cluster.port})` : 'the shared Postgres'}, ` +
        `Temporal ${devServer.address} (state in ${dbFilename})`,
    );
    log(`commit ${await commitOf()}`);
    log(`plan ${JSON.stringify(plan)}`);
    startedAt = Date.now();

    const restartCluster = cluster;
    const report = await runChaos(plan, {
      databaseUrl,
      temporalAddress: devServer.address,
      log,
      restartTemporal: restartTemporal
        ? async () => {
            await devServer?.stop();
            devServer = await startTemporalDevServer({ dbFilename, port });
          }
        : undefined,
      restartPostgres: restartCluster ? () => restartCluster.restart() : undefined,
    });
    process.stdout.write(`\n${formatReport(report)}\n`);
    const failures = chaosFailures(report, {
      minKills: FULL_RUN_MIN_KILLS,
      temporalRestartMidBackfill: restartTemporal,
      postgresRestartMidBackfill: restartPostgres,
      everyFaultType: true,
    });
    if (!restartTemporal || !restartPostgres) {
      process.stdout.write(`\nnot a full run: ${[!restartTemporal && 'no Temporal restart', !restartPostgres && 'no Postgres restart'].filter(Boolean).join(', ')} (asked for)\n`);
    }
    for (const failure of failures) process.stdout.write(`CHAOS RUN FAILED: ${failure}\n`);
    if (failures.length === 0) process.stdout.write('\nchaos run passed\n');
    process.exitCode = failures.length === 0 ? 0 : 1;
  } finally {
    await devServer?.stop();
    await admin?.unsafe(`drop database if exists ${databaseName} with (force)`).catch(() => undefined);
    await admin?.end({ timeout: 5 });
    await cluster?.drop().catch((error: unknown) => process.stderr.write(`could not drop Postgres cluster ${cluster?.name}: ${String(error)}\n`));
    rmSync(stateDir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`CHAOS RUN FAILED: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exit(1);
  });
}

/**
 * Chaos run (issue 6): a full initial sync plus recurring syncs with live events for a few tenants while
 * the worker is SIGKILLed at random moments (a new one started each time, two at once for part of the
 * run), the Temporal dev server is restarted mid-backfill (persisted with --db-filename), Postgres is
 * restarted mid-backfill, and the Duo simulator fails ~10% of calls (5xx, resets, slow and truncated
 * answers, malformed bodies, 429 bursts). At the end, per tenant, users, memberships and the set of
 * event ids must equal the simulator's truth exactly, no workflow may be failed or stuck, and rollups
 * must equal raw SQL. Prints a table of what happened.
 *
 *   npm run chaos -- --seed 7 [--tenants 3] [--kills 10] [--days 8] [--events-per-day 3000]
 *                    [--no-postgres-restart] [--no-temporal-restart]
 *
 * The Postgres restart runs `pg_ctlcluster 15 main restart`, which breaks every other user of the
 * server: it is skipped (and the table says so) while a vitest run is active on this machine.
 * test/e2e/chaos-reduced.test.ts runs a smaller plan of the same code inside `npm test`.
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
import { buildApp } from '../client/app.js';
import { loadConfig, type Config } from '../config/config.js';
import { createDatabase } from '../db/client.js';
import { createKeyring } from '../db/credentials.js';
import { runMigrations } from '../db/migrate.js';
import { startSimulator, type AccountSpec, type FaultSpec } from '../simulator/server.js';
import { Rng } from '../simulator/prng.js';
import { configToEnv, testEnv } from '../test/helpers/config.js';
import { createControlClient, makeAccount, type SimulatorControl } from '../test/helpers/simulator.js';
import { startWorkerProcess, type WorkerProcess } from '../test/helpers/worker.js';
import { incrementalScheduleId, initialSyncWorkflowId } from '../workflows/definitions.js';
import { freePort, startTemporalDevServer, type DevServer } from '../worker/temporal-dev-server.js';

const run = promisify(execFile);

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
  /** Pause between chaos actions, counted from when the newest worker reported it started. */
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
  /** Resolves with false when the restart was skipped (another test run is using the server). */
  restartPostgres?: () => Promise<boolean>;
  log?: (line: string) => void;
}

export interface TenantOutcome {
  tenantId: string;
  users: number;
  events: number;
  /** Users, groups, memberships and event ids missing or extra against the simulator's truth. */
  differences: number;
  rollupMismatches: number;
  initialSync: string;
  /** A few of the differences, to start an investigation from. */
  samples: string[];
}

export interface ChaosReport {
  seed: number;
  kills: number;
  workerStarts: number;
  /** Worker processes that died on their own (e.g. while Temporal was down) and were replaced. */
  workerCrashes: number;
  temporalRestarts: number;
  postgresRestarts: number;
  postgresRestartSkipped: boolean;
  maxWorkersAtOnce: number;
  faultsInjected: number;
  duoRequests: number;
  /** Activity attempts beyond the first, read from every workflow history of the tenants. */
  retriesSeen: number;
  failedWorkflows: number;
  stuckWorkflows: number;
  tenants: TenantOutcome[];
  differences: number;
  wallMs: number;
}

/** Roughly `rate` of all calls fail, in the mix the issue names. */
export function faultMix(rate: number, seed: number): FaultSpec {
  const share = rate / 0.1;
  return {
    seed,
    serverErrorRate: 0.03 * share,
    resetRate: 0.02 * share,
    slowRate: 0.015 * share,
    slowMs: 400,
    truncatedRate: 0.015 * share,
    malformedRate: 0.01 * share,
    rateLimitRate: 0.01 * share,
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

  /** Resolves when the newest worker has connected and is polling. */
  async newestReady(): Promise<void> {
    await until('a worker to start', async () => this.alive.some((w) => w.output().includes('worker started')), 120_000);
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
    testEnv({
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
    kills: 0,
    workerStarts: 0,
    workerCrashes: 0,
    temporalRestarts: 0,
    postgresRestarts: 0,
    postgresRestartSkipped: false,
    maxWorkersAtOnce: 0,
    faultsInjected: 0,
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
      for (let action = 0; report.kills < plan.minKills || action <= lastPlanned; action++) {
        await pool.newestReady();
        await sleep(plan.gapMs[0] + rng.int(plan.gapMs[1] - plan.gapMs[0] + 1));
        if (action === plan.dualFrom) {
          log(`action ${action}: a second worker joins`);
          pool.start();
        } else if (action === plan.dualUntil && pool.alive.length > 1) {
          const victim = rng.pick(pool.alive);
          log(`action ${action}: SIGKILL worker ${victim.child.pid}, two workers down to one`);
          await pool.kill(victim);
          report.kills++;
        } else if (action === plan.restartTemporalAt && environment.restartTemporal) {
          log(`action ${action}: restarting the Temporal dev server`);
          await environment.restartTemporal();
          report.temporalRestarts++;
        } else if (action === plan.restartPostgresAt && environment.restartPostgres) {
          log(`action ${action}: restarting Postgres`);
          if (await environment.restartPostgres()) report.postgresRestarts++;
          else report.postgresRestartSkipped = true;
        } else {
          const victim = pool.alive.length > 0 ? rng.pick(pool.alive) : undefined;
          if (victim) {
            log(`action ${action}: SIGKILL worker ${victim.child.pid}`);
            await pool.kill(victim);
            report.kills++;
          }
          pool.start();
        }
      }
    })();

    // Initial syncs (polled: the long poll of result() would break across a Temporal restart).
    await Promise.all(
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
    );
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
    for (let r = 0; r < plan.incrementalRuns; r++) await Promise.all(tenantIds.map(runIncremental));
    await chaos;
    log(`chaos over after ${report.kills} kills`);

    // Duo behaves again; one more run per tenant brings everything up to now.
    for (const account of accounts) {
      const stats = await control.stats(account.integrationKey);
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
    await app.close();
    await connection.close();
    await sql.end({ timeout: 5 });
    await database.close();
    await simulator.close();
  }
  report.wallMs = Date.now() - started;
  return report;
}

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
  const rollups = await sql`
    with raw as (
      select user_id, (occurred_at at time zone 'UTC')::date as day, count(*) as n, count(*) filter (where result = 'success') as s
      from duo_auth_events where tenant_id = ${tenantId} and user_id is not null group by 1, 2)
    select 1 from raw full join (select * from duo_user_daily_activity where tenant_id = ${tenantId}) d using (user_id, day)
    where d.auth_count is distinct from raw.n or d.success_count is distinct from raw.s`;
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
    rollupMismatches: rollups.length,
    initialSync: state?.s ?? 'missing',
  };
}

/** The table the issue asks for. */
export function formatReport(report: ChaosReport): string {
  const rows: Array<[string, string]> = [
    ['seed', String(report.seed)],
    ['worker SIGKILLs', String(report.kills)],
    ['worker processes started', String(report.workerStarts)],
    ['workers that died on their own (replaced)', String(report.workerCrashes)],
    ['most workers at once', String(report.maxWorkersAtOnce)],
    ['Temporal dev server restarts', String(report.temporalRestarts)],
    ['Postgres restarts', report.postgresRestartSkipped ? `${report.postgresRestarts} (skipped: another test run was active)` : String(report.postgresRestarts)],
    ['Duo faults injected', String(report.faultsInjected)],
    ['Duo requests', String(report.duoRequests)],
    ['activity retries seen', String(report.retriesSeen)],
    ['failed workflows', String(report.failedWorkflows)],
    ['stuck workflows', String(report.stuckWorkflows)],
    ...report.tenants.map((t): [string, string] => [
      `${t.tenantId}`,
      `${t.users} users, ${t.events} events, initial sync ${t.initialSync}, differences ${t.differences}, rollup mismatches ${t.rollupMismatches}` +
        (t.samples.length > 0 ? ` (e.g. ${t.samples.slice(0, 4).join('; ')})` : ''),
    ]),
    ['final differences (must be 0)', String(report.differences)],
    ['wall time', `${(report.wallMs / 1000).toFixed(1)} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `| ${k.padEnd(width)} | ${v} |`).join('\n');
}

/** The full plan of `npm run chaos`. */
export function fullPlan(seed: number, overrides: Partial<ChaosPlan> = {}): ChaosPlan {
  return {
    seed,
    tenants: 3,
    users: 650,
    days: 8,
    eventsPerDay: 3000,
    liveEventsPerMinute: 300,
    logRequestsPerMinute: 40,
    faultRate: 0.1,
    minKills: 10,
    gapMs: [4_000, 15_000],
    dualFrom: 2,
    dualUntil: 6,
    restartTemporalAt: 4,
    restartPostgresAt: 8,
    incrementalRuns: 3,
    ...overrides,
  };
}

async function otherTestRunsActive(): Promise<boolean> {
  try {
    const { stdout } = await run('pgrep', ['-f', 'vitest']);
    return stdout.trim().length > 0;
  } catch {
    return false; // pgrep exits 1 when nothing matches
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
  if (values.kills) overrides.minKills = Number(values.kills);
  if (values.days) overrides.days = Number(values.days);
  if (values['events-per-day']) overrides.eventsPerDay = Number(values['events-per-day']);
  const plan = fullPlan(seed, overrides);
  const log = (line: string) => process.stdout.write(`[chaos ${((Date.now() - startedAt) / 1000).toFixed(1)}s] ${line}\n`);
  const startedAt = Date.now();

  const stateDir = mkdtempSync(join(tmpdir(), 'duo-chaos-'));
  const dbFilename = join(stateDir, 'temporal.db');
  const port = await freePort();
  let devServer: DevServer = await startTemporalDevServer({ dbFilename, port });
  const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const databaseName = `duo_sync_chaos_${seed}_${randomBytes(3).toString('hex')}`;
  const databaseUrl = Object.assign(new URL(adminUrl), { pathname: `/${databaseName}` }).toString();
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${databaseName}`);
  await runMigrations(databaseUrl);
  log(`seed ${seed}, database ${databaseName}, Temporal ${devServer.address} (state in ${dbFilename})`);

  try {
    const report = await runChaos(plan, {
      databaseUrl,
      temporalAddress: devServer.address,
      log,
      restartTemporal: values['no-temporal-restart']
        ? undefined
        : async () => {
            await devServer.stop();
            devServer = await startTemporalDevServer({ dbFilename, port });
          },
      restartPostgres: values['no-postgres-restart']
        ? undefined
        : async () => {
            if (await otherTestRunsActive()) {
              log('Postgres restart skipped: a vitest run is active on this machine');
              return false;
            }
            await run('pg_ctlcluster', ['15', 'main', 'restart']);
            return true;
          },
    });
    process.stdout.write(`\n${formatReport(report)}\n`);
    process.exitCode = report.differences === 0 && report.failedWorkflows === 0 && report.stuckWorkflows === 0 ? 0 : 1;
  } finally {
    await devServer.stop();
    await admin.unsafe(`drop database if exists ${databaseName} with (force)`).catch(() => undefined);
    await admin.end({ timeout: 5 });
    rmSync(stateDir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`chaos run failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exit(1);
  });
}

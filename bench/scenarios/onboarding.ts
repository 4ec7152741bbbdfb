import type { AddressInfo } from 'node:net';
import { buildApp } from '../../api/app.js';
import { createApiKey } from '../../db/api-keys.js';
import { createKeyring } from '../../db/credentials.js';
import { connectIntegration } from '../../integrations/connect.js';
import { createControlClient } from '../../simulator/control-client.js';
import { startSimulator } from '../../simulator/server.js';
import { incrementalScheduleId, initialSyncWorkflowId } from '../../workflows/definitions.js';
import { credentialsOf, deleteSchedules, devServerCpuSeconds, log, makeAccount, scenarioClient, scenarioEnv, startWorkerChild, type BenchStack, type WorkerChild } from '../lib/stack.js';
import { percentile, sleep } from '../lib/stats.js';
import { addActions, countActions, countActionsOfWorkflow, noActions, type ActionCount } from '../lib/temporal-actions.js';
import { withDeadline } from '../lib/wait.js';

export interface OnboardingOptions {
  /** K: tenants connecting at once, each with a simulator account of its own. */
  tenants: number;
  /** R: log requests a minute each account allows (the simulator answers 429 above it). */
  perMinute: number;
  /** P: rows a log page holds at most (Duo treats `limit` as a request). */
  pageSize: number;
  /** BACKFILL_DAYS, and the days the accounts' data covers. */
  days: number;
  /** Log requests each account's backfill needs, about: sizes the data. */
  requestsPerAccount: number;
  usersPerTenant: number;
  /** Worker processes sharing the onboarding. */
  workers: number;
  /** With 2+ workers: SIGKILL the last one this many seconds after the connects (0 = never). */
  killOneAfterSeconds: number;
  /** Requests a second to the status route, spread over the tenants, while onboarding runs. */
  statusPerSecond: number;
  timeoutMs: number;
}

export interface OnboardingResult {
  tenants: number;
  workers: number;
  completed: number;
  failed: number;
  /** Tenants whose stored events differ from the simulator's truth for the backfill window. */
  inexactTenants: number;
  eventsStored: number;
  onboardingSeconds: number;
  busiestAccountRequests: number;
  busiestAccountBudgetSeconds: number;
  onboardingEfficiency: number;
  aggregateBudgetUse: number;
  logRequests: number;
  share429: number;
  /** Most log requests any account served in any 60 s, ÷ R (≤ 1: never above its limit). */
  peakMinuteToLimit: number;
  firstDataP95Seconds: number;
  workerPeakRssMb: number;
  /** CPU seconds of every worker process, and of the Temporal dev server when the bench started it. */
  workerCpuSeconds: number;
  temporalCpuSeconds: number | null;
  /** Log pages the accounts served during the run ÷ the workers' CPU seconds: what one worker core onboards. */
  pagesPerWorkerCpuSecond: number;
  maxPostgresConnections: number;
  configuredPoolConnections: number;
  statusRequests: number;
  statusErrors: number;
  statusP95Ms: number;
  initialSyncActionsPerTenant: ActionCount;
  incrementalRunActions: ActionCount;
  temporalActionsPerTenantDay: number;
  killedWorker: boolean;
}

const MINUTE_MS = 60_000;

/** Most entries of a sorted list inside any half-open window [t, t + width). */
function peakInWindow(sorted: number[], width: number): number {
  let most = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while ((sorted[end] as number) - (sorted[start] as number) >= width) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

/**
 * Scenario G: K tenants connect at once, each to its own simulator account allowing R log requests
 * a minute and pages of at most P rows; one worker process (or `workers`) with default settings
 * onboards them all. What matters is whether the accounts' budgets, not the worker, set the pace.
 */
export async function runOnboarding(stack: BenchStack, options: OnboardingOptions): Promise<OnboardingResult> {
  const { tenants: k, perMinute, pageSize, days } = options;
  const anchorMs = Math.floor((Date.now() - 10 * MINUTE_MS) / MINUTE_MS) * MINUTE_MS;
  // About requestsPerAccount / days pages a day, the last one partly full.
  const pagesPerDay = Math.max(1, options.requestsPerAccount / days);
  const events = Math.max(1, Math.round(days * pageSize * (pagesPerDay - 0.5)));
  const accounts = Array.from({ length: k }, (_, i) => ({
    ...makeAccount(
      { seed: 7000 + i, users: options.usersPerTenant, groups: 3, authEvents: events, days, anchorMs },
      { logRequestsPerMinute: perMinute, objectRequestsPerMinute: 600_000 },
    ),
    settings: { maxLogPageSize: pageSize },
  }));
  const tenantIds = accounts.map((_, i) => `bench-g-${String(i).padStart(4, '0')}`);
  const database = await stack.createDatabase('g');
  const simulator = await startSimulator({ accounts });
  const control = createControlClient(simulator.origin);
  // Default settings but Duo's limit (the bench's defaults lift it) and the default interval.
  const env = scenarioEnv(stack, database, simulator.origin, {
    BACKFILL_DAYS: String(days),
    DUO_LOG_REQUESTS_PER_MINUTE: String(perMinute),
    DUO_OBJECT_REQUESTS_PER_MINUTE: '50',
    SYNC_INTERVAL_MINUTES: '5',
  });
  const apiPool = 10;
  const client = scenarioClient(stack, env, apiPool);
  const workers: WorkerChild[] = [];
  const app = buildApp({ db: client.database.db, config: client.config, keyring: createKeyring({ id: client.config.ENCRYPTION_KEY_ID, key: client.config.ENCRYPTION_KEY }), temporal: stack.temporal });
  let stopLoad = false;
  let killedWorker = false;
  try {
    for (let i = 0; i < options.workers; i++) workers.push(await startWorkerChild(stack, env));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const apiOrigin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    log(`g: ${k} tenants (R ${perMinute}/min, P ${pageSize} rows, ${days} days, ~${events} events each) connect at once; ${options.workers} worker(s)`);

    // Postgres connections of this scenario's database, sampled once a second.
    let maxConnections = 0;
    const sampleConnections = async () => {
      const [row] = await client.database.sql<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where datname = ${database.name}`;
      maxConnections = Math.max(maxConnections, row?.n ?? 0);
    };
    // First data: the roster is stored (phase past roster), i.e. the tenant's users are queryable.
    // Completion: the initial sync recorded complete, or given up (needs attention), read from Postgres
    // as the status document does; a thousand concurrent workflow-result long polls stalled the client.
    const firstDataAt = new Map<string, number>();
    const completedAt = new Map<string, number>();
    const gaveUp = new Set<string>();
    const watch = (async () => {
      while (!stopLoad) {
        await sampleConnections().catch(() => {});
        const rows = await client.database.sql<{ tenant_id: string; initial_sync_phase: string; completed_at: string | Date | null; status: string }[]>`
          select tenant_id, initial_sync_phase, initial_sync_completed_at as completed_at, status from duo_integrations`.catch(() => []);
        for (const row of rows) {
          if (row.initial_sync_phase !== 'roster' && !firstDataAt.has(row.tenant_id)) firstDataAt.set(row.tenant_id, Date.now());
          if (row.completed_at && !completedAt.has(row.tenant_id)) completedAt.set(row.tenant_id, new Date(row.completed_at).getTime());
          if (row.status === 'needs_attention') gaveUp.add(row.tenant_id);
        }
        await sleep(1000);
      }
    })();
    const completion = async (tenantId: string, deadlineAt: number): Promise<number> => {
      for (;;) {
        const at = completedAt.get(tenantId);
        if (at !== undefined) return at;
        if (gaveUp.has(tenantId)) throw new Error(`g: the initial sync of ${tenantId} needs attention`);
        if (Date.now() > deadlineAt) throw new Error(`g: the initial sync of ${tenantId} did not complete in time`);
        await sleep(1000);
      }
    };
    // The status route at statusPerSecond, spread over the tenants connected so far, each asked with
    // its own tenant-bound read key as an embedding product's customer pages would: one shared key
    // would measure the per-key rate limit, not the route.
    const statusMs: number[] = [];
    let statusErrors = 0;
    const statusErrorCodes = new Map<string, number>();
    const countStatusError = (code: string) => {
      statusErrors++;
      statusErrorCodes.set(code, (statusErrorCodes.get(code) ?? 0) + 1);
    };
    const connected: { tenantId: string; secret: string }[] = [];
    const load = (async () => {
      const gapMs = 1000 / options.statusPerSecond;
      const inFlight = new Set<Promise<void>>();
      for (let n = 0; !stopLoad; n++) {
        const reader = connected[n % Math.max(1, connected.length)];
        if (reader) {
          const sent = performance.now();
          const request = fetch(`${apiOrigin}/v1/tenants/${reader.tenantId}/integrations/duo`, { headers: { authorization: `Bearer ${reader.secret}` } })
            .then(async (res) => {
              await res.arrayBuffer();
              if (res.status !== 200) countStatusError(String(res.status));
              else statusMs.push(performance.now() - sent);
            })
            .catch((error: unknown) => {
              countStatusError(error instanceof Error ? error.name : 'error');
            })
            .finally(() => inFlight.delete(request));
          inFlight.add(request);
        }
        await sleep(gapMs);
      }
      await Promise.all(inFlight);
    })();

    const temporalCpuAtStart = devServerCpuSeconds(stack) ?? 0;
    const started = Date.now();
    const connectedAt = new Map<string, number>();
    const killer =
      options.workers > 1 && options.killOneAfterSeconds > 0
        ? sleep(options.killOneAfterSeconds * 1000).then(() => {
            const victim = workers[workers.length - 1];
            if (victim && victim.child.exitCode === null) {
              log(`g: SIGKILL worker ${victim.pid} mid-run`);
              victim.child.kill('SIGKILL');
              killedWorker = true;
            }
          })
        : Promise.resolve();
    // Each tenant against the same deadline: one that misses it counts as not completed (and inexact),
    // and the figures of the others are still measured.
    const deadlineAt = started + options.timeoutMs;
    // A worker that dies on its own (out of memory, a crash) ends the run with its last output; only
    // the one killed on purpose may go.
    let onWorkerDied: (error: Error) => void = () => {};
    const workerDied = new Promise<never>((_, reject) => {
      onWorkerDied = reject;
    });
    for (const worker of workers) {
      worker.child.once('exit', (code, signal) => {
        if (killedWorker && worker === workers[workers.length - 1]) return;
        onWorkerDied(new Error(`g: worker ${worker.pid} exited (${signal ?? `code ${code}`}) mid-run; its last output:\n${worker.output().slice(-4000)}`));
      });
    }
    workerDied.catch(() => {});
    const outcomes = await Promise.race([workerDied, Promise.allSettled(
      accounts.map(async (account, i) => {
        const tenantId = tenantIds[i] as string;
        connectedAt.set(tenantId, Date.now());
        await connectIntegration(client.deps, tenantId, credentialsOf(account));
        const { secret } = await createApiKey(client.database.db, { name: `bench status ${tenantId}`, scopes: ['integrations:read'], tenantId });
        connected.push({ tenantId, secret });
        return await completion(tenantId, deadlineAt);
      }),
    )]);
    stopLoad = true;
    await Promise.all([watch, load, killer]);
    // Every workflow has ended (its last notification sent) before its history is counted below; fifty
    // at a time, as many long polls at once stall the client.
    for (let i = 0; i < tenantIds.length; i += 50) {
      await Promise.all(
        tenantIds.slice(i, i + 50).map((tenantId) =>
          withDeadline(stack.temporal.workflow.getHandle(initialSyncWorkflowId(tenantId)).result(), 60_000, `g: ${tenantId}'s workflow end`).catch(() => {}),
        ),
      );
    }
    const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : []));
    if (failures.length > 0) log(`g: ${failures.length} tenants failed, first: ${failures[0]}`);
    const lastComplete = Math.max(...outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : [])), started);
    const onboardingSeconds = (lastComplete - started) / 1000;
    const workerPeakRssMb = Math.max(...workers.map((w) => w.sample().peakRssMb));
    const workerCpuSeconds = workers.reduce((sum, w) => sum + w.sample().cpuSeconds - w.atStart.cpuSeconds, 0);
    const temporalCpuNow = devServerCpuSeconds(stack);
    const temporalCpuSeconds = temporalCpuNow === undefined ? null : temporalCpuNow - temporalCpuAtStart;

    // The accounts' side: what each one served, when, and what it refused.
    let busiest = 0;
    let served = 0;
    let servedInRun = 0;
    let refused = 0;
    let peakMinute = 0;
    for (const account of accounts) {
      const stats = await control.stats(account.integrationKey);
      const times = [...stats.logRequestTimesMs].sort((a, b) => a - b);
      busiest = Math.max(busiest, times.filter((t) => t <= lastComplete).length);
      served += times.length;
      servedInRun += times.filter((t) => t >= started && t <= lastComplete).length;
      refused += stats.requests.byClass.log?.['429'] ?? 0;
      peakMinute = Math.max(peakMinute, peakInWindow(times, MINUTE_MS));
    }
    const busiestAccountBudgetSeconds = (busiest * 60) / perMinute;

    // Exactness: every tenant's stored backfill window against the simulator's truth.
    let inexact = 0;
    let eventsStored = 0;
    for (const [i, account] of accounts.entries()) {
      const tenantId = tenantIds[i] as string;
      const [row] = await client.database.sql<{ anchor: number; start: number }[]>`
        select floor(extract(epoch from anchor_at) * 1000)::float8 as anchor, floor(extract(epoch from backfill_start_at) * 1000)::float8 as start
        from duo_integrations where tenant_id = ${tenantId}`;
      if (!row) {
        inexact++;
        continue;
      }
      const window = { mintime: row.start, maxtime: row.anchor - 1 };
      const truth = new Set(await control.authTxids(account.integrationKey, window));
      const stored = await client.database.sql<{ txid: string }[]>`
        select txid from duo_auth_events where tenant_id = ${tenantId}
          and floor(extract(epoch from occurred_at) * 1000) >= ${window.mintime} and floor(extract(epoch from occurred_at) * 1000) <= ${window.maxtime}`;
      eventsStored += stored.length;
      if (stored.length !== truth.size || stored.some((r) => !truth.has(r.txid))) inexact++;
    }

    // Temporal actions: the initial sync of a few tenants, and one scheduled run in the common case.
    const sample = tenantIds.slice(0, Math.min(5, k));
    let initialSum = noActions();
    for (const tenantId of sample) initialSum = addActions(initialSum, await countActionsOfWorkflow(stack.temporal, initialSyncWorkflowId(tenantId)));
    const perTenant = (count: ActionCount): ActionCount => {
      const divide = (n: number) => n / sample.length;
      return { workflowStarts: divide(count.workflowStarts), activities: divide(count.activities), timers: divide(count.timers), signals: divide(count.signals), childStarts: divide(count.childStarts), localActivityTasks: divide(count.localActivityTasks), total: divide(count.total) };
    };
    const incrementalRunActions = await oneIncrementalRun(stack, tenantIds[0] as string);
    // 288 runs a day at the default 5 minutes, each one schedule action and its run's own.
    const runsPerDay = 1440 / 5;
    const temporalActionsPerTenantDay = runsPerDay * (incrementalRunActions.total + 1);

    const firstData = tenantIds.flatMap((t) => {
      const at = firstDataAt.get(t);
      const from = connectedAt.get(t);
      return at !== undefined && from !== undefined ? [(at - from) / 1000] : [];
    }).sort((a, b) => a - b);
    statusMs.sort((a, b) => a - b);
    const result: OnboardingResult = {
      tenants: k,
      workers: options.workers,
      completed: outcomes.length - failures.length,
      failed: failures.length,
      inexactTenants: inexact,
      eventsStored,
      onboardingSeconds,
      busiestAccountRequests: busiest,
      busiestAccountBudgetSeconds,
      onboardingEfficiency: busiestAccountBudgetSeconds / onboardingSeconds,
      aggregateBudgetUse: servedInRun / ((k * perMinute * onboardingSeconds) / 60),
      logRequests: served,
      share429: refused / Math.max(1, served + refused),
      peakMinuteToLimit: peakMinute / perMinute,
      // A tenant never seen past the roster counts as the whole run.
      firstDataP95Seconds: firstData.length === k ? percentile(firstData, 95) : onboardingSeconds,
      workerPeakRssMb,
      workerCpuSeconds,
      temporalCpuSeconds,
      pagesPerWorkerCpuSecond: workerCpuSeconds > 0 ? servedInRun / workerCpuSeconds : 0,
      maxPostgresConnections: maxConnections,
      configuredPoolConnections: options.workers * client.config.DATABASE_POOL_SIZE + apiPool,
      statusRequests: statusMs.length,
      statusErrors,
      statusP95Ms: percentile(statusMs, 95),
      initialSyncActionsPerTenant: perTenant(initialSum),
      incrementalRunActions,
      temporalActionsPerTenantDay,
      killedWorker,
    };
    log(
      `g: ${result.completed}/${k} complete in ${onboardingSeconds.toFixed(1)} s, ${inexact} inexact; busiest account ${busiest} requests = ${busiestAccountBudgetSeconds.toFixed(0)} s of its budget ` +
        `(efficiency ${result.onboardingEfficiency.toFixed(2)}); budget use ${result.aggregateBudgetUse.toFixed(2)}, 429 share ${result.share429.toFixed(3)}, ` +
        `peak minute ${result.peakMinuteToLimit.toFixed(2)}× limit; first data p95 ${result.firstDataP95Seconds.toFixed(1)} s; worker peak RSS ${workerPeakRssMb.toFixed(0)} MB, CPU ${workerCpuSeconds.toFixed(0)} s (${result.pagesPerWorkerCpuSecond.toFixed(1)} pages per CPU second)${temporalCpuSeconds === null ? '' : `, Temporal CPU ${temporalCpuSeconds.toFixed(0)} s`}; ` +
        `Postgres ${maxConnections} connections (pools ${result.configuredPoolConnections}); status p95 ${result.statusP95Ms.toFixed(1)} ms over ${statusMs.length} (${statusErrors} errors${statusErrors > 0 ? `: ${[...statusErrorCodes].map(([code, n]) => `${n} × ${code}`).join(', ')}` : ''}); ` +
        `actions: initial sync ${result.initialSyncActionsPerTenant.total.toFixed(0)}/tenant, incremental run ${incrementalRunActions.total} → ${temporalActionsPerTenantDay} per tenant-day`,
    );
    return result;
  } finally {
    stopLoad = true;
    await deleteSchedules(stack, tenantIds);
    await app.close().catch(() => {});
    for (const worker of workers) await worker.stop().catch(() => undefined);
    await client.close();
    await simulator.close();
    await database.drop();
  }
}

/**
 * The actions of one scheduled run that finds nothing new (the common case): the schedule is
 * triggered once and the run's history counted (the schedule's own action is added by the caller).
 */
async function oneIncrementalRun(stack: BenchStack, tenantId: string): Promise<ActionCount> {
  const schedule = stack.temporal.schedule.getHandle(incrementalScheduleId(tenantId));
  const before = new Set((await schedule.describe()).info.recentActions.map((a) => a.action.workflow.workflowId));
  await schedule.trigger();
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const recent = (await schedule.describe()).info.recentActions.map((a) => a.action.workflow);
    const run = recent.find((w) => !before.has(w.workflowId));
    if (run) {
      await stack.temporal.workflow.getHandle(run.workflowId, run.firstExecutionRunId).result().catch(() => undefined);
      return countActions(stack.temporal, run.workflowId, run.firstExecutionRunId);
    }
    await sleep(500);
  }
  throw new Error('g: the triggered incremental run did not start within 120 s');
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRecord, syncLogIncrement } from '../../../activities/sync-log-increment.js';
import { AppError } from '../../../errors/app-error.js';
import { INCREMENTAL_MAX_ATTEMPTS } from '../../../workflows/activity-options.js';
import { malformedAnswer, serverErrorAnswer, type ProxiedRequest, type ProxyAnswer } from '../../helpers/scripted-duo-proxy.js';
import { makeAccount } from '../../../simulator/account-builder.js';
import { runAttempt, startSimulatedTenant, type SimulatedTenant } from './simulated-tenant.js';

const DAY = 86_400_000;
const minute = (ms: number) => Math.floor(ms / 60_000) * 60_000;

function failureOf(outcome: { ok: true } | { ok: false; error: unknown }): AppError {
  if (outcome.ok) throw new Error('the attempt succeeded');
  if (!(outcome.error instanceof AppError)) throw outcome.error;
  return outcome.error;
}

async function checkpointRow(tenant: SimulatedTenant, stream: string) {
  const [row] = await tenant.database.sql<{ synced_through_ms: string; cursor: string | null; malformed_streak: number; malformed_at: string | null }[]>`
    select synced_through_ms::text, cursor, malformed_streak, malformed_at from stream_checkpoints
    where tenant_id = ${tenant.tenantId} and stream = ${stream}`;
  if (!row) throw new Error('no checkpoint row');
  return { ...row, syncedThroughMs: Number(row.synced_through_ms) };
}

describe('an incremental page that Duo answers malformed', () => {
  // Three days of history up to 10 minutes ago; the checkpoint two days back, so the run's window is
  // one day (~4000 events, several pages).
  const account = makeAccount({ dataset: { seed: 812, users: 50, groups: 3, authEvents: 30_000, days: 3, anchorMs: minute(Date.now() - 10 * 60_000) } });
  const tenantId = 'incremental-malformed';
  let tenant: SimulatedTenant;
  let attempt = 0;
  const secondPageAnswers = (answer: ProxyAnswer) => {
    tenant.proxy.script = (request) => (request.path === '/admin/v2/logs/authentication' && request.params.has('next_offset') ? answer : undefined);
  };
  /** Attempt `n` of a run; a new run starts over at 1. */
  const run = async (n: number) => failureOf(await runAttempt(n, syncLogIncrement, tenant.deps, { tenantId, stream: 'auth' }));

  beforeAll(async () => {
    tenant = await startSimulatedTenant(tenantId, [account], { anchorAt: new Date(minute(Date.now() - 2 * DAY)) });
  });
  afterAll(async () => { await tenant?.close(); });

  it('is retried, not stopped, on the last attempt of a run whose earlier attempts failed for other reasons', async () => {
    secondPageAnswers(serverErrorAnswer);
    while (attempt < INCREMENTAL_MAX_ATTEMPTS - 1) expect((await run(++attempt)).code).toBe('DUO_SERVER_ERROR');
    secondPageAnswers(malformedAnswer);
    expect(await run(++attempt)).toMatchObject({ code: 'DUO_MALFORMED_RESPONSE', retryable: true });
    const checkpoint = await checkpointRow(tenant, 'auth');
    expect(checkpoint.cursor).toMatch(/^\d{13},/);
    expect(checkpoint.malformed_streak).toBe(1);
  });

  it(`stops with SYNC_STALLED naming the cursor once the same page was malformed ${INCREMENTAL_MAX_ATTEMPTS} times in a row, across runs`, async () => {
    const failures: AppError[] = [];
    for (let n = 1; n < INCREMENTAL_MAX_ATTEMPTS; n++) failures.push(await run(n));
    expect(failures.slice(0, -1).map((f) => f.code)).toEqual(Array(INCREMENTAL_MAX_ATTEMPTS - 2).fill('DUO_MALFORMED_RESPONSE'));
    const stalled = failures.at(-1);
    expect(stalled).toMatchObject({ code: 'SYNC_STALLED', retryable: false });
    expect(stalled?.message).toContain((await checkpointRow(tenant, 'auth')).cursor);
  });

  it('finishes the window from the same cursor once Duo answers the page, and the streak is over', async () => {
    tenant.proxy.script = () => undefined;
    const outcome = await runAttempt(1, syncLogIncrement, tenant.deps, { tenantId, stream: 'auth' });
    expect(outcome.ok).toBe(true);
    expect(await checkpointRow(tenant, 'auth')).toMatchObject({ cursor: null, malformed_streak: 0, malformed_at: null });
  });
});

describe('administrator logs, which Duo may show up to two minutes late', () => {
  // Live administrator rows, about 30 a minute, from 30 minutes ago on; the checkpoint 20 minutes back (one page).
  const account = makeAccount({
    dataset: { seed: 77, users: 50, groups: 3, authEvents: 3000, adminEvents: 3000, days: 1, liveEventsPerMinute: 30, anchorMs: minute(Date.now() - 30 * 60_000) },
  });
  const tenantId = 'admin-late';
  const safetySeconds = 60;
  const marginMs = 120_000 + safetySeconds * 1000;
  let tenant: SimulatedTenant;
  let hidden: Array<Record<string, unknown>> = [];
  let newestShown = 0;
  let checkpointAfterFirst = 0;
  let finishedFirstAt = 0;
  let secondScan: ProxiedRequest[] = [];

  beforeAll(async () => {
    tenant = await startSimulatedTenant(tenantId, [account], { anchorAt: new Date(Date.now() - 20 * 60_000), env: { DUO_LOG_SAFETY_SECONDS: String(safetySeconds) } });
    // First scan: Duo does not show yet the rows of the last `marginMs`, except the newest one.
    tenant.proxy.rewrite = (request, body) => {
      if (request.path !== '/admin/v1/logs/administrator') return body;
      const answer = body as { response: Array<Record<string, unknown> & { timestamp: number }> };
      const lateFrom = Date.now() - marginMs;
      newestShown = Math.max(...answer.response.map((row) => row.timestamp));
      hidden = answer.response.filter((row) => row.timestamp * 1000 > lateFrom && row.timestamp < newestShown);
      return { ...answer, response: answer.response.filter((row) => !hidden.includes(row)) };
    };
    const first = await runAttempt(1, syncLogIncrement, tenant.deps, { tenantId, stream: 'administrator' });
    if (!first.ok) throw first.error;
    finishedFirstAt = Date.now();
    checkpointAfterFirst = (await checkpointRow(tenant, 'administrator')).syncedThroughMs;
    tenant.proxy.rewrite = (_request, body) => body;
    const before = tenant.proxy.requests.length;
    // The next run, as if a minute later: its end has passed the rows that were late.
    const later = { ...tenant.deps, config: { ...tenant.deps.config, DUO_LOG_SAFETY_SECONDS: 0 } };
    const second = await runAttempt(1, syncLogIncrement, later, { tenantId, stream: 'administrator' });
    if (!second.ok) throw second.error;
    secondScan = tenant.proxy.requests.slice(before);
  });
  afterAll(async () => { await tenant?.close(); });

  it(`never moves the checkpoint past now − 2 minutes − DUO_LOG_SAFETY_SECONDS, even past rows already seen`, () => {
    expect(hidden.length).toBeGreaterThan(0); // the scenario happened: late rows older than a row shown
    expect(checkpointAfterFirst).toBeLessThanOrEqual(finishedFirstAt - marginMs);
    expect(checkpointAfterFirst).toBeLessThan(newestShown * 1000);
  });

  it('starts the next scan at the checkpoint', () => {
    expect(secondScan.map((request) => request.params.get('mintime'))).toContain(String(Math.floor(checkpointAfterFirst / 1000)));
    expect(Number(secondScan[0]?.params.get('mintime'))).toBe(Math.floor(checkpointAfterFirst / 1000));
  });

  it('stores the rows Duo showed late on the next scan, each once', async () => {
    const ids = hidden.map((row) => adminRecord(row as Parameters<typeof adminRecord>[0]).id);
    const rows = await tenant.database.sql<{ row_hash: string }[]>`
      select row_hash from duo_admin_events where tenant_id = ${tenantId} and row_hash in ${tenant.database.sql(ids)}`;
    expect(rows.map((row) => row.row_hash).sort()).toEqual([...ids].sort());
  });
});

describe('an incremental run whose paging budget is spent', () => {
  // One day of ~4000 events to catch up: several pages.
  const account = makeAccount({ dataset: { seed: 813, users: 50, groups: 3, authEvents: 30_000, days: 3, anchorMs: minute(Date.now() - 10 * 60_000) } });
  const tenantId = 'incremental-budget';
  let tenant: SimulatedTenant;
  // MockActivityEnvironment's workflow execution: the run the activity belongs to.
  const mockRun = { workflowId: 'test', runId: '00000000-0000-0000-0000-000000000000' };
  const authRequests = () => tenant.proxy.requests.filter((request) => request.path === '/admin/v2/logs/authentication').length;

  beforeAll(async () => {
    tenant = await startSimulatedTenant(tenantId, [account], { anchorAt: new Date(minute(Date.now() - 2 * DAY)) });
  });
  afterAll(async () => { await tenant?.close(); });

  it('stores one page, keeps the window and cursor for the next run, and says the budget is spent', async () => {
    await tenant.database.sql`
      insert into sync_runs (tenant_id, kind, workflow_id, run_id, started_at)
      values (${tenantId}, 'incremental', ${mockRun.workflowId}, ${mockRun.runId}, now() - interval '31 minutes')`;
    const before = await checkpointRow(tenant, 'auth').catch(() => undefined);
    const outcome = await runAttempt(1, syncLogIncrement, tenant.deps, { tenantId, stream: 'auth' });
    expect(outcome).toMatchObject({ ok: true, value: { pages: 1, caughtUp: false, runBudgetSpent: true } });
    expect(authRequests()).toBe(1);
    const checkpoint = await checkpointRow(tenant, 'auth');
    expect(checkpoint.cursor).toMatch(/^\d{13},/);
    expect(checkpoint.syncedThroughMs).toBe(before?.syncedThroughMs ?? minute(Date.now() - 2 * DAY));
  });

  it('continues from that cursor in a run with budget left, to the end of the window', async () => {
    await tenant.database.sql`update sync_runs set started_at = now() where workflow_id = ${mockRun.workflowId}`;
    const cursor = (await checkpointRow(tenant, 'auth')).cursor;
    const from = tenant.proxy.requests.length;
    const outcome = await runAttempt(1, syncLogIncrement, tenant.deps, { tenantId, stream: 'auth' });
    if (!outcome.ok) throw outcome.error;
    expect(outcome.value.runBudgetSpent).toBeUndefined();
    expect(outcome.value.pages).toBeGreaterThan(1);
    expect(tenant.proxy.requests[from]?.params.get('next_offset')).toBe(cursor);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIncrementalSync } from '../../../activities/incremental-one-activity.js';
import { makeAccount } from '../../../simulator/account-builder.js';
import { runAttempt, startSimulatedTenant, type SimulatedTenant } from './simulated-tenant.js';

const minute = (ms: number) => Math.floor(ms / 60_000) * 60_000;

describe('a whole incremental run in one activity (real Postgres, simulator over HTTP)', () => {
  // One instant for both anchors. The tenant's anchor lies a day before the account's first event, so
  // the run's first day ends at a fixed point (10 minutes into the data) and the late sweep re-reads
  // exactly that day: nothing it finds is new, however long the run took to start.
  const now = Date.now();
  const account = makeAccount({ dataset: { seed: 4242, users: 20, groups: 2, authEvents: 2_000, days: 2, anchorMs: minute(now - 10 * 60_000) } });
  const tenantId = 'one-activity';
  let tenant: SimulatedTenant;
  let runNumber = 0;
  const run = () => ({ tenantId, workflowId: `duo-incremental:${tenantId}-${++runNumber}`, runId: `run-${runNumber}` });
  const runRow = async (workflowId: string) =>
    (await tenant.database.sql<{ outcome: string | null; counts: Record<string, number> | null }[]>`
      select outcome, counts from sync_runs where workflow_id = ${workflowId}`)[0];

  beforeAll(async () => {
    tenant = await startSimulatedTenant(tenantId, [account], { anchorAt: new Date(minute(now - 3 * 86_400_000)) });
  });
  afterAll(async () => { await tenant?.close(); });

  it('plans, pages auth, sweeps when due and records the run completed with its counts, all in one call', async () => {
    await tenant.database.sql`update duo_integrations set last_roster_sync_at = now() where tenant_id = ${tenantId}`;
    const ref = run();
    const outcome = await runAttempt(1, runIncrementalSync, tenant.deps, ref);
    if (!outcome.ok) throw outcome.error;

    expect(outcome.value).toMatchObject({ finished: true, counts: { auth: expect.any(Number), lateAuth: 0 }, notifications: [] });
    const counts = outcome.value.finished ? outcome.value.counts : {};
    expect(counts.auth).toBeGreaterThan(0);
    expect(await runRow(ref.workflowId)).toEqual({ outcome: 'completed', counts });
  });

  it('records and plans a run whose roster is due, and hands the plan back for the steps', async () => {
    await tenant.database.sql`update duo_integrations set last_roster_sync_at = null where tenant_id = ${tenantId}`;
    const ref = run();
    const outcome = await runAttempt(1, runIncrementalSync, tenant.deps, ref);
    if (!outcome.ok) throw outcome.error;

    expect(outcome.value).toEqual({ finished: false, plan: { streams: ['auth'], rosterDue: true, lateSweepDue: false } });
    expect(await runRow(ref.workflowId)).toEqual({ outcome: 'running', counts: {} });
  });
});

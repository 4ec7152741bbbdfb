import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beginIncrementalRun, finishIncrementalRun, isRosterDue } from '../../../activities/incremental-run.js';
import type { ActivityDeps } from '../../../activities/deps.js';
import { INCREMENTAL_RUN_TIMEOUT_MS } from '../../../integrations/schedules.js';
import { createKeyring } from '../../../db/credentials.js';
import { resetFailureStreak } from '../../../db/integrations.js';
import { transition } from '../../../integrations/transitions.js';
import { testConfig } from '../../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';

/** A database of its own with one connected tenant, and activity dependencies that pause after 3 failures. */
async function connectedTenant(tenantId: string): Promise<{ database: TestDatabase; deps: ActivityDeps }> {
  const database = await createTestDatabase();
  const config = testConfig({ DATABASE_URL: database.url, SYNC_FAILURES_BEFORE_PAUSE: '3' });
  const deps = { db: database.db, config, keyring: createKeyring({ id: config.ENCRYPTION_KEY_ID, key: config.ENCRYPTION_KEY }) };
  const now = new Date();
  await transition.connect(database.db, {
    tenantId, apiHost: 'api-x.duosecurity.com', integrationKey: 'DIXXXXXXXXXXXXXXXXXX', secretKeySealed: 'v1.k.a.b.c',
    encryptionKeyId: 'k', anchorAt: now, backfillStartAt: now, initialSyncWorkflowId: `duo-initial-sync:${tenantId}`,
  });
  return { database, deps };
}

describe('incremental run bookkeeping', () => {
  let database: TestDatabase;
  let deps: ActivityDeps;
  const tenantId = 'streak';
  let runNumber = 0;
  const run = () => ({ tenantId, workflowId: `duo-incremental:${tenantId}-${++runNumber}`, runId: `run-${runNumber}` });
  const finish = async (outcome: 'completed' | 'failed') => {
    const ref = run();
    await beginIncrementalRun(deps, ref);
    return finishIncrementalRun(deps, ref, { outcome, counts: {}, ...(outcome === 'failed' ? { error: { code: 'DUO_SERVER_ERROR', message: 'Duo 503' } } : {}) });
  };

  beforeAll(async () => {
    ({ database, deps } = await connectedTenant(tenantId));
  });
  afterAll(async () => { await database.drop(); });

  it('asks to pause after SYNC_FAILURES_BEFORE_PAUSE consecutive failures, not before', async () => {
    const first = await finish('failed');
    expect(first).toMatchObject({ consecutiveFailures: 1, pauseNow: false });
    expect(first.notifications.map((n) => n.type)).toEqual(['sync.failing']);
    expect((await finish('failed')).pauseNow).toBe(false);
    const third = await finish('failed');
    expect(third).toMatchObject({ consecutiveFailures: 3, pauseNow: true });
    // "failing" is announced once per streak; the pause that needs a human is announced with it.
    expect(third.notifications).toMatchObject([{ type: 'integration.needs_attention', tenantId, details: { code: 'DUO_SERVER_ERROR', consecutiveFailures: 3 } }]);
  });

  it('turns the status to needs_attention in the same step that records the failure that pauses', async () => {
    const [row] = await database.sql`select status, schedule_paused, last_error_code from duo_integrations where tenant_id = ${tenantId}`;
    expect(row).toMatchObject({ status: 'needs_attention', schedule_paused: true, last_error_code: 'DUO_SERVER_ERROR' });
  });

  it('announces recovery and resets the streak on the next good run', async () => {
    const recovered = await finish('completed');
    expect(recovered).toMatchObject({ consecutiveFailures: 0, pauseNow: false });
    expect(recovered.notifications).toMatchObject([{ type: 'sync.recovered', tenantId, details: { afterFailures: 3 } }]);
    const [row] = await database.sql`select last_run_outcome, last_sync_at from duo_integrations where tenant_id = ${tenantId}`;
    expect(row?.last_run_outcome).toBe('completed');
    expect(row?.last_sync_at).toBeInstanceOf(Date);
  });

  it('plans only the auth stream until optional streams are switched on', async () => {
    expect((await beginIncrementalRun(deps, run())).streams).toEqual(['auth']);
  });
});

describe('failing and recovered webhooks follow the run log, not the streak', () => {
  let database: TestDatabase;
  let deps: ActivityDeps;
  const tenantId = 'webhooks';
  let runNumber = 0;
  const finish = async (outcome: 'completed' | 'failed') => {
    const ref = { tenantId, workflowId: `duo-incremental:${tenantId}-${++runNumber}`, runId: `run-${runNumber}` };
    await beginIncrementalRun(deps, ref);
    return finishIncrementalRun(deps, ref, { outcome, counts: {}, ...(outcome === 'failed' ? { error: { code: 'DUO_SERVER_ERROR', message: 'Duo 503' } } : {}) });
  };
  const types = (outcome: { notifications: Array<{ type: string }> }) => outcome.notifications.map((n) => n.type);

  beforeAll(async () => {
    ({ database, deps } = await connectedTenant(tenantId));
  });
  afterAll(async () => { await database.drop(); });

  it('announces recovery after a resume or PUT restarted the streak between the failure and the good run', async () => {
    expect(types(await finish('failed'))).toEqual(['sync.failing']);
    await resetFailureStreak(database.db, tenantId); // what resume and a PUT recovery do
    const recovered = await finish('completed');
    expect(recovered.notifications).toMatchObject([{ type: 'sync.recovered', details: { afterFailures: 1 } }]);
  });

  it('counts a failure after a restarted streak as the first of the streak, without announcing the same streak twice', async () => {
    await finish('failed');
    await finish('failed');
    await resetFailureStreak(database.db, tenantId);
    const next = await finish('failed');
    expect(next).toMatchObject({ consecutiveFailures: 1, pauseNow: false });
    expect(types(next)).toEqual([]);
    expect(types(await finish('completed'))).toEqual(['sync.recovered']);
  });

  it('announces a failure after a good run, and nothing for a good run after a good run', async () => {
    expect(types(await finish('completed'))).toEqual([]);
    expect(types(await finish('failed'))).toEqual(['sync.failing']);
  });

  it('answers a retried finish as the first attempt did, counting the run once', async () => {
    await finish('completed');
    const ref = { tenantId, workflowId: `duo-incremental:${tenantId}-retried`, runId: 'run-retried' };
    await beginIncrementalRun(deps, ref);
    const result = { outcome: 'failed' as const, counts: {}, error: { code: 'DUO_SERVER_ERROR', message: 'Duo 503' } };
    const first = await finishIncrementalRun(deps, ref, result);
    const retried = await finishIncrementalRun(deps, ref, result);
    expect(retried).toEqual(first);
    expect(first).toMatchObject({ consecutiveFailures: 1, notifications: [{ type: 'sync.failing' }] });
  });
});

describe('an incremental run that never reported (killed by its run timeout)', () => {
  let database: TestDatabase;
  let deps: ActivityDeps;
  const tenantId = 'hung';
  const staleRun = { workflowId: `duo-incremental:${tenantId}-hung`, runId: 'run-hung' };
  const youngRun = { workflowId: `duo-incremental:${tenantId}-young`, runId: 'run-young' };
  const nextRun = { tenantId, workflowId: `duo-incremental:${tenantId}-next`, runId: 'run-next' };
  const runRow = async (ref: { workflowId: string; runId: string }) => {
    const [row] = await database.sql`select outcome, error_code, finished_at from sync_runs where workflow_id = ${ref.workflowId} and run_id = ${ref.runId}`;
    return row;
  };

  beforeAll(async () => {
    ({ database, deps } = await connectedTenant(tenantId));
    const timeoutSeconds = INCREMENTAL_RUN_TIMEOUT_MS / 1000;
    await database.sql`
      insert into sync_runs (tenant_id, kind, workflow_id, run_id, started_at)
      values (${tenantId}, 'incremental', ${staleRun.workflowId}, ${staleRun.runId}, now() - make_interval(secs => ${timeoutSeconds + 60})),
             (${tenantId}, 'incremental', ${youngRun.workflowId}, ${youngRun.runId}, now() - interval '5 minutes')`;
    await beginIncrementalRun(deps, nextRun);
  });
  afterAll(async () => { await database.drop(); });

  it('is closed as failed with RUN_TIMED_OUT by the next run', async () => {
    expect(await runRow(staleRun)).toMatchObject({ outcome: 'failed', error_code: 'RUN_TIMED_OUT', finished_at: expect.any(Date) });
  });

  it('counts toward the failure streak and is the last run the status shows', async () => {
    const [row] = await database.sql`select consecutive_failures, last_run_outcome, last_run_at from duo_integrations where tenant_id = ${tenantId}`;
    expect(row).toMatchObject({ consecutive_failures: 1, last_run_outcome: 'failed', last_run_at: expect.any(Date) });
  });

  it('leaves runs younger than the run timeout, and the run that closes it, open', async () => {
    expect((await runRow(youngRun))?.outcome).toBe('running');
    await beginIncrementalRun(deps, nextRun); // a retried begin
    expect((await runRow(nextRun))?.outcome).toBe('running');
    const [row] = await database.sql`select consecutive_failures from duo_integrations where tenant_id = ${tenantId}`;
    expect(row?.consecutive_failures).toBe(1);
  });

  it('is announced as failing, and the good run after it as recovered', async () => {
    const outcome = await finishIncrementalRun(deps, nextRun, { outcome: 'completed', counts: {} });
    expect(outcome.notifications).toMatchObject([
      { type: 'sync.failing', details: { code: 'RUN_TIMED_OUT' } },
      { type: 'sync.recovered', details: { afterFailures: 1 } },
    ]);
    expect(outcome.consecutiveFailures).toBe(0);
  });
});

describe('a run that fails on rejected keys', () => {
  let database: TestDatabase;
  let deps: ActivityDeps;
  const tenantId = 'revoked';

  beforeAll(async () => {
    ({ database, deps } = await connectedTenant(tenantId));
  });
  afterAll(async () => { await database.drop(); });

  it('needs attention as soon as the run is recorded failed, on the first failure', async () => {
    const ref = { tenantId, workflowId: `duo-incremental:${tenantId}`, runId: 'run-1' };
    await beginIncrementalRun(deps, ref);
    const error = { code: 'DUO_CREDENTIALS_REJECTED', message: 'Duo rejected the credentials' };
    const outcome = await finishIncrementalRun(deps, ref, { outcome: 'failed', counts: {}, error });
    expect(outcome.consecutiveFailures).toBe(1);
    const [row] = await database.sql`select status, schedule_paused, last_error_code, pause_note from duo_integrations where tenant_id = ${tenantId}`;
    expect(row).toMatchObject({ status: 'needs_attention', schedule_paused: true, last_error_code: 'DUO_CREDENTIALS_REJECTED' });
    expect(row?.pause_note).toContain('DUO_CREDENTIALS_REJECTED');
  });
});

describe('isRosterDue', () => {
  const now = new Date('2026-11-28T03:30:00Z');
  it('is due when the roster was never synced', () => expect(isRosterDue(null, undefined, now)).toBe(true));
  it('is due 24 hours after the last refresh without a chosen hour', () => {
    expect(isRosterDue(new Date('2026-11-27T03:29:00Z'), undefined, now)).toBe(true);
    expect(isRosterDue(new Date('2026-11-27T04:00:00Z'), undefined, now)).toBe(false);
  });
  it('waits for the chosen UTC hour, with a two-day safety net', () => {
    expect(isRosterDue(new Date('2026-11-27T03:10:00Z'), 3, now)).toBe(true);
    expect(isRosterDue(new Date('2026-11-27T03:10:00Z'), 5, now)).toBe(false);
    expect(isRosterDue(new Date('2026-11-26T01:00:00Z'), 5, now)).toBe(true);
  });
});

describe('finishing a run that was never recorded (its start found the tenant disconnected)', () => {
  let database: TestDatabase;
  let deps: ActivityDeps;
  const tenantId = 'never-recorded';
  beforeAll(async () => {
    ({ database, deps } = await connectedTenant(tenantId));
    await database.sql`update duo_integrations set status = 'disconnected', secret_key_sealed = null where tenant_id = ${tenantId}`;
  });
  afterAll(async () => { await database.drop(); });

  it('counts nothing and announces nothing, however often the finish is retried', async () => {
    const ref = { tenantId, workflowId: `duo-incremental:${tenantId}-1`, runId: 'run-1' };
    await expect(beginIncrementalRun(deps, ref)).rejects.toMatchObject({ code: 'INTEGRATION_NOT_CONNECTED' });
    const failed = { outcome: 'failed' as const, counts: {}, error: { code: 'INTEGRATION_NOT_CONNECTED', message: 'disconnected' } };
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(await finishIncrementalRun(deps, ref, failed)).toEqual({ consecutiveFailures: 0, pauseNow: false, notifications: [] });
    }
    const [row] = await database.sql`select consecutive_failures, status from duo_integrations where tenant_id = ${tenantId}`;
    expect(row).toEqual({ consecutive_failures: 0, status: 'disconnected' });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beginIncrementalRun, finishIncrementalRun, isRosterDue } from '../../../activities/incremental-run.js';
import type { ActivityDeps } from '../../../activities/deps.js';
import { createKeyring } from '../../../db/credentials.js';
import { insertIntegration } from '../../../db/integrations.js';
import { testConfig } from '../../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';

/** A database of its own with one connected tenant, and activity dependencies that pause after 3 failures. */
async function connectedTenant(tenantId: string): Promise<{ database: TestDatabase; deps: ActivityDeps }> {
  const database = await createTestDatabase();
  const config = testConfig({ DATABASE_URL: database.url, SYNC_FAILURES_BEFORE_PAUSE: '3' });
  const deps = { db: database.db, config, keyring: createKeyring({ id: config.ENCRYPTION_KEY_ID, key: config.ENCRYPTION_KEY }) };
  const now = new Date();
  await insertIntegration(database.db, {
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
    expect(third.notifications).toEqual([]); // "failing" is announced once per streak
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

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileSchedules } from '../../integrations/reconcile-schedules.js';
import { makeAccount } from '../../simulator/account-builder.js';
import { finishedIncrementalRuns, startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';
import { waitFor } from '../helpers/waiting.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

describe('integration lifecycle: pause, resume, settings, failures, webhooks, disconnect, reconciliation', () => {
  const account = makeAccount({ dataset: { seed: 8, users: 20, groups: 3, authEvents: 400, days: 3 } });
  const tenantId = 'life';
  let harness: SyncHarness;
  let receiver: WebhookReceiver;
  const received = () => receiver.received;

  const call = async (method: 'POST' | 'PATCH' | 'DELETE' | 'GET', path: string, payload?: Record<string, unknown>) => {
    const response = await harness.api.app.inject({ method, url: `/v1/tenants/${tenantId}/integrations/duo${path}`, headers: harness.api.auth, payload });
    return { statusCode: response.statusCode, body: response.json() };
  };
  const schedule = () => harness.temporal.schedule.getHandle(`duo-incremental:${tenantId}`).describe();

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    harness = await startSyncHarness({ accounts: [account], env: { ...receiver.env, SYNC_FAILURES_BEFORE_PAUSE: '2' } });
    expect((await harness.connect(tenantId, account)).statusCode).toBe(202);
    await harness.waitForInitialSync(tenantId);
  }, 120_000);
  afterAll(async () => {
    await harness?.close();
    await receiver?.close();
  });

  it('posts a webhook when the initial sync completes, without secrets', async () => {
    await waitFor('the completion webhook', async () => received().some((e) => e.type === 'initial_sync.completed'));
    expect(received().find((e) => e.type === 'initial_sync.completed')).toMatchObject({ tenantId });
    expect(JSON.stringify(received())).not.toContain(account.secretKey);
  });

  it('pauses with a note saying who and why, and resumes', async () => {
    const paused = await call('POST', '/pause', { by: 'ops@example.com', reason: 'maintenance window' });
    expect(paused.statusCode).toBe(200);
    expect(paused.body).toMatchObject({ status: 'paused' });
    expect((await schedule()).state).toMatchObject({ paused: true, note: expect.stringContaining('ops@example.com') });
    expect((await schedule()).state.note).toContain('maintenance window');
    const resumed = await call('POST', '/resume', { by: 'ops@example.com', reason: 'done' });
    expect(resumed.statusCode).toBe(200);
    expect(resumed.body).toMatchObject({ status: 'active' });
    expect((await schedule()).state.paused).toBe(false);
  });

  it('updates the interval of the schedule in place', async () => {
    const patched = await call('PATCH', '', { syncIntervalMinutes: 1, streams: { telephony: true }, rosterRefreshHourUtc: 3 });
    expect(patched.statusCode).toBe(200);
    expect((await schedule()).spec.intervals?.[0]?.every).toBe(60_000);
  });

  it('refuses settings out of range with a 400 naming the field', async () => {
    const refused = await call('PATCH', '', { syncIntervalMinutes: 0 });
    expect(refused.statusCode).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('syncIntervalMinutes');
  });

  it('pauses the schedule on revoked keys with needs_attention, and a PUT with working keys recovers', async () => {
    await harness.simulator.control.revoke(account.integrationKey, { keys: true });
    const before = await finishedIncrementalRuns(harness, tenantId);
    expect((await call('POST', '/sync')).statusCode).toBe(202);
    await waitFor('the failing run', async () => (await finishedIncrementalRuns(harness, tenantId)) > before);
    await waitFor('the pause', async () => (await schedule()).state.paused);
    expect((await schedule()).state.note).toContain('DUO_CREDENTIALS_REJECTED');
    expect((await call('GET', '')).body).toMatchObject({ status: 'needs_attention', lastError: { code: 'DUO_CREDENTIALS_REJECTED' } });
    await waitFor('the failing webhook', async () => received().some((e) => e.type === 'sync.failing'));

    await harness.simulator.control.restore(account.integrationKey, { keys: true });
    expect((await harness.connect(tenantId, account)).statusCode).toBe(202);
    expect((await schedule()).state.paused).toBe(false);
    const recovered = await finishedIncrementalRuns(harness, tenantId);
    expect((await call('POST', '/sync')).statusCode).toBe(202);
    await waitFor('a good run', async () => (await finishedIncrementalRuns(harness, tenantId)) > recovered);
    expect((await call('GET', '')).body).toMatchObject({ status: 'active', lastError: null, lastRun: { outcome: 'completed' } });
    await waitFor('the recovered webhook', async () => received().some((e) => e.type === 'sync.recovered'));
  }, 120_000);

  it('reconciliation recreates a schedule deleted behind its back and removes one with no tenant', async () => {
    await harness.temporal.schedule.getHandle(`duo-incremental:${tenantId}`).delete();
    await harness.temporal.schedule.create({
      scheduleId: 'duo-incremental:ghost',
      spec: { intervals: [{ every: '1h' }] },
      action: { type: 'startWorkflow', workflowType: 'incrementalSync', taskQueue: harness.api.config.TEMPORAL_TASK_QUEUE, args: [{ tenantId: 'ghost' }] },
    });
    const report = await reconcileSchedules(harness.temporal, harness.api.database.db, harness.api.config);
    expect(report.created).toContain(tenantId);
    expect(report.deleted).toContain('ghost');
    expect((await schedule()).spec.intervals?.[0]?.every).toBe(60_000); // the stored interval, not a default
  });

  it('disconnect removes the schedule and the credentials but keeps the data', async () => {
    const response = await call('DELETE', '');
    expect(response.statusCode).toBe(200);
    expect(response.body).toMatchObject({ status: 'disconnected' });
    await expect(schedule()).rejects.toThrow();
    const [row] = await harness.api.database.sql`select secret_key_sealed from duo_integrations where tenant_id = ${tenantId}`;
    expect(row?.secret_key_sealed).toBeNull();
    const [users] = await harness.api.database.sql`select count(*)::int as n from duo_users where tenant_id = ${tenantId}`;
    expect(users?.n).toBeGreaterThan(0);
  });

  it('reconnecting resumes from the kept checkpoints instead of starting over', async () => {
    const [before] = await harness.api.database.sql`select anchor_at from duo_integrations where tenant_id = ${tenantId}`;
    expect((await harness.connect(tenantId, account)).statusCode).toBe(202);
    const [after] = await harness.api.database.sql`select anchor_at, status from duo_integrations where tenant_id = ${tenantId}`;
    expect(after?.anchor_at).toEqual(before?.anchor_at);
    expect(after?.status).toBe('active');
    expect((await schedule()).state.paused).toBe(false);
  });

  it('disconnect with purge=true also deletes the synced data, in the purge workflow', async () => {
    const response = await call('DELETE', '?purge=true');
    expect(response.statusCode).toBe(202);
    await harness.temporal.workflow.getHandle(`duo-tenant-purge:${tenantId}`).result();
    const [counts] = await harness.api.database.sql`
      select (select count(*) from duo_users where tenant_id = ${tenantId})::int as users,
             (select count(*) from duo_auth_events where tenant_id = ${tenantId})::int as events`;
    expect(counts).toEqual({ users: 0, events: 0 });
    // Every table keyed by tenant, rollups included, so a table added later cannot be forgotten.
    const tables = await harness.api.database.sql<{ table_name: string }[]>`
      select table_name from information_schema.columns
      where table_schema = 'public' and column_name = 'tenant_id' and table_name not in ('duo_integrations', 'tenant_purges', 'api_keys', 'audit_log', 'duo_user_erasures')`;
    const left: Record<string, number> = {};
    for (const { table_name: table } of tables) {
      const [row] = await harness.api.database.sql<{ n: number }[]>`select count(*)::int as n from ${harness.api.database.sql(table)} where tenant_id = ${tenantId}`;
      if (row?.n) left[table] = row.n;
    }
    expect(left).toEqual({});
  });
});

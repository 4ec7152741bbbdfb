import { WorkflowFailedError } from '@temporalio/client';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RETENTION_ALARM_AGE_MS } from '../../integrations/retention-alarm.js';
import { startScheduleReconciler } from '../../worker/schedule-reconciler.js';
import { makeAccount } from '../../simulator/account-builder.js';
import { authSyncedThroughMs, startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';
import { waitFor } from '../helpers/waiting.js';
import { startWebhookReceiver, TEST_WEBHOOK_SECRET, type WebhookReceiver } from '../helpers/webhook-receiver.js';

describe('webhooks', () => {
  const account = makeAccount({ dataset: { seed: 31, users: 15, groups: 3, authEvents: 200, days: 3 } });
  const tenantId = 'hooks';
  let harness: SyncHarness;
  let receiver: WebhookReceiver;
  let runs = 0;

  /** One incremental run, started directly; resolves with how long it took (ms) or rejects after `limitMs`. */
  const incrementalRun = async (limitMs: number): Promise<number> => {
    const started = Date.now();
    const handle = await harness.temporal.workflow.start('incrementalSync', {
      taskQueue: harness.api.config.TEMPORAL_TASK_QUEUE,
      workflowId: `hooks-run-${(runs += 1)}-${started}`,
      args: [{ tenantId }],
    });
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the run was still open after ${limitMs} ms`)), limitMs);
    });
    try {
      await Promise.race([handle.result().catch((error: unknown) => { if (!(error instanceof WorkflowFailedError)) throw error; }), limit]);
    } finally {
      clearTimeout(timer);
    }
    return Date.now() - started;
  };
  const receivedSince = (type: string, sinceMs: number) =>
    receiver.received.filter((w) => w.type === type && w.tenantId === tenantId && Date.parse(w.at) >= sinceMs);

  beforeAll(async () => {
    receiver = await startWebhookReceiver('ok');
    harness = await startSyncHarness({ accounts: [account], env: receiver.env });
    expect((await harness.connect(tenantId, account)).statusCode).toBe(202);
    await harness.waitForInitialSync(tenantId);
    await waitFor('the completion webhook', async () => receiver.received.some((w) => w.type === 'initial_sync.completed'));
  }, 120_000);
  afterAll(async () => {
    await harness?.close();
    await receiver?.close();
  });

  it('an incremental run finishes promptly while the webhook receiver hangs', async () => {
    receiver.mode = 'hang';
    // Rejected keys: the run fails at once and announces sync.failing.
    await harness.simulator.control.revoke(account.integrationKey, { keys: true });
    const since = Date.now();
    expect(await incrementalRun(15_000)).toBeLessThan(15_000);
    await waitFor('the webhook to be attempted', async () => receivedSince('sync.failing', since).length > 0, 15_000);
  }, 60_000);

  it('a receiver answering 500 gets the event again with backoff, and once it answers, delivery ends', async () => {
    // A failed run, then working keys again: the next run completes and announces sync.recovered.
    await harness.simulator.control.revoke(account.integrationKey, { keys: true });
    await incrementalRun(15_000);
    await harness.simulator.control.restore(account.integrationKey, { keys: true });
    receiver.mode = 'fail';
    const since = Date.now();
    expect(await incrementalRun(15_000)).toBeLessThan(15_000);
    await waitFor('a second attempt', async () => receivedSince('sync.recovered', since).length >= 2, 30_000);
    const [first, second] = receivedSince('sync.recovered', since);
    expect((second?.receivedAtMs ?? 0) - (first?.receivedAtMs ?? 0)).toBeGreaterThanOrEqual(4_000);

    receiver.mode = 'ok';
    const attempts = receivedSince('sync.recovered', since).length;
    await waitFor('the delivery that succeeds', async () => receivedSince('sync.recovered', since).length > attempts, 60_000);
  }, 120_000);

  it('a checkpoint within 7 days of Duo\'s horizon raises the retention alarm: status document and webhook', async () => {
    receiver.mode = 'ok';
    const before = await authSyncedThroughMs(harness, tenantId);
    const stale = Date.now() - RETENTION_ALARM_AGE_MS - 3_600_000;
    await harness.api.database.sql`update stream_checkpoints set synced_through_ms = ${stale} where tenant_id = ${tenantId} and stream = 'auth'`;
    const reconciler = startScheduleReconciler({
      client: harness.temporal, db: harness.api.database.db, config: harness.api.config, logger: pino({ level: 'silent' }),
    });
    try {
      await waitFor('the retention webhook', async () => receiver.received.some((w) => w.type === 'retention.at_risk' && w.tenantId === tenantId), 20_000);
      const webhook = receiver.received.find((w) => w.type === 'retention.at_risk');
      expect(webhook?.details).toMatchObject({ streams: 'auth', syncedThrough: new Date(stale).toISOString() });
      expect(Date.parse(String(webhook?.details.unrecoverableAfter))).toBe(stale + 180 * 86_400_000);
      expect(await harness.status(tenantId)).toMatchObject({ retentionAlarm: { since: expect.any(String) } });
    } finally {
      reconciler.stop();
      await reconciler.runOnce();
      await harness.api.database.sql`update stream_checkpoints set synced_through_ms = ${before} where tenant_id = ${tenantId} and stream = 'auth'`;
    }
  }, 60_000);

  it('every delivery carries an event id and a signature that verifies with the service secret', () => {
    const completed = receiver.received.find((w) => w.type === 'initial_sync.completed' && w.tenantId === tenantId);
    expect(completed).toMatchObject({ id: expect.stringMatching(/^evt_[0-9a-f]{32}$/), signedWith: TEST_WEBHOOK_SECRET });
    // The receiver refused nothing: every request so far was signed, fresh and matched its body.
    expect(receiver.refused).toEqual([]);
  });

  it('retries of one event carry the same event id', async () => {
    receiver.mode = 'fail';
    await harness.simulator.control.revoke(account.integrationKey, { keys: true });
    const since = Date.now();
    await incrementalRun(15_000);
    await waitFor('a second attempt', async () => receivedSince('sync.failing', since).length >= 2, 30_000);
    const [first, second] = receivedSince('sync.failing', since);
    expect(second?.id).toBe(first?.id);
    receiver.mode = 'ok';
    await harness.simulator.control.restore(account.integrationKey, { keys: true });
  }, 60_000);

  it('a tenant\'s own receiver and secret (set with PATCH) get its events; the secret is never returned', async () => {
    const own = await startWebhookReceiver('ok');
    const secret = 'tenant-own-signing-secret-4f1c2a9e';
    own.secrets.push(secret);
    try {
      const patched = await harness.api.app.inject({
        method: 'PATCH', url: `/v1/tenants/${tenantId}/integrations/duo`, headers: harness.api.auth,
        payload: { webhook: { url: own.url, secret } },
      });
      expect(patched.statusCode).toBe(200);
      expect(patched.json()).toMatchObject({ webhook: { url: own.url, source: 'tenant', secretSet: true, signed: true } });
      expect(patched.body).not.toContain(secret);
      expect(JSON.stringify(await harness.status(tenantId))).not.toContain(secret);

      // The last run failed (previous test); a good one now announces sync.recovered.
      const since = Date.now();
      await incrementalRun(15_000);
      await waitFor('the event at the tenant\'s receiver', async () => own.received.some((w) => w.type === 'sync.recovered' && Date.parse(w.at) >= since), 30_000);
      expect(own.received.find((w) => w.type === 'sync.recovered')?.signedWith).toBe(secret);
      expect(receivedSince('sync.recovered', since)).toEqual([]);
    } finally {
      const reset = await harness.api.app.inject({
        method: 'PATCH', url: `/v1/tenants/${tenantId}/integrations/duo`, headers: harness.api.auth, payload: { webhook: { url: null, secret: null } },
      });
      expect(reset.json()).toMatchObject({ webhook: { url: null, source: 'global', secretSet: false, signed: true } });
      await own.close();
    }
  }, 60_000);

  it('refuses a signing secret shorter than 16 characters with a 400 naming webhook.secret, and stores nothing', async () => {
    const refused = await harness.api.app.inject({
      method: 'PATCH', url: `/v1/tenants/${tenantId}/integrations/duo`, headers: harness.api.auth, payload: { webhook: { url: 'https://product.example/hooks', secret: 'short' } },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('webhook.secret');
    expect(await harness.status(tenantId)).toMatchObject({ webhook: { url: null } });
  });
});

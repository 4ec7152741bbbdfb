import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAccount } from '../../simulator/account-builder.js';
import { backfillAnchorMs, compareWithTruth, noDifferences, startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';
import { waitFor } from '../helpers/waiting.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

/**
 * A failed initial sync restarted by an operator without the customer's secret: POST …/initial-sync/retry
 * (or resume) with the stored keys, from the kept windows and cursors; the failure itself is announced.
 */
describe('operator retry of a failed initial sync', () => {
  const account = makeAccount({ dataset: { seed: 71, users: 25, groups: 3, authEvents: 3_000, days: 10 } });
  let harness: SyncHarness;
  let receiver: WebhookReceiver;

  const call = async (tenantId: string, method: 'POST' | 'GET', path: string, payload?: Record<string, unknown>) => {
    const response = await harness.api.app.inject({ method, url: `/v1/tenants/${tenantId}/integrations/duo${path}`, headers: harness.api.auth, payload });
    return { statusCode: response.statusCode, body: response.json<Record<string, unknown>>() };
  };

  /** Connects, then rejects the keys at Duo at once: the initial sync fails with DUO_CREDENTIALS_REJECTED. */
  const connectAndFail = async (tenantId: string) => {
    await harness.simulator.control.restore(account.integrationKey, { keys: true });
    expect((await harness.connect(tenantId, account)).statusCode).toBe(202);
    await harness.simulator.control.revoke(account.integrationKey, { keys: true });
    await waitFor('the failed initial sync', async () => (await call(tenantId, 'GET', '')).body.status === 'needs_attention');
    await harness.simulator.control.restore(account.integrationKey, { keys: true });
  };

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    // Slow enough that the keys are rejected long before the backfill could finish.
    harness = await startSyncHarness({ accounts: [account], env: { ...receiver.env, DUO_LOG_REQUESTS_PER_MINUTE: '30' } });
  }, 120_000);
  afterAll(async () => {
    await harness?.close();
    await receiver?.close();
  });

  it('a failed initial sync announces initial_sync.failed and integration.needs_attention, signed', async () => {
    await connectAndFail('retry-a');
    await waitFor('both webhooks', async () =>
      ['initial_sync.failed', 'integration.needs_attention'].every((type) => receiver.received.some((w) => w.type === type && w.tenantId === 'retry-a')),
    );
    const failed = receiver.received.find((w) => w.type === 'initial_sync.failed' && w.tenantId === 'retry-a');
    expect(failed?.details).toMatchObject({ code: 'DUO_CREDENTIALS_REJECTED' });
    expect(failed?.id).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(JSON.stringify(receiver.received)).not.toContain(account.secretKey);
  }, 120_000);

  it('POST …/initial-sync/retry restarts it with the stored keys and it completes exactly', async () => {
    const before = await call('retry-a', 'GET', '');
    expect(before.body).toMatchObject({ status: 'needs_attention', initialSync: { state: 'failed' } });
    const retried = await call('retry-a', 'POST', '/initial-sync/retry');
    expect(retried.statusCode).toBe(202);
    expect(retried.body).toMatchObject({ status: 'syncing', initialSync: { state: 'running' }, lastError: null });
    await waitFor('the retried sync to complete', async () => (await call('retry-a', 'GET', '')).body.status === 'active', 120_000);
    const differences = await compareWithTruth(harness, 'retry-a', account, { maxtime: await backfillAnchorMs(harness, 'retry-a') });
    expect(differences).toEqual(noDifferences);
  }, 180_000);

  it('refuses a retry of an initial sync that has not failed with 409 initial_sync_not_failed', async () => {
    const refused = await call('retry-a', 'POST', '/initial-sync/retry');
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toMatchObject({ error: { code: 'initial_sync_not_failed', details: { initialSyncState: 'completed' } } });
  });

  it('resume of a tenant whose initial sync failed restarts it, never saying syncing with nothing running', async () => {
    await connectAndFail('retry-b');
    const resumed = await call('retry-b', 'POST', '/resume', { by: 'ops', reason: 'keys fixed in Duo' });
    expect(resumed.statusCode).toBe(200);
    expect(resumed.body).toMatchObject({ status: 'syncing', initialSync: { state: 'running' } });
    const running = await harness.temporal.workflow.getHandle('duo-initial-sync:retry-b').describe();
    expect(running.status.name).toBe('RUNNING');
    await waitFor('the restarted sync to complete', async () => (await call('retry-b', 'GET', '')).body.status === 'active', 120_000);
  }, 180_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAccount } from '../../simulator/account-builder.js';
import { startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';
import { waitFor } from '../helpers/waiting.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

/**
 * The failure policy over real runs: failures in a row pause the tenant for attention, a PUT with
 * working keys or a resume starts the streak again, and every `sync.failing` is followed by a
 * `sync.recovered` at the webhook whatever restarted the streak in between.
 */
describe('failure policy: streak, pause for attention, recovery', () => {
  const account = makeAccount({ dataset: { seed: 11, users: 10, groups: 2, authEvents: 100, days: 3 } });
  const tenantId = 'streaky';
  let harness: SyncHarness;
  let receiver: WebhookReceiver;
  const received = () => receiver.received;
  const webhooks = (type: string) => received().filter((event) => event.type === type).length;

  const call = async (method: 'POST' | 'GET', path: string, payload?: Record<string, unknown>) => {
    const response = await harness.api.app.inject({ method, url: `/v1/tenants/${tenantId}/integrations/duo${path}`, headers: harness.api.auth, payload });
    return { statusCode: response.statusCode, body: response.json() };
  };
  const schedule = () => harness.temporal.schedule.getHandle(`duo-incremental:${tenantId}`).describe();
  // Every Duo call answers 429, so each run fails after its bounded attempts (2 s apart: fast to test).
  const failDuo = () => harness.simulator.control.setFaults(account.integrationKey, { rateLimitRate: 1 });
  const healDuo = () => harness.simulator.control.setFaults(account.integrationKey, {});

  /** Triggers one incremental run and waits until its workflow has closed (pause and webhooks included). */
  async function runOnce(): Promise<'completed' | 'failed'> {
    const [last] = await harness.api.database.sql<{ id: number }[]>`select coalesce(max(id), 0)::int as id from sync_runs where tenant_id = ${tenantId}`;
    expect((await call('POST', '/sync')).statusCode).toBe(202);
    let run: { workflow_id: string; outcome: string } | undefined;
    await waitFor('the triggered run to finish', async () => {
      [run] = await harness.api.database.sql<{ workflow_id: string; outcome: string }[]>`
        select workflow_id, outcome from sync_runs where tenant_id = ${tenantId} and kind = 'incremental' and id > ${last?.id ?? 0} and outcome <> 'running'`;
      return run !== undefined;
    }, 90_000);
    await harness.temporal.workflow.getHandle(run?.workflow_id ?? '').result().catch(() => undefined);
    return run?.outcome as 'completed' | 'failed';
  }

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

  it('after a PUT recovered a paused tenant, one failure does not pause it again, and the next good run announces recovery', async () => {
    await failDuo();
    expect(await runOnce()).toBe('failed');
    expect(await runOnce()).toBe('failed');
    expect((await schedule()).state.paused).toBe(true);
    expect((await call('GET', '')).body).toMatchObject({ status: 'needs_attention', lastError: { code: 'DUO_RATE_LIMITED' } });
    await waitFor('the failing webhook', async () => webhooks('sync.failing') === 1);

    await healDuo();
    expect((await harness.connect(tenantId, account)).statusCode).toBe(202);
    expect((await call('GET', '')).body).toMatchObject({ status: 'active', lastError: null });

    await failDuo();
    expect(await runOnce()).toBe('failed');
    expect((await schedule()).state.paused).toBe(false);
    expect((await call('GET', '')).body).toMatchObject({ status: 'active', lastRun: { outcome: 'failed' } });

    await healDuo();
    expect(await runOnce()).toBe('completed');
    await waitFor('the recovered webhook', async () => webhooks('sync.recovered') === 1);
    expect(received().find((event) => event.type === 'sync.recovered')).toMatchObject({ tenantId, details: { afterFailures: 3 } });
    expect(webhooks('sync.failing')).toBe(1); // one streak, announced once
  }, 300_000);

  it('after a failure, a pause and a resume, the next good run still announces recovery', async () => {
    await failDuo();
    expect(await runOnce()).toBe('failed');
    await waitFor('the second failing webhook', async () => webhooks('sync.failing') === 2);
    await healDuo();
    expect((await call('POST', '/pause', { by: 'ops@example.com', reason: 'looking into it' })).statusCode).toBe(200);
    expect((await call('POST', '/resume', { by: 'ops@example.com', reason: 'fixed' })).statusCode).toBe(200);

    expect(await runOnce()).toBe('completed');
    await waitFor('the second recovered webhook', async () => webhooks('sync.recovered') === 2);
  }, 300_000);
});

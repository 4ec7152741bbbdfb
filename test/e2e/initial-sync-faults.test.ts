import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAccount } from '../../simulator/account-builder.js';
import { compareWithTruth, noDifferences, rollupMismatches, startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';
import { waitFor } from '../helpers/waiting.js';

/** Waits until the backfill has committed its first page (the moment the tests change the world). */
async function backfillStarted(harness: SyncHarness, tenantId: string): Promise<void> {
  await waitFor('the backfill to start', async () => {
    const [row] = await harness.api.database.sql<{ n: number }[]>`select count(*)::int as n from backfill_windows where tenant_id = ${tenantId} and pages > 0`;
    return (row?.n ?? 0) > 0;
  }, 60_000, 50);
}

const anchorOf = async (harness: SyncHarness, tenantId: string) => {
  const [row] = await harness.api.database.sql<{ anchor: number }[]>`select (extract(epoch from anchor_at) * 1000)::bigint as anchor from duo_integrations where tenant_id = ${tenantId}`;
  return Number(row?.anchor);
};

describe('initial sync under Duo rate limits and injected faults', () => {
  // Duo allows 60 log requests a minute here (a bucket of one minute's worth); we are configured for
  // four times that, so once the first minute's burst is spent only the adaptive budget keeps the
  // 429s rare. 10% of calls also fail: 5xx, resets, truncated, malformed, slow.
  const account = makeAccount({
    dataset: { seed: 99, users: 50, groups: 5, authEvents: 100_000, days: 8 },
    rateLimits: { logRequestsPerMinute: 60, objectRequestsPerMinute: 600 },
    faults: { seed: 7, serverErrorRate: 0.03, resetRate: 0.02, truncatedRate: 0.02, malformedRate: 0.02, slowRate: 0.01, slowMs: 300 },
  });
  const tenantId = 'faulty-tenant';
  let harness: SyncHarness;

  beforeAll(async () => {
    harness = await startSyncHarness({ accounts: [account], env: { DUO_LOG_REQUESTS_PER_MINUTE: '240' } });
    // About 110 log pages: more than Duo's one-minute bucket, so the limit really binds.
    expect((await harness.connect(tenantId, account)).statusCode).toBe(202);
    await harness.waitForInitialSync(tenantId);
  }, 300_000);
  afterAll(async () => { await harness?.close(); });

  it('still ends with exactly the simulator events', async () => {
    expect(await compareWithTruth(harness, tenantId, account, { maxtime: await anchorOf(harness, tenantId) })).toEqual(noDifferences);
    expect(await rollupMismatches(harness, tenantId)).toBe(0);
  });

  it('really met faults on the way', async () => {
    const stats = await harness.simulator.control.stats(account.integrationKey);
    const injected = Object.values(stats.faults).reduce((a, b) => a + b, 0);
    expect(injected).toBeGreaterThan(0);
  });

  it('keeps 429 answers under 10% of log calls while configured at four times the real limit', async () => {
    const stats = await harness.simulator.control.stats(account.integrationKey);
    const log = stats.requests.byClass.log ?? {};
    const total = Object.values(log).reduce((a, b) => a + b, 0);
    const limited = log['429'] ?? 0;
    // Past the burst, a fixed 4/s against Duo's 1/s would see three calls in four refused.
    expect(total).toBeGreaterThan(60);
    expect(limited / total).toBeLessThan(0.1);
  });
});

describe('initial sync when the keys are revoked mid-sync', () => {
  const account = makeAccount({ dataset: { seed: 5, users: 40, groups: 4, authEvents: 20_000, days: 8 } });
  const tenantId = 'revoked-tenant';
  let harness: SyncHarness;
  let failure: unknown;

  beforeAll(async () => {
    harness = await startSyncHarness({ accounts: [account], env: { DUO_LOG_REQUESTS_PER_MINUTE: '120' } });
    expect((await harness.connect(tenantId, account)).statusCode).toBe(202);
    await backfillStarted(harness, tenantId);
    await harness.simulator.control.revoke(account.integrationKey, { keys: true });
    failure = await harness.waitForInitialSync(tenantId).then(() => undefined, (error: unknown) => error);
  }, 180_000);
  afterAll(async () => { await harness?.close(); });

  it('fails the workflow with a typed, non-retryable failure operators can read', () => {
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('DUO_CREDENTIALS_REJECTED');
    expect((cause as ApplicationFailure).nonRetryable).toBe(true);
    expect((cause as ApplicationFailure).message).not.toContain(account.secretKey);
  });

  it('sets needs_attention with a clear lastError and keeps the synced data', async () => {
    const status = await harness.status(tenantId);
    expect(status).toMatchObject({ status: 'needs_attention', initialSync: { state: 'failed' }, lastError: { code: 'DUO_CREDENTIALS_REJECTED' } });
    const [users] = await harness.api.database.sql`select count(*)::int as n from duo_users where tenant_id = ${tenantId}`;
    expect(users?.n).toBe(40);
    const [events] = await harness.api.database.sql`select count(*)::int as n from duo_auth_events where tenant_id = ${tenantId}`;
    expect(events?.n).toBeGreaterThan(0);
  });

  it('pauses the incremental schedule with a note saying why', async () => {
    const schedule = await harness.temporal.schedule.getHandle(`duo-incremental:${tenantId}`).describe();
    expect(schedule.state.paused).toBe(true);
    expect(schedule.state.note).toContain('DUO_CREDENTIALS_REJECTED');
  });
});

describe('initial sync when the customer rotates the keys mid-backfill and deletes the old Duo application', () => {
  // One Duo account behind two Admin API applications: the keys connected first, then new ones.
  const dataset = { seed: 9, users: 40, groups: 4, authEvents: 20_000, days: 8, anchorMs: Math.floor(Date.now() / 60_000) * 60_000 };
  const oldKeys = makeAccount({ dataset });
  const newKeys = makeAccount({ dataset, apiHost: oldKeys.apiHost });
  const tenantId = 'rotating-tenant';
  let harness: SyncHarness;
  let outcome: unknown;
  let rotatedWhileRunning = false;

  beforeAll(async () => {
    harness = await startSyncHarness({ accounts: [oldKeys, newKeys], env: { DUO_LOG_REQUESTS_PER_MINUTE: '120' } });
    expect((await harness.connect(tenantId, oldKeys)).statusCode).toBe(202);
    await backfillStarted(harness, tenantId);
    expect((await harness.connect(tenantId, newKeys)).statusCode).toBe(202);
    await harness.simulator.control.revoke(oldKeys.integrationKey, { keys: true });
    const [open] = await harness.api.database.sql<{ n: number }[]>`select count(*)::int as n from backfill_windows where tenant_id = ${tenantId} and not done`;
    rotatedWhileRunning = (open?.n ?? 0) > 0;
    outcome = await harness.waitForInitialSync(tenantId).then(() => 'completed', (error: unknown) => error);
  }, 240_000);
  afterAll(async () => { await harness?.close(); });

  it('completes instead of failing on the old keys’ rejection', async () => {
    expect(rotatedWhileRunning).toBe(true);
    expect(outcome).toBe('completed');
    const status = await harness.status(tenantId);
    expect(status).toMatchObject({ initialSync: { state: 'completed' }, lastError: null });
  });

  it('ends with exactly the events Duo holds', async () => {
    expect(await compareWithTruth(harness, tenantId, newKeys, { maxtime: await anchorOf(harness, tenantId) })).toEqual(noDifferences);
    expect(await rollupMismatches(harness, tenantId)).toBe(0);
  });

  it('really met the old keys’ rejection on the way', async () => {
    const stats = await harness.simulator.control.stats(oldKeys.integrationKey);
    expect(stats.requests.byClass.log?.['401'] ?? 0).toBeGreaterThan(0);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAccount } from '../../simulator/account-builder.js';
import { backfillAnchorMs, compareWithTruth, finishedIncrementalRuns, noDifferences, startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';
import { waitFor } from '../helpers/waiting.js';

/**
 * Pause means pause: once POST …/pause has answered, the simulator sees no further request from the
 * tenant, and resume finishes the initial sync exactly (every event, nothing twice).
 */
describe('pause during the initial sync', () => {
  // Ten days of a few thousand events a day, one page per 1000: dozens of log requests.
  const account = makeAccount({ dataset: { seed: 61, users: 30, groups: 3, authEvents: 12_000, days: 10 } });
  const tenantId = 'pausing';
  let harness: SyncHarness;

  const call = async (method: 'POST' | 'GET', path: string, payload?: Record<string, unknown>) => {
    const response = await harness.api.app.inject({ method, url: `/v1/tenants/${tenantId}/integrations/duo${path}`, headers: harness.api.auth, payload });
    return { statusCode: response.statusCode, body: response.json<Record<string, unknown>>() };
  };
  const requests = async () => (await harness.simulator.control.stats(account.integrationKey)).requests.total;

  beforeAll(async () => {
    // One log request a second, so the backfill is well under way (and far from done) when paused.
    harness = await startSyncHarness({ accounts: [account], env: { DUO_LOG_REQUESTS_PER_MINUTE: '60' } });
    expect((await harness.connect(tenantId, account)).statusCode).toBe(202);
  }, 120_000);
  afterAll(async () => {
    await harness?.close();
  });

  it('starts no Duo request after the pause answers, says paused in the phase it paused in, and resumes to an exact result', async () => {
    await waitFor('a few backfill days', async () => {
      const status = await call('GET', '');
      const initialSync = status.body.initialSync as { phase: string; backfill: { windowsDone: number } };
      return initialSync.phase === 'auth_logs' && initialSync.backfill.windowsDone >= 1;
    });
    const paused = await call('POST', '/pause', { by: 'test', reason: 'the SIEM needs the budget' });
    expect(paused.statusCode).toBe(200);
    const atPause = await requests();
    expect(paused.body).toMatchObject({ status: 'paused', initialSync: { state: 'running', phase: 'auth_logs' } });

    // Several request intervals of the budget: a backfill still going would have sent some.
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    expect(await requests()).toBe(atPause);
    const during = await call('GET', '');
    expect(during.body).toMatchObject({ status: 'paused', initialSync: { state: 'running', phase: 'auth_logs' } });
    const windowsAtPause = (during.body.initialSync as { backfill: { windowsDone: number; windowsTotal: number } }).backfill;
    expect(windowsAtPause.windowsDone).toBeLessThan(windowsAtPause.windowsTotal);

    const resumed = await call('POST', '/resume', { by: 'test', reason: 'done' });
    expect(resumed.statusCode).toBe(200);
    expect(resumed.body).toMatchObject({ status: 'syncing' });
    await harness.waitForInitialSync(tenantId);
    expect(await requests()).toBeGreaterThan(atPause);
    expect(await harness.status(tenantId)).toMatchObject({ status: 'active', initialSync: { state: 'completed', phase: 'done' } });
    const differences = await compareWithTruth(harness, tenantId, account, { maxtime: await backfillAnchorMs(harness, tenantId) });
    expect(differences).toEqual(noDifferences);
  }, 180_000);

  it('an incremental run of a paused tenant (sync now) sends no Duo request and ends as completed, not failed', async () => {
    expect((await call('POST', '/pause', { by: 'test', reason: 'quiet please' })).statusCode).toBe(200);
    const atPause = await requests();
    const before = await finishedIncrementalRuns(harness, tenantId);
    expect((await call('POST', '/sync')).statusCode).toBe(202);
    await waitFor('the triggered run to finish', async () => (await finishedIncrementalRuns(harness, tenantId)) > before);
    expect(await requests()).toBe(atPause);
    expect((await call('GET', '')).body).toMatchObject({ status: 'paused', lastRun: { outcome: 'completed' }, lastError: null });
    expect((await call('POST', '/resume', { by: 'test', reason: 'done' })).body).toMatchObject({ status: 'active' });
  }, 120_000);
});

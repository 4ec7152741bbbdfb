import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeIntegrationStatus } from '../../../integrations/status.js';
import { advanceBackfillWindow, openBackfillWindow } from '../../../db/backfill-windows.js';
import { findIntegration, getBackfillProgress, getTenantCounts } from '../../../db/integrations.js';
import { transition } from '../../../integrations/transitions.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';

const DAY = 86_400_000;
const MINUTE = 60_000;

describe('an initial sync restarted after it failed', () => {
  let database: TestDatabase;
  const tenantId = 'restarted';
  const anchorMs = Date.now() - 10 * MINUTE;
  const window = (daysBack: number) => ({ tenantId, stream: 'auth', windowStartMs: anchorMs - (daysBack + 1) * DAY, windowEndMs: anchorMs - daysBack * DAY });
  const finishWindow = async (daysBack: number) => {
    await openBackfillWindow(database.db, window(daysBack));
    await advanceBackfillWindow(database.db, window(daysBack), { cursor: null, done: true, events: 0 });
  };

  /** The estimate the status document shows `elapsedMs` after the (re)start. */
  async function estimateAfter(elapsedMs: number): Promise<number | null> {
    const row = await findIntegration(database.db, tenantId);
    if (!row) throw new Error('no integration');
    const status = composeIntegrationStatus({
      row,
      counts: await getTenantCounts(database.db, tenantId),
      checkpoints: [],
      backfill: await getBackfillProgress(database.db, tenantId),
      progress: undefined,
      schedule: undefined,
      defaultIntervalMinutes: 5,
      defaultRetention: { eventDays: 400, rollupDays: 800 },
      nowMs: row.initialSyncStartedAt.getTime() + elapsedMs,
    });
    const estimate = status.initialSync.estimatedCompletionAt;
    return estimate === null ? null : Date.parse(estimate) - (row.initialSyncStartedAt.getTime() + elapsedMs);
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    await transition.connect(database.db, {
      tenantId, apiHost: 'api-x.duosecurity.com', integrationKey: 'DIXXXXXXXXXXXXXXXXXX', secretKeySealed: 'v1.k.a.b.c',
      encryptionKeyId: 'k', anchorAt: new Date(anchorMs), backfillStartAt: new Date(anchorMs - 10 * DAY), initialSyncWorkflowId: `duo-initial-sync:${tenantId}`,
    });
    // The first run did 5 of 10 days, then stood failed for three days.
    for (let daysBack = 0; daysBack < 5; daysBack++) await finishWindow(daysBack);
    await database.sql`update duo_integrations set initial_sync_state = 'failed', initial_sync_started_at = now() - interval '3 days' where tenant_id = ${tenantId}`;
    await transition.restartInitialSync(database.db, tenantId);
  });
  afterAll(async () => { await database.drop(); });

  it('starts its clock again', async () => {
    const row = await findIntegration(database.db, tenantId);
    expect(Date.now() - (row?.initialSyncStartedAt.getTime() ?? 0)).toBeLessThan(MINUTE);
  });

  it('gives no estimate until the new run has finished a window of its own', async () => {
    expect(await getBackfillProgress(database.db, tenantId)).toMatchObject({ windowsDone: 5, windowsDoneSinceStart: 0 });
    expect(await estimateAfter(10 * MINUTE)).toBeNull();
  });

  it('extrapolates from the windows the new run finished, over the windows left', async () => {
    await finishWindow(5);
    expect(await getBackfillProgress(database.db, tenantId)).toMatchObject({ windowsDone: 6, windowsDoneSinceStart: 1 });
    // One window in 10 minutes, four left: 40 minutes more (not 4 × 10/6 minutes, nor days).
    expect(await estimateAfter(10 * MINUTE)).toBe(40 * MINUTE);
  });
});

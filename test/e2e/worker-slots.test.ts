import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initialSyncWorkflowId } from '../../workflows/definitions.js';
import { makeAccount } from '../../simulator/account-builder.js';
import { finishedIncrementalRuns, startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';
import { waitFor } from '../helpers/waiting.js';

describe('incremental runs while backfills hold every activity slot of the main task queue', () => {
  // The onboarding account answers every request after 8 s: its backfill windows hold their slots.
  const onboarding = makeAccount({ dataset: { seed: 901, users: 10, groups: 2, authEvents: 200, days: 4 }, faults: { slowRate: 1, slowMs: 8_000 } });
  const steady = makeAccount({ dataset: { seed: 902, users: 10, groups: 2, authEvents: 200, days: 4, liveEventsPerMinute: 60 } });
  let harness: SyncHarness;

  beforeAll(async () => {
    // Two activity slots per task queue: two backfill windows fill the main queue's.
    harness = await startSyncHarness({
      accounts: [onboarding, steady],
      env: { BACKFILL_DAYS: '4' },
      workerOverrides: { maxConcurrentActivityTaskExecutions: 2 },
    });
    expect((await harness.connect('steady', steady)).statusCode).toBe(202);
    await harness.waitForInitialSync('steady');
  }, 120_000);
  afterAll(async () => {
    await harness?.api.app.inject({ method: 'DELETE', url: '/v1/tenants/onboarding/integrations/duo', headers: harness.api.auth }).catch(() => undefined);
    await harness?.close();
  });

  // How fast the run is while backfills hold the slots is a benchmark figure (docs/BENCHMARKS.md);
  // here: it completes before the backfill does, so it did not wait for a slot to free up.
  it('a steady tenant\'s run completes while a slow backfill still occupies all the slots', async () => {
    expect((await harness.connect('onboarding', onboarding)).statusCode).toBe(202);
    await waitFor('the backfill windows to hold the slots', async () => {
      const [row] = await harness.api.database.sql<{ n: number }[]>`select count(*)::int as n from backfill_windows where tenant_id = 'onboarding'`;
      return (row?.n ?? 0) >= 2;
    }, 60_000);

    const before = await finishedIncrementalRuns(harness, 'steady');
    const sync = await harness.api.app.inject({ method: 'POST', url: '/v1/tenants/steady/integrations/duo/sync', headers: harness.api.auth });
    expect(sync.statusCode).toBe(202);
    await waitFor('the steady tenant\'s run', async () => (await finishedIncrementalRuns(harness, 'steady')) > before, 60_000);

    const [run] = await harness.api.database.sql`select outcome from sync_runs where tenant_id = 'steady' and kind = 'incremental' order by started_at desc limit 1`;
    expect(run?.outcome).toBe('completed');
    const backfill = await harness.temporal.workflow.getHandle(initialSyncWorkflowId('onboarding')).describe();
    expect(backfill.status.name, 'the backfill ended first: the test proves nothing').toBe('RUNNING');
    const [windows] = await harness.api.database.sql<{ open: number }[]>`
      select count(*) filter (where not done)::int as open from backfill_windows where tenant_id = 'onboarding'`;
    expect(windows?.open).toBeGreaterThanOrEqual(2);
  }, 150_000);
});

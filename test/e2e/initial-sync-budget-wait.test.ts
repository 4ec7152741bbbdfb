import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAccount } from '../../simulator/account-builder.js';
import { initialSyncWorkflowId } from '../../workflows/definitions.js';
import { backfillAnchorMs, compareWithTruth, noDifferences, startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';

/** 20 a minute: a token every 3 s, longer than a window waits inside its activity, so windows hand back their slot. */
const LOG_REQUESTS_PER_MINUTE = 20;

describe('initial sync at a budget that makes windows wait on a timer (API → Temporal → worker → simulator → Postgres)', () => {
  // Pages of at most 50 rows: about 12 log requests, so several waits of ~3 s each.
  const account = makeAccount({
    dataset: { seed: 5151, users: 10, groups: 2, authEvents: 400, days: 3 },
    rateLimits: { logRequestsPerMinute: LOG_REQUESTS_PER_MINUTE },
    settings: { maxLogPageSize: 50 },
  });
  const tenantId = 'budget-wait';
  let harness: SyncHarness;

  beforeAll(async () => {
    harness = await startSyncHarness({ accounts: [account], env: { BACKFILL_DAYS: '4', DUO_LOG_REQUESTS_PER_MINUTE: String(LOG_REQUESTS_PER_MINUTE) } });
    expect((await harness.connect(tenantId, account)).statusCode).toBe(202);
    await harness.waitForInitialSync(tenantId);
  }, 240_000);
  afterAll(async () => {
    await harness?.close();
  });

  it('waits on durable timers between calls of a window, each resuming from the stored cursor', async () => {
    const history = await harness.temporal.workflow.getHandle(initialSyncWorkflowId(tenantId)).fetchHistory();
    const events = history.events ?? [];
    const windowCalls = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'syncAuthLogWindow').length;
    const timers = events.filter((e) => e.timerStartedEventAttributes).length;
    expect(timers).toBeGreaterThan(0);
    // Four day windows, each called once more after every wait.
    expect(windowCalls).toBe(4 + timers);
  });

  it('lands exactly what the Duo account holds', async () => {
    const differences = await compareWithTruth(harness, tenantId, account, { maxtime: await backfillAnchorMs(harness, tenantId) });
    expect(differences).toEqual(noDifferences);
  });

  it('never goes over the account\'s limit: the simulator refused no request', async () => {
    const stats = await harness.simulator.control.stats(account.integrationKey);
    expect(stats.requests.byClass.log?.['429'] ?? 0).toBe(0);
  });
});

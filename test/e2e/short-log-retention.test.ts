import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAccount } from '../../simulator/account-builder.js';
import { compareWithTruth, noDifferences, startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';

describe('an account whose Duo log retention is shorter than the backfill', () => {
  // Ten days of history, of which Duo keeps three; the test backfill asks for ten (BACKFILL_DAYS).
  const account = makeAccount({ dataset: { seed: 99, users: 40, groups: 3, authEvents: 2000, days: 10 }, settings: { logRetentionDays: 3 } });
  const tenantId = 'short-retention';
  let harness: SyncHarness;

  beforeAll(async () => {
    harness = await startSyncHarness({ accounts: [account], env: { BACKFILL_DAYS: '10' } });
    expect((await harness.connect(tenantId, account)).statusCode).toBe(202);
    await harness.waitForInitialSync(tenantId);
  }, 180_000);
  afterAll(async () => { await harness?.close(); });

  it('completes, every day window done, with every event Duo still keeps stored', async () => {
    const status = await harness.status(tenantId);
    expect(status.status).toBe('active');
    const backfill = (status.initialSync as { backfill: { windowsDone: number; windowsTotal: number } }).backfill;
    expect(backfill.windowsDone).toBe(backfill.windowsTotal);
    expect(await compareWithTruth(harness, tenantId, account, { maxtime: Date.parse(status.anchorAt as string) })).toEqual(noDifferences);
  });

  it('closes the days before Duo\'s retention empty without a request of their own, and never retries them', async () => {
    const windows = await harness.api.database.sql<{ pages: number; done: boolean; events: number }[]>`
      select pages, done, events from backfill_windows where tenant_id = ${tenantId} and stream = 'auth'`;
    const closedUnasked = windows.filter((w) => w.done && w.pages === 0 && w.events === 0);
    // Days 5 to 10 back lie wholly before the three days Duo keeps (day 4 straddles the boundary).
    expect(closedUnasked.length).toBeGreaterThanOrEqual(5);
    const stats = await harness.simulator.control.stats(account.integrationKey);
    const authRequests = Object.values(stats.requests.byEndpoint['/admin/v2/logs/authentication'] ?? {}).reduce((a, b) => a + b, 0);
    const pages = windows.reduce((n, w) => n + w.pages, 0);
    // One request per stored page, plus the credential check and one probe per empty day found.
    expect(authRequests).toBeLessThanOrEqual(pages + 1 + 4);
    const runs = await harness.api.database.sql`select outcome from sync_runs where tenant_id = ${tenantId} and kind = 'initial'`;
    expect(runs.map((r) => r.outcome)).toEqual(['completed']);
  });
});

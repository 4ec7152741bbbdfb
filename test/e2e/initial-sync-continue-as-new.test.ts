import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAccount } from '../../simulator/account-builder.js';
import { compareWithTruth, noDifferences, startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';
import { startTemporalDevServer, type DevServer } from '../../local/temporal-dev-server.js';

describe('initial sync continues as new when the server suggests it', () => {
  const account = makeAccount({ dataset: { seed: 31, users: 30, groups: 3, authEvents: 3000, days: 9 } });
  const tenantId = 'long-history';
  let server: DevServer;
  let harness: SyncHarness;

  beforeAll(async () => {
    // A dev server of its own whose continue-as-new suggestion comes after 30 events instead of 4096.
    server = await startTemporalDevServer({ extraArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=30'] });
    harness = await startSyncHarness({ accounts: [account], temporalAddress: server.address });
    expect((await harness.connect(tenantId, account)).statusCode).toBe(202);
    await harness.waitForInitialSync(tenantId);
  }, 180_000);
  afterAll(async () => {
    await harness?.close();
    await server?.stop();
  });

  it('ran as a chain of several runs under one workflow id', async () => {
    const runs: string[] = [];
    for await (const execution of harness.temporal.workflow.list({ query: `WorkflowId = "duo-initial-sync:${tenantId}"` })) {
      runs.push(execution.runId);
    }
    expect(runs.length).toBeGreaterThanOrEqual(2);
  });

  it('still lands exactly the simulator data', async () => {
    const [row] = await harness.api.database.sql<{ anchor: number }[]>`select (extract(epoch from anchor_at) * 1000)::bigint as anchor from duo_integrations where tenant_id = ${tenantId}`;
    expect(await compareWithTruth(harness, tenantId, account, { maxtime: Number(row?.anchor) })).toEqual(noDifferences);
  });

  it('keeps one sync-run row for the whole chain, completed', async () => {
    const rows = await harness.api.database.sql`select outcome from sync_runs where tenant_id = ${tenantId} and kind = 'initial'`;
    expect(rows.map((r) => r.outcome)).toEqual(['completed']);
  });
});

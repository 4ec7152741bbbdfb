import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAccount } from '../../simulator/account-builder.js';
import { backfillAnchorMs, compareWithTruth, noDifferences, startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';
import { createTestCa, writeCaFile } from '../helpers/test-ca.js';

/*
 * A full initial sync over the production transport: API → Temporal → worker → HTTPS with
 * certificate verification and SNI for api-….duosecurity.com (a test CA's certificate, served by the
 * simulator) → Postgres. No origin override: only the TCP address comes from DUO_TEST_RESOLVE.
 */
describe('initial sync over HTTPS, end to end', () => {
  const account = makeAccount({ dataset: { seed: 1414, users: 60, groups: 5, authEvents: 1500, days: 5 } });
  const tenantId = 'acme-https';
  let harness: SyncHarness;
  let removeCaFile: () => Promise<void> = async () => {};
  let anchorMs: number;

  beforeAll(async () => {
    const ca = await createTestCa();
    const caFile = await writeCaFile(ca);
    removeCaFile = caFile.remove;
    harness = await startSyncHarness({ accounts: [account], https: { certificate: await ca.issue([account.apiHost]), caFile: caFile.path } });
    expect((await harness.connect(tenantId, account)).statusCode).toBe(202);
    anchorMs = await backfillAnchorMs(harness, tenantId);
    await harness.waitForInitialSync(tenantId);
  }, 180_000);

  afterAll(async () => {
    await harness?.close();
    await removeCaFile();
  });

  it('runs without an origin override, through the test resolver and the test CA', () => {
    expect(harness.api.config.DUO_API_ORIGIN_OVERRIDE).toBeUndefined();
    expect(harness.api.config.DUO_TEST_RESOLVE).toMatch(/^\*:127\.0\.0\.1:\d+$/);
  });

  it('lands exactly the users, groups, memberships and authentication events the Duo account holds', async () => {
    expect(await compareWithTruth(harness, tenantId, account, { maxtime: anchorMs })).toEqual(noDifferences);
    expect((await harness.simulator.control.truth(account.integrationKey, { maxtime: anchorMs })).authEvents.count).toBeGreaterThan(500);
  });

  it('reports the tenant active with a completed initial sync', async () => {
    expect(await harness.status(tenantId)).toMatchObject({ status: 'active', initialSync: { state: 'completed' }, lastError: null });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initialSyncWorkflowId, tenantIdSearchAttribute } from '../../workflows/definitions.js';
import { makeAccount } from '../../simulator/account-builder.js';
import { compareWithTruth, noDifferences, rollupMismatches, startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';

describe('initial sync, end to end (API → Temporal → worker → simulator → Postgres)', () => {
  // History shorter than the backfill window: everything Duo holds must land.
  const account = makeAccount({ dataset: { seed: 4242, users: 80, groups: 9, authEvents: 4000, days: 8 } });
  const tenantId = 'acme-initial';
  let harness: SyncHarness;
  let connectBody: Record<string, unknown>;
  /** The backfill covers everything before the anchor; later events belong to the incremental sync. */
  let anchorMs: number;

  beforeAll(async () => {
    harness = await startSyncHarness({ accounts: [account] });
    const connected = await harness.connect(tenantId, account);
    expect(connected.statusCode).toBe(202);
    connectBody = connected.body;
    const [row] = await harness.api.database.sql<{ anchor: number }[]>`select (extract(epoch from anchor_at) * 1000)::bigint as anchor from duo_integrations where tenant_id = ${tenantId}`;
    anchorMs = Number(row?.anchor);
    await harness.waitForInitialSync(tenantId);
  }, 180_000);
  afterAll(async () => {
    await harness?.close();
  });

  it('answers the connect with a running initial sync under the documented workflow id', () => {
    expect(connectBody).toMatchObject({
      tenantId,
      status: 'syncing',
      initialSync: { state: 'running', workflowId: `duo-initial-sync:${tenantId}` },
    });
  });

  it('lands exactly the users, groups, memberships and authentication events the Duo account holds', async () => {
    const differences = await compareWithTruth(harness, tenantId, account, { maxtime: anchorMs });
    expect(differences).toEqual(noDifferences);
    const truth = await harness.simulator.control.truth(account.integrationKey);
    expect(truth.authEvents.count).toBeGreaterThan(1000); // the comparison is not vacuous
  });

  it('keeps the per-user daily rollups equal to SQL over the raw events', async () => {
    expect(await rollupMismatches(harness, tenantId)).toBe(0);
  });

  it('reports completion and the counts Postgres holds in the status document', async () => {
    const status = await harness.status(tenantId);
    const truth = await harness.simulator.control.truth(account.integrationKey, { maxtime: anchorMs });
    expect(status).toMatchObject({
      status: 'active',
      initialSync: { state: 'completed', phase: 'done' },
      counts: { users: truth.users.count, groups: truth.groups.count, authEvents: truth.authEvents.count },
      lastError: null,
    });
  });

  it('tags the workflow with the TenantId search attribute and a readable summary', async () => {
    const description = await harness.temporal.workflow.getHandle(initialSyncWorkflowId(tenantId)).describe();
    expect(description.typedSearchAttributes.get(tenantIdSearchAttribute)).toBe(tenantId);
    expect(await description.staticSummary()).toContain(tenantId);
  });

  it('creates the incremental schedule at connect', async () => {
    const schedule = await harness.temporal.schedule.getHandle(`duo-incremental:${tenantId}`).describe();
    expect(schedule.state.paused).toBe(false);
  });

  it('never lets the secret key into workflow histories, API answers or logs, and stores it sealed', async () => {
    const histories: string[] = [];
    for await (const execution of harness.temporal.workflow.list({ query: `TenantId = "${tenantId}"` })) {
      const history = await harness.temporal.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
      histories.push(JSON.stringify(history));
    }
    expect(histories.length).toBeGreaterThan(0);
    for (const history of histories) expect(history).not.toContain(account.secretKey);
    expect(JSON.stringify(connectBody)).not.toContain(account.secretKey);
    expect(JSON.stringify(await harness.status(tenantId))).not.toContain(account.secretKey);
    expect(harness.api.logs()).not.toContain(account.secretKey);
    const [row] = await harness.api.database.sql`select secret_key_sealed from duo_integrations where tenant_id = ${tenantId}`;
    expect(row?.secret_key_sealed).toBeTruthy();
    expect(row?.secret_key_sealed).not.toContain(account.secretKey);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAccount } from '../../simulator/account-builder.js';
import { tenantPurgeWorkflowId } from '../../workflows/definitions.js';
import { startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';
import { rowsDeletedByBatches, rowsLeftOfTenant } from '../helpers/tenant-purge.js';
import { startInProcessWorker, type RunningWorker } from '../helpers/worker.js';

describe('purge: DELETE …?purge=true deletes a synced tenant in a workflow, batch by batch, and leaves a tombstone', () => {
  const account = makeAccount({ dataset: { seed: 13, users: 30, groups: 4, authEvents: 600, days: 3 } });
  const tenantId = 'purge-me';
  const keptTenantId = 'keep-me';
  const kept = makeAccount({ dataset: { seed: 14, users: 10, groups: 2, authEvents: 100, days: 2 } });
  let harness: SyncHarness;
  let syncWorker: RunningWorker | undefined;
  let worker: RunningWorker | undefined;
  let rowsBefore: Record<string, number> = {};
  let first: { statusCode: number; body: Record<string, unknown> };
  let second: { statusCode: number; body: Record<string, unknown> };

  const call = async (method: 'PUT' | 'DELETE' | 'GET' | 'POST', path: string, tenant = tenantId) => {
    const response = await harness.api.app.inject({ method, url: `/v1/tenants/${tenant}/integrations/duo${path}`, headers: harness.api.auth });
    return { statusCode: response.statusCode, body: response.json() as Record<string, unknown> };
  };
  const integrationRow = async () => {
    const [row] = await harness.api.database.sql`select * from duo_integrations where tenant_id = ${tenantId}`;
    return row;
  };

  beforeAll(async () => {
    // Batches of 40 rows: the purge takes dozens of transactions.
    harness = await startSyncHarness({ accounts: [account, kept], withWorker: false, env: { PURGE_BATCH_ROWS: '40' } });
    syncWorker = await startInProcessWorker(harness.api.config, harness.api.database.db);
    for (const [id, spec] of [[tenantId, account], [keptTenantId, kept]] as const) {
      expect((await harness.connect(id, spec)).statusCode).toBe(202);
      await harness.waitForInitialSync(id);
    }
    rowsBefore = await rowsDeletedByBatches(harness.api.database.sql, tenantId);
    // No worker while the purge is asked for, so it is certainly still under way for the checks below.
    await syncWorker.stop();
    first = await call('DELETE', '?purge=true');
    second = await call('DELETE', '?purge=true');
  }, 180_000);

  afterAll(async () => {
    await worker?.stop();
    await harness?.close();
  });

  it('answers 202 with status purging and the purge in its first phase', () => {
    expect(first.statusCode).toBe(202);
    expect(first.body).toMatchObject({ status: 'purging', purge: { phase: 'stopping', workflowId: tenantPurgeWorkflowId(tenantId), rowsDeleted: 0, completedAt: null } });
  });

  it('erases the secret at once and removes the schedule before any worker runs the purge', async () => {
    expect(await integrationRow()).toMatchObject({ status: 'purging', secret_key_sealed: null });
    await expect(harness.temporal.schedule.getHandle(`duo-incremental:${tenantId}`).describe()).rejects.toThrow();
  });

  it('answers a second purge request while purging with 202 for the same workflow (idempotent, no second purge)', async () => {
    expect(second.statusCode).toBe(202);
    expect(second.body).toMatchObject({ status: 'purging', purge: { workflowId: tenantPurgeWorkflowId(tenantId) } });
    const runs = [];
    for await (const execution of harness.temporal.workflow.list({ query: `WorkflowId = "${tenantPurgeWorkflowId(tenantId)}"` })) runs.push(execution.runId);
    expect(runs).toHaveLength(1);
  });

  it('refuses a PUT while purging with 409 tenant_purging', async () => {
    const response = await harness.connect(tenantId, account);
    expect(response.statusCode).toBe(409);
    expect(response.body).toMatchObject({ error: { code: 'tenant_purging' } });
  });

  describe('once a worker runs it', () => {
    beforeAll(async () => {
      worker = await startInProcessWorker(harness.api.config, harness.api.database.db);
      await harness.temporal.workflow.getHandle(tenantPurgeWorkflowId(tenantId)).result();
    }, 120_000);

    it('deletes every row of the tenant, in every table', async () => {
      expect(Object.values(rowsBefore).reduce((a, b) => a + b, 0)).toBeGreaterThan(600);
      expect(await rowsLeftOfTenant(harness.api.database.sql, tenantId)).toEqual({});
    });

    it('counts each deleted row once, per table, in the status document', async () => {
      const status = await call('GET', '');
      expect(status.statusCode).toBe(200);
      const purge = status.body.purge as { phase: string; rowsDeleted: number; deleted: Record<string, number>; completedAt: string | null };
      expect(purge.phase).toBe('done');
      expect(purge.completedAt).not.toBeNull();
      expect(purge.deleted).toEqual(rowsBefore);
      expect(purge.rowsDeleted).toBe(Object.values(rowsBefore).reduce((a, b) => a + b, 0));
    });

    it('leaves a tombstone that keeps no integration key, API host or secret', async () => {
      const row = await integrationRow();
      expect(row).toMatchObject({ status: 'disconnected', integration_key: null, api_host: null, secret_key_sealed: null, encryption_key_id: null });
      expect(row?.purged_at).toBeInstanceOf(Date);
      expect(JSON.stringify(row, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))).not.toContain(account.integrationKey);
      const status = await call('GET', '');
      expect(status.body).toMatchObject({ status: 'disconnected', apiHost: null, integrationKey: null });
    });

    it("leaves the other tenant's data untouched", async () => {
      const [row] = await harness.api.database.sql<{ n: number }[]>`select count(*)::int as n from duo_auth_events where tenant_id = ${keptTenantId}`;
      expect(row?.n).toBeGreaterThan(0);
      expect((await call('GET', '', keptTenantId)).body).toMatchObject({ status: 'active' });
    });

    it('answers a purge request for a purged tenant with 200 and starts nothing', async () => {
      const again = await call('DELETE', '?purge=true');
      expect(again.statusCode).toBe(200);
      expect(again.body).toMatchObject({ status: 'disconnected', purge: { phase: 'done' } });
    });

    it('connects the purged tenant again from scratch', async () => {
      expect((await harness.connect(tenantId, account)).statusCode).toBe(202);
      await harness.waitForInitialSync(tenantId);
      const status = await call('GET', '');
      expect(status.body).toMatchObject({ status: 'active', initialSync: { state: 'completed' } });
      expect((status.body.counts as { authEvents: number }).authEvents).toBeGreaterThan(0);
    }, 120_000);
  });
});

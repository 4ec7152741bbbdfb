import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configToEnv } from '../../config/config.js';
import { storeAuthEvents } from '../../db/auth-events.js';
import { upsertUsers } from '../../db/roster.js';
import { startWorkerProcess, type WorkerProcess } from '../../local/worker-process.js';
import { tenantPurgeWorkflowId } from '../../workflows/definitions.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { rowsDeletedByBatches, rowsLeftOfTenant } from '../helpers/tenant-purge.js';
import { authEvent, connectUsageTenant, DAY_MS, userRecord } from '../helpers/usage-tenant.js';
import { waitFor } from '../helpers/waiting.js';

describe('purge survives its worker killed with SIGKILL between batches', () => {
  const tenantId = 'purge-crash';
  const events = 30_000;
  let api: TestApi;
  const workers: WorkerProcess[] = [];
  let deletedAtKill = 0;
  let deletedAfterKill = 0;
  let rowsBefore: Record<string, number> = {};

  const progress = async () => {
    const [row] = await api.database.sql<{ rows: number; phase: string }[]>`select rows_deleted::int as rows, phase from tenant_purges where tenant_id = ${tenantId}`;
    return row;
  };

  beforeAll(async () => {
    // Batches of 100 rows: hundreds of transactions, so the kill lands in the middle.
    api = await createTestApi({ duoOrigin: undefined, env: { PURGE_BATCH_ROWS: '100' } });
    const nowMs = Date.now();
    await connectUsageTenant(api.database.db, tenantId, { anchorAt: new Date(nowMs), backfillStartAt: new Date(nowMs - 179 * DAY_MS) });
    const users = Array.from({ length: 50 }, (_, i) => `DUCRASH${String(i).padStart(13, '0')}`);
    await upsertUsers(api.database.db, tenantId, users.map((u) => userRecord(u, u.toLowerCase())), new Date(nowMs));
    for (let start = 0; start < events; start += 1000) {
      const page = Array.from({ length: 1000 }, (_, j) => {
        const i = start + j;
        return authEvent(`crash-${i}`, new Date(nowMs - (i % 60) * DAY_MS - i * 1000).toISOString(), users[i % users.length] ?? null);
      });
      await storeAuthEvents(api.database.db, tenantId, page);
    }
    rowsBefore = await rowsDeletedByBatches(api.database.sql, tenantId);

    const env = configToEnv(api.config);
    workers.push(startWorkerProcess(env));
    const response = await api.app.inject({ method: 'DELETE', url: `/v1/tenants/${tenantId}/integrations/duo?purge=true`, headers: api.auth });
    expect(response.statusCode).toBe(202);
    await waitFor('the first thousand rows deleted', async () => ((await progress())?.rows ?? 0) >= 1000, 120_000, 20);
    await workers[0]?.kill('SIGKILL');
    // A COMMIT already sent when the process died still lands; after that nothing moves.
    await new Promise((resolve) => setTimeout(resolve, 500));
    deletedAtKill = (await progress())?.rows ?? 0;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    deletedAfterKill = (await progress())?.rows ?? 0;
    workers.push(startWorkerProcess(env));
    await api.temporal.workflow.getHandle(tenantPurgeWorkflowId(tenantId)).result();
  }, 300_000);

  afterAll(async () => {
    for (const worker of workers) await worker.kill('SIGKILL');
    await api?.close();
  });

  it('was killed with the purge half done, and nothing was deleted while no worker ran', () => {
    expect(deletedAtKill).toBeGreaterThanOrEqual(1000);
    expect(deletedAtKill).toBeLessThan(events);
    expect(deletedAfterKill).toBe(deletedAtKill);
  });

  it('resumes on the next worker and deletes every row of the tenant', async () => {
    expect(await rowsLeftOfTenant(api.database.sql, tenantId)).toEqual({});
    expect(await progress()).toMatchObject({ phase: 'done' });
  });

  it('counts every deleted row exactly once across the crash', async () => {
    const [row] = await api.database.sql<{ deleted: Record<string, number>; rows: number }[]>`
      select deleted, rows_deleted::int as rows from tenant_purges where tenant_id = ${tenantId}`;
    expect(row?.deleted).toEqual(rowsBefore);
    expect(row?.deleted.duo_auth_events).toBe(events);
    expect(row?.rows).toBe(Object.values(rowsBefore).reduce((a, b) => a + b, 0));
  });
});

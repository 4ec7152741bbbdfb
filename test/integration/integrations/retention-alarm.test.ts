import { Client, Connection } from '@temporalio/client';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../../../db/client.js';
import { transition } from '../../../integrations/transitions.js';
import { checkRetentionHorizon, RETENTION_ALARM_AGE_MS } from '../../../integrations/retention-alarm.js';
import { startScheduleReconciler } from '../../../worker/schedule-reconciler.js';
import { testConfig } from '../../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { waitFor } from '../../helpers/waiting.js';

describe('retention alarm', () => {
  let database: TestDatabase;
  let secondWorker: DatabaseHandle;
  const tenants = ['stale-a', 'stale-b', 'stale-c'];

  const addTenant = async (tenantId: string, syncedThroughMs: number) => {
    const now = new Date();
    await transition.connect(database.db, {
      tenantId, apiHost: 'api-x.duosecurity.com', integrationKey: 'DIXXXXXXXXXXXXXXXXXX', secretKeySealed: 'v1.k.a.b.c',
      encryptionKeyId: 'k', anchorAt: now, backfillStartAt: now, initialSyncWorkflowId: `duo-initial-sync:${tenantId}`,
    });
    await database.sql`update stream_checkpoints set synced_through_ms = ${syncedThroughMs} where tenant_id = ${tenantId} and stream = 'auth'`;
  };
  const clearAlarms = () => database.sql`update duo_integrations set retention_alarm_at = null`;

  beforeAll(async () => {
    database = await createTestDatabase();
    // A second worker process: its own connection pool on the same database.
    secondWorker = createDatabase(database.url, { poolSize: 2 });
    for (const tenantId of tenants) await addTenant(tenantId, Date.now() - RETENTION_ALARM_AGE_MS - 3_600_000);
  });
  afterAll(async () => {
    await secondWorker?.close();
    await database?.drop();
  });

  it('raises each alarm exactly once when two workers check at the same moment', async () => {
    for (let round = 0; round < 3; round++) {
      await clearAlarms();
      const [one, two] = await Promise.all([checkRetentionHorizon(database.db), checkRetentionHorizon(secondWorker.db)]);
      const raised = [...(one ?? []), ...(two ?? [])].map((n) => n.tenantId).sort();
      expect(raised).toEqual(tenants);
    }
  });

  it('raises the alarm while Temporal is unreachable', async () => {
    await clearAlarms();
    // Nothing listens there; no gRPC retries, so the failed pass ends quickly.
    const connection = Connection.lazy({ address: '127.0.0.1:1', interceptors: [] });
    const reconciler = startScheduleReconciler({
      client: new Client({ connection }),
      db: database.db,
      config: testConfig({ DATABASE_URL: database.url, TEMPORAL_ADDRESS: '127.0.0.1:1' }),
      logger: pino({ level: 'silent' }),
    });
    try {
      await waitFor('the retention alarms', async () => {
        const [row] = await database.sql<{ n: number }[]>`select count(*)::int as n from duo_integrations where retention_alarm_at is not null`;
        return row?.n === tenants.length;
      }, 20_000);
    } finally {
      reconciler.stop();
      await reconciler.runOnce();
      await connection.close();
    }
  });
});

import { randomBytes } from 'node:crypto';
import { Client, Connection, ScheduleNotFoundError } from '@temporalio/client';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { listEventPartitions } from '../../../db/event-partitions.js';
import { transition } from '../../../integrations/transitions.js';
import { incrementalScheduleId } from '../../../workflows/definitions.js';
import { startScheduleReconciler } from '../../../worker/schedule-reconciler.js';
import { testConfig } from '../../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { waitFor } from '../../helpers/waiting.js';

describe('startScheduleReconciler', () => {
  let connection: Connection;
  let temporal: Client;
  let database: TestDatabase;
  const run = randomBytes(3).toString('hex');
  const tenants = [`loop-${run}-a`, `loop-${run}-b`];
  const handle = (tenantId: string) => temporal.schedule.getHandle(incrementalScheduleId(tenantId));
  const schedule = async (tenantId: string) => {
    try {
      return await handle(tenantId).describe();
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) return undefined;
      throw error;
    }
  };

  beforeAll(async () => {
    connection = await Connection.connect({ address: inject('temporalAddress') });
    temporal = new Client({ connection });
    database = await createTestDatabase();
    const now = new Date();
    for (const tenantId of tenants) {
      await transition.connect(database.db, {
        tenantId, apiHost: 'api-x.duosecurity.com', integrationKey: 'DIXXXXXXXXXXXXXXXXXX', secretKeySealed: 'v1.k.a.b.c',
        encryptionKeyId: 'k', anchorAt: now, backfillStartAt: now, initialSyncWorkflowId: `duo-initial-sync:${tenantId}`,
      });
    }
  });
  afterAll(async () => {
    for (const tenantId of tenants) await handle(tenantId).delete().catch(() => undefined);
    await database?.drop();
    await connection?.close();
  });

  it('repairs schedules at worker start and again on the full sweep, unasked', async () => {
    // Drift Postgres cannot see (a schedule deleted or paused in the UI) is repaired by the full sweep.
    const config = testConfig({
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      RECONCILE_INTERVAL_SECONDS: '5',
      RECONCILE_FULL_SWEEP_SECONDS: '5',
    });
    const reconciler = startScheduleReconciler({ client: temporal, db: database.db, config, logger: pino({ level: 'silent' }) });
    const [deleted = '', pausedBehindItsBack = ''] = tenants;
    try {
      await waitFor('the schedules made at start', async () => (await schedule(deleted)) !== undefined && (await schedule(pausedBehindItsBack)) !== undefined, 10_000);
      await handle(deleted).delete();
      await handle(pausedBehindItsBack).pause('toggled in the UI, unknown to Postgres');

      await waitFor('the next pass to repair both', async () => (await schedule(deleted)) !== undefined && (await schedule(pausedBehindItsBack))?.state.paused === false, 15_000);
    } finally {
      reconciler.stop();
      await reconciler.runOnce();
    }
    expect((await schedule(deleted))?.spec.intervals?.[0]?.every).toBe(config.SYNC_INTERVAL_MINUTES * 60_000);
  });

  it('creates the event partitions of this month and the next three at worker start, before any sync needs them', async () => {
    const months = [0, 1, 2, 3].map((ahead) => {
      const now = new Date();
      return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + ahead, 1)).toISOString().slice(0, 7).replace('-', '_');
    });
    // The template has them all; take them away first.
    for (const month of months) await database.sql.unsafe(`drop table duo_auth_events_${month}, duo_admin_events_${month}`);
    const config = testConfig({ DATABASE_URL: database.url, TEMPORAL_ADDRESS: inject('temporalAddress') });
    const reconciler = startScheduleReconciler({ client: temporal, db: database.db, config, logger: pino({ level: 'silent' }) });
    try {
      await reconciler.runOnce();
    } finally {
      reconciler.stop();
    }
    const partitions = await listEventPartitions(database.db);
    for (const month of months) {
      expect(partitions.some((p) => p.partition === `duo_auth_events_${month}` && p.state === 'attached'), month).toBe(true);
      expect(partitions.some((p) => p.partition === `duo_admin_events_${month}` && p.state === 'attached'), month).toBe(true);
    }
  });
});

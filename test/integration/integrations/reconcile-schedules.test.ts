import { randomBytes } from 'node:crypto';
import { Client, Connection, ScheduleNotFoundError, type ScheduleOptions } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { Config } from '../../../config/config.js';
import { reconcileSchedules } from '../../../integrations/reconcile-schedules.js';
import { ensureIncrementalSchedule, pauseIncrementalSchedule } from '../../../integrations/schedules.js';
import { findIntegration } from '../../../db/integrations.js';
import { transition } from '../../../integrations/transitions.js';
import { incrementalScheduleId } from '../../../workflows/definitions.js';
import { testConfig } from '../../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';

describe('reconcileSchedules', () => {
  let connection: Connection;
  let temporal: Client;
  let database: TestDatabase;
  let config: Config;
  const tenants: string[] = [];
  const run = randomBytes(3).toString('hex');

  /** A connected integration in Postgres (no schedule yet); ids are unique to this file's run. */
  const connectedTenant = async (name: string) => {
    const tenantId = `rec-${run}-${name}`;
    const now = new Date();
    await transition.connect(database.db, {
      tenantId, apiHost: 'api-x.duosecurity.com', integrationKey: 'DIXXXXXXXXXXXXXXXXXX', secretKeySealed: 'v1.k.a.b.c',
      encryptionKeyId: 'k', anchorAt: now, backfillStartAt: now, initialSyncWorkflowId: `duo-initial-sync:${tenantId}`,
    });
    tenants.push(tenantId);
    return tenantId;
  };
  const describeSchedule = (tenantId: string) => temporal.schedule.getHandle(incrementalScheduleId(tenantId)).describe();
  const scheduleExists = async (tenantId: string) => {
    try {
      await describeSchedule(tenantId);
      return true;
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) return false;
      throw error;
    }
  };
  /** A client whose schedule creations first run `hook`: lets a test act in the middle of a pass. */
  const clientWithCreateHook = (hook: (options: ScheduleOptions) => Promise<void>): Client => {
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    const create = client.schedule.create.bind(client.schedule);
    client.schedule.create = (async (options: ScheduleOptions) => {
      await hook(options);
      return create(options);
    }) as typeof client.schedule.create;
    return client;
  };

  beforeAll(async () => {
    connection = await Connection.connect({ address: inject('temporalAddress') });
    temporal = new Client({ connection });
  });
  beforeEach(async () => {
    database = await createTestDatabase();
    config = testConfig({ DATABASE_URL: database.url, TEMPORAL_ADDRESS: inject('temporalAddress') });
  });
  afterEach(async () => {
    for (const tenantId of tenants.splice(0)) {
      await temporal.schedule.getHandle(incrementalScheduleId(tenantId)).delete().catch(() => undefined);
    }
    await database.drop();
  });
  afterAll(async () => {
    await connection.close();
  });

  it('repairs every other tenant when one tenant cannot be reconciled', async () => {
    // Listed first: an interval Temporal refuses (the API never stores it, an old row might hold it).
    const broken = await connectedTenant('a-broken');
    await database.sql`update duo_integrations set settings = '{"syncIntervalMinutes": 0}'::jsonb where tenant_id = ${broken}`;
    const healthy = [await connectedTenant('b'), await connectedTenant('c')];

    const report = await reconcileSchedules(temporal, database.db, config);

    expect(report.created.sort()).toEqual(healthy);
    expect(report.failed.map((f) => f.tenantId)).toEqual([broken]);
    for (const tenantId of healthy) expect(await scheduleExists(tenantId)).toBe(true);
  });

  it('keeps an operator pause made while the pass is under way', async () => {
    const first = await connectedTenant('a-first');
    const paused = await connectedTenant('b-paused');
    const row = await findIntegration(database.db, paused);
    if (!row) throw new Error('no row');
    await ensureIncrementalSchedule(temporal, config, row);
    const note = 'Paused by ops@example.com: audit';
    // The operator pauses (Postgres first, then Temporal, as the API does) once the pass has started.
    const client = clientWithCreateHook(async (options) => {
      if (options.scheduleId !== incrementalScheduleId(first)) return;
      await transition.pause(database.db, paused, note);
      await pauseIncrementalSchedule(temporal, paused, note);
    });

    await reconcileSchedules(client, database.db, config);

    expect((await describeSchedule(paused)).state).toMatchObject({ paused: true, note });
  });

  it('creates no schedule for a tenant disconnected while the pass is under way', async () => {
    const first = await connectedTenant('a-first');
    const leaving = await connectedTenant('b-leaving');
    const client = clientWithCreateHook(async (options) => {
      if (options.scheduleId !== incrementalScheduleId(first)) return;
      await database.sql`update duo_integrations set status = 'disconnected', secret_key_sealed = null where tenant_id = ${leaving}`;
    });

    await reconcileSchedules(client, database.db, config);

    expect(await scheduleExists(first)).toBe(true);
    expect(await scheduleExists(leaving)).toBe(false);
  });

  it('brings an interval changed in Postgres to the schedule, keeping its pause', async () => {
    const tenantId = await connectedTenant('a');
    await reconcileSchedules(temporal, database.db, config);
    await database.sql`update duo_integrations set settings = '{"syncIntervalMinutes": 15}'::jsonb, schedule_paused = true, pause_note = 'held' where tenant_id = ${tenantId}`;

    const report = await reconcileSchedules(temporal, database.db, config);

    expect(report.updated).toEqual([tenantId]);
    const schedule = await describeSchedule(tenantId);
    expect(schedule.spec.intervals?.[0]?.every).toBe(15 * 60_000);
    expect(schedule.state).toMatchObject({ paused: true, note: 'held' });
    expect((await reconcileSchedules(temporal, database.db, config)).updated).toEqual([]); // nothing left to change
  });
});

import { randomBytes } from 'node:crypto';
import { Client, Connection, ScheduleNotFoundError, type ScheduleDescription, type ScheduleOptions } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { Config } from '../../../config/config.js';
import { runReconciliationPass } from '../../../integrations/reconciliation-pass.js';
import { transition } from '../../../integrations/transitions.js';
import { incrementalScheduleId } from '../../../workflows/definitions.js';
import { testConfig } from '../../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';

describe('runReconciliationPass', () => {
  let connection: Connection;
  let temporal: Client;
  let database: TestDatabase;
  let config: Config;
  const tenants: string[] = [];
  const run = randomBytes(3).toString('hex');
  const SWEEP_SECONDS = 3600;

  const connectedTenant = async (name: string) => {
    const tenantId = `pass-${run}-${name}`;
    const now = new Date();
    await transition.connect(database.db, {
      tenantId, apiHost: 'api-x.duosecurity.com', integrationKey: 'DIXXXXXXXXXXXXXXXXXX', secretKeySealed: 'v1.k.a.b.c',
      encryptionKeyId: 'k', anchorAt: now, backfillStartAt: now, initialSyncWorkflowId: `duo-initial-sync:${tenantId}`,
    });
    tenants.push(tenantId);
    return tenantId;
  };
  const handle = (tenantId: string) => temporal.schedule.getHandle(incrementalScheduleId(tenantId));
  const schedule = async (tenantId: string): Promise<ScheduleDescription | undefined> => {
    try {
      return await handle(tenantId).describe();
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) return undefined;
      throw error;
    }
  };
  const pass = (client: Client = temporal, nowMs = Date.now()) => runReconciliationPass({ client, db: database.db, config }, nowMs);
  /** A pass that ran, with its report. */
  const ranPass = async (client?: Client, nowMs?: number) => {
    const result = await pass(client, nowMs);
    if (!result.ran) throw new Error('the pass did not run');
    return result.report;
  };

  beforeAll(async () => {
    connection = await Connection.connect({ address: inject('temporalAddress') });
    temporal = new Client({ connection });
  });
  beforeEach(async () => {
    database = await createTestDatabase();
    config = testConfig({ DATABASE_URL: database.url, TEMPORAL_ADDRESS: inject('temporalAddress'), RECONCILE_FULL_SWEEP_SECONDS: String(SWEEP_SECONDS) });
  });
  afterEach(async () => {
    for (const tenantId of tenants.splice(0)) await handle(tenantId).delete().catch(() => undefined);
    await database.drop();
  });
  afterAll(async () => {
    await connection.close();
  });

  it('runs on one reconciler at a time: a second one started meanwhile skips its turn', async () => {
    const tenantId = await connectedTenant('a');
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    // The first reconciler's pass stops inside its first schedule creation until released.
    const slow = new Client({ connection });
    const create = slow.schedule.create.bind(slow.schedule);
    slow.schedule.create = (async (options: ScheduleOptions) => {
      entered();
      await released;
      return create(options);
    }) as typeof slow.schedule.create;

    const first = pass(slow);
    await inside;
    const second = await pass();
    release();

    expect(second).toEqual({ ran: false });
    expect(await first).toMatchObject({ ran: true, report: { mode: 'full', created: [tenantId] } });
    // With the first one done, the lock is free again.
    expect((await pass()).ran).toBe(true);
  });

  it('reconciles a tenant whose desired state changed on the next pass, visiting only it', async () => {
    const changed = await connectedTenant('a-changed');
    await connectedTenant('b-same');
    await ranPass(); // the first pass is a full sweep
    const note = 'Paused by ops@example.com: audit';
    await transition.pause(database.db, changed, note); // Postgres only, as if Temporal had been down

    const report = await ranPass();

    expect(report).toMatchObject({ mode: 'changed', visited: 1, updated: [changed], failed: [] });
    expect((await schedule(changed))?.state).toMatchObject({ paused: true, note });
  });

  it('leaves a tenant whose desired state did not change untouched until the full sweep', async () => {
    const unchanged = await connectedTenant('a');
    await ranPass();
    await handle(unchanged).pause('toggled in the UI, unknown to Postgres');

    const report = await ranPass();

    expect(report).toMatchObject({ mode: 'changed', visited: 0, updated: [] });
    expect((await schedule(unchanged))?.state.paused).toBe(true);
  });

  it('repairs a schedule deleted behind its back on the full sweep', async () => {
    const tenantId = await connectedTenant('a');
    const start = Date.now();
    await ranPass(temporal, start);
    await handle(tenantId).delete();

    expect(await ranPass(temporal, start + 60_000)).toMatchObject({ mode: 'changed', created: [] });
    expect(await schedule(tenantId)).toBeUndefined();
    const sweep = await ranPass(temporal, start + SWEEP_SECONDS * 1000);

    expect(sweep).toMatchObject({ mode: 'full', created: [tenantId] });
    expect(await schedule(tenantId)).toBeDefined();
  });

  it('sweeps at once when the service default interval changed', async () => {
    const tenantId = await connectedTenant('a');
    await ranPass();
    config = { ...config, SYNC_INTERVAL_MINUTES: config.SYNC_INTERVAL_MINUTES + 5 };

    const report = await ranPass();

    expect(report).toMatchObject({ mode: 'full', updated: [tenantId] });
    expect((await schedule(tenantId))?.spec.intervals?.[0]?.every).toBe(config.SYNC_INTERVAL_MINUTES * 60_000);
  });

  it('retries on the next changed-only pass a tenant the sweep could not repair', async () => {
    const tenantId = await connectedTenant('a');
    // An interval Temporal refuses (the API never stores it, an old row might hold it).
    await database.sql`update duo_integrations set settings = '{"syncIntervalMinutes": 0}'::jsonb where tenant_id = ${tenantId}`;
    expect(await ranPass()).toMatchObject({ mode: 'full', failed: [{ tenantId }] });
    await database.sql`update duo_integrations set settings = '{}'::jsonb where tenant_id = ${tenantId}`;

    expect(await ranPass()).toMatchObject({ mode: 'changed', visited: 1, created: [tenantId], failed: [] });
    expect(await ranPass()).toMatchObject({ mode: 'changed', visited: 0 });
  });
});

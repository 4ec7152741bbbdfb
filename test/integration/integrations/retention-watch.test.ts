import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transition } from '../../../integrations/transitions.js';
import { checkRetentionHorizon, RETENTION_ALARM_AGE_MS } from '../../../integrations/retention-alarm.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';

describe('checkRetentionHorizon', () => {
  let database: TestDatabase;
  const now = new Date('2026-11-28T12:00:00Z');
  const setCheckpoint = (tenantId: string, ms: number) =>
    database.sql`update stream_checkpoints set synced_through_ms = ${ms} where tenant_id = ${tenantId} and stream = 'auth'`;

  beforeAll(async () => {
    database = await createTestDatabase();
    for (const tenantId of ['stale', 'fresh']) {
      await transition.connect(database.db, {
        tenantId, apiHost: 'api-x.duosecurity.com', integrationKey: 'DIXXXXXXXXXXXXXXXXXX', secretKeySealed: 'v1.k.a.b.c',
        encryptionKeyId: 'k', anchorAt: now, backfillStartAt: now, initialSyncWorkflowId: `duo-initial-sync:${tenantId}`,
      });
    }
    await setCheckpoint('stale', now.getTime() - RETENTION_ALARM_AGE_MS - 60_000);
    await setCheckpoint('fresh', now.getTime() - 60_000);
  });
  afterAll(async () => { await database.drop(); });

  it('raises one alarm for a tenant whose checkpoint is within 7 days of the 180-day horizon', async () => {
    const first = await checkRetentionHorizon(database.db, now);
    expect(first.map((n) => [n.type, n.tenantId])).toEqual([['retention.at_risk', 'stale']]);
    expect(first[0]?.details.streams).toBe('auth');
    expect(await checkRetentionHorizon(database.db, now)).toEqual([]); // once, not every period
  });

  it('clears the alarm once the stream has caught up', async () => {
    await setCheckpoint('stale', now.getTime() - 60_000);
    await checkRetentionHorizon(database.db, now);
    const [row] = await database.sql`select retention_alarm_at from duo_integrations where tenant_id = 'stale'`;
    expect(row?.retention_alarm_at).toBeNull();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBackfillWindow, recordMalformedBackfillPage } from '../../../db/backfill-windows.js';
import { resetFailureStreak } from '../../../db/integrations.js';
import { transition } from '../../../integrations/transitions.js';
import { recordMalformedRosterPage } from '../../../db/roster-malformed.js';
import { ensureStreamCheckpoint, recordMalformedStreamPage } from '../../../db/stream-checkpoints.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';

describe('resetFailureStreak (a PUT with working keys, or a resume)', () => {
  let database: TestDatabase;
  beforeAll(async () => { database = await createTestDatabase(); });
  afterAll(async () => { await database.drop(); });

  async function stalledTenant(tenantId: string): Promise<void> {
    const now = new Date();
    await transition.connect(database.db, {
      tenantId, apiHost: 'api-x.duosecurity.com', integrationKey: 'DIXXXXXXXXXXXXXXXXXX', secretKeySealed: 'v1.k.a.b.c',
      encryptionKeyId: 'k', anchorAt: now, backfillStartAt: now, initialSyncWorkflowId: `duo-initial-sync:${tenantId}`,
    });
    await database.sql`update duo_integrations set consecutive_failures = 4 where tenant_id = ${tenantId}`;
    const window = { tenantId, stream: 'auth', windowStartMs: 0, windowEndMs: 86_400_000 };
    await openBackfillWindow(database.db, window);
    await ensureStreamCheckpoint(database.db, tenantId, 'auth', 0);
    for (let i = 0; i < 3; i++) {
      await recordMalformedBackfillPage(database.db, window, '123,abc');
      await recordMalformedStreamPage(database.db, tenantId, 'auth', '86400000|');
      await recordMalformedRosterPage(database.db, tenantId, 'users offset 300');
    }
  }

  const streaks = async (tenantId: string) => {
    const [row] = await database.sql<{ failures: number; windows: number; checkpoints: number; roster: number }[]>`
      select (select consecutive_failures from duo_integrations where tenant_id = ${tenantId}) as failures,
             (select coalesce(sum(malformed_streak), 0)::int from backfill_windows where tenant_id = ${tenantId}) as windows,
             (select coalesce(sum(malformed_streak), 0)::int from stream_checkpoints where tenant_id = ${tenantId}) as checkpoints,
             (select coalesce(sum(malformed_streak), 0)::int from roster_malformed_pages where tenant_id = ${tenantId}) as roster`;
    return row;
  };

  it('starts the failure streak and every malformed-page streak over, so a stalled page gets all its attempts again', async () => {
    await stalledTenant('stalled');
    expect(await streaks('stalled')).toEqual({ failures: 4, windows: 3, checkpoints: 3, roster: 3 });
    await resetFailureStreak(database.db, 'stalled');
    expect(await streaks('stalled')).toEqual({ failures: 0, windows: 0, checkpoints: 0, roster: 0 });
  });

  it("leaves other tenants' streaks alone", async () => {
    await stalledTenant('other');
    await stalledTenant('helped');
    await resetFailureStreak(database.db, 'helped');
    expect(await streaks('other')).toEqual({ failures: 4, windows: 3, checkpoints: 3, roster: 3 });
  });
});

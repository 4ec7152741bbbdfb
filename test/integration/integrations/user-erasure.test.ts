import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeAuthEvents } from '../../../db/auth-events.js';
import { storeStreamEvents } from '../../../db/optional-streams.js';
import { rollupMismatches } from '../../../db/rollup-check.js';
import { upsertUsers } from '../../../db/roster.js';
import { eraseUserData } from '../../../integrations/user-erasure.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { authEvent, connectUsageTenant, DAY_MS, userRecord } from '../../helpers/usage-tenant.js';

// Erasure across every stream that can name a person: the optional streams identify a user by
// other keys than user_id (actor/target key, the username an admin action names, a phone number).

const nowMs = Date.now();
const at = (days: number) => new Date(nowMs - days * DAY_MS).toISOString();
const tenantId = 'erasure-streams';

describe('eraseUserData across the optional streams', () => {
  let database: TestDatabase;
  let result: Awaited<ReturnType<typeof eraseUserData>>;
  const streamRows = async (table: string) => {
    const [row] = await database.sql<{ n: number }[]>`select count(*)::int as n from ${database.sql(table)} where tenant_id = ${tenantId}`;
    return row?.n ?? 0;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    await connectUsageTenant(database.db, tenantId, { anchorAt: new Date(nowMs), backfillStartAt: new Date(nowMs - 179 * DAY_MS) });
    await upsertUsers(database.db, tenantId, [
      userRecord('DUERASE', 'erin', { raw: { user_id: 'DUERASE', username: 'erin', phones: [{ number: '+15555550100' }] } }),
      userRecord('DUKEEP', 'kim', { raw: { user_id: 'DUKEEP', username: 'kim', phones: [{ number: '+15555550199' }] } }),
    ], new Date(nowMs));
    await storeAuthEvents(database.db, tenantId, [authEvent('a1', at(1), 'DUERASE'), authEvent('a2', at(2), 'DUERASE'), authEvent('a3', at(1), 'DUKEEP')]);
    await storeStreamEvents(database.db, tenantId, 'telephony', [
      { id: 't1', occurredAt: at(1), raw: { telephony_id: 't1', phone: '+15555550100' } },
      { id: 't2', occurredAt: at(1), raw: { telephony_id: 't2', phone: '+15555550199' } },
    ]);
    await storeStreamEvents(database.db, tenantId, 'activity', [
      { id: 'v1', occurredAt: at(1), raw: { activity_id: 'v1', actor: { key: 'DUERASE', type: 'user' } } },
      { id: 'v2', occurredAt: at(1), raw: { activity_id: 'v2', actor: { key: 'DEADMIN', type: 'admin' }, target: { key: 'DUERASE', type: 'user' } } },
      { id: 'v3', occurredAt: at(1), raw: { activity_id: 'v3', actor: { key: 'DUKEEP', type: 'user' } } },
    ]);
    await storeStreamEvents(database.db, tenantId, 'administrator', [
      { id: 'h1', occurredAt: at(1), raw: { action: 'user_update', object: 'erin', username: 'admin' } },
      { id: 'h2', occurredAt: at(1), raw: { action: 'group_update', object: 'erin', username: 'admin' } },
      { id: 'h3', occurredAt: at(1), raw: { action: 'user_update', object: 'kim', username: 'admin' } },
    ]);
    result = await eraseUserData(database.db, tenantId, 'DUERASE');
  });
  afterAll(async () => {
    await database.drop();
  });

  it("deletes the person's rows in each stream and counts them", () => {
    expect(result.deleted).toMatchObject({ authEvents: 2, telephonyEvents: 1, activityEvents: 2, administratorEvents: 1, userRows: 1 });
  });

  it("keeps other people's rows, and a group action that merely shares the username's spelling", async () => {
    expect({ auth: await streamRows('duo_auth_events'), telephony: await streamRows('duo_telephony_events'), activity: await streamRows('duo_activity_events'), admin: await streamRows('duo_admin_events') })
      .toEqual({ auth: 1, telephony: 1, activity: 1, admin: 2 });
  });

  it('keeps the stream counters equal to the rows left', async () => {
    const rows = await database.sql<{ stream: string; event_count: number }[]>`
      select stream, event_count::int as event_count from stream_checkpoints where tenant_id = ${tenantId} order by stream`;
    expect(Object.fromEntries(rows.map((r) => [r.stream, r.event_count]))).toMatchObject({ auth: 1, telephony: 1, activity: 1, administrator: 2 });
  });

  it('leaves the rollups equal to plain SQL over the remaining events', async () => {
    expect(await rollupMismatches(database.sql, tenantId)).toEqual([]);
  });

  it('refuses a tenant without an integration with TENANT_NOT_FOUND', async () => {
    await expect(eraseUserData(database.db, 'nobody', 'DUERASE')).rejects.toMatchObject({ code: 'TENANT_NOT_FOUND' });
  });
});

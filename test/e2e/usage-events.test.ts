import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userEventListSchema } from '../../api/schemas/usage.js';
import { storeAuthEvents } from '../../db/auth-events.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { authEvent, connectUsageTenant, DAY_MS, seedOtherTenant } from '../helpers/usage-tenant.js';

// GET /v1/tenants/:tenantId/duo/users/:userId/events: one user's events, newest first, keyset-paged.

let api: TestApi;
const tenant = 'acme';
const nowMs = Date.now();
const base = `/v1/tenants/${tenant}/duo/users`;

beforeAll(async () => {
  api = await createTestApi({ duoOrigin: 'http://127.0.0.1:9' });
  await connectUsageTenant(api.database.db, tenant, { anchorAt: new Date(nowMs), backfillStartAt: new Date(nowMs - 179 * DAY_MS) });
  await seedOtherTenant(api.database.db, 'globex', nowMs);
  // Seven events of DUALICE, two sharing an instant to the microsecond (order then falls back to txid).
  await storeAuthEvents(api.database.db, tenant, [
    authEvent('tx-1', '2026-01-01T10:00:00.000001Z', 'DUALICE'),
    authEvent('tx-2', '2026-01-02T10:00:00.000002Z', 'DUALICE', { result: 'denied', reason: 'no_response' }),
    authEvent('tx-3a', '2026-01-03T10:00:00.123456Z', 'DUALICE'),
    authEvent('tx-3b', '2026-01-03T10:00:00.123456Z', 'DUALICE'),
    authEvent('tx-3c', '2026-01-03T10:00:00.123457Z', 'DUALICE', { result: 'fraud' }),
    authEvent('tx-4', '2026-01-04T10:00:00Z', 'DUALICE', { applicationKey: 'DIWIKI00000000000000' }),
    authEvent('tx-5', '2026-01-05T10:00:00Z', 'DUALICE'),
    authEvent('bob-1', '2026-01-05T11:00:00Z', 'DUBOB'),
  ]);
});

afterAll(async () => {
  await api?.close();
});

async function events(userId: string, query = '') {
  const response = await api.app.inject({ method: 'GET', url: `${base}/${userId}/events${query ? `?${query}` : ''}`, headers: api.auth });
  expect(response.statusCode, response.body).toBe(200);
  return userEventListSchema.parse(response.json());
}

describe('GET /duo/users/:userId/events', () => {
  it("returns the user's events newest first with microsecond instants", async () => {
    const page = await events('DUALICE');
    expect(page.events.map((e) => e.txid)).toEqual(['tx-5', 'tx-4', 'tx-3c', 'tx-3b', 'tx-3a', 'tx-2', 'tx-1']);
    expect(page.events[2]).toMatchObject({ occurredAt: '2026-01-03T10:00:00.123457Z', result: 'fraud' });
    expect(page.events[1]?.application.key).toBe('DIWIKI00000000000000');
    expect(page.nextCursor).toBeNull();
  });

  it('pages through every event once, ties on the instant included', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await events('DUALICE', `limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.events.map((e) => e.txid));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['tx-5', 'tx-4', 'tx-3c', 'tx-3b', 'tx-3a', 'tx-2', 'tx-1']);
  });

  it('filters by time range: from inclusive, to exclusive', async () => {
    const page = await events('DUALICE', `from=${encodeURIComponent('2026-01-02T10:00:00.000002Z')}&to=2026-01-04T10:00:00Z`);
    expect(page.events.map((e) => e.txid)).toEqual(['tx-3c', 'tx-3b', 'tx-3a', 'tx-2']);
  });

  it('accepts time zone offsets in the range', async () => {
    const page = await events('DUALICE', `from=${encodeURIComponent('2026-01-05T11:00:00+01:00')}`);
    expect(page.events.map((e) => e.txid)).toEqual(['tx-5']);
  });

  it("never shows another tenant's events for the same user id", async () => {
    const page = await events('DUALICE');
    expect(page.events.some((e) => e.txid.startsWith('other-'))).toBe(false);
    const other = await api.app.inject({ method: 'GET', url: '/v1/tenants/globex/duo/users/DUALICE/events', headers: api.auth });
    expect(userEventListSchema.parse(other.json()).events.map((e) => e.txid)).toEqual(['other-0', 'other-1', 'other-2', 'other-3', 'other-4']);
  });

  it('answers an unknown user with an empty list', async () => {
    expect(await events('DUNOBODY')).toEqual({ userId: 'DUNOBODY', events: [], nextCursor: null });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorResponseSchema } from '../../api/schemas/integration.js';
import { makeAccount } from '../../simulator/account-builder.js';
import { startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';

/**
 * Counterexamples the hostile-input fuzz suite (fuzz-api.test.ts) found, pinned as plain tests so a
 * fix is proven by name and cannot regress silently when the fuzzer's seed does not revisit them.
 */
const account = makeAccount({ dataset: { seed: 52, users: 10, groups: 2, authEvents: 100, days: 2 } });
const tenantId = 'fuzz-regress';
let harness: SyncHarness;
let userId = '';

beforeAll(async () => {
  harness = await startSyncHarness({ accounts: [account] });
  expect((await harness.connect(tenantId, account)).statusCode).toBe(202);
  await harness.waitForInitialSync(tenantId);
  userId = (await harness.simulator.control.roster(account.integrationKey)).users[0]?.user_id ?? '';
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

const get = (url: string, authorized = true) => harness.api.app.inject({ method: 'GET', url, headers: authorized ? harness.api.auth : {} });

/** The answer is the JSON error envelope with this status, and repeats nothing of the request path. */
function expectEnvelope(response: { statusCode: number; body: string; headers: Record<string, unknown> }, status: number, echoed?: string): string {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const parsed = errorResponseSchema.safeParse(JSON.parse(response.body));
  expect(parsed.success, response.body).toBe(true);
  if (echoed !== undefined) expect(response.body).not.toContain(echoed);
  return parsed.data?.error.code ?? '';
}

const cursor = (payload: Record<string, unknown>) => Buffer.from(JSON.stringify(payload)).toString('base64url');

describe('router-level refusals (Fastify answers them before any hook)', () => {
  const longTenant = 'a'.repeat(600);
  const badEscape = '%E0%A4%A';

  it('answers 401 to an unauthenticated request whose tenant id is longer than the router allows', async () => {
    const response = await get(`/v1/tenants/${longTenant}/integrations/duo`, false);
    expect(expectEnvelope(response, 401, longTenant)).toBe('unauthorized');
    expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
  });

  it('answers 401 to an unauthenticated request with a broken percent-escape in the path', async () => {
    const response = await get(`/v1/tenants/${badEscape}/integrations/duo`, false);
    expect(expectEnvelope(response, 401, badEscape)).toBe('unauthorized');
  });

  it('answers an over-long tenant id with a 4xx in the error envelope, not Fastify\'s own body', async () => {
    const response = await get(`/v1/tenants/${longTenant}/integrations/duo`);
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    expect(response.statusCode).toBeLessThan(500);
    expectEnvelope(response, response.statusCode, longTenant);
  });

  it('answers a broken percent-escape with 400 bad_request in the error envelope', async () => {
    const response = await get(`/v1/tenants/x/duo/users/${badEscape}/events`);
    expect(expectEnvelope(response, 400, badEscape)).toBe('bad_request');
  });
});

describe('instants Postgres cannot store', () => {
  it('refuses an events `from` in year 0 with 400 validation_failed, not a 500', async () => {
    const response = await get(`/v1/tenants/${tenantId}/duo/users/${userId}/events?from=0000-01-01T00:00:00Z`);
    expect(expectEnvelope(response, 400)).toBe('validation_failed');
  });

  it('refuses an events `to` with a UTC offset beyond ±15:59 with 400 validation_failed, not a 500', async () => {
    const response = await get(`/v1/tenants/${tenantId}/duo/users/${userId}/events?to=${encodeURIComponent('9999-12-31T23:59:59+23:59')}`);
    expect(expectEnvelope(response, 400)).toBe('validation_failed');
  });

  it('refuses a forged event cursor dated year 0 with 400 validation_failed, not a 500', async () => {
    const forged = cursor({ v: 1, t: '0000-01-01T00:00:00.000000Z', id: 'x' });
    const response = await get(`/v1/tenants/${tenantId}/duo/users/${userId}/events?cursor=${forged}`);
    expect(expectEnvelope(response, 400)).toBe('validation_failed');
  });

  it('refuses a forged lastActivityAt user cursor dated year 0 with 400 validation_failed, not a 500', async () => {
    const forged = cursor({ v: 1, s: 'lastActivityAt.asc', k: '0000-01-01T00:00:00.000000Z', id: 'x' });
    const response = await get(`/v1/tenants/${tenantId}/duo/users?sort=lastActivityAt&cursor=${forged}`);
    expect(expectEnvelope(response, 400)).toBe('validation_failed');
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { makeAccount } from '../../../simulator/account-builder.js';
import { duoGetJson, startTestSimulator, type SigningScheme, type TestSimulator } from '../../helpers/simulator.js';

/* The endpoints behind Duo's optional grants: the account summary and the applications list. */

const SUMMARY = '/admin/v1/info/summary';
const APPLICATIONS = '/admin/v3/integrations';
const account = makeAccount({ dataset: { seed: 515, users: 400, groups: 4, authEvents: 2000, days: 3 } });
const leastPrivilege = makeAccount({ permissions: { readInformation: false, readApplications: false } });
let simulator: TestSimulator;

beforeAll(async () => {
  simulator = await startTestSimulator([account, leastPrivilege]);
});

beforeEach(async () => {
  await simulator.control.reset();
});

afterAll(async () => {
  await simulator.close();
});

const summarySchema = z.object({
  stat: z.literal('OK'),
  response: z.object({
    admin_count: z.number(),
    integration_count: z.number(),
    telephony_credits_remaining: z.number(),
    user_count: z.number(),
    user_pending_deletion_count: z.number(),
  }),
});

const applicationsSchema = z.object({
  stat: z.literal('OK'),
  response: z.array(z.looseObject({ integration_key: z.string(), name: z.string(), type: z.string(), secret_key: z.string() })),
  metadata: z.object({ next_offset: z.number().optional(), prev_offset: z.number(), total_objects: z.number() }),
});

const get = (path: string, params: Record<string, string> = {}, scheme: SigningScheme = 'v5', from = account) =>
  duoGetJson(simulator.origin, from, path, params, { scheme });

describe('GET /admin/v1/info/summary', () => {
  it('answers the account summary, pending deletions counted from the roster', async () => {
    const summary = summarySchema.parse((await get(SUMMARY)).body).response;
    const roster = await simulator.control.roster(account.integrationKey);
    expect(summary.user_count).toBe(roster.users.length);
    expect(summary.user_pending_deletion_count).toBe(roster.users.filter((u) => u.status === 'pending deletion').length);
    expect(summary.user_pending_deletion_count).toBeGreaterThan(0);
  });

  it('follows roster changes', async () => {
    const before = summarySchema.parse((await get(SUMMARY)).body).response;
    const active = (await simulator.control.roster(account.integrationKey)).users.find((u) => u.status === 'active');
    await simulator.control.setUserStatus(account.integrationKey, active?.user_id ?? '', 'pending deletion');
    const after = summarySchema.parse((await get(SUMMARY)).body).response;
    expect(after.user_pending_deletion_count).toBe(before.user_pending_deletion_count + 1);
  });

  it('counts as many integrations as the applications list holds', async () => {
    const summary = summarySchema.parse((await get(SUMMARY)).body).response;
    const list = applicationsSchema.parse((await get(APPLICATIONS)).body);
    expect(summary.integration_count).toBe(list.metadata.total_objects);
    expect(list.response).toHaveLength(summary.integration_count);
  });

  it('answers 403 40301 without "Grant read information"', async () => {
    const response = await get(SUMMARY, {}, 'v2-sha512', leastPrivilege);
    expect(response.status).toBe(403);
    expect(response.body).toEqual({ stat: 'FAIL', code: 40301, message: 'Access forbidden' });
  });
});

describe('GET /admin/v3/integrations', () => {
  it('pages with offset and limit, metadata at the top level', async () => {
    const first = applicationsSchema.parse((await get(APPLICATIONS, { limit: '4' })).body);
    expect(first.response).toHaveLength(4);
    expect(first.metadata).toEqual({ next_offset: 4, prev_offset: 0, total_objects: 9 });
    const last = applicationsSchema.parse((await get(APPLICATIONS, { limit: '4', offset: '8' })).body);
    expect(last.response).toHaveLength(1);
    expect(last.metadata.next_offset).toBeUndefined();
  });

  it('lists applications that no authentication event names, and the Admin API application with its grants', async () => {
    const list = applicationsSchema.parse((await get(APPLICATIONS)).body).response;
    const now = Date.now();
    const events = z
      .object({ response: z.object({ authlogs: z.array(z.object({ application: z.object({ key: z.string() }) })) }) })
      .parse((await get('/admin/v2/logs/authentication', { mintime: String(now - 3 * 86_400_000), maxtime: String(now), limit: '1000' })).body);
    const used = new Set(events.response.authlogs.map((e) => e.application.key));
    const unused = list.filter((app) => app.type !== 'adminapi' && !used.has(app.integration_key));
    expect(unused.length).toBeGreaterThan(0);
    expect(list.find((app) => app.type === 'adminapi')).toMatchObject({
      integration_key: account.integrationKey,
      adminapi_read_log: 1,
      adminapi_read_resource: 1,
      adminapi_info: 1,
      adminapi_integrations: 1,
      adminapi_write_resource: 0,
    });
  });

  it('carries each application\'s secret key, as Duo does', async () => {
    const list = applicationsSchema.parse((await get(APPLICATIONS)).body).response;
    expect(list.every((app) => app.secret_key.length === 40)).toBe(true);
  });

  it.each<SigningScheme>(['v5', 'v5-x-duo-date'])('accepts signature %s', async (scheme) => {
    expect((await get(APPLICATIONS, {}, scheme)).status).toBe(200);
  });

  it.each<SigningScheme>(['v2-sha1', 'v2-sha512'])('refuses signature %s with 401 40103', async (scheme) => {
    const response = await get(APPLICATIONS, {}, scheme);
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ stat: 'FAIL', code: 40103, message: 'Invalid signature in request credentials' });
  });

  it('answers 403 40301 without "Grant applications", and again after a restore', async () => {
    expect((await get(APPLICATIONS, {}, 'v5', leastPrivilege)).body).toEqual({ stat: 'FAIL', code: 40301, message: 'Access forbidden' });
    await simulator.control.revoke(account.integrationKey, { permission: 'readApplications' });
    expect((await get(APPLICATIONS)).status).toBe(403);
    await simulator.control.restore(account.integrationKey, { permission: 'readApplications' });
    expect((await get(APPLICATIONS)).status).toBe(200);
  });
});

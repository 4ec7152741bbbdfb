import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ensureIncrementalSchedule } from '../../integrations/schedules.js';
import { errorResponseSchema } from '../../api/schemas/integration.js';
import { integrationStatusSchema } from '../../integrations/status-document.js';
import { findIntegration } from '../../db/integrations.js';
import { transition } from '../../integrations/transitions.js';
import { incrementalScheduleId, initialSyncWorkflowId } from '../../workflows/definitions.js';
import { closedPort, createTestApi, storedRows, type TestApi } from '../helpers/api.js';

// The lifecycle routes' contract at the HTTP edge: auth, validation, unknown and disconnected tenants.
// Integrations are written straight to Postgres (Duo is a closed port here); the few requests that
// reach Temporal use the run's dev server, and no worker polls this file's task queue.
let api: TestApi;
const scheduled: string[] = [];

beforeAll(async () => {
  api = await createTestApi({ duoOrigin: `http://127.0.0.1:${await closedPort()}` });
});

afterAll(async () => {
  // Schedules outlive the test database: remove this file's ones (and the runs they started).
  for (const tenantId of scheduled) {
    await api.app.inject({ method: 'DELETE', url: path(tenantId), headers: api.auth });
  }
  await api?.close();
});

const tenant = () => `lv-${randomBytes(5).toString('hex')}`;
const path = (tenantId: string) => `/v1/tenants/${tenantId}/integrations/duo`;
const issuesSchema = z.array(z.object({ location: z.string(), path: z.string(), message: z.string() }));

function errorOf(body: string) {
  const { error } = errorResponseSchema.parse(JSON.parse(body));
  return { ...error, issues: error.details.issues === undefined ? undefined : issuesSchema.parse(error.details.issues) };
}

/** An integration as connect leaves it (initial sync running), without asking Duo or starting anything. */
async function storeIntegration(tenantId: string) {
  const anchorAt = new Date(Date.now() - 10 * 60_000);
  return transition.connect(api.database.db, {
    tenantId,
    apiHost: 'api-1a2b3c4d.duosecurity.com',
    integrationKey: 'DIABCDEFGHIJ0123WXYZ',
    secretKeySealed: 'sealed-placeholder',
    encryptionKeyId: api.config.ENCRYPTION_KEY_ID,
    anchorAt,
    backfillStartAt: new Date(anchorAt.getTime() - 10 * 86_400_000),
    initialSyncWorkflowId: initialSyncWorkflowId(tenantId),
  });
}

/** A connected tenant with its schedule in Temporal, removed again after the file. */
async function connectedTenant(): Promise<string> {
  const tenantId = tenant();
  const row = await storeIntegration(tenantId);
  scheduled.push(tenantId);
  await ensureIncrementalSchedule(api.temporal, api.config, row);
  return tenantId;
}

async function disconnectedTenant(): Promise<string> {
  const tenantId = tenant();
  await storeIntegration(tenantId);
  await transition.disconnect(api.database.db, tenantId);
  return tenantId;
}

/** What a refused request must leave untouched. */
async function stateOf(tenantId: string) {
  const row = await findIntegration(api.database.db, tenantId);
  return row && { status: row.status, settings: row.settings, paused: row.schedulePaused, note: row.pauseNote, updatedAt: row.updatedAt };
}

type Method = 'POST' | 'PATCH' | 'DELETE';
interface Call {
  method: Method;
  suffix: string;
  payload?: unknown;
}

const send = (tenantId: string, call: Call, headers: Record<string, string> = api.auth) =>
  api.app.inject({
    method: call.method,
    url: `${path(tenantId)}${call.suffix}`,
    headers: call.payload === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    ...(call.payload === undefined ? {} : { payload: typeof call.payload === 'string' ? call.payload : JSON.stringify(call.payload) }),
  });

const note = { by: 'ops@example.com', reason: 'maintenance window' };
const validCalls: Array<[string, Call]> = [
  ['POST sync', { method: 'POST', suffix: '/sync' }],
  ['POST pause', { method: 'POST', suffix: '/pause', payload: note }],
  ['POST resume', { method: 'POST', suffix: '/resume', payload: note }],
  ['PATCH settings', { method: 'PATCH', suffix: '', payload: { syncIntervalMinutes: 10 } }],
  ['DELETE', { method: 'DELETE', suffix: '' }],
];

/** Refused with 400 validation_failed naming `field` (in the issues and the message), state untouched. */
async function expectFieldRefused(tenantId: string, call: Call, field: string, location = 'body') {
  const before = await stateOf(tenantId);
  const response = await send(tenantId, call);
  expect(response.statusCode).toBe(400);
  const error = errorOf(response.body);
  expect(error.code).toBe('validation_failed');
  expect(error.issues?.map((issue) => issue.path)).toContain(field);
  expect(error.issues?.map((issue) => issue.location)).toContain(location);
  expect(error.message).toContain(field.split('.').at(-1));
  expect(await stateOf(tenantId)).toEqual(before);
}

describe('bearer authentication on the lifecycle routes', () => {
  it.each(validCalls)('%s answers 401 without the token and changes nothing', async (_name, call) => {
    const tenantId = await disconnectedTenant();
    const before = await stateOf(tenantId);
    const wrongToken = { authorization: `Bearer ${'x'.repeat(api.config.API_TOKEN.length)}` };
    for (const headers of [{}, wrongToken] satisfies Record<string, string>[]) {
      const response = await send(tenantId, call, headers);
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
      expect(errorOf(response.body).code).toBe('unauthorized');
    }
    expect(await stateOf(tenantId)).toEqual(before);
  });
});

describe('unknown and malformed tenants', () => {
  it.each(validCalls)('%s answers 404 tenant_not_found for an unknown tenant, storing nothing', async (_name, call) => {
    const tenantId = tenant();
    const response = await send(tenantId, call);
    expect(response.statusCode).toBe(404);
    expect(errorOf(response.body).code).toBe('tenant_not_found');
    expect(await storedRows(api.database, tenantId)).toEqual({ tenants: 0, integrations: 0 });
  });

  it.each(validCalls)('%s answers 400 naming tenantId for a malformed tenant id', async (_name, call) => {
    const response = await send('no.dots', call);
    expect(response.statusCode).toBe(400);
    expect(errorOf(response.body).issues?.[0]).toMatchObject({ location: 'params', path: 'tenantId' });
  });
});

describe('a disconnected integration', () => {
  it.each(validCalls.filter(([, call]) => call.method !== 'DELETE'))('%s answers 409 integration_not_connected', async (_name, call) => {
    const tenantId = await disconnectedTenant();
    const before = await stateOf(tenantId);
    const response = await send(tenantId, call);
    expect(response.statusCode).toBe(409);
    expect(errorOf(response.body).code).toBe('integration_not_connected');
    expect(await stateOf(tenantId)).toEqual(before);
  });

  it('answers DELETE again with 200 and the disconnected document (idempotent)', async () => {
    const tenantId = await disconnectedTenant();
    for (let i = 0; i < 2; i++) {
      const response = await send(tenantId, { method: 'DELETE', suffix: '' });
      expect(response.statusCode).toBe(200);
      expect(integrationStatusSchema.parse(response.json())).toMatchObject({ tenantId, status: 'disconnected', nextSyncAt: null });
    }
  });
});

describe('POST .../sync body', () => {
  it.each([
    ['roster that is not a boolean', { roster: 'yes' }, 'roster'],
    ['an unknown field', { rooster: true }, 'rooster'],
  ])('refuses %s naming the field', async (_name, payload, field) => {
    await expectFieldRefused(await disconnectedTenant(), { method: 'POST', suffix: '/sync', payload }, field);
  });

  it.each([['a JSON array', []], ['a JSON string', 'now'], ['a number', 1]])('refuses %s as the body', async (_name, payload) => {
    const response = await send(tenant(), { method: 'POST', suffix: '/sync', payload: JSON.stringify(payload) });
    expect(response.statusCode).toBe(400);
    expect(errorOf(response.body).code).toBe('validation_failed');
  });

  it('refuses malformed JSON and a non-JSON content type', async () => {
    const malformed = await send(tenant(), { method: 'POST', suffix: '/sync', payload: '{"roster": tru' });
    expect(malformed.statusCode).toBe(400);
    expect(errorOf(malformed.body).code).toBe('malformed_json');
    const text = await api.app.inject({
      method: 'POST',
      url: `${path(tenant())}/sync`,
      headers: { ...api.auth, 'content-type': 'text/plain' },
      payload: '{}',
    });
    expect(text.statusCode).toBe(415);
  });

  it.each([
    ['no body', undefined],
    ['an empty JSON body', ''],
    ['{}', {}],
    ['{"roster":true}', { roster: true }],
    ['{"roster":false}', { roster: false }],
  ])('accepts %s and answers 202 with the status document', async (_name, payload) => {
    const tenantId = await connectedTenant();
    const response = await send(tenantId, { method: 'POST', suffix: '/sync', payload });
    expect(response.statusCode).toBe(202);
    expect(integrationStatusSchema.parse(response.json())).toMatchObject({ tenantId, status: 'syncing' });
  });

  it('forces a roster refresh on the next run with {"roster":true}', async () => {
    const tenantId = await connectedTenant();
    await api.database.sql`update duo_integrations set last_roster_sync_at = now() where tenant_id = ${tenantId}`;
    expect((await send(tenantId, { method: 'POST', suffix: '/sync', payload: { roster: true } })).statusCode).toBe(202);
    expect((await findIntegration(api.database.db, tenantId))?.lastRosterSyncAt).toBeNull();
  });
});

describe('POST .../pause and .../resume bodies', () => {
  const long = (n: number) => 'x'.repeat(n);
  describe.each(['/pause', '/resume'])('%s', (suffix) => {
    it.each([
      ['by missing', { reason: 'r' }, 'by'],
      ['reason missing', { by: 'ops' }, 'reason'],
      ['by empty', { by: '', reason: 'r' }, 'by'],
      ['by only spaces', { by: '   ', reason: 'r' }, 'by'],
      ['by with a NUL', { by: '\u0000', reason: 'r' }, 'by'],
      ['reason with a NUL', { by: 'ops', reason: 'a\u0000b' }, 'reason'],
      ['by with an unpaired surrogate', { by: '\ud800', reason: 'r' }, 'by'],
      ['reason with an unpaired surrogate', { by: 'ops', reason: 'a\udc00b' }, 'reason'],
      ['reason empty', { by: 'ops', reason: '' }, 'reason'],
      ['by of 201 characters', { by: long(201), reason: 'r' }, 'by'],
      ['reason of 501 characters', { by: 'ops', reason: long(501) }, 'reason'],
      ['by not a string', { by: 42, reason: 'r' }, 'by'],
      ['an unknown field', { ...note, until: 'tomorrow' }, 'until'],
    ])('refuses %s naming the field', async (_name, payload, field) => {
      await expectFieldRefused(await connectedTenant(), { method: 'POST', suffix, payload }, field);
    });

    it('refuses a missing body', async () => {
      const tenantId = await connectedTenant();
      const response = await send(tenantId, { method: 'POST', suffix });
      expect(response.statusCode).toBe(400);
      expect(errorOf(response.body).message).toContain('by, reason');
    });
  });

  it('accepts the longest note and shows who and why in the schedule note', async () => {
    const tenantId = await connectedTenant();
    const response = await send(tenantId, { method: 'POST', suffix: '/pause', payload: { by: long(200), reason: long(500) } });
    expect(response.statusCode).toBe(200);
    const status = integrationStatusSchema.parse(response.json());
    expect(status).toMatchObject({ status: 'paused', nextSyncAt: null, schedule: { paused: true, source: 'temporal' } });
    expect(status.schedule.note).toContain(long(200));
    const resumed = await send(tenantId, { method: 'POST', suffix: '/resume', payload: note });
    expect(integrationStatusSchema.parse(resumed.json())).toMatchObject({ status: 'syncing', schedule: { paused: false } });
  });
});

describe('PATCH /v1/tenants/:tenantId/integrations/duo body', () => {
  it.each([
    ['syncIntervalMinutes 0', { syncIntervalMinutes: 0 }, 'syncIntervalMinutes'],
    ['syncIntervalMinutes 1441', { syncIntervalMinutes: 1441 }, 'syncIntervalMinutes'],
    ['syncIntervalMinutes 1.5', { syncIntervalMinutes: 1.5 }, 'syncIntervalMinutes'],
    ['syncIntervalMinutes as text', { syncIntervalMinutes: '5' }, 'syncIntervalMinutes'],
    ['syncIntervalMinutes null', { syncIntervalMinutes: null }, 'syncIntervalMinutes'],
    ['rosterRefreshHourUtc 24', { rosterRefreshHourUtc: 24 }, 'rosterRefreshHourUtc'],
    ['rosterRefreshHourUtc -1', { rosterRefreshHourUtc: -1 }, 'rosterRefreshHourUtc'],
    ['rosterRefreshHourUtc 3.5', { rosterRefreshHourUtc: 3.5 }, 'rosterRefreshHourUtc'],
    ['eventRetentionDays 180 (Duo still serves those days)', { eventRetentionDays: 180 }, 'eventRetentionDays'],
    ['eventRetentionDays 3651', { eventRetentionDays: 3651 }, 'eventRetentionDays'],
    ['eventRetentionDays as text', { eventRetentionDays: '400' }, 'eventRetentionDays'],
    ['a stream switch that is not a boolean', { streams: { telephony: 'yes' } }, 'streams.telephony'],
    ['an unknown stream', { streams: { sms: true } }, 'streams.sms'],
    ['an empty streams object', { streams: {} }, 'streams'],
    ['streams that is not an object', { streams: true }, 'streams'],
    ['an unknown field', { syncIntervalMinutes: 5, interval: 5 }, 'interval'],
  ])('refuses %s naming the field', async (_name, payload, field) => {
    await expectFieldRefused(await connectedTenant(), { method: 'PATCH', suffix: '', payload }, field);
  });

  it('refuses an empty patch, naming the fields it could change', async () => {
    const tenantId = await connectedTenant();
    const before = await stateOf(tenantId);
    const response = await send(tenantId, { method: 'PATCH', suffix: '', payload: {} });
    expect(response.statusCode).toBe(400);
    expect(errorOf(response.body).message).toContain('syncIntervalMinutes, streams, rosterRefreshHourUtc, eventRetentionDays');
    expect(await stateOf(tenantId)).toEqual(before);
  });

  it('changes only the fields sent and shows the settings in effect', async () => {
    const tenantId = await connectedTenant();
    const first = await send(tenantId, {
      method: 'PATCH',
      suffix: '',
      payload: { syncIntervalMinutes: 1440, streams: { telephony: true, administrator: true }, rosterRefreshHourUtc: 0, eventRetentionDays: 730 },
    });
    expect(first.statusCode).toBe(200);
    expect(integrationStatusSchema.parse(first.json())).toMatchObject({
      settings: { syncIntervalMinutes: 1440, streams: { telephony: true, activity: false, administrator: true }, rosterRefreshHourUtc: 0, eventRetentionDays: 730 },
      retention: { eventDays: 730, rollupDays: 800 },
      schedule: { intervalMinutes: 1440, source: 'temporal' },
      streams: { auth: { enabled: true }, telephony: { enabled: true }, activity: { enabled: false }, administrator: { enabled: true } },
    });
    const second = await send(tenantId, { method: 'PATCH', suffix: '', payload: { streams: { telephony: false }, rosterRefreshHourUtc: null, eventRetentionDays: null } });
    expect(integrationStatusSchema.parse(second.json()).settings).toEqual({
      syncIntervalMinutes: 1440,
      streams: { telephony: false, activity: false, administrator: true },
      rosterRefreshHourUtc: null,
      eventRetentionDays: 400,
    });
  });
});

describe('DELETE /v1/tenants/:tenantId/integrations/duo query', () => {
  it.each([['yes'], ['1'], ['TRUE'], [''], ['true&purge=false']])('refuses purge=%s naming purge', async (value) => {
    await expectFieldRefused(await disconnectedTenant(), { method: 'DELETE', suffix: `?purge=${value}` }, 'purge', 'querystring');
  });

  it('refuses an unknown query parameter (a misspelt purge must not silently keep the data)', async () => {
    await expectFieldRefused(await disconnectedTenant(), { method: 'DELETE', suffix: '?purg=true' }, 'purg', 'querystring');
  });

  it('disconnects with purge=false: credentials erased, schedule gone, status document answered', async () => {
    const tenantId = await connectedTenant();
    const response = await send(tenantId, { method: 'DELETE', suffix: '?purge=false' });
    expect(response.statusCode).toBe(200);
    expect(integrationStatusSchema.parse(response.json())).toMatchObject({ status: 'disconnected', schedule: { paused: true, source: 'database' } });
    expect((await findIntegration(api.database.db, tenantId))?.secretKeySealed).toBeNull();
    await expect(api.temporal.schedule.getHandle(incrementalScheduleId(tenantId)).describe()).rejects.toThrow();
  });
});

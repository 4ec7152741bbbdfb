import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { errorResponseSchema } from '../../api/schemas/integration.js';
import fc from 'fast-check';
import { decodeEventCursor, decodeUserCursor, encodeEventCursor, encodeUserCursor } from '../../api/schemas/usage.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { seedUsageScenario } from '../helpers/usage-tenant.js';

// Every invalid parameter of the usage API is a 400 validation_failed naming that parameter, before
// any query runs; the OpenAPI document describes every parameter and field.

let api: TestApi;
const nowMs = Date.now();

beforeAll(async () => {
  api = await createTestApi({ duoOrigin: 'http://127.0.0.1:9' });
  await seedUsageScenario(api.database.db, 'acme', nowMs);
});

afterAll(async () => {
  await api?.close();
});

const issuesSchema = z.array(z.object({ location: z.string(), path: z.string(), message: z.string() }));

async function expectNamed(url: string, parameter: string): Promise<void> {
  const response = await api.app.inject({ method: 'GET', url, headers: api.auth });
  expect(response.statusCode, response.body).toBe(400);
  const { error } = errorResponseSchema.parse(response.json());
  expect(error.code).toBe('validation_failed');
  const issues = issuesSchema.parse(error.details.issues);
  expect(issues.map((i) => i.path.split('.')[0])).toContain(parameter);
  expect(error.message).toContain(parameter);
}

const users = '/v1/tenants/acme/duo/users';
const garbageCursor = Buffer.from('{"v":1,"s":"username.asc"}').toString('base64url');

describe('usage API parameter validation', () => {
  it.each([
    ['status', `${users}?status=sleeping`],
    ['status', `${users}?status=active&status=asleep`],
    ['group', `${users}?group=`],
    ['inactiveForDays', `${users}?inactiveForDays=abc`],
    ['inactiveForDays', `${users}?inactiveForDays=0`],
    ['inactiveForDays', `${users}?inactiveForDays=1.5`],
    ['inactiveForDays', `${users}?inactiveForDays=30&inactiveForDays=60`],
    ['activeWithinDays', `${users}?activeWithinDays=-3`],
    ['activeWithinDays', `${users}?activeWithinDays=90&inactiveForDays=30`],
    ['enrolled', `${users}?enrolled=maybe`],
    ['search', `${users}?search=${'x'.repeat(101)}`],
    ['search', `${users}?search=a%00b`],
    ['createdMoreThanDaysAgo', `${users}?createdMoreThanDaysAgo=ten`],
    ['includeDeleted', `${users}?includeDeleted=yes%20please`],
    ['sort', `${users}?sort=email`],
    ['order', `${users}?order=up`],
    ['limit', `${users}?limit=501`],
    ['limit', `${users}?limit=0`],
    ['cursor', `${users}?cursor=not-a-cursor!`],
    ['cursor', `${users}?cursor=${garbageCursor}`],
    ['cursor', `${users}?cursor=${Buffer.from('[1,2]').toString('base64url')}`],
    ['cursor', `${users}?sort=lastActivityAt&cursor=${encodeUserCursor('lastActivityAt.asc', { key: 'yesterday', userId: 'DU1' })}`],
    ['cursor', `${users}?sort=lastActivityAt&cursor=${encodeUserCursor('username.asc', { key: 'alice', userId: 'DUALICE' })}`],
    ['statsu', `${users}?statsu=active`],
    ['thresholds', '/v1/tenants/acme/duo/usage?thresholds=30,abc'],
    ['thresholds', '/v1/tenants/acme/duo/usage?thresholds=0'],
    ['thresholds', '/v1/tenants/acme/duo/usage?thresholds=400'],
    ['graceDays', '/v1/tenants/acme/duo/usage?graceDays=-1'],
    ['status', '/v1/tenants/acme/duo/usage?status=asleep'],
    ['group', '/v1/tenants/acme/duo/usage?group='],
    ['group', `/v1/tenants/acme/duo/applications?group=${'g'.repeat(201)}`],
    ['includeDeleted', '/v1/tenants/acme/duo/groups?includeDeleted=2'],
    ['from', `${users}/DUALICE/events?from=yesterday`],
    ['from', `${users}/DUALICE/events?from=0000-01-01T00:00:00Z`],
    ['cursor', `${users}?sort=lastActivityAt&cursor=${encodeUserCursor('lastActivityAt.asc', { key: '0000-01-01T00:00:00.000000Z', userId: 'DU1' })}`],
    ['to', `${users}/DUALICE/events?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z`],
    ['cursor', `${users}/DUALICE/events?cursor=${garbageCursor}`],
    ['limit', `${users}/DUALICE/events?limit=1000`],
    ['include', `${users}/DUALICE/events?include=everything`],
    ['userId', `${users}/DU%20X/events`],
    ['tenantId', '/v1/tenants/a.b/duo/usage'],
  ])('names %s in the 400 for %s', async (parameter, url) => {
    await expectNamed(url, parameter);
  });

  it('accepts a cursor it issued, for the same sort', async () => {
    const first = await api.app.inject({ method: 'GET', url: `${users}?limit=1&sort=lastActivityAt&order=desc`, headers: api.auth });
    const cursor = z.object({ nextCursor: z.string() }).parse(first.json()).nextCursor;
    const next = await api.app.inject({ method: 'GET', url: `${users}?limit=1&sort=lastActivityAt&order=desc&cursor=${cursor}`, headers: api.auth });
    expect(next.statusCode).toBe(200);
  });

  it('requires the bearer token on every usage route', async () => {
    for (const path of ['users', 'usage', 'applications', 'groups', 'users/DUALICE/events']) {
      const response = await api.app.inject({ method: 'GET', url: `/v1/tenants/acme/duo/${path}` });
      expect(response.statusCode).toBe(401);
    }
  });

  it.each(['usage', 'applications', 'groups', 'users/DUALICE/events'])('answers 404 on %s for a tenant without an integration', async (path) => {
    const response = await api.app.inject({ method: 'GET', url: `/v1/tenants/nobody/duo/${path}`, headers: api.auth });
    expect(response.statusCode).toBe(404);
    expect(errorResponseSchema.parse(response.json()).error.code).toBe('tenant_not_found');
  });
});

describe('usage cursors', () => {
  const text = fc.string({ minLength: 1, maxLength: 100, unit: 'grapheme' }).filter((t) => !t.includes('\u0000'));
  const instant = fc
    .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true })
    .chain((d) => fc.integer({ min: 0, max: 999 }).map((us) => `${d.toISOString().slice(0, 23)}${String(us).padStart(3, '0')}Z`));

  it('decode what they encode, for any username key and user id', () => {
    fc.assert(
      fc.property(text, text, fc.constantFrom('username.asc', 'username.desc'), (key, userId, sort) => {
        expect(decodeUserCursor(encodeUserCursor(sort, { key, userId }))).toEqual({ sort, key, userId });
      }),
    );
  });

  it('decode what they encode, for activity instants and never-active users', () => {
    fc.assert(
      fc.property(fc.oneof(instant, fc.constant('-infinity')), text, (key, userId) => {
        expect(decodeUserCursor(encodeUserCursor('lastActivityAt.desc', { key, userId }))).toEqual({ sort: 'lastActivityAt.desc', key, userId });
      }),
    );
    fc.assert(
      fc.property(instant, text, (occurredAt, txid) => {
        expect(decodeEventCursor(encodeEventCursor({ occurredAt, txid }))).toEqual({ occurredAt, txid });
      }),
    );
  });

  it('refuse anything else without throwing', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (token) => {
        const decoded = decodeUserCursor(token);
        if (decoded !== undefined) expect(decodeUserCursor(encodeUserCursor(decoded.sort, decoded))).toEqual(decoded);
        expect(() => decodeEventCursor(token)).not.toThrow();
      }),
    );
  });
});

describe('usage API in the OpenAPI document', () => {
  const documentSchema = z.object({
    paths: z.record(
      z.string(),
      z.record(z.string(), z.object({ parameters: z.array(z.object({ name: z.string(), in: z.string(), description: z.string().optional() })).optional() })),
    ),
  });

  it('describes every query parameter of every usage route', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/openapi.json', headers: api.auth });
    const document = documentSchema.parse(response.json());
    const expected: Record<string, string[]> = {
      '/v1/tenants/{tenantId}/duo/users': ['status', 'group', 'inactiveForDays', 'activeWithinDays', 'enrolled', 'search', 'createdMoreThanDaysAgo', 'includeDeleted', 'includeEventOnly', 'sort', 'order', 'limit', 'cursor'],
      '/v1/tenants/{tenantId}/duo/usage': ['thresholds', 'graceDays', 'group', 'status'],
      '/v1/tenants/{tenantId}/duo/daily-active-users': ['days', 'group'],
      '/v1/tenants/{tenantId}/duo/applications': ['group'],
      '/v1/tenants/{tenantId}/duo/groups': ['includeDeleted'],
      '/v1/tenants/{tenantId}/duo/users/{userId}/events': ['from', 'to', 'limit', 'cursor', 'include'],
      '/v1/tenants/{tenantId}/duo/users/{userId}': [],
    };
    for (const [path, names] of Object.entries(expected)) {
      const query = (document.paths[path]?.get?.parameters ?? []).filter((p) => p.in === 'query');
      expect(query.map((p) => p.name).sort(), path).toEqual([...names].sort());
      for (const parameter of query) expect(parameter.description, `${path} ${parameter.name}`).toBeTruthy();
    }
  });

  it('describes the fields of the user document', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/openapi.json', headers: api.auth });
    const body = z
      .object({ components: z.object({ schemas: z.record(z.string(), z.object({ properties: z.record(z.string(), z.object({ description: z.string().optional() })).optional() })) }) })
      .parse(response.json());
    const user = body.components.schemas.DuoUserUsage?.properties ?? {};
    expect(Object.keys(user)).toContain('lastActivityAt');
    for (const field of ['userId', 'status', 'inRoster', 'lastLogin', 'lastActivityAt', 'authCounts', 'applications30d', 'deletedAt']) {
      expect(user[field]?.description, field).toBeTruthy();
    }
  });
});

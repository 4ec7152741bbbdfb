import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BODY_LIMIT_BYTES } from '../../api/app.js';
import { errorResponseSchema } from '../../api/schemas/integration.js';
import { closedPort, createTestApi, initialSyncExists, storedRows, type TestApi } from '../helpers/api.js';

// Requests here never get past validation, except the one that shows Duo being unreachable: the Duo
// origin is a closed port, so any request that did reach the network would fail loudly.
let api: TestApi;

beforeAll(async () => {
  api = await createTestApi({ duoOrigin: `http://127.0.0.1:${await closedPort()}` });
});

afterAll(async () => {
  await api?.close();
});

const tenant = () => `t-${randomBytes(5).toString('hex')}`;
const path = (tenantId: string) => `/v1/tenants/${tenantId}/integrations/duo`;
const SECRET = 'S'.repeat(20) + randomBytes(10).toString('hex');
const goodBody = { integrationKey: 'DIABCDEFGHIJ0123WXYZ', secretKey: SECRET, apiHost: 'api-1a2b3c4d.duosecurity.com' };

const issuesSchema = z.array(z.object({ location: z.string(), path: z.string(), message: z.string() }));

/** The error envelope of an answer, checked against the published schema. */
function errorOf(body: string) {
  const { error } = errorResponseSchema.parse(JSON.parse(body));
  return { ...error, issues: error.details.issues === undefined ? undefined : issuesSchema.parse(error.details.issues) };
}

/** The answer is refused with `code`, names `field`, echoes no secret, stores nothing and starts nothing. */
async function expectRefused(
  response: { statusCode: number; body: string; headers: Record<string, unknown> },
  tenantId: string,
  expected: { status: number; code: string; field?: string },
): Promise<void> {
  expect(response.statusCode).toBe(expected.status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const error = errorOf(response.body);
  expect(error.code).toBe(expected.code);
  if (expected.field !== undefined) {
    expect(error.issues?.map((issue) => issue.path)).toContain(expected.field);
    expect(error.message).toContain(expected.field);
  }
  expect(response.body).not.toContain(SECRET);
  expect(await storedRows(api.database, tenantId)).toEqual({ tenants: 0, integrations: 0 });
  expect(await initialSyncExists(api.temporal, tenantId)).toBe(false);
}

describe('bearer authentication', () => {
  it.each([
    ['no Authorization header', undefined],
    ['a wrong token of the same length', () => `Bearer ${'x'.repeat(api.config.API_TOKEN.length)}`],
    ['a prefix of the token', () => `Bearer ${api.config.API_TOKEN.slice(0, -1)}`],
    ['the token with a suffix', () => `Bearer ${api.config.API_TOKEN}x`],
    ['another scheme', () => `Basic ${api.config.API_TOKEN}`],
    ['the bare token', () => api.config.API_TOKEN],
  ])('answers 401 JSON with WWW-Authenticate for %s', async (_name, header) => {
    const tenantId = tenant();
    const response = await api.app.inject({
      method: 'PUT',
      url: path(tenantId),
      headers: header ? { authorization: header() } : {},
      payload: goodBody,
    });
    await expectRefused(response, tenantId, { status: 401, code: 'unauthorized' });
    expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
  });

  it('guards unknown routes and the OpenAPI document too', async () => {
    for (const url of ['/nope', '/openapi.json', path('acme')]) {
      const response = await api.app.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(401);
      expect(errorOf(response.body).code).toBe('unauthorized');
    }
  });

  it('refuses an unauthenticated oversized body with 401 without reading it', async () => {
    const response = await api.app.inject({
      method: 'PUT',
      url: path(tenant()),
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ pad: 'x'.repeat(BODY_LIMIT_BYTES * 2) }),
    });
    expect(response.statusCode).toBe(401);
  });

  it('accepts the scheme in any case', async () => {
    const response = await api.app.inject({
      method: 'GET',
      url: path(tenant()),
      headers: { authorization: `bearer ${api.config.API_TOKEN}` },
    });
    expect(response.statusCode).toBe(404);
  });
});

describe('PUT /v1/tenants/:tenantId/integrations/duo validation', () => {
  const put = (tenantId: string, payload: unknown, headers: Record<string, string> = {}) =>
    api.app.inject({
      method: 'PUT',
      url: path(tenantId),
      headers: { ...api.auth, 'content-type': 'application/json', ...headers },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });

  it.each([
    'api-x.duosecurity.com.evil.com',
    'http://api-1a2b3c4d.duosecurity.com',
    'https://api-1a2b3c4d.duosecurity.com/',
    'api-1a2b3c4d.duosecurity.com:8443',
    'api-1a2b3c4d.duosecurity.com/admin/v1/users',
    'user@api-1a2b3c4d.duosecurity.com',
    '127.0.0.1',
    'localhost',
    '[::1]',
    'api-1a2b3c4d.duosecurity.com.',
    'api-1a2b3c4d.duosecurity.com\n',
    'evil.com#api-1a2b3c4d.duosecurity.com',
    '',
  ])('refuses apiHost %j with 400 naming apiHost', async (apiHost) => {
    const tenantId = tenant();
    await expectRefused(await put(tenantId, { ...goodBody, apiHost }), tenantId, {
      status: 400,
      code: 'validation_failed',
      field: 'apiHost',
    });
  });

  it.each([
    ['too short', 'DIABCDEFGHIJ0123WXY'],
    ['too long', 'DIABCDEFGHIJ0123WXYZ0'],
    ['not starting with DI', 'XIABCDEFGHIJ0123WXYZ'],
    ['a number', 12345],
  ])('refuses an integrationKey that is %s', async (_name, integrationKey) => {
    const tenantId = tenant();
    await expectRefused(await put(tenantId, { ...goodBody, integrationKey }), tenantId, {
      status: 400,
      code: 'validation_failed',
      field: 'integrationKey',
    });
  });

  it.each([
    ['39 characters', SECRET.slice(0, 39)],
    ['41 characters', `${SECRET}Z`],
  ])('refuses a secretKey of %s without echoing it', async (_name, secretKey) => {
    const tenantId = tenant();
    const response = await put(tenantId, { ...goodBody, secretKey });
    await expectRefused(response, tenantId, { status: 400, code: 'validation_failed', field: 'secretKey' });
    expect(response.body).not.toContain(secretKey);
  });

  it('names every missing field', async () => {
    const tenantId = tenant();
    const response = await put(tenantId, {});
    await expectRefused(response, tenantId, { status: 400, code: 'validation_failed' });
    expect(errorOf(response.body).issues?.map((issue) => issue.path).sort()).toEqual(['apiHost', 'integrationKey', 'secretKey']);
  });

  it('refuses an unknown field and names it', async () => {
    const tenantId = tenant();
    await expectRefused(await put(tenantId, { ...goodBody, secret_key: SECRET }), tenantId, {
      status: 400,
      code: 'validation_failed',
      field: 'secret_key',
    });
  });

  it.each([['bad.tenant'], ['a%20b'], ['x'.repeat(65)], ['%C3%A9t%C3%A9']])('refuses tenant id %s', async (tenantId) => {
    const response = await put(tenantId, goodBody);
    await expectRefused(response, decodeURIComponent(tenantId), { status: 400, code: 'validation_failed', field: 'tenantId' });
    expect(errorOf(response.body).issues?.[0]?.location).toBe('params');
  });

  it('refuses a body that is not JSON', async () => {
    const tenantId = tenant();
    await expectRefused(await put(tenantId, `{"integrationKey": "DI…", "secretKey": "${SECRET}"`), tenantId, {
      status: 400,
      code: 'malformed_json',
    });
  });

  it.each([['a JSON array', []], ['a JSON string', 'x'], ['JSON null', null]])('refuses %s as the body', async (_name, payload) => {
    const tenantId = tenant();
    const response = await api.app.inject({
      method: 'PUT',
      url: path(tenantId),
      headers: { ...api.auth, 'content-type': 'application/json' },
      payload: JSON.stringify(payload),
    });
    await expectRefused(response, tenantId, { status: 400, code: 'validation_failed' });
  });

  it.each([
    ['text/plain', JSON.stringify(goodBody)],
    ['application/x-www-form-urlencoded', new URLSearchParams(goodBody).toString()],
  ])('refuses a %s body with 415', async (contentType, payload) => {
    const tenantId = tenant();
    await expectRefused(await put(tenantId, payload, { 'content-type': contentType }), tenantId, {
      status: 415,
      code: 'unsupported_media_type',
    });
  });

  it('refuses a body over the limit with 413', async () => {
    const tenantId = tenant();
    await expectRefused(await put(tenantId, { ...goodBody, pad: 'x'.repeat(BODY_LIMIT_BYTES) }), tenantId, {
      status: 413,
      code: 'payload_too_large',
    });
  });

  it('answers 502 duo_unreachable when Duo cannot be reached, storing nothing', async () => {
    const tenantId = tenant();
    await expectRefused(await put(tenantId, goodBody), tenantId, { status: 502, code: 'duo_unreachable' });
  });

  it('never logs the secret key or the token', () => {
    expect(api.logs()).not.toContain(SECRET);
    expect(api.logs()).not.toContain(api.config.API_TOKEN);
  });
});

describe('GET /v1/tenants/:tenantId/integrations/duo', () => {
  it('answers 404 tenant_not_found for an unknown tenant', async () => {
    const response = await api.app.inject({ method: 'GET', url: path(tenant()), headers: api.auth });
    expect(response.statusCode).toBe(404);
    expect(errorOf(response.body).code).toBe('tenant_not_found');
  });

  it('answers 400 for a malformed tenant id', async () => {
    const response = await api.app.inject({ method: 'GET', url: path('no.dots'), headers: api.auth });
    expect(response.statusCode).toBe(400);
    expect(errorOf(response.body).issues?.[0]?.path).toBe('tenantId');
  });
});

describe('unknown routes and the OpenAPI document', () => {
  it('answers 404 not_found JSON for an unknown route', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/v2/nothing', headers: api.auth });
    expect(response.statusCode).toBe(404);
    expect(errorOf(response.body).code).toBe('not_found');
  });

  it('serves an OpenAPI 3.1 document generated from the zod schemas', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/openapi.json', headers: api.auth });
    expect(response.statusCode).toBe(200);
    const document = z
      .object({
        openapi: z.string(),
        paths: z.record(z.string(), z.record(z.string(), z.unknown())),
        components: z.object({
          schemas: z.record(z.string(), z.object({ properties: z.record(z.string(), z.unknown()).optional(), required: z.array(z.string()).optional() })),
        }),
      })
      .parse(response.json());
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths['/v1/tenants/{tenantId}/integrations/duo'] ?? {}).sort()).toEqual(['delete', 'get', 'patch', 'put']);
    for (const action of ['sync', 'pause', 'resume']) {
      expect(Object.keys(document.paths[`/v1/tenants/{tenantId}/integrations/duo/${action}`] ?? {})).toEqual(['post']);
    }
    expect(document.components.schemas.ConnectDuoRequestInput?.required?.sort()).toEqual(['apiHost', 'integrationKey', 'secretKey']);
    expect(Object.keys(document.components.schemas.DuoIntegrationStatus?.properties ?? {})).not.toContain('secretKey');
  });
});

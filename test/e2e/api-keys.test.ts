import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, createTestApi, type TestApi } from '../helpers/api.js';
import { snapshotTables } from '../helpers/db-snapshot.js';
import { seedOtherTenant, seedUsageScenario } from '../helpers/usage-tenant.js';

// API keys against the real API, Postgres and Temporal: scopes, tenant binding, revocation and expiry,
// the audit trail, rate limits, and the usage API staying up while Temporal is down.

const errorOf = (response: LightMyRequestResponse) => (response.json() as { error: { code: string; message: string } }).error;
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

interface Created {
  key: { keyId: string; name: string; scopes: string[]; tenantId: string | null; lastUsedAt: string | null; revokedAt: string | null };
  secret: string;
}

async function createKey(api: TestApi, body: Record<string, unknown>): Promise<Created> {
  const response = await api.app.inject({ method: 'POST', url: '/v1/keys', headers: api.auth, payload: body });
  expect(response.statusCode, response.body).toBe(201);
  return response.json();
}

describe('API keys', () => {
  let api: TestApi;
  const nowMs = Date.now();
  beforeAll(async () => {
    api = await createTestApi({ duoOrigin: `http://127.0.0.1:${await closedPort()}` });
    await seedUsageScenario(api.database.db, 'acme', nowMs);
    await seedOtherTenant(api.database.db, 'globex', nowMs);
  });
  afterAll(async () => {
    await api?.close();
  });

  it('GET /v1/me names the bootstrap key for API_TOKEN', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/v1/me', headers: api.auth });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ keyId: 'bootstrap', name: 'API_TOKEN', scopes: ['admin'], tenantId: null });
  });

  it('creates a key whose secret works once shown, is stored only as a hash and never listed', async () => {
    const created = await createKey(api, { name: 'portal', scopes: ['usage:read'], tenantId: 'acme' });
    expect(created.secret).toMatch(/^dus_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const me = await api.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(created.secret) });
    expect(me.json()).toEqual({ keyId: created.key.keyId, name: 'portal', scopes: ['usage:read'], tenantId: 'acme' });
    const listed = await api.app.inject({ method: 'GET', url: '/v1/keys', headers: api.auth });
    expect(listed.body).toContain(created.key.keyId);
    expect(listed.body).not.toContain(created.secret);
    const stored = await api.database.sql`select * from api_keys where id = ${created.key.keyId}`;
    expect(JSON.stringify(stored)).not.toContain(created.secret.slice(21));
  });

  it('answers 401 unauthorized to a wrong, a revoked and an expired key', async () => {
    const revoked = await createKey(api, { name: 'old', scopes: ['usage:read'] });
    expect((await api.app.inject({ method: 'DELETE', url: `/v1/keys/${revoked.key.keyId}`, headers: api.auth })).statusCode).toBe(200);
    const expiring = await createKey(api, { name: 'short', scopes: ['usage:read'], expiresAt: new Date(Date.now() + 1_500).toISOString() });
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    const wrong = `${revoked.secret.slice(0, -4)}AAAA`;
    for (const secret of [wrong, revoked.secret, expiring.secret, 'dus_0000000000000000_' + 'A'.repeat(43)]) {
      const response = await api.app.inject({ method: 'GET', url: '/v1/tenants/acme/duo/usage', headers: bearer(secret) });
      expect(response.statusCode).toBe(401);
      expect(errorOf(response).code).toBe('unauthorized');
      expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  });

  it('answers 403 forbidden to a key without the route\'s scope, changing nothing', async () => {
    const reader = await createKey(api, { name: 'reader', scopes: ['usage:read'] });
    const before = await snapshotTables(api.database.sql, { except: ['api_keys'] });
    const refused: InjectOptions[] = [
      { method: 'POST', url: '/v1/tenants/acme/integrations/duo/pause', payload: { by: 'x' } },
      { method: 'DELETE', url: '/v1/tenants/acme/integrations/duo?purge=true' },
      { method: 'GET', url: '/v1/tenants/acme/integrations/duo' },
      { method: 'GET', url: '/metrics' },
      { method: 'GET', url: '/v1/keys' },
      { method: 'POST', url: '/v1/keys', payload: { name: 'escalate', scopes: ['admin'] } },
      { method: 'GET', url: '/v1/audit' },
    ];
    for (const request of refused) {
      const response = await api.app.inject({ ...request, headers: bearer(reader.secret) });
      expect(response.statusCode, `${request.method} ${request.url}`).toBe(403);
      expect(errorOf(response).code).toBe('forbidden');
    }
    expect(await snapshotTables(api.database.sql, { except: ['api_keys'] })).toEqual(before);
    expect((await api.app.inject({ method: 'GET', url: '/v1/tenants/acme/duo/usage', headers: bearer(reader.secret) })).statusCode).toBe(200);
  });

  it('/metrics takes a metrics:read key', async () => {
    const prometheus = await createKey(api, { name: 'prometheus', scopes: ['metrics:read'] });
    const response = await api.app.inject({ method: 'GET', url: '/metrics', headers: bearer(prometheus.secret) });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('duo_sync_tenant_status');
  });

  it('refuses to bind admin or metrics:read to a tenant, naming the field', async () => {
    const response = await api.app.inject({ method: 'POST', url: '/v1/keys', headers: api.auth, payload: { name: 'x', scopes: ['admin'], tenantId: 'acme' } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'validation_failed', details: { issues: [{ path: 'tenantId' }] } } });
  });

  it('a tenant-bound key gets 404 tenant_not_found on every route of another tenant and changes nothing', async () => {
    const bound = await createKey(api, { name: 'acme-all', scopes: ['integrations:write', 'integrations:read', 'usage:read'], tenantId: 'acme' });
    const document = (await api.app.inject({ method: 'GET', url: '/openapi.json', headers: api.auth })).json() as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(document.paths)
      .filter(([path]) => path.includes('{tenantId}'))
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })));
    expect(routes.length).toBeGreaterThanOrEqual(11);
    const before = await snapshotTables(api.database.sql, { except: ['api_keys'] });
    for (const { method, path } of routes) {
      for (const suffix of ['', '?purge=true']) {
        const url = path.replace('{tenantId}', 'globex').replace('{userId}', 'DUALICE') + suffix;
        const payload = method === 'PUT' ? { integrationKey: 'DIWJ8X6AEYOR5OMC6TQ1', secretKey: 'Q8SWZbPgPSk1sV8hmKx1Vq6Ltw5tXxRNcHVbU7aV', apiHost: 'api-1a2b3c4d.duosecurity.com' } : method === 'GET' || method === 'DELETE' ? undefined : { by: 'x' };
        for (const accept of ['application/json', 'text/csv']) {
          const response = await api.app.inject({ method: method as InjectOptions['method'], url, headers: { ...bearer(bound.secret), accept }, ...(payload ? { payload } : {}) });
          expect(response.statusCode, `${method} ${url}`).toBe(404);
          expect(errorOf(response).code).toBe('tenant_not_found');
        }
      }
    }
    expect(await snapshotTables(api.database.sql, { except: ['api_keys'] })).toEqual(before);
    const own = await api.app.inject({ method: 'GET', url: '/v1/tenants/acme/duo/usage', headers: bearer(bound.secret) });
    expect(own.statusCode).toBe(200);
  });

  it('records a key\'s last use at most once a minute', async () => {
    const key = await createKey(api, { name: 'busy', scopes: ['usage:read'] });
    const lastUsed = async () => (await api.database.sql<{ t: Date | null }[]>`select last_used_at as t from api_keys where id = ${key.key.keyId}`)[0]?.t;
    expect(await lastUsed()).toBeNull();
    await api.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(key.secret) });
    const first = await lastUsed();
    expect(first).toBeInstanceOf(Date);
    await api.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(key.secret) });
    expect(await lastUsed()).toEqual(first);
  });

  it('rotation: two keys work side by side, then the revoked old one answers 401 while the new one works', async () => {
    const old = await createKey(api, { name: 'backend-2026-01', scopes: ['usage:read'], tenantId: 'acme' });
    const fresh = await createKey(api, { name: 'backend-2026-02', scopes: ['usage:read'], tenantId: 'acme' });
    const usage = (secret: string) => api.app.inject({ method: 'GET', url: '/v1/tenants/acme/duo/usage', headers: bearer(secret) });
    expect([(await usage(old.secret)).statusCode, (await usage(fresh.secret)).statusCode]).toEqual([200, 200]);
    await api.app.inject({ method: 'DELETE', url: `/v1/keys/${old.key.keyId}`, headers: api.auth });
    expect([(await usage(old.secret)).statusCode, (await usage(fresh.secret)).statusCode]).toEqual([401, 200]);
  });
});

describe('audit trail', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi({ duoOrigin: `http://127.0.0.1:${await closedPort()}` });
    await seedUsageScenario(api.database.db, 'acme', Date.now());
  });
  afterAll(async () => {
    await api?.close();
  });

  const audit = async (query = '') => {
    const response = await api.app.inject({ method: 'GET', url: `/v1/audit${query}`, headers: api.auth });
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as { entries: Array<Record<string, unknown>>; nextCursor: string | null };
  };

  it('writes one row per state-changing request with key, tenant, action, outcome and request id; never the secret', async () => {
    const created = await api.app.inject({ method: 'POST', url: '/v1/keys', headers: api.auth, payload: { name: 'ops', scopes: ['integrations:write'], tenantId: 'acme' } });
    const { key, secret } = created.json() as Created;
    const refused = await api.app.inject({
      method: 'PATCH',
      url: '/v1/tenants/acme/integrations/duo',
      headers: bearer(secret),
      payload: { syncIntervalMinutes: 0 },
    });
    expect(refused.statusCode).toBe(400);
    const { entries } = await audit();
    expect(entries.slice(0, 2)).toEqual([
      expect.objectContaining({ keyId: key.keyId, keyName: 'ops', tenantId: 'acme', action: 'integration.settings', statusCode: 400, requestId: refused.headers['x-request-id'] }),
      expect.objectContaining({ keyId: 'bootstrap', keyName: 'API_TOKEN', tenantId: 'acme', action: 'api_key.create', statusCode: 201, requestId: created.headers['x-request-id'] }),
    ]);
    expect(JSON.stringify(entries)).not.toContain(secret);
  });

  it('keeps pause\'s free-text by as a note beside the key\'s identity', async () => {
    await api.app.inject({ method: 'POST', url: '/v1/tenants/acme/integrations/duo/pause', headers: api.auth, payload: { by: 'ops@example.com', reason: 'SIEM budget' } });
    const [entry] = (await audit('?tenant=acme')).entries;
    expect(entry).toMatchObject({ keyId: 'bootstrap', action: 'integration.pause', note: 'by: ops@example.com; reason: SIEM budget' });
  });

  it('writes nothing for a request refused before authorization (401, 403)', async () => {
    const before = (await audit()).entries.length;
    await api.app.inject({ method: 'DELETE', url: '/v1/tenants/acme/integrations/duo', headers: bearer('not-a-key-at-all') });
    const reader = (await api.app.inject({ method: 'POST', url: '/v1/keys', headers: api.auth, payload: { name: 'reader', scopes: ['usage:read'] } })).json() as Created;
    await api.app.inject({ method: 'DELETE', url: '/v1/tenants/acme/integrations/duo', headers: bearer(reader.secret) });
    expect((await audit()).entries.length).toBe(before + 1); // the key creation only
  });

  it('pages newest first with a keyset cursor and filters by tenant', async () => {
    for (let i = 0; i < 3; i++) await api.app.inject({ method: 'POST', url: '/v1/keys', headers: api.auth, payload: { name: `k${i}`, scopes: ['usage:read'], tenantId: 'initech' } });
    const first = await audit('?tenant=initech&limit=2');
    expect(first.entries.map((entry) => entry.note)).toEqual(['k2', 'k1']);
    expect(first.nextCursor).not.toBeNull();
    const second = await audit(`?tenant=initech&limit=2&cursor=${first.nextCursor}`);
    expect(second.entries.map((entry) => entry.note)).toEqual(['k0']);
    expect(second.nextCursor).toBeNull();
  });

  it('refuses a malformed cursor with 400 naming it', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/v1/audit?cursor=abc', headers: api.auth });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { details: { issues: [{ location: 'querystring', path: 'cursor' }] } } });
  });
});

describe('rate limits', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi({ duoOrigin: undefined, env: { API_RATE_LIMIT_PER_MINUTE: '3' } });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('answers 429 rate_limited with Retry-After past the per-key limit, without touching another key\'s allowance', async () => {
    const other = (await api.app.inject({ method: 'POST', url: '/v1/keys', headers: api.auth, payload: { name: 'other', scopes: ['usage:read'] } })).json() as Created;
    const statuses: number[] = [];
    let last: LightMyRequestResponse | undefined;
    for (let i = 0; i < 3; i++) {
      last = await api.app.inject({ method: 'GET', url: '/v1/me', headers: api.auth });
      statuses.push(last.statusCode);
    }
    expect(statuses).toEqual([200, 200, 429]); // the POST above was the bootstrap key's first request
    expect(errorOf(last!).code).toBe('rate_limited');
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
    expect((await api.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(other.secret) })).statusCode).toBe(200);
  });
});

describe('with Temporal down', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi({ duoOrigin: undefined, temporalAddress: `127.0.0.1:${await closedPort()}` });
    await seedUsageScenario(api.database.db, 'acme', Date.now());
  });
  afterAll(async () => {
    await api?.close();
  });

  it('usage routes and /readyz answer 200 while a lifecycle route answers 503 temporal_unavailable', async () => {
    expect((await api.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    expect((await api.app.inject({ method: 'GET', url: '/v1/tenants/acme/duo/usage', headers: api.auth })).statusCode).toBe(200);
    expect((await api.app.inject({ method: 'GET', url: '/v1/tenants/acme/duo/users', headers: api.auth })).statusCode).toBe(200);
    const sync = await api.app.inject({ method: 'POST', url: '/v1/tenants/acme/integrations/duo/sync', headers: api.auth });
    expect(sync.statusCode).toBe(503);
    expect(errorOf(sync).code).toBe('temporal_unavailable');
  });
});

import { randomInt } from 'node:crypto';
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorResponseSchema } from '../../api/schemas/integration.js';
import { closedPort, createTestApi, type TestApi } from '../helpers/api.js';
import { snapshotTables } from '../helpers/db-snapshot.js';
import { seedUsageScenario } from '../helpers/usage-tenant.js';

/**
 * Property-based hostile input against the API key, identity and audit routes, through inject().
 * Never a 5xx, never a secret in an answer, and a refused request changes no table: at most the audit
 * trail gains the one row recording the refusal of an authorized caller. Replay with FUZZ_SEED=<seed>.
 */
const seed = Number(process.env.FUZZ_SEED ?? randomInt(2 ** 31));

let api: TestApi;
const secrets: string[] = [];
let readerSecret = '';
let boundSecret = '';

beforeAll(async () => {
  api = await createTestApi({ duoOrigin: `http://127.0.0.1:${await closedPort()}` });
  await seedUsageScenario(api.database.db, 'acme', Date.now());
  for (const payload of [
    { name: 'reader', scopes: ['usage:read'] },
    { name: 'bound', scopes: ['integrations:write', 'usage:read'], tenantId: 'acme' },
  ]) {
    const response = await api.app.inject({ method: 'POST', url: '/v1/keys', headers: api.auth, payload });
    secrets.push((response.json() as { secret: string }).secret);
  }
  [readerSecret = '', boundSecret = ''] = secrets;
});

afterAll(async () => {
  await api?.close();
  process.stdout.write(`fuzz-access: seed ${seed}\n`);
});

const text = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', 'admin', 'usage:read', '../', '%00', 'dus_', '1e309', 'null', '__proto__'));
const json = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.record(
    {
      name: fc.oneof(text, fc.integer(), fc.constant(null)),
      scopes: fc.oneof(fc.array(fc.oneof(fc.constantFrom('admin', 'metrics:read', 'usage:read', 'integrations:write', 'integrations:read'), text), { maxLength: 12 }), text),
      tenantId: fc.oneof(fc.constantFrom('acme', 'globex', 'a'.repeat(65)), text, fc.constant(null)),
      expiresAt: fc.oneof(fc.date({ noInvalidDate: true }).map((date) => date.toISOString()), text, fc.integer()),
      extra: fc.anything({ maxDepth: 1 }),
    },
    { requiredKeys: [] },
  ),
);
const auth = fc.constantFrom<() => Record<string, string>>(
  () => api.auth,
  () => ({ authorization: `Bearer ${readerSecret}` }),
  () => ({ authorization: `Bearer ${boundSecret}` }),
  () => ({ authorization: `Bearer ${readerSecret.slice(0, -1)}A` }),
  () => ({ authorization: 'Bearer dus_0000000000000000_' + 'A'.repeat(43) }),
  () => ({ authorization: 'Basic YWRtaW46YWRtaW4=' }),
  () => ({}),
);
const request: fc.Arbitrary<{ options: Omit<InjectOptions, 'headers'>; headers: () => Record<string, string> }> = fc.oneof(
  fc.record({ options: json.map((payload) => ({ method: 'POST' as const, url: '/v1/keys', payload: payload as never })), headers: auth }),
  fc.record({
    options: fc.oneof(text, fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 16, maxLength: 16 })).map((id) => ({ method: 'DELETE' as const, url: `/v1/keys/${encodeURIComponent(id)}` })),
    headers: auth,
  }),
  fc.record({
    options: fc
      .record({ tenant: text, cursor: fc.oneof(text, fc.bigInt({ min: -1n, max: 10n ** 20n }).map(String)), limit: fc.oneof(text, fc.integer()) }, { requiredKeys: [] })
      .map((query) => ({ method: 'GET' as const, url: '/v1/audit', query: query as Record<string, string> })),
    headers: auth,
  }),
  fc.record({ options: fc.constantFrom({ method: 'GET' as const, url: '/v1/me' }, { method: 'GET' as const, url: '/v1/keys' }), headers: auth }),
);

const auditRows = async () => (await api.database.sql<{ n: number }[]>`select count(*)::int as n from audit_log`)[0]?.n ?? 0;

function checkAnswer(response: LightMyRequestResponse, context: string): void {
  expect(response.statusCode, context).toBeLessThan(500);
  for (const secret of secrets) expect(response.body.includes(secret), `${context}: a known key's secret in the answer`).toBe(false);
  if (response.statusCode >= 400) expect(errorResponseSchema.safeParse(response.json()).success, context).toBe(true);
}

describe(`fuzzing the access routes (seed ${seed})`, () => {
  it('never answers 5xx or with a secret, and a refused request changes no table beyond its own audit row', async () => {
    await fc.assert(
      fc.asyncProperty(request, async ({ options, headers }) => {
        const before = await snapshotTables(api.database.sql, { except: ['audit_log', 'api_keys'] });
        const keysBefore = await api.database.sql`select id, name, scopes, tenant_id, expires_at, revoked_at from api_keys order by id`;
        const auditBefore = await auditRows();
        const response = await api.app.inject({ ...options, headers: headers() } as InjectOptions);
        const context = `${options.method} ${options.url} ${JSON.stringify(options.query ?? options.payload ?? '')} → ${response.statusCode} ${response.body.slice(0, 300)}`;
        checkAnswer(response, context);
        if (response.statusCode >= 400) {
          expect(await snapshotTables(api.database.sql, { except: ['audit_log', 'api_keys'] }), context).toEqual(before);
          expect(await api.database.sql`select id, name, scopes, tenant_id, expires_at, revoked_at from api_keys order by id`, context).toEqual(keysBefore);
          const gained = (await auditRows()) - auditBefore;
          // Refused before authorization (401, 403): nothing; refused later: the row saying so.
          expect(gained, context).toBe([401, 403].includes(response.statusCode) || options.method === 'GET' ? 0 : 1);
        }
      }),
      { numRuns: 100, seed, endOnFailure: false },
    );
  }, 240_000);
});

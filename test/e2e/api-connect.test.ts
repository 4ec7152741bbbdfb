import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorResponseSchema } from '../../api/schemas/integration.js';
import { integrationStatusSchema } from '../../integrations/status-document.js';
import { createKeyring, duoSecretContext, sealSecret } from '../../db/credentials.js';
import type { AccountSpec } from '../../simulator/server.js';
import { initialSyncWorkflowId, tenantIdSearchAttribute } from '../../workflows/definitions.js';
import { closedPort, createTestApi, initialSyncExists, storedRows, type TestApi } from '../helpers/api.js';
import { makeAccount } from '../../simulator/account-builder.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator.js';
import { purgeWithoutWorker } from '../helpers/tenant-purge.js';

// The API against the simulator over HTTP, a fresh database and the run's Temporal dev server. No
// worker polls this file's task queue, so a started initial sync stays in its first state.
const good = makeAccount();
// The same Duo account (apiHost) through a second Admin API application: what a key rotation sends.
const sameAccount = makeAccount({ apiHost: good.apiHost, dataset: good.dataset });
// Another Duo account altogether.
const other = makeAccount();
const noReadLog = makeAccount({ permissions: { readLog: false } });
const noReadResource = makeAccount({ permissions: { readResource: false } });
// An ENCRYPTION_KEY this API was rotated away from: still opens, never seals.
const retiredKey = { id: 'retired', key: randomBytes(32).toString('base64') };

let simulator: TestSimulator;
let api: TestApi;

beforeAll(async () => {
  simulator = await startTestSimulator([good, sameAccount, other, noReadLog, noReadResource]);
  api = await createTestApi({ duoOrigin: simulator.origin, env: { ENCRYPTION_PREVIOUS_KEYS: `${retiredKey.id}:${retiredKey.key}` } });
});

afterAll(async () => {
  await api?.close();
  await simulator?.close();
});

const tenant = () => `acme-${randomBytes(5).toString('hex')}`;
const url = (tenantId: string) => `/v1/tenants/${tenantId}/integrations/duo`;
const keysOf = (account: AccountSpec) => ({
  integrationKey: account.integrationKey,
  secretKey: account.secretKey,
  apiHost: account.apiHost,
});

const connect = (tenantId: string, body: Record<string, string>) =>
  api.app.inject({ method: 'PUT', url: url(tenantId), headers: api.auth, payload: body });

/** Answers are parsed with the published schemas, so a test also fails when the contract drifts. */
const statusOf = (response: { body: string }) => integrationStatusSchema.parse(JSON.parse(response.body));
const errorOf = (response: { body: string }) => errorResponseSchema.parse(JSON.parse(response.body)).error;

describe('PUT /v1/tenants/:tenantId/integrations/duo with working keys', () => {
  it('answers 202 with the status document and starts the initial sync', async () => {
    const tenantId = tenant();
    const response = await connect(tenantId, { ...keysOf(good), apiHost: good.apiHost.toUpperCase() });

    expect(response.statusCode).toBe(202);
    const status = statusOf(response);
    expect(status).toMatchObject({
      tenantId,
      status: 'syncing',
      apiHost: good.apiHost,
      integrationKey: `${good.integrationKey.slice(0, 2)}…${good.integrationKey.slice(-4)}`,
      initialSync: { state: 'running', phase: 'roster', workflowId: initialSyncWorkflowId(tenantId) },
      counts: { users: 0, groups: 0, authEvents: 0 },
      lastError: null,
    });
    expect(response.body).not.toContain(good.secretKey);
    expect(response.body).not.toContain(good.integrationKey);

    const description = await api.temporal.workflow.getHandle(initialSyncWorkflowId(tenantId)).describe();
    expect(description.runId).toBe(status.initialSync.runId);
    expect(description.typedSearchAttributes.get(tenantIdSearchAttribute)).toBe(tenantId);
    expect(description.taskQueue).toBe(api.config.TEMPORAL_TASK_QUEUE);
  });

  it('stores the secret key sealed, never in plaintext', async () => {
    const tenantId = tenant();
    expect((await connect(tenantId, keysOf(good))).statusCode).toBe(202);
    const rows = await api.database.sql<{ sealed: string | null }[]>`
      select secret_key_sealed as sealed from duo_integrations where tenant_id = ${tenantId}`;
    const sealed = rows[0]?.sealed ?? '';
    expect(sealed).toMatch(/^v1\./);
    expect(sealed).not.toContain(good.secretKey);
    expect(sealed).not.toContain(Buffer.from(good.secretKey).toString('base64'));
    expect(sealed).not.toContain(Buffer.from(good.secretKey).toString('base64url'));
  });

  it('returns the same run when the same keys are sent again', async () => {
    const tenantId = tenant();
    const first = await connect(tenantId, keysOf(good));
    const second = await connect(tenantId, keysOf(good));
    expect([first.statusCode, second.statusCode]).toEqual([202, 202]);
    const runId = statusOf(first).initialSync.runId;
    expect(runId).toEqual(expect.any(String));
    expect(statusOf(second).initialSync.runId).toBe(runId);
    const description = await api.temporal.workflow.getHandle(initialSyncWorkflowId(tenantId)).describe();
    expect(description.runId).toBe(runId);
    await expect.poll(() => api.temporal.workflow.count(`TenantId = "${tenantId}"`).then((c) => c.count), { timeout: 15_000 }).toBe(1);
  });

  it('replaces the keys of a connected tenant without starting a second run', async () => {
    const tenantId = tenant();
    const first = await connect(tenantId, keysOf(good));
    const rotated = await connect(tenantId, keysOf(sameAccount));
    expect(rotated.statusCode).toBe(202);
    expect(statusOf(rotated)).toMatchObject({
      apiHost: good.apiHost,
      integrationKey: `DI…${sameAccount.integrationKey.slice(-4)}`,
      initialSync: { runId: statusOf(first).initialSync.runId },
    });
    expect(rotated.body).not.toContain(sameAccount.secretKey);
  });

  it('re-seals a secret stored under a retired encryption key when the same keys are sent again', async () => {
    const tenantId = tenant();
    expect((await connect(tenantId, keysOf(good))).statusCode).toBe(202);
    const underRetiredKey = sealSecret(createKeyring(retiredKey), good.secretKey, duoSecretContext(tenantId, good.integrationKey));
    await api.database.sql`
      update duo_integrations set secret_key_sealed = ${underRetiredKey}, encryption_key_id = ${retiredKey.id} where tenant_id = ${tenantId}`;

    expect((await connect(tenantId, keysOf(good))).statusCode).toBe(202);
    const [row] = await api.database.sql<{ sealed: string; key_id: string }[]>`
      select secret_key_sealed as sealed, encryption_key_id as key_id from duo_integrations where tenant_id = ${tenantId}`;
    expect(row?.key_id).toBe(api.config.ENCRYPTION_KEY_ID);
    expect(row?.sealed).toMatch(new RegExp(`^v1\\.${api.config.ENCRYPTION_KEY_ID}\\.`));
  });

  it('restarts the clock of an initial sync that failed, so its estimate measures the new run', async () => {
    const tenantId = tenant();
    expect((await connect(tenantId, keysOf(good))).statusCode).toBe(202);
    await api.database.sql`
      update duo_integrations set status = 'needs_attention', initial_sync_state = 'failed', last_error_code = 'DUO_CREDENTIALS_REJECTED',
        initial_sync_started_at = now() - interval '3 days' where tenant_id = ${tenantId}`;
    const before = Date.now();
    const restarted = await connect(tenantId, keysOf(good));
    expect(restarted.statusCode).toBe(202);
    const status = statusOf(restarted);
    expect(status).toMatchObject({ status: 'syncing', initialSync: { state: 'running' }, lastError: null });
    expect(Date.parse(status.initialSync.startedAt)).toBeGreaterThanOrEqual(before - 1_000);
  });
});

describe('PUT with keys of another Duo account (another apiHost)', () => {
  const disconnect = (tenantId: string, purge: boolean) =>
    api.app.inject({ method: 'DELETE', url: `${url(tenantId)}?purge=${purge}`, headers: api.auth });
  const storedIntegration = async (tenantId: string) => {
    const [row] = await api.database.sql`
      select api_host, integration_key, secret_key_sealed, status from duo_integrations where tenant_id = ${tenantId}`;
    return row;
  };
  const duoCallsOf = async (account: AccountSpec) => (await simulator.control.stats(account.integrationKey)).requests.total;

  async function expectAccountChangeRefused(tenantId: string) {
    const stored = await storedIntegration(tenantId);
    const workflows = (await api.temporal.workflow.count(`TenantId = "${tenantId}"`)).count;
    const duoCalls = await duoCallsOf(other);
    const response = await connect(tenantId, keysOf(other));
    expect(response.statusCode).toBe(409);
    const error = errorOf(response);
    expect(error).toMatchObject({ code: 'duo_account_changed', details: { field: 'apiHost' } });
    expect(error.message).toContain('apiHost');
    expect(error.message).toContain('?purge=true');
    expect(response.body).not.toContain(other.secretKey);
    expect(await storedIntegration(tenantId)).toEqual(stored);
    expect(await duoCallsOf(other)).toBe(duoCalls);
    expect((await api.temporal.workflow.count(`TenantId = "${tenantId}"`)).count).toBe(workflows);
  }

  it('answers 409 duo_account_changed for a connected tenant, storing nothing and starting nothing', async () => {
    const tenantId = tenant();
    expect((await connect(tenantId, keysOf(good))).statusCode).toBe(202);
    await expect.poll(() => api.temporal.workflow.count(`TenantId = "${tenantId}"`).then((c) => c.count), { timeout: 15_000 }).toBe(1);
    await expectAccountChangeRefused(tenantId);
  });

  it('answers 409 duo_account_changed for a tenant disconnected without purge, whose data stays', async () => {
    const tenantId = tenant();
    expect((await connect(tenantId, keysOf(good))).statusCode).toBe(202);
    expect((await disconnect(tenantId, false)).statusCode).toBe(200);
    await expectAccountChangeRefused(tenantId);
  });

  it('connects the other account from scratch once the tenant was disconnected with purge', async () => {
    const tenantId = tenant();
    expect((await connect(tenantId, keysOf(good))).statusCode).toBe(202);
    expect((await disconnect(tenantId, true)).statusCode).toBe(202);
    await purgeWithoutWorker(api.database.db, tenantId);
    const response = await connect(tenantId, keysOf(other));
    expect(response.statusCode).toBe(202);
    expect(statusOf(response)).toMatchObject({ status: 'syncing', apiHost: other.apiHost, initialSync: { state: 'running' } });
  });

  it('lists 409 among the answers of PUT in the OpenAPI document', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/openapi.json', headers: api.auth });
    const document = JSON.parse(response.body) as { paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>> };
    expect(document.paths['/v1/tenants/{tenantId}/integrations/duo']?.put?.responses['409']?.description).toContain('duo_account_changed');
  });
});

describe('PUT /v1/tenants/:tenantId/integrations/duo with keys Duo refuses', () => {
  async function expectRefusedBy422(response: { statusCode: number; body: string }, tenantId: string, code: string) {
    expect(response.statusCode).toBe(422);
    const error = errorOf(response);
    expect(error.code).toBe(code);
    expect(await storedRows(api.database, tenantId)).toEqual({ tenants: 0, integrations: 0 });
    expect(await initialSyncExists(api.temporal, tenantId)).toBe(false);
    return error;
  }

  it('answers 422 duo_credentials_rejected for a wrong secret key, mentioning the clock', async () => {
    const tenantId = tenant();
    const wrongSecret = `${good.secretKey.slice(0, 39)}${good.secretKey.endsWith('a') ? 'b' : 'a'}`;
    const response = await connect(tenantId, { ...keysOf(good), secretKey: wrongSecret });
    const error = await expectRefusedBy422(response, tenantId, 'duo_credentials_rejected');
    expect(error.message).toMatch(/secret key.*clock/);
    expect(response.body).not.toContain(wrongSecret);
  });

  it('answers 422 duo_credentials_rejected for an integration key Duo does not know', async () => {
    const tenantId = tenant();
    const response = await connect(tenantId, { ...keysOf(good), integrationKey: 'DI000000000000000000' });
    const error = await expectRefusedBy422(response, tenantId, 'duo_credentials_rejected');
    expect(error.message).toMatch(/integration key/);
  });

  it('answers 422 duo_permission_missing naming "Grant read log"', async () => {
    const tenantId = tenant();
    const error = await expectRefusedBy422(await connect(tenantId, keysOf(noReadLog)), tenantId, 'duo_permission_missing');
    expect(error.message).toContain('Grant read log');
    expect(error.message).not.toContain('Grant read resource');
    expect(error.details.missingPermissions).toEqual(['Grant read log']);
  });

  it('answers 422 duo_permission_missing naming "Grant read resource"', async () => {
    const tenantId = tenant();
    const error = await expectRefusedBy422(await connect(tenantId, keysOf(noReadResource)), tenantId, 'duo_permission_missing');
    expect(error.message).toContain('Grant read resource');
  });
});

describe('GET /v1/tenants/:tenantId/integrations/duo', () => {
  it('shows the masked key and no secret', async () => {
    const tenantId = tenant();
    await connect(tenantId, keysOf(good));
    const response = await api.app.inject({ method: 'GET', url: url(tenantId), headers: api.auth });
    expect(response.statusCode).toBe(200);
    expect(statusOf(response)).toMatchObject({
      tenantId,
      status: 'syncing',
      integrationKey: `DI…${good.integrationKey.slice(-4)}`,
      initialSync: { state: 'running', workflowId: initialSyncWorkflowId(tenantId) },
    });
    const [row] = await api.database.sql<{ sealed: string }[]>`
      select secret_key_sealed as sealed from duo_integrations where tenant_id = ${tenantId}`;
    expect(response.body).not.toContain(good.secretKey);
    expect(response.body).not.toContain(good.integrationKey);
    expect(response.body).not.toContain(row?.sealed ?? 'no row');
    // The only field naming a secret is the webhook's `secretSet` flag, never a value or a sealed form.
    expect(response.body.replace(/"secretSet":(true|false)/g, '')).not.toMatch(/secret|sealed/i);
  });

  it('answers 404 tenant_not_found for an unknown tenant', async () => {
    const response = await api.app.inject({ method: 'GET', url: url(tenant()), headers: api.auth });
    expect(response.statusCode).toBe(404);
    expect(errorOf(response).code).toBe('tenant_not_found');
  });
});

describe('logs', () => {
  it('never contain a secret key or the API token', () => {
    const logs = api.logs();
    expect(logs.length).toBeGreaterThan(0);
    for (const account of [good, sameAccount, other, noReadLog, noReadResource]) expect(logs).not.toContain(account.secretKey);
    expect(logs).not.toContain(api.config.API_TOKEN);
  });
});

describe('PUT when Temporal is down', () => {
  it('answers 503 temporal_unavailable, keeping the checked keys and saying so in lastError', async () => {
    const down = await createTestApi({ duoOrigin: simulator.origin, temporalAddress: `127.0.0.1:${await closedPort()}` });
    try {
      const tenantId = tenant();
      const startedAt = Date.now();
      const response = await down.app.inject({ method: 'PUT', url: url(tenantId), headers: down.auth, payload: keysOf(good) });
      expect(response.statusCode).toBe(503);
      // The start has a 5 s deadline; without it the SDK retries an unreachable server far longer.
      expect(Date.now() - startedAt).toBeLessThan(8_000);
      expect(errorOf(response).code).toBe('temporal_unavailable');
      expect(await storedRows(down.database, tenantId)).toEqual({ tenants: 1, integrations: 1 });
      const status = await down.app.inject({ method: 'GET', url: url(tenantId), headers: down.auth });
      expect(statusOf(status).lastError).toMatchObject({ code: 'TEMPORAL_UNAVAILABLE' });
    } finally {
      await down.close();
    }
  });
});

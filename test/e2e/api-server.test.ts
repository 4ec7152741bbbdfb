import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig, type Config } from '../../config/config.js';
import { integrationStatusSchema } from '../../integrations/status-document.js';
import { startApi } from '../../api/server.js';
import { AppError } from '../../errors/app-error.js';
import { createLogger } from '../../observability/logger.js';
import { testEnv } from '../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { makeAccount } from '../../simulator/account-builder.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator.js';

// The process entry's startApi over a real socket: listening, auth, graceful close, fail-fast keys.
const slow = makeAccount({ faults: { slowRate: 1, slowMs: 700 } });

let simulator: TestSimulator;
let database: TestDatabase;
let env: Record<string, string>;

beforeAll(async () => {
  simulator = await startTestSimulator([slow]);
  database = await createTestDatabase();
  env = testEnv({
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    DUO_API_ORIGIN_OVERRIDE: simulator.origin,
    API_PORT: '0',
    LOG_LEVEL: 'silent',
  });
});

afterAll(async () => {
  await database?.drop();
  await simulator?.close();
});

const quiet = (config: Config) => ({ logger: createLogger(config) });

describe('startApi', () => {
  it('listens, requires the token, and lets an in-flight request finish on close', async () => {
    const config = loadConfig(env);
    const api = await startApi(config, quiet(config));
    const tenantId = `srv-${randomBytes(4).toString('hex')}`;
    const endpoint = `${api.url}/v1/tenants/${tenantId}/integrations/duo`;

    const anonymous = await fetch(endpoint);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);

    const inFlight = fetch(endpoint, {
      method: 'PUT',
      headers: { authorization: `Bearer ${config.API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ integrationKey: slow.integrationKey, secretKey: slow.secretKey, apiHost: slow.apiHost }),
    });
    // Close only once the request is inside the credential check (the simulator has seen it).
    await expect.poll(async () => (await simulator.control.stats(slow.integrationKey)).requests.total, { timeout: 10_000 }).toBeGreaterThan(0);
    const closed = api.close();

    const response = await inFlight;
    expect(response.status).toBe(202);
    expect(integrationStatusSchema.parse(await response.json()).tenantId).toBe(tenantId);
    await closed;
    await expect(fetch(endpoint)).rejects.toThrow();
  });

  it('refuses to start when ENCRYPTION_KEY differs from the key this database knows under the same id', async () => {
    const first = loadConfig(env);
    const api = await startApi(first, quiet(first));
    await api.close();

    const wrong = loadConfig({ ...env, ENCRYPTION_KEY: randomBytes(32).toString('base64') });
    const failure = await startApi(wrong, quiet(wrong)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AppError);
    expect(failure).toMatchObject({ code: 'ENCRYPTION_KEY_MISMATCH' });
  });
});

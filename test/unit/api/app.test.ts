import { Writable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../api/app.js';
import { createLogger } from '../../../observability/logger.js';
import { createDatabase } from '../../../db/client.js';
import { createKeyring } from '../../../db/credentials.js';
import { TenantNotFoundError } from '../../../errors/integration-errors.js';
import { testConfig } from '../../helpers/config.js';

// No I/O: the database pool and the Temporal connection are lazy and never used by these routes.
const config = testConfig({ LOG_LEVEL: 'info', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
const database = createDatabase(config.DATABASE_URL);
const connection = Connection.lazy({ address: '127.0.0.1:1' });
let logs = '';
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    logs += chunk.toString();
    done();
  },
});
const app = buildApp({
  db: database.db,
  config,
  keyring: createKeyring({ id: config.ENCRYPTION_KEY_ID, key: config.ENCRYPTION_KEY }),
  temporal: new Client({ connection }),
  logger: createLogger(config, sink),
});
const auth = { authorization: `Bearer ${config.API_TOKEN}` };

beforeAll(async () => {
  app.get('/boom', async () => {
    throw new Error('password authentication failed for user "sync" at 10.0.0.5');
  });
  app.get('/nobody', async () => {
    throw new TenantNotFoundError('nobody');
  });
  await app.ready();
});

afterAll(async () => {
  await app.close();
  await connection.close();
  await database.close();
});

describe('buildApp error handler', () => {
  it('answers an unexpected error with a generic 500 carrying the request id, and logs the cause', async () => {
    const response = await app.inject({ method: 'GET', url: '/boom', headers: auth });
    expect(response.statusCode).toBe(500);
    const requestId = response.headers['x-request-id'];
    expect(response.json()).toEqual({
      error: { code: 'internal_error', message: expect.any(String), details: { requestId } },
    });
    expect(response.body).not.toMatch(/password|10\.0\.0\.5/);
    const line = logs.split('\n').find((entry) => entry.includes('"request failed"'));
    expect(line).toContain(String(requestId));
    expect(line).toContain('password authentication failed');
    expect(logs).not.toContain(config.API_TOKEN);
  });

  it('logs a refused request with the canonical code, and answers with its lower-case form', async () => {
    const response = await app.inject({ method: 'GET', url: '/nobody', headers: auth });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ error: { code: 'tenant_not_found' } });
    const line = logs.split('\n').find((entry) => entry.includes('"request refused"') && entry.includes(String(response.headers['x-request-id'])));
    expect(JSON.parse(line ?? '{}')).toMatchObject({ code: 'TENANT_NOT_FOUND', statusCode: 404 });
  });

  it('logs an internal error with the INTERNAL_ERROR code beside its cause', async () => {
    const response = await app.inject({ method: 'GET', url: '/boom', headers: auth });
    const line = logs.split('\n').find((entry) => entry.includes('"request failed"') && entry.includes(String(response.headers['x-request-id'])));
    expect(JSON.parse(line ?? '{}')).toMatchObject({ code: 'INTERNAL_ERROR' });
  });
});

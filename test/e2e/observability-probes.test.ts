import { createServer, type Server, type Socket } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../api/app.js';
import { PROBE_TIMEOUT_MS } from '../../observability/readiness.js';
import { createDatabase, type DatabaseHandle } from '../../db/client.js';
import { createKeyring } from '../../db/credentials.js';
import { closedPort, createTestApi, type TestApi } from '../helpers/api.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';

// /healthz and /readyz on the API against the real dependencies, then with each one unreachable or
// hanging. Both answer without a token and say nothing beyond a status word per dependency. The API's
// readiness is Postgres only: the usage API keeps serving while Temporal is down.

const ready = { status: 'ready', checks: { database: 'ok' } };

/** An app over the given database and Temporal connection, closed by the returned function. */
function appOver(database: DatabaseHandle, connection: Connection): { app: FastifyInstance; close: () => Promise<void> } {
  const config = testConfig({ DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused' });
  const app = buildApp({
    db: database.db,
    config,
    keyring: createKeyring({ id: config.ENCRYPTION_KEY_ID, key: config.ENCRYPTION_KEY }),
    temporal: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }),
  });
  return {
    app,
    async close() {
      await app.close();
      await connection.close();
      // No grace period: a pool stuck connecting to a dead address has nothing to finish.
      await database.sql.end({ timeout: 0 });
    },
  };
}

/** A TCP server that accepts connections and never answers: a hung dependency. */
async function blackHole(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('probes with Postgres and Temporal up', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi({ duoOrigin: 'http://127.0.0.1:1' });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('/healthz answers 200 without a token', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
    expect(response.headers['cache-control']).toBe('no-store');
    expect((await api.app.inject({ method: 'HEAD', url: '/healthz' })).statusCode).toBe(200);
  });

  it('/readyz answers 200 with the database ok, without a token (also with a query string)', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(ready);
    expect((await api.app.inject({ method: 'GET', url: '/readyz?verbose=1' })).json()).toEqual(ready);
  });

  it('leaves every other path behind the bearer token, /metrics and lookalikes included', async () => {
    for (const url of ['/metrics', '/openapi.json', '/healthz/x', '/readyzz', '/v1/tenants/acme/integrations/duo']) {
      expect((await api.app.inject({ method: 'GET', url })).statusCode, url).toBe(401);
    }
    expect((await api.app.inject({ method: 'POST', url: '/healthz' })).statusCode).toBe(401);
  });
});

describe('probes with a dependency down', () => {
  let database: TestDatabase;
  let hole: { port: number; close: () => Promise<void> };
  beforeAll(async () => {
    database = await createTestDatabase();
    hole = await blackHole();
  });
  afterAll(async () => {
    await hole?.close();
    await database?.drop();
  });

  it('/readyz answers 503 naming the database when Postgres refuses connections; /healthz stays 200', async () => {
    const { app, close } = appOver(
      createDatabase(`postgres://postgres@127.0.0.1:${await closedPort()}/none`),
      await Connection.connect({ address: inject('temporalAddress') }),
    );
    try {
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({ status: 'not_ready', checks: { database: 'unreachable' } });
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await close();
    }
  });

  it('/readyz stays 200 when Temporal refuses connections: the API is ready on Postgres alone', async () => {
    const { app, close } = appOver(
      createDatabase(database.url, { poolSize: 1 }),
      Connection.lazy({ address: `127.0.0.1:${await closedPort()}` }),
    );
    try {
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual(ready);
    } finally {
      await close();
    }
  });

  it('/readyz answers 503 within its timeout when the database accepts connections and never answers', async () => {
    const { app, close } = appOver(
      createDatabase(`postgres://postgres@127.0.0.1:${hole.port}/none`),
      Connection.lazy({ address: `127.0.0.1:${hole.port}` }),
    );
    try {
      const startedAt = Date.now();
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      const elapsedMs = Date.now() - startedAt;
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({ status: 'not_ready', checks: { database: 'unreachable' } });
      expect(elapsedMs).toBeGreaterThanOrEqual(PROBE_TIMEOUT_MS - 100);
      expect(elapsedMs).toBeLessThan(PROBE_TIMEOUT_MS + 2_000);
    } finally {
      await close();
    }
  });
});

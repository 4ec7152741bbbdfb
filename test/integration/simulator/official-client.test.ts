import http, { type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAccount } from '../../../simulator/account-builder.js';
import { startTestSimulator, type TestSimulator } from '../../helpers/simulator.js';

/**
 * Duo's own Node client against the simulator. That client only speaks HTTPS to Duo's pinned CAs,
 * so https.request is pointed at the simulator's plain HTTP port: the client's own headers, query
 * string and signature are what the simulator checks.
 */

interface OfficialClient {
  apiCall(method: string, path: string, params: Record<string, string>, callback: (body: string) => void): void;
}
interface OfficialModule {
  Client: new (ikey: string, skey: string, host: string, sigVersion?: number) => OfficialClient;
  SIGNATURE_VERSION_2: number;
  SIGNATURE_VERSION_5: number;
}

function loadOfficialModule(): OfficialModule {
  const loaded: unknown = createRequire(import.meta.url)('@duosecurity/duo_api');
  if (typeof loaded !== 'object' || loaded === null || !('Client' in loaded) || typeof loaded.Client !== 'function') {
    throw new Error('unexpected shape of @duosecurity/duo_api');
  }
  // The package ships no types: checked by shape above, typed by the interface we call.
  return loaded as OfficialModule;
}

interface OfficialRequestOptions {
  method?: string;
  path?: string;
  headers?: OutgoingHttpHeaders;
}

/** Sends what the official client would send to Duo over HTTPS to `origin` over HTTP instead. */
function routeHttpsTo(origin: string): () => void {
  const target = new URL(origin);
  const original = https.request;
  const redirected = (options: OfficialRequestOptions, callback?: (res: IncomingMessage) => void): ClientRequest =>
    http.request({ host: target.hostname, port: target.port, method: options.method, path: options.path, headers: options.headers }, callback);
  Reflect.set(https, 'request', redirected);
  return () => Reflect.set(https, 'request', original);
}

function call(client: OfficialClient, path: string, params: Record<string, string>): Promise<unknown> {
  return new Promise((resolve) => client.apiCall('GET', path, params, (body) => resolve(JSON.parse(body))));
}

const duo = loadOfficialModule();
const account = makeAccount({ dataset: { seed: 31, users: 40, groups: 4, authEvents: 2000, days: 7 } });
let simulator: TestSimulator;
let restoreHttps: () => void;

beforeAll(async () => {
  simulator = await startTestSimulator([account]);
  restoreHttps = routeHttpsTo(simulator.origin);
});

afterAll(async () => {
  restoreHttps();
  await simulator.close();
});

function logWindow(): Record<string, string> {
  const now = Date.now();
  return { mintime: String(now - 3 * 86_400_000), maxtime: String(now - 120_000), limit: '50', sort: 'ts:asc' };
}

describe('the official @duosecurity/duo_api client', () => {
  it('lists users with signature v2', async () => {
    const client = new duo.Client(account.integrationKey, account.secretKey, account.apiHost, duo.SIGNATURE_VERSION_2);
    const body = await call(client, '/admin/v1/users', { limit: '10' });
    expect(body).toMatchObject({ stat: 'OK', metadata: { next_offset: 10, total_objects: 40 } });
    expect((await simulator.control.stats(account.integrationKey)).signatures['v2-sha512']).toBeGreaterThan(0);
  });

  it('reads authentication logs with signature v2', async () => {
    const client = new duo.Client(account.integrationKey, account.secretKey, account.apiHost, duo.SIGNATURE_VERSION_2);
    const body = await call(client, '/admin/v2/logs/authentication', logWindow());
    expect(body).toMatchObject({ stat: 'OK', response: { authlogs: expect.any(Array), metadata: { total_objects: expect.any(Number) } } });
  });

  it('lists users with signature v5', async () => {
    const before = (await simulator.control.stats(account.integrationKey)).signatures.v5 ?? 0;
    const client = new duo.Client(account.integrationKey, account.secretKey, account.apiHost, duo.SIGNATURE_VERSION_5);
    const body = await call(client, '/admin/v1/users', { limit: '5', offset: '5' });
    expect(body).toMatchObject({ stat: 'OK', metadata: { next_offset: 10, prev_offset: 0 } });
    expect((await simulator.control.stats(account.integrationKey)).signatures.v5).toBe(before + 1);
  });

  it('reads authentication logs with signature v5', async () => {
    const client = new duo.Client(account.integrationKey, account.secretKey, account.apiHost, duo.SIGNATURE_VERSION_5);
    const body = await call(client, '/admin/v2/logs/authentication', logWindow());
    expect(body).toMatchObject({ stat: 'OK', response: { authlogs: expect.any(Array) } });
  });

  it('lists applications (signature v5 only) with signature v5', async () => {
    const client = new duo.Client(account.integrationKey, account.secretKey, account.apiHost, duo.SIGNATURE_VERSION_5);
    const body = await call(client, '/admin/v3/integrations', { limit: '3' });
    expect(body).toMatchObject({ stat: 'OK', response: expect.any(Array), metadata: { next_offset: 3, total_objects: 9 } });
  });

  it('is refused on the applications list with signature v2 (401, 40103)', async () => {
    const client = new duo.Client(account.integrationKey, account.secretKey, account.apiHost, duo.SIGNATURE_VERSION_2);
    expect(await call(client, '/admin/v3/integrations', {})).toMatchObject({ stat: 'FAIL', code: 40103 });
  });

  it('reads the account summary', async () => {
    const client = new duo.Client(account.integrationKey, account.secretKey, account.apiHost, duo.SIGNATURE_VERSION_5);
    expect(await call(client, '/admin/v1/info/summary', {})).toMatchObject({ stat: 'OK', response: { user_count: 40, integration_count: 9 } });
  });

  it('is accepted with unicode and punctuation in its parameters', async () => {
    const client = new duo.Client(account.integrationKey, account.secretKey, account.apiHost, duo.SIGNATURE_VERSION_2);
    const body = await call(client, '/admin/v1/users', { limit: '1', username: "Zoë O'Brien (ops) *~!", email: 'a+b@example.com' });
    expect(body).toMatchObject({ stat: 'OK' });
  });

  it('is refused with a wrong secret key (401, 40103)', async () => {
    const client = new duo.Client(account.integrationKey, 'x'.repeat(40), account.apiHost, duo.SIGNATURE_VERSION_2);
    const body = await call(client, '/admin/v1/users', {});
    expect(body).toEqual({ stat: 'FAIL', code: 40103, message: 'Invalid signature in request credentials' });
    const stats = await simulator.control.stats(account.integrationKey);
    expect(stats.requests.byEndpoint['/admin/v1/users']?.['401']).toBeGreaterThan(0);
  });

  it('is refused with a wrong secret key under signature v5 too', async () => {
    const client = new duo.Client(account.integrationKey, 'y'.repeat(40), account.apiHost, duo.SIGNATURE_VERSION_5);
    expect(await call(client, '/admin/v2/logs/authentication', logWindow())).toMatchObject({ stat: 'FAIL', code: 40103 });
  });
});

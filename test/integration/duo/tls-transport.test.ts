import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDuoClient, DUO_LOG_DELAY_MS, type DuoClientOptions } from '../../../duo/client.js';
import { DuoTlsError } from '../../../duo/errors.js';
import { closeDuoConnections } from '../../../duo/transport.js';
import { ConfigError } from '../../../errors/app-error.js';
import { makeAccount } from '../../../simulator/account-builder.js';
import { startTestSimulator, type TestSimulator } from '../../helpers/simulator.js';
import { createTestCa, writeCaFile, type TestCa } from '../../helpers/test-ca.js';

/*
 * The production transport over real HTTPS: the client asks for https://<api host>, and only the
 * test resolver sends the connection to the simulator's TLS port. Certificate verification, SNI
 * and the Host header are undici's and Node's own, as against Duo.
 */

const DAY = 86_400_000;
const account = makeAccount({ dataset: { seed: 2718, users: 420, groups: 6, authEvents: 1800, days: 3 }, settings: { maxLogPageSize: 50 } });
let ca: TestCa;
let caFile: { path: string; remove(): Promise<void> };
let otherCaFile: { path: string; remove(): Promise<void> };
let simulator: TestSimulator;
const servers: Server[] = [];

beforeAll(async () => {
  ca = await createTestCa();
  caFile = await writeCaFile(ca);
  otherCaFile = await writeCaFile(await createTestCa('another test CA'));
  simulator = await startTestSimulator([account], { tls: await ca.issue([account.apiHost]) });
});

afterAll(async () => {
  await closeDuoConnections();
  await simulator.close();
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  await caFile.remove();
  await otherCaFile.remove();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

const tlsPort = (): string => new URL(simulator.tlsOrigin ?? 'https://127.0.0.1:1').port;

function client(overrides: Partial<DuoClientOptions> = {}) {
  return createDuoClient({
    apiHost: account.apiHost,
    integrationKey: account.integrationKey,
    secretKey: account.secretKey,
    testResolve: `${account.apiHost}:127.0.0.1:${tlsPort()}`,
    testCaFile: caFile.path,
    ...overrides,
  });
}

/** A TLS server standing in for Duo with `certificate`, recording the SNI and Host it was sent. */
async function standIn(certificate: { key: string; cert: string }): Promise<{ port: number; seen: Array<{ servername: string | false | null; host: string | undefined }> }> {
  const seen: Array<{ servername: string | false | null; host: string | undefined }> = [];
  const server = createServer(certificate, (req, res) => {
    seen.push({ servername: (req.socket as TLSSocket).servername, host: req.headers.host });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ stat: 'OK', response: [], metadata: { total_objects: 0 } }));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, seen };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a failure'),
    (error: unknown) => error,
  );
}

function expectNothingLeaked(error: unknown): void {
  for (const text of [String(error), inspect(error, { depth: 10, showHidden: true }), JSON.stringify(error)]) {
    expect(text).not.toContain(account.secretKey);
    expect(text).not.toMatch(/Basic [A-Za-z0-9+/=]{20,}/);
    expect(text).not.toContain('BEGIN CERTIFICATE');
  }
}

const firstUserPage = (c: ReturnType<typeof client>) => c.userPages({ limit: 1 }).next();

describe('the Duo client over HTTPS through the test resolver', () => {
  it('pages every user through TLS, matching the simulator truth', async () => {
    const ids: string[] = [];
    for await (const page of client().userPages()) ids.push(...page.items.map((u) => u.user_id));
    const truth = await simulator.control.truth(account.integrationKey);
    expect({ count: ids.length, checksum: createHash('sha256').update(ids.sort().join('\n')).digest('hex') }).toEqual(truth.users);
  });

  it('pages an authentication-log window of 50-row pages through TLS, exactly', async () => {
    const now = Date.now();
    const window = { mintimeMs: now - 3 * DAY, maxtimeMs: now - DUO_LOG_DELAY_MS - 1000 };
    const txids: string[] = [];
    let pages = 0;
    let effective = { mintimeMs: 0, maxtimeMs: 0 };
    for await (const page of client().authLogPages(window)) {
      pages++;
      effective = page.window;
      txids.push(...page.items.map((e) => e.txid));
    }
    expect(pages).toBeGreaterThan(20);
    expect(txids.sort()).toEqual(await simulator.control.authTxids(account.integrationKey, { mintime: effective.mintimeMs, maxtime: effective.maxtimeMs }));
  });

  it('connects to the resolved address with the API host as SNI and Host header', async () => {
    const server = await standIn(await ca.issue([account.apiHost]));
    await firstUserPage(client({ testResolve: `*:127.0.0.1:${server.port}` }));
    expect(server.seen).toEqual([{ servername: account.apiHost, host: account.apiHost }]);
  });

  it('reports every optional grant through TLS in the credential check', async () => {
    expect(await client().checkCredentials()).toMatchObject({ ok: true, optionalGrants: { readInformation: true, readApplications: true } });
  });
});

describe('a certificate that fails verification', () => {
  it('from an unknown CA: DUO_TLS_ERROR untrusted_certificate, not retryable, nothing sent', async () => {
    const before = (await simulator.control.stats(account.integrationKey)).requests.total;
    const error = await failure(firstUserPage(client({ testCaFile: otherCaFile.path })));
    expect(error).toBeInstanceOf(DuoTlsError);
    expect(error).toMatchObject({ code: 'DUO_TLS_ERROR', problem: 'untrusted_certificate', retryable: false, endpoint: '/admin/v1/users' });
    expect((error as DuoTlsError).message).toMatch(/intercepting TLS/);
    expectNothingLeaked(error);
    expect((await simulator.control.stats(account.integrationKey)).requests.total).toBe(before);
  });

  it('without the test CA at all (the usual roots only): untrusted_certificate', async () => {
    const error = await failure(firstUserPage(client({ testCaFile: undefined })));
    expect(error).toMatchObject({ code: 'DUO_TLS_ERROR', problem: 'untrusted_certificate' });
  });

  it('for another host name: hostname_mismatch', async () => {
    const server = await standIn(await ca.issue(['api-someone-else.duosecurity.com']));
    const error = await failure(firstUserPage(client({ testResolve: `*:127.0.0.1:${server.port}` })));
    expect(error).toMatchObject({ code: 'DUO_TLS_ERROR', problem: 'hostname_mismatch', retryable: false });
    expectNothingLeaked(error);
    expect(String(error)).not.toContain('someone-else');
    expect(server.seen).toEqual([]);
  });

  it('that has expired: expired_certificate', async () => {
    const server = await standIn(await ca.issue([account.apiHost], { notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) }));
    const error = await failure(firstUserPage(client({ testResolve: `*:127.0.0.1:${server.port}` })));
    expect(error).toMatchObject({ code: 'DUO_TLS_ERROR', problem: 'expired_certificate' });
  });

  it('makes the credential check answer unreachable, naming DUO_TLS_ERROR', async () => {
    const result = await client({ testCaFile: otherCaFile.path }).checkCredentials();
    expect(result).toMatchObject({ ok: false, verdict: 'unreachable', permissions: { readResource: { ok: false, code: 'DUO_TLS_ERROR' } } });
  });
});

describe('the test switches outside development and tests', () => {
  it.each([undefined, 'production'])('are refused with NODE_ENV=%s, before any connection', (nodeEnv) => {
    vi.stubEnv('NODE_ENV', nodeEnv);
    expect(() => client()).toThrow(ConfigError);
    expect(() => client()).toThrow(/DUO_TEST_RESOLVE is for tests and local runs only/);
    expect(() => client({ testResolve: undefined })).toThrow(/DUO_TEST_CA_FILE is for tests and local runs only/);
  });

  it('refuse a CA file that cannot be read, naming the variable and not the path', () => {
    const error = (() => {
      try {
        client({ testCaFile: '/nonexistent/secret-dir/ca.pem' });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toContain('DUO_TEST_CA_FILE');
    expect(String(error)).not.toContain('secret-dir');
  });
});

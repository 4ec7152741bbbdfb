import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../../errors/app-error.js';
import {
  DuoMalformedResponseError,
  DuoNetworkError,
  DuoRateLimitedError,
  DuoServerError,
} from '../../../duo/errors.js';
import type { EndpointClass, RequestOutcome } from '../../../duo/request-budget.js';
import { canonicalRequest, hmacHex, type SignatureVersion } from '../../../duo/signing.js';
import { closeDuoConnections, createDuoTransport, type DuoTransportOptions } from '../../../duo/transport.js';

/*
 * The transport against a plain local HTTP server standing in for edge cases the Duo simulator
 * does not model (redirects, oversized bodies, stalled headers). No HTTP library is mocked.
 */

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

const apiHost = 'api-abcdef12.duosecurity.com';
const integrationKey = 'DIWJ8X6AEYOR5OMC6TQ1';
const secretKey = 'Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep';

let server: Server;
let origin: string;
let handler: Handler;
let received: Array<{ path: string; headers: IncomingMessage['headers'] }>;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    received.push({ path: req.url ?? '', headers: req.headers });
    handler(req, res, url);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await closeDuoConnections();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  received = [];
  handler = (_req, res) => json(res, 200, { stat: 'OK', response: [] });
});

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function transport(overrides: Partial<DuoTransportOptions> = {}) {
  let tick = Date.UTC(2026, 0, 1, 12, 0, 0);
  return createDuoTransport({
    apiHost,
    integrationKey,
    secretKey,
    originOverride: origin,
    // Each call one second later, so consecutive signatures must differ.
    now: () => (tick += 1000),
    ...overrides,
  });
}

function recordingBudget() {
  const events: string[] = [];
  return {
    events,
    budget: {
      acquire: async (endpointClass: EndpointClass) => void events.push(`acquire:${endpointClass}`),
      report: (endpointClass: EndpointClass, outcome: RequestOutcome) => void events.push(`report:${endpointClass}:${outcome}`),
    },
  };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a failure'),
    (error: unknown) => error,
  );
}

function expectRedacted(error: unknown): void {
  const texts = [String(error), inspect(error, { depth: 10, showHidden: true }), JSON.stringify(error)];
  const authorization = received[0]?.headers.authorization ?? 'never-sent';
  const signature = Buffer.from(authorization.replace(/^Basic /, ''), 'base64').toString().split(':')[1] ?? 'never-sent';
  for (const text of texts) {
    expect(text).not.toContain(secretKey);
    expect(text).not.toContain(authorization);
    expect(text).not.toContain(signature);
    expect(text).not.toMatch(/Basic [A-Za-z0-9+/=]{20,}/);
    const date = received[0]?.headers.date;
    if (date) expect(text).not.toContain(date);
  }
}

describe('signed requests through an origin override', () => {
  it.each<SignatureVersion>(['v5', 'v2-hmac-sha512', 'v2-hmac-sha1', 'v5-x-duo-date'])(
    'signs %s for the tenant API host while connecting to the override',
    async (version) => {
      await transport({ signatureVersion: version }).get({ path: '/admin/v1/users', params: { limit: '1', offset: '0' }, endpointClass: 'object' });
      const request = received[0];
      expect(request?.headers.host).toBe(new URL(origin).host);
      const date = String(version === 'v5-x-duo-date' ? request?.headers['x-duo-date'] : request?.headers.date);
      const canonical = canonicalRequest(version, { date, method: 'GET', host: apiHost, path: '/admin/v1/users', params: { limit: '1', offset: '0' } });
      const expected = hmacHex(version === 'v2-hmac-sha1' ? 'sha1' : 'sha512', secretKey, canonical);
      expect(request?.headers.authorization).toBe(`Basic ${Buffer.from(`${integrationKey}:${expected}`).toString('base64')}`);
    },
  );

  it('sends the canonical parameter string as the query string', async () => {
    await transport().get({ path: '/admin/v2/logs/authentication', params: { sort: 'ts:asc', next_offset: '1,tx id', limit: '1000' }, endpointClass: 'log' });
    expect(received[0]?.path).toBe('/admin/v2/logs/authentication?limit=1000&next_offset=1%2Ctx%20id&sort=ts%3Aasc');
  });

  it('uses a fresh Date and signature for every request', async () => {
    const t = transport();
    await t.get({ path: '/admin/v1/users', params: {}, endpointClass: 'object' });
    await t.get({ path: '/admin/v1/users', params: {}, endpointClass: 'object' });
    expect(received[0]?.headers.date).not.toBe(received[1]?.headers.date);
    expect(received[0]?.headers.authorization).not.toBe(received[1]?.headers.authorization);
  });

  it('asks the budget before and reports to it after each attempt', async () => {
    const { events, budget } = recordingBudget();
    await transport({ budget }).get({ path: '/admin/v1/users', params: {}, endpointClass: 'object' });
    expect(events).toEqual(['acquire:object', 'report:object:ok']);
  });
});

describe('origin override outside development and tests', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('is refused when NODE_ENV=production, before any request', () => {
    vi.stubEnv('NODE_ENV', 'production');
    expect(() => transport()).toThrow(ConfigError);
    expect(() => transport()).toThrow(/DUO_API_ORIGIN_OVERRIDE is for tests and local runs only/);
    expect(received).toEqual([]);
  });

  it('is refused when NODE_ENV is unset, before any request', () => {
    vi.stubEnv('NODE_ENV', undefined);
    expect(() => transport()).toThrow(/DUO_API_ORIGIN_OVERRIDE is for tests and local runs only/);
    expect(received).toEqual([]);
  });

  it('works when NODE_ENV=development', async () => {
    vi.stubEnv('NODE_ENV', 'development');
    await transport().get({ path: '/admin/v1/users', params: {}, endpointClass: 'object' });
    expect(received).toHaveLength(1);
  });

  it('leaves a production transport without override alone', () => {
    vi.stubEnv('NODE_ENV', 'production');
    expect(transport({ originOverride: undefined }).apiHost).toBe(apiHost);
  });
});

describe('connection resets', () => {
  it('retries a reset GET once, re-signed, and reports both attempts', async () => {
    let calls = 0;
    handler = (req, res) => {
      calls += 1;
      if (calls === 1) req.socket.destroy();
      else json(res, 200, { stat: 'OK', response: [] });
    };
    const { events, budget } = recordingBudget();
    await transport({ budget }).get({ path: '/admin/v1/users', params: {}, endpointClass: 'object' });
    expect(received).toHaveLength(2);
    expect(received[0]?.headers.date).not.toBe(received[1]?.headers.date);
    expect(events).toEqual(['acquire:object', 'report:object:failed', 'acquire:object', 'report:object:ok']);
  });

  it('gives up after the second reset with a retryable network error', async () => {
    handler = (req) => req.socket.destroy();
    const error = await failure(transport().get({ path: '/admin/v1/users', params: {}, endpointClass: 'object' }));
    expect(error).toBeInstanceOf(DuoNetworkError);
    expect(error).toMatchObject({ failure: 'reset', status: 0, retryable: true, endpoint: '/admin/v1/users' });
    expect(received).toHaveLength(2);
    expectRedacted(error);
  });
});

describe('failures', () => {
  it('does not follow a redirect', async () => {
    handler = (_req, res) => {
      res.writeHead(302, { location: `${origin}/elsewhere` });
      res.end();
    };
    const error = await failure(transport().get({ path: '/admin/v1/users', params: {}, endpointClass: 'object' }));
    expect(error).toBeInstanceOf(DuoServerError);
    expect(error).toMatchObject({ status: 302, retryable: false });
    expect(received.map((r) => r.path)).not.toContain('/elsewhere');
  });

  it('aborts a response larger than the bound', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ stat: 'OK', response: ['x'.repeat(10_000)] }));
    };
    const error = await failure(transport({ maxResponseBytes: 4096 }).get({ path: '/admin/v1/users', params: {}, endpointClass: 'object' }));
    expect(error).toBeInstanceOf(DuoMalformedResponseError);
    expect((error as Error).message).toMatch(/larger than 4096 bytes/);
  });

  it('reports a body that is not JSON without quoting it', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"stat":"OK","response":[{"user_id":"SECRET-ROW"');
    };
    const error = await failure(transport().get({ path: '/admin/v1/users', params: {}, endpointClass: 'object' }));
    expect(error).toBeInstanceOf(DuoMalformedResponseError);
    expect(inspect(error)).not.toContain('SECRET-ROW');
    expectRedacted(error);
  });

  it('reports an envelope of the wrong shape with the issue path', async () => {
    handler = (_req, res) => json(res, 200, { stat: 'MAYBE', response: [] });
    const error = await failure(transport().get({ path: '/admin/v1/users', params: {}, endpointClass: 'object' }));
    expect(error).toMatchObject({ code: 'DUO_MALFORMED_RESPONSE', endpoint: '/admin/v1/users', issuePath: 'stat' });
  });

  it('maps an HTML 502 from a proxy to a retryable server error', async () => {
    handler = (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>Bad gateway</html>');
    };
    const error = await failure(transport().get({ path: '/admin/v1/users', params: {}, endpointClass: 'object' }));
    expect(error).toBeInstanceOf(DuoServerError);
    expect(error).toMatchObject({ status: 502, retryable: true });
    expectRedacted(error);
  });

  it('times out when headers do not arrive', async () => {
    handler = () => {
      // Never answers.
    };
    const error = await failure(transport({ timeoutMs: 300 }).get({ path: '/admin/v1/users', params: {}, endpointClass: 'object' }));
    expect(error).toBeInstanceOf(DuoNetworkError);
    expect(error).toMatchObject({ failure: 'timeout', retryable: true });
    expect(received).toHaveLength(1);
  });

  it('times out a body that stalls', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"stat":"OK",');
    };
    const error = await failure(transport({ timeoutMs: 300 }).get({ path: '/admin/v1/users', params: {}, endpointClass: 'object' }));
    expect(error).toMatchObject({ code: 'DUO_NETWORK_ERROR', failure: 'timeout' });
  });

  it('rethrows the caller\'s abort instead of a network error', async () => {
    handler = () => {};
    const controller = new AbortController();
    const pending = transport().get({ path: '/admin/v1/users', params: {}, endpointClass: 'object', signal: controller.signal });
    setTimeout(() => controller.abort(new Error('activity cancelled')), 50);
    const error = await failure(pending);
    expect(error).not.toBeInstanceOf(DuoNetworkError);
    expect((error as Error).message).toBe('activity cancelled');
  });

  it('reports a refused connection without retrying it', async () => {
    const { events, budget } = recordingBudget();
    const error = await failure(transport({ originOverride: 'http://127.0.0.1:9', budget }).get({ path: '/admin/v1/users', params: {}, endpointClass: 'object' }));
    expect(error).toMatchObject({ code: 'DUO_NETWORK_ERROR', failure: 'refused' });
    expect(events).toEqual(['acquire:object', 'report:object:failed']);
  });

  it('reports a host that does not resolve as a retryable DNS failure, without the secret', async () => {
    // .invalid never resolves (RFC 6761): the lookup fails without any server being reached.
    const error = await failure(
      transport({ originOverride: 'http://no-such-host.invalid:9100' }).get({ path: '/admin/v1/users', params: { limit: '1' }, endpointClass: 'object' }),
    );
    expect(error).toBeInstanceOf(DuoNetworkError);
    expect(error).toMatchObject({ code: 'DUO_NETWORK_ERROR', failure: 'dns', retryable: true, status: 0, endpoint: '/admin/v1/users' });
    expect(String(error)).toMatch(/Network failure calling Duo \/admin\/v1\/users \(dns\)/);
    expectRedacted(error);
  });

  it('reports a 429 to the budget as rate_limited with the advised delay per endpoint class', async () => {
    handler = (_req, res) => json(res, 429, { stat: 'FAIL', code: 42901, message: 'Too Many Requests' });
    const { events, budget } = recordingBudget();
    const error = await failure(
      transport({ budget, rateLimitRetryAfterMs: (c) => (c === 'log' ? 90_000 : 5_000) }).get({
        path: '/admin/v2/logs/authentication',
        params: {},
        endpointClass: 'log',
      }),
    );
    expect(error).toBeInstanceOf(DuoRateLimitedError);
    expect(error).toMatchObject({ retryAfterMs: 90_000 });
    expect(events).toEqual(['acquire:log', 'report:log:rate_limited']);
    expectRedacted(error);
  });
});

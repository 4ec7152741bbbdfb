import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDuoClient, type DuoClientOptions } from '../../../duo/client.js';
import {
  DuoBadRequestError,
  DuoCredentialsRejectedError,
  DuoMalformedResponseError,
  DuoNetworkError,
  DuoNotFoundError,
  DuoPermissionMissingError,
  DuoRateLimitedError,
  DuoServerError,
} from '../../../duo/errors.js';
import type { EndpointClass, RequestOutcome } from '../../../duo/request-budget.js';
import { closeDuoConnections, createDuoTransport } from '../../../duo/transport.js';
import { makeAccount } from '../../../simulator/account-builder.js';
import { manualClock, startTestSimulator, type TestSimulator } from '../../helpers/simulator.js';

/*
 * Every Duo client error class, provoked through the simulator over real HTTP, and checked for
 * leaks: no secret key, Authorization header or signature in any message, inspection or JSON.
 */

const MINUTE = 60_000;
const DAY = 86_400_000;
const clock = manualClock(Math.floor(Date.now() / MINUTE) * MINUTE);
const account = makeAccount({ dataset: { seed: 7, users: 40, groups: 3, authEvents: 400, days: 3 } });
let sim: TestSimulator;

function options(overrides: Partial<DuoClientOptions> = {}): DuoClientOptions {
  return {
    apiHost: account.apiHost,
    integrationKey: account.integrationKey,
    secretKey: account.secretKey,
    originOverride: sim.origin,
    now: clock.now,
    ...overrides,
  };
}

async function firstPageError(pages: AsyncGenerator<unknown>): Promise<unknown> {
  try {
    for await (const _page of pages) {
      // Walk until the failure.
    }
  } catch (error) {
    return error;
  }
  return expect.unreachable('expected the walk to fail');
}

function expectNoSecrets(error: unknown, secretKey = account.secretKey): void {
  for (const text of [String(error), inspect(error, { depth: 10, showHidden: true }), JSON.stringify(error)]) {
    expect(text).not.toContain(secretKey);
    expect(text).not.toMatch(/Basic [A-Za-z0-9+/=]{20,}/);
    expect(text).not.toMatch(/[0-9a-f]{128}/);
    expect(text).not.toMatch(/\d{2}:\d{2}:\d{2} -0000/);
  }
}

const recentWindow = () => ({ mintimeMs: clock.now() - DAY, maxtimeMs: clock.now() });

beforeAll(async () => {
  sim = await startTestSimulator([account], { now: clock.now });
});

afterAll(async () => {
  await closeDuoConnections();
  await sim.close();
});

beforeEach(async () => {
  await sim.control.reset();
});

describe('credentials rejected', () => {
  it('on a wrong secret key (40103), hinting at keys and clock', async () => {
    const wrongSecret = 'W'.repeat(40);
    const error = await firstPageError(createDuoClient(options({ secretKey: wrongSecret })).userPages());
    expect(error).toBeInstanceOf(DuoCredentialsRejectedError);
    expect(error).toMatchObject({ status: 401, duoCode: 40103, retryable: false, endpoint: '/admin/v1/users' });
    expect(String(error)).toMatch(/secret key.*clock/);
    expectNoSecrets(error, wrongSecret);
  });

  it('on an unknown integration key (40102), hinting at the integration key and API host', async () => {
    const error = await firstPageError(createDuoClient(options({ integrationKey: 'DIAAAAAAAAAAAAAAAAAA' })).userPages());
    expect(error).toBeInstanceOf(DuoCredentialsRejectedError);
    expect(error).toMatchObject({ duoCode: 40102 });
    expect(String(error)).toMatch(/check the integration key, and that the API host/);
  });

  it('on credentials Duo cannot read (40101), hinting at a missing or invalid integration key', async () => {
    // An empty integration key leaves Authorization as "Basic base64(:signature)", which names no key.
    const error = await firstPageError(createDuoClient(options({ integrationKey: '' })).userPages());
    expect(error).toBeInstanceOf(DuoCredentialsRejectedError);
    expect(error).toMatchObject({ status: 401, duoCode: 40101, endpoint: '/admin/v1/users' });
    expect(String(error)).toMatch(/integration key is missing or invalid/);
    expectNoSecrets(error);
  });

  it('on keys revoked at runtime', async () => {
    await sim.control.revoke(account.integrationKey, { keys: true });
    const error = await firstPageError(createDuoClient(options()).authLogPages(recentWindow()));
    expect(error).toBeInstanceOf(DuoCredentialsRejectedError);
  });

  it("on this server's clock being ten minutes off", async () => {
    const skewed = () => clock.now() + 10 * MINUTE;
    const error = await firstPageError(createDuoClient(options({ now: skewed })).groupPages());
    expect(error).toMatchObject({ code: 'DUO_CREDENTIALS_REJECTED', duoCode: 40103 });
  });
});

describe('permission missing', () => {
  it('names "Grant read log" when read log is revoked', async () => {
    await sim.control.revoke(account.integrationKey, { permission: 'readLog' });
    const error = await firstPageError(createDuoClient(options()).authLogPages(recentWindow()));
    expect(error).toBeInstanceOf(DuoPermissionMissingError);
    expect(error).toMatchObject({ permission: 'Grant read log', status: 403, duoCode: 40301, retryable: false });
    expect(String(error)).toContain('Grant read log');
    expectNoSecrets(error);
  });

  it('names "Grant read resource" when read resource is revoked', async () => {
    await sim.control.revoke(account.integrationKey, { permission: 'readResource' });
    const error = await firstPageError(createDuoClient(options()).userPages());
    expect(error).toMatchObject({ code: 'DUO_PERMISSION_MISSING', permission: 'Grant read resource' });
  });

  it('names "Grant read log" for the administrator log', async () => {
    await sim.control.revoke(account.integrationKey, { permission: 'readLog' });
    const error = await firstPageError(createDuoClient(options()).adminLogPages({ mintimeSec: Math.floor((clock.now() - DAY) / 1000) }));
    expect(error).toMatchObject({ permission: 'Grant read log', endpoint: '/admin/v1/logs/administrator' });
  });
});

describe('rate limited', () => {
  it('throws a retryable 429 with the advised delay and reports it to the budget', async () => {
    await sim.control.setRateLimits(account.integrationKey, { objectRequestsPerMinute: 1 });
    const outcomes: Array<[EndpointClass, RequestOutcome]> = [];
    const budget = { acquire: async () => {}, report: (c: EndpointClass, o: RequestOutcome) => void outcomes.push([c, o]) };
    const client = createDuoClient(options({ budget, rateLimitRetryAfterMs: (c) => (c === 'object' ? 12_345 : 1) }));
    await client.userPages({ limit: 1 }).next();
    const error = await firstPageError(client.userPages({ limit: 1 }));
    expect(error).toBeInstanceOf(DuoRateLimitedError);
    expect(error).toMatchObject({ status: 429, duoCode: 42901, retryable: true, retryAfterMs: 12_345 });
    expect(outcomes).toEqual([
      ['object', 'ok'],
      ['object', 'rate_limited'],
    ]);
    expectNoSecrets(error);
  });

  it('limits log endpoints apart from object lists', async () => {
    await sim.control.setRateLimits(account.integrationKey, { logRequestsPerMinute: 1 });
    const client = createDuoClient(options());
    await client.authLogPages({ ...recentWindow(), limit: 1 }).next();
    await expect(client.userPages({ limit: 1 }).next()).resolves.toMatchObject({ done: false });
    const error = await firstPageError(client.authLogPages({ ...recentWindow(), limit: 1 }));
    expect(error).toMatchObject({ code: 'DUO_RATE_LIMITED', endpoint: '/admin/v2/logs/authentication', retryAfterMs: 60_000 });
  });
});

describe('server and network faults', () => {
  it('maps injected 5xx answers to a retryable server error', async () => {
    await sim.control.setFaults(account.integrationKey, { serverErrorRate: 1, seed: 1 });
    const error = await firstPageError(createDuoClient(options()).userPages());
    expect(error).toBeInstanceOf(DuoServerError);
    expect(error).toMatchObject({ retryable: true });
    expect(error instanceof DuoServerError && error.status >= 500).toBe(true);
    expectNoSecrets(error);
  });

  it('retries a reset connection once, then throws a retryable network error', async () => {
    await sim.control.setFaults(account.integrationKey, { resetRate: 1 });
    const error = await firstPageError(createDuoClient(options()).groupPages());
    expect(error).toBeInstanceOf(DuoNetworkError);
    expect(error).toMatchObject({ failure: 'reset', status: 0, retryable: true });
    expect((await sim.control.stats(account.integrationKey)).faults.reset).toBe(2);
    expectNoSecrets(error);
  });

  it('times out a slow answer', async () => {
    await sim.control.setFaults(account.integrationKey, { slowRate: 1, slowMs: 3000 });
    const error = await firstPageError(createDuoClient(options({ timeoutMs: 400 })).userPages());
    expect(error).toMatchObject({ code: 'DUO_NETWORK_ERROR', failure: 'timeout' });
  });

  it('refuses a body that is not JSON as a malformed response, without quoting it', async () => {
    await sim.control.setFaults(account.integrationKey, { malformedRate: 1, seed: 3 });
    const error = await firstPageError(createDuoClient(options()).userPages());
    expect(error).toBeInstanceOf(DuoMalformedResponseError);
    expect(error).toMatchObject({ endpoint: '/admin/v1/users', retryable: true });
    expect(inspect(error)).not.toMatch(/nginx|user_id/);
  });

  it('refuses a truncated body as malformed or, when the connection drops mid-body, as a network error', async () => {
    await sim.control.setFaults(account.integrationKey, { truncatedRate: 1, seed: 5 });
    for (let i = 0; i < 4; i += 1) {
      const error = await firstPageError(createDuoClient(options()).userPages());
      expect([DuoMalformedResponseError, DuoNetworkError].some((cls) => error instanceof cls)).toBe(true);
      expectNoSecrets(error);
    }
  });

  it('tolerates schema drift (new fields, documented nulls) and keeps the new fields in the raw items', async () => {
    await sim.control.setFaults(account.integrationKey, { schemaDriftRate: 1 });
    const client = createDuoClient(options());
    const users = await client.userPages().next();
    expect(users.done ? undefined : users.value.items[0]).toHaveProperty('sim_added_field');
    const auth = await client.authLogPages(recentWindow()).next();
    expect(auth.done ? undefined : auth.value.items[0]).toHaveProperty('sim_added_field');
    const groups = await client.groupPages().next();
    expect(groups.done).toBe(false);
  });

  it("refuses an authentication-log page whose txid is a number, naming the item's path and nothing of the body", async () => {
    await sim.control.setFaults(account.integrationKey, { typeDriftRate: 1 });
    const error = await firstPageError(createDuoClient(options()).authLogPages({ ...recentWindow(), limit: 5 }));
    expect(error).toBeInstanceOf(DuoMalformedResponseError);
    expect(error).toMatchObject({ code: 'DUO_MALFORMED_RESPONSE', endpoint: '/admin/v2/logs/authentication', issuePath: 'response.authlogs.0.txid' });
    // Exactly the endpoint, the kind of mismatch and the path: no value, username or id from the body.
    expect(String(error)).toBe(
      'DuoMalformedResponseError: Unexpected response from Duo /admin/v2/logs/authentication: schema mismatch (expected string) at response.authlogs.0.txid',
    );
    expect(error instanceof DuoMalformedResponseError && error.details).toEqual({
      status: 200,
      duoCode: null,
      endpoint: '/admin/v2/logs/authentication',
      problem: 'schema mismatch (expected string)',
      issuePath: 'response.authlogs.0.txid',
    });
    expectNoSecrets(error);
  });

  it('refuses an authentication-log answer without its authlogs array', async () => {
    await sim.control.setFaults(account.integrationKey, { typeDriftRate: 1 });
    // A window with no event: the fault removes the (empty) list instead of breaking an item.
    const empty = { mintimeMs: clock.now() - 10 * DAY, maxtimeMs: clock.now() - 10 * DAY + 1 };
    const error = await firstPageError(createDuoClient(options()).authLogPages(empty));
    expect(error).toMatchObject({ code: 'DUO_MALFORMED_RESPONSE', issuePath: 'response.authlogs', message: expect.stringMatching(/expected array/) });
  });

  it('refuses a users page whose user_id is a number', async () => {
    await sim.control.setFaults(account.integrationKey, { typeDriftRate: 1 });
    const error = await firstPageError(createDuoClient(options()).userPages({ limit: 3 }));
    expect(error).toBeInstanceOf(DuoMalformedResponseError);
    expect(error).toMatchObject({ endpoint: '/admin/v1/users', issuePath: 'response.0.user_id', retryable: true });
  });

  it('refuses an authentication-log next_offset that does not advance', async () => {
    await sim.control.setFaults(account.integrationKey, { stuckCursorRate: 1 });
    const error = await firstPageError(createDuoClient(options()).authLogPages({ ...recentWindow(), limit: 10 }));
    expect(error).toBeInstanceOf(DuoMalformedResponseError);
    expect(error).toMatchObject({ endpoint: '/admin/v2/logs/authentication', issuePath: 'metadata.next_offset' });
    expect(String(error)).toMatch(/did not advance/);
  });

  it('refuses a users next_offset that does not advance', async () => {
    await sim.control.setFaults(account.integrationKey, { stuckCursorRate: 1 });
    const error = await firstPageError(createDuoClient(options()).userPages({ limit: 10 }));
    expect(error).toMatchObject({ code: 'DUO_MALFORMED_RESPONSE', endpoint: '/admin/v1/users' });
  });
});

describe('bad requests reaching Duo', () => {
  // The client refuses these windows itself; the bare transport shows what Duo would answer.
  const transport = () => createDuoTransport(options());

  it("maps Duo's 400 for a mintime beyond 180 days to a bad request carrying message_detail", async () => {
    const error = await transport()
      .get({
        path: '/admin/v2/logs/authentication',
        params: { mintime: String(clock.now() - 200 * DAY), maxtime: String(clock.now() - 10 * MINUTE), limit: '10', sort: 'ts:asc' },
        endpointClass: 'log',
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DuoBadRequestError);
    expect(error).toMatchObject({ status: 400, duoCode: 40002, retryable: false, messageDetail: 'mintime must be within the past 180 days' });
    expectNoSecrets(error);
  });

  it("maps Duo's 400 for maxtime not after mintime", async () => {
    const t = String(clock.now() - 10 * MINUTE);
    const error = await transport()
      .get({ path: '/admin/v2/logs/authentication', params: { mintime: t, maxtime: t }, endpointClass: 'log' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DUO_BAD_REQUEST', messageDetail: "'maxtime' must be strictly greater than 'mintime'" });
  });

  it("maps Duo's 400 for a missing maxtime to 40001", async () => {
    const error = await transport()
      .get({ path: '/admin/v2/logs/authentication', params: { mintime: String(clock.now() - DAY) }, endpointClass: 'log' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DUO_BAD_REQUEST', duoCode: 40001 });
  });

  it('maps an unknown endpoint to not found', async () => {
    const error = await transport().get({ path: '/admin/v1/nothing-here', params: {}, endpointClass: 'object' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DuoNotFoundError);
    expect(error).toMatchObject({ status: 404, retryable: false });
  });
});

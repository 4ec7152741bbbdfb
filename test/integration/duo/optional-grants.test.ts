import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDuoClient, type DuoClientOptions } from '../../../duo/client.js';
import { DuoPermissionMissingError } from '../../../duo/errors.js';
import { closeDuoConnections } from '../../../duo/transport.js';
import { makeAccount } from '../../../simulator/account-builder.js';
import type { AccountSpec } from '../../../simulator/server.js';
import { startTestSimulator, type TestSimulator } from '../../helpers/simulator.js';

/* The optional grants through the client: the account summary, the applications list, and the check. */

const account = makeAccount({ dataset: { seed: 1618, users: 230, groups: 4, authEvents: 600, days: 3 } });
const leastPrivilege = makeAccount({ permissions: { readInformation: false, readApplications: false } });
let sim: TestSimulator;

beforeAll(async () => {
  sim = await startTestSimulator([account, leastPrivilege]);
});

beforeEach(async () => {
  await sim.control.reset();
});

afterAll(async () => {
  await closeDuoConnections();
  await sim.close();
});

function client(of: AccountSpec = account, overrides: Partial<DuoClientOptions> = {}) {
  return createDuoClient({ apiHost: of.apiHost, integrationKey: of.integrationKey, secretKey: of.secretKey, originOverride: sim.origin, ...overrides });
}

async function collect<P>(pages: AsyncIterable<P>): Promise<P[]> {
  const out: P[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a failure'),
    (error: unknown) => error,
  );
}

describe('accountSummary', () => {
  it('returns Duo\'s seat figures, users pending deletion included', async () => {
    const summary = await client().accountSummary();
    const roster = await sim.control.roster(account.integrationKey);
    expect(summary).toMatchObject({
      user_count: roster.users.length,
      user_pending_deletion_count: roster.users.filter((u) => u.status === 'pending deletion').length,
      integration_count: 9,
    });
    expect(summary.admin_count).toBeGreaterThan(0);
  });

  it('fails with DUO_PERMISSION_MISSING naming "Grant read information" without the grant', async () => {
    const error = await failure(client(leastPrivilege).accountSummary());
    expect(error).toBeInstanceOf(DuoPermissionMissingError);
    expect(error).toMatchObject({ code: 'DUO_PERMISSION_MISSING', permission: 'Grant read information', duoCode: 40301 });
  });
});

describe('applicationPages', () => {
  it('pages every application with Duo\'s offset paging', async () => {
    const pages = await collect(client().applicationPages({ limit: 4 }));
    expect(pages.map((p) => [p.items.length, p.next, p.totalObjects])).toEqual([
      [4, 4, 9],
      [4, 8, 9],
      [1, null, 9],
    ]);
    const keys = pages.flatMap((p) => p.items.map((a) => a.integration_key));
    expect(new Set(keys).size).toBe(9);
    expect(keys).toContain(account.integrationKey);
  });

  it('never hands out a secret Duo lists with the applications', async () => {
    const items = (await collect(client().applicationPages())).flatMap((p) => p.items);
    const text = JSON.stringify(items);
    expect(items.length).toBe(9);
    expect(text).not.toContain('secret_key');
    expect(text).not.toContain(account.secretKey);
  });

  it('signs with v5 even when the client is set to v2, as Duo requires for this list', async () => {
    const before = await sim.control.stats(account.integrationKey);
    await collect(client(account, { signatureVersion: 'v2-hmac-sha1' }).applicationPages());
    const after = await sim.control.stats(account.integrationKey);
    expect(after.signatures.v5).toBe((before.signatures.v5 ?? 0) + 1);
    expect(after.requests.byEndpoint['/admin/v3/integrations']).toEqual({ '200': 1 });
  });

  it('fails with DUO_PERMISSION_MISSING naming "Grant applications" without the grant', async () => {
    const error = await failure(client(leastPrivilege).applicationPages().next());
    expect(error).toMatchObject({ code: 'DUO_PERMISSION_MISSING', permission: 'Grant applications' });
  });
});

describe('checkCredentials and the optional grants', () => {
  it('reports both optional grants when the keys have them', async () => {
    expect((await client().checkCredentials()).optionalGrants).toEqual({ readInformation: true, readApplications: true });
  });

  it('passes without them, reporting them absent', async () => {
    const result = await client(leastPrivilege).checkCredentials();
    expect(result).toMatchObject({ ok: true, verdict: 'ok', optionalGrants: { readInformation: false, readApplications: false } });
  });

  it('reports a grant it could not probe as unknown (null), not as absent', async () => {
    await sim.control.setRateLimits(account.integrationKey, { objectRequestsPerMinute: 1 });
    const result = await client().checkCredentials();
    expect(result.permissions.readResource).toEqual({ ok: true });
    expect(result.optionalGrants).toEqual({ readInformation: true, readApplications: null });
  });

  it('follows a grant revoked at runtime', async () => {
    await sim.control.revoke(account.integrationKey, { permission: 'readApplications' });
    expect((await client().checkCredentials()).optionalGrants).toEqual({ readInformation: true, readApplications: false });
  });
});

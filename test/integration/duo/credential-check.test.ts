import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runDuoCli, type CliIo } from '../../../cli/duo.js';
import { createDuoClient } from '../../../duo/client.js';
import { closeDuoConnections } from '../../../duo/transport.js';
import { makeAccount } from '../../../simulator/account-builder.js';
import { manualClock, startTestSimulator, type TestSimulator } from '../../helpers/simulator.js';

/* The credential check and the `duo check` command against the simulator over HTTP. */

const clock = manualClock(Math.floor(Date.now() / 60_000) * 60_000);
// Least privilege: no "Grant read information", which the check must never need.
const account = makeAccount({
  permissions: { readLog: true, readResource: true, readInformation: false },
  dataset: { seed: 11, users: 10, groups: 2, authEvents: 50, days: 2 },
});
let sim: TestSimulator;

const client = () =>
  createDuoClient({
    apiHost: account.apiHost,
    integrationKey: account.integrationKey,
    secretKey: account.secretKey,
    originOverride: sim.origin,
    now: clock.now,
  });

function capture(): { io: CliIo; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { out: (t) => void out.push(t), err: (t) => void err.push(t), readSecret: async () => account.secretKey },
  };
}

beforeAll(async () => {
  // The CLI signs with the real clock: the manual clock is reset to real time before each test.
  sim = await startTestSimulator([account], { now: clock.now });
});

afterAll(async () => {
  await closeDuoConnections();
  await sim.close();
});

beforeEach(async () => {
  clock.set(Math.floor(Date.now() / 60_000) * 60_000);
  await sim.control.reset();
});

describe('checkCredentials', () => {
  it('reports both permissions OK without needing "Grant read information"', async () => {
    expect(await client().checkCredentials()).toEqual({
      ok: true,
      verdict: 'ok',
      permissions: { readResource: { ok: true }, readLog: { ok: true } },
      optionalGrants: { readInformation: false, readApplications: true },
    });
  });

  it('makes one 1-row call per required grant and one small call per optional grant', async () => {
    await client().checkCredentials();
    const stats = await sim.control.stats(account.integrationKey);
    expect(Object.keys(stats.requests.byEndpoint).sort()).toEqual([
      '/admin/v1/info/summary',
      '/admin/v1/users',
      '/admin/v2/logs/authentication',
      '/admin/v3/integrations',
    ]);
    expect(stats.requests.total).toBe(4);
  });

  it('reports a missing "Grant read log" by name', async () => {
    await sim.control.revoke(account.integrationKey, { permission: 'readLog' });
    const result = await client().checkCredentials();
    expect(result.ok).toBe(false);
    expect(result.verdict).toBe('permission_missing');
    expect(result.permissions.readResource).toEqual({ ok: true });
    expect(result.permissions.readLog).toMatchObject({ ok: false, code: 'DUO_PERMISSION_MISSING', message: expect.stringContaining('Grant read log') });
  });

  it('reports a missing "Grant read resource" by name and still checks read log', async () => {
    await sim.control.revoke(account.integrationKey, { permission: 'readResource' });
    const result = await client().checkCredentials();
    expect(result.verdict).toBe('permission_missing');
    expect(result.permissions.readResource).toMatchObject({ ok: false, message: expect.stringContaining('Grant read resource') });
    expect(result.permissions.readLog).toEqual({ ok: true });
  });

  it('stops after the first call when Duo rejects the credentials', async () => {
    const result = await createDuoClient({
      apiHost: account.apiHost,
      integrationKey: account.integrationKey,
      secretKey: 'x'.repeat(40),
      originOverride: sim.origin,
      now: clock.now,
    }).checkCredentials();
    expect(result.verdict).toBe('credentials_rejected');
    expect(result.permissions.readLog).toMatchObject({ ok: false, code: 'DUO_CREDENTIALS_REJECTED', message: expect.stringMatching(/^Not checked/) });
    expect(result.optionalGrants).toEqual({ readInformation: null, readApplications: null });
    expect((await sim.control.stats(account.integrationKey)).requests.total).toBe(1);
  });

  it('reports an unreachable Duo as a network failure', async () => {
    const result = await createDuoClient({
      apiHost: account.apiHost,
      integrationKey: account.integrationKey,
      secretKey: account.secretKey,
      originOverride: 'http://127.0.0.1:9',
    }).checkCredentials();
    expect(result.verdict).toBe('unreachable');
    expect(result.permissions.readResource).toMatchObject({ ok: false, code: 'DUO_NETWORK_ERROR' });
  });

  it('reports rate limiting without calling it a permission problem', async () => {
    await sim.control.setRateLimits(account.integrationKey, { logRequestsPerMinute: 0.0001 });
    await client().authLogPages({ mintimeMs: clock.now() - 3_600_000, maxtimeMs: clock.now() }).next();
    const result = await client().checkCredentials();
    expect(result.verdict).toBe('rate_limited');
    expect(result.permissions.readLog).toMatchObject({ ok: false, code: 'DUO_RATE_LIMITED' });
    expect(result.optionalGrants).toEqual({ readInformation: null, readApplications: null });
  });
});

describe('npm run duo -- check', () => {
  const cliEnv = (env: Record<string, string>) => ({ NODE_ENV: 'test', DUO_API_ORIGIN_OVERRIDE: sim.origin, ...env });
  const args = () => ['check', '--api-host', account.apiHost.toUpperCase(), '--ikey', account.integrationKey];

  it('prints OK per permission and exits 0 through DUO_API_ORIGIN_OVERRIDE', async () => {
    const { io, out } = capture();
    const code = await runDuoCli(args(), cliEnv({ DUO_SECRET_KEY: account.secretKey }), io);
    expect(code).toBe(0);
    expect(out.join('')).toMatch(/Grant read resource: OK\n {2}Grant read log: {6}OK\n/);
    expect(out.join('')).toMatch(/Optional: Grant read information not granted, Grant applications granted\nResult: OK/);
  });

  it('asks for the secret when DUO_SECRET_KEY is unset', async () => {
    const { io, out } = capture();
    expect(await runDuoCli(args(), cliEnv({}), io)).toBe(0);
    expect(out.join('')).toMatch(/Result: OK/);
  });

  it('prints the reason and exits 1 when a permission is missing', async () => {
    await sim.control.revoke(account.integrationKey, { permission: 'readLog' });
    const { io, out } = capture();
    const code = await runDuoCli(args(), cliEnv({ DUO_SECRET_KEY: account.secretKey }), io);
    expect(code).toBe(1);
    expect(out.join('')).toMatch(/Grant read log: +FAILED DUO_PERMISSION_MISSING: .*Grant read log/);
    expect(out.join('')).toMatch(/Result: FAILED \(permission_missing\)/);
  });

  it('never prints the secret key, even when Duo rejects it', async () => {
    const wrong = 'Q'.repeat(40);
    const { io, out, err } = capture();
    expect(await runDuoCli(args(), cliEnv({ DUO_SECRET_KEY: wrong }), io)).toBe(1);
    expect([...out, ...err].join('')).not.toContain(wrong);
    expect(out.join('')).toMatch(/credentials_rejected/);
  });

  it('reports an unreachable origin per permission and exits 1', async () => {
    const { io, out } = capture();
    expect(await runDuoCli(args(), cliEnv({ DUO_SECRET_KEY: account.secretKey, DUO_API_ORIGIN_OVERRIDE: 'http://127.0.0.1:9' }), io)).toBe(1);
    expect(out.join('')).toMatch(/Grant read resource: FAILED DUO_NETWORK_ERROR/);
    expect(out.join('')).toMatch(/Result: FAILED \(unreachable\)/);
  });
});

import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duoGet, duoGetJson, manualClock, signGet, startTestSimulator, type TestSimulator } from '../../helpers/simulator.js';
import { makeAccount } from '../../../simulator/account-builder.js';

const clock = manualClock(Date.UTC(2026, 5, 1, 12, 0, 0));
const account = makeAccount();
let simulator: TestSimulator;

beforeAll(async () => {
  simulator = await startTestSimulator([account], { now: clock.now });
});

afterAll(async () => {
  await simulator.close();
});

const USERS = '/admin/v1/users';

describe('request credentials', () => {
  it.each(['v2-sha1', 'v2-sha512', 'v5', 'v5-x-duo-date'] as const)('accepts a %s signature', async (scheme) => {
    const response = await duoGetJson(simulator.origin, account, USERS, { limit: '1' }, { scheme, clock: clock.now });
    expect(response.status).toBe(200);
  });

  it('accepts the RFC 2822 date with a -0000 offset', async () => {
    const date = new Date(clock.now()).toUTCString().replace('GMT', '-0000');
    expect((await duoGet(simulator.origin, account, USERS, {}, { date })).status).toBe(200);
  });

  it('checks signatures against the account host, whatever Host header arrives', async () => {
    // node:http sends Host: 127.0.0.1:PORT; signing that instead of the API host must fail.
    const response = await duoGetJson(simulator.origin, account, USERS, {}, { clock: clock.now, host: new URL(simulator.origin).host });
    expect(response.body).toMatchObject({ code: 40103 });
  });

  it('accepts a query sent with + for spaces when the decoded values were signed', async () => {
    const response = await duoGet(simulator.origin, account, USERS, [['username', 'First Last']], {
      clock: clock.now,
      rawQuery: 'username=First+Last',
    });
    expect(response.status).toBe(200);
  });

  it('answers 401 40101 without an Authorization header', async () => {
    const response = await duoGetJson(simulator.origin, account, USERS, {}, { clock: clock.now, omitAuthorization: true });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ stat: 'FAIL', code: 40101, message: 'Missing request credentials' });
  });

  it('answers 401 40101 without a date header', async () => {
    const { headers } = signGet(account, USERS, [], { clock: clock.now });
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(new URL(USERS, simulator.origin), { headers: { Authorization: headers.Authorization ?? '' } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 40101 });
  });

  it('answers 401 40102 for an unknown integration key', async () => {
    const response = await duoGetJson(simulator.origin, account, USERS, {}, { clock: clock.now, integrationKey: 'DIUNKNOWN00000000000' });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ stat: 'FAIL', code: 40102, message: 'Invalid integration key in request credentials' });
  });

  it('answers 401 40103 for a wrong signature', async () => {
    const response = await duoGetJson(simulator.origin, account, USERS, {}, { clock: clock.now, secretKey: 'z'.repeat(40) });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ stat: 'FAIL', code: 40103, message: 'Invalid signature in request credentials' });
  });

  it('answers 40103 when a signed parameter is altered on the wire', async () => {
    const response = await duoGetJson(simulator.origin, account, USERS, { limit: '5' }, { clock: clock.now, rawQuery: 'limit=6' });
    expect(response.body).toMatchObject({ code: 40103 });
  });

  it('answers 40103 for a date more than 5 minutes behind the simulator clock', async () => {
    const date = new Date(clock.now() - 5 * 60_000 - 1000).toUTCString();
    expect((await duoGetJson(simulator.origin, account, USERS, {}, { date })).body).toMatchObject({ code: 40103 });
  });

  it('answers 40103 for a date more than 5 minutes ahead of the simulator clock', async () => {
    const date = new Date(clock.now() + 5 * 60_000 + 1000).toUTCString();
    expect((await duoGetJson(simulator.origin, account, USERS, {}, { date })).body).toMatchObject({ code: 40103 });
  });

  it('accepts a date 4 minutes off', async () => {
    const date = new Date(clock.now() - 4 * 60_000).toUTCString();
    expect((await duoGet(simulator.origin, account, USERS, {}, { date })).status).toBe(200);
  });

  it('answers 40103 for a date that is not RFC 2822', async () => {
    const date = new Date(clock.now()).toISOString();
    expect((await duoGetJson(simulator.origin, account, USERS, {}, { date })).body).toMatchObject({ code: 40103 });
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AccountSpec } from '../../../simulator/server.js';
import { ControlApiError } from '../../../simulator/control-client.js';
import { duoGet, manualClock, startTestSimulator, type TestSimulator } from '../../helpers/simulator.js';
import { makeAccount } from '../../../simulator/account-builder.js';

const clock = manualClock(Date.UTC(2026, 3, 20, 7, 0, 0));
const DAY = 86_400_000;
const first = makeAccount({ dataset: { seed: 1, users: 30, groups: 3, authEvents: 1000, days: 5 } });
const second = makeAccount({ dataset: { seed: 2, users: 45, groups: 4, authEvents: 1000, days: 5 } });
let simulator: TestSimulator;

beforeAll(async () => {
  simulator = await startTestSimulator([first, second], { now: clock.now });
});

beforeEach(async () => {
  await simulator.control.reset();
});

afterAll(async () => {
  await simulator.close();
});

async function body(account: AccountSpec, path: string, params: Record<string, string>, origin = simulator.origin): Promise<unknown> {
  const response = await duoGet(origin, account, path, params, { clock: clock.now });
  return JSON.parse(response.text);
}

function logParams(): Record<string, string> {
  return { mintime: String(clock.now() - 4 * DAY), maxtime: String(clock.now()), limit: '200', sort: 'ts:asc' };
}

describe('several accounts', () => {
  it('serve their own data', async () => {
    expect(await body(first, '/admin/v1/users', {})).toMatchObject({ metadata: { total_objects: 30 } });
    expect(await body(second, '/admin/v1/users', {})).toMatchObject({ metadata: { total_objects: 45 } });
  });

  it('check each signature with that account secret and host', async () => {
    const crossed = await duoGet(simulator.origin, { ...first, secretKey: second.secretKey }, '/admin/v1/users', {}, { clock: clock.now });
    expect(JSON.parse(crossed.text)).toMatchObject({ code: 40103 });
    const wrongHost = await duoGet(simulator.origin, { ...first, apiHost: second.apiHost }, '/admin/v1/users', {}, { clock: clock.now });
    expect(JSON.parse(wrongHost.text)).toMatchObject({ code: 40103 });
  });

  it('keep faults, revocations and roster changes to themselves', async () => {
    await simulator.control.setFaults(first.integrationKey, { serverErrorRate: 1 });
    await simulator.control.revoke(first.integrationKey, { permission: 'readLog' });
    const victim = (await simulator.control.roster(first.integrationKey)).users[0]?.user_id ?? '';
    await simulator.control.deleteUser(first.integrationKey, victim);
    expect((await duoGet(simulator.origin, second, '/admin/v2/logs/authentication', logParams(), { clock: clock.now })).status).toBe(200);
    expect(await body(second, '/admin/v1/users', {})).toMatchObject({ metadata: { total_objects: 45 } });
    expect((await simulator.control.stats(second.integrationKey)).faults.serverError).toBe(0);
  });

  it('can be added at runtime', async () => {
    const added = makeAccount();
    await simulator.control.addAccount(added);
    expect((await duoGet(simulator.origin, added, '/admin/v1/users', {}, { clock: clock.now })).status).toBe(200);
  });

  it('refuses a second account with the same integration key', async () => {
    await expect(simulator.control.addAccount({ ...makeAccount(), integrationKey: first.integrationKey })).rejects.toMatchObject({ status: 409 });
  });

  it('refuses an invalid account spec', async () => {
    await expect(simulator.control.addAccount({ ...makeAccount(), secretKey: 'short' })).rejects.toBeInstanceOf(ControlApiError);
  });

  it('lose runtime additions and changes on reset', async () => {
    const added = makeAccount();
    await simulator.control.addAccount(added);
    await simulator.control.revoke(first.integrationKey, { keys: true });
    await simulator.control.reset();
    expect(JSON.parse((await duoGet(simulator.origin, added, '/admin/v1/users', {}, { clock: clock.now })).text)).toMatchObject({ code: 40102 });
    expect((await duoGet(simulator.origin, first, '/admin/v1/users', {}, { clock: clock.now })).status).toBe(200);
  });
});

describe('determinism', () => {
  it('gives the same users and events for the same seed and clock, in another simulator', async () => {
    const twin = await startTestSimulator([first], { now: clock.now });
    try {
      expect(await twin.control.roster(first.integrationKey)).toEqual(await simulator.control.roster(first.integrationKey));
      expect(await body(first, '/admin/v2/logs/authentication', logParams(), twin.origin)).toEqual(
        await body(first, '/admin/v2/logs/authentication', logParams()),
      );
      expect(await body(first, '/admin/v1/users', { limit: '300' }, twin.origin)).toEqual(await body(first, '/admin/v1/users', { limit: '300' }));
    } finally {
      await twin.close();
    }
  });

  it('gives different data for a different seed', async () => {
    const a = await simulator.control.truth(first.integrationKey);
    const b = await simulator.control.truth(second.integrationKey);
    expect(a.authEvents.checksum).not.toBe(b.authEvents.checksum);
    expect(a.users.checksum).not.toBe(b.users.checksum);
  });
});

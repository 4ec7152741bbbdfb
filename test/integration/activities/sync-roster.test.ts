import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MALFORMED_ATTEMPTS_BEFORE_STALL } from '../../../activities/failures.js';
import { syncRoster } from '../../../activities/sync-roster.js';
import { AppError } from '../../../errors/app-error.js';
import { malformedAnswer } from '../../helpers/scripted-duo-proxy.js';
import { makeAccount } from '../../../simulator/account-builder.js';
import { runAttempt, startSimulatedTenant, type SimulatedTenant } from './simulated-tenant.js';

function failureOf(outcome: { ok: true } | { ok: false; error: unknown }): AppError {
  if (outcome.ok) throw new Error('the attempt succeeded');
  if (!(outcome.error instanceof AppError)) throw outcome.error;
  return outcome.error;
}

describe('a roster page that Duo answers malformed', () => {
  // 700 users: pages at offsets 0, 300 and 600; the one at 300 is the broken one.
  const account = makeAccount({ dataset: { seed: 3030, users: 700, groups: 3, authEvents: 300, days: 3 } });
  const tenantId = 'roster-malformed';
  let tenant: SimulatedTenant;
  const usersPageAt300IsMalformed = (on: boolean) => {
    tenant.proxy.script = (request) => (on && request.path === '/admin/v1/users' && request.params.get('offset') === '300' ? malformedAnswer : undefined);
  };
  const users = async () => {
    const [row] = await tenant.database.sql<{ listed: number; deleted: number }[]>`
      select count(*) filter (where deleted_at is null)::int as listed, count(*) filter (where deleted_at is not null)::int as deleted
      from duo_users where tenant_id = ${tenantId}`;
    return row;
  };
  const streak = async () => {
    const [row] = await tenant.database.sql<{ malformed_streak: number; malformed_at: string }[]>`
      select malformed_streak, malformed_at from roster_malformed_pages where tenant_id = ${tenantId}`;
    return row ?? { malformed_streak: 0, malformed_at: null };
  };

  beforeAll(async () => {
    tenant = await startSimulatedTenant(tenantId, [account]);
    usersPageAt300IsMalformed(true);
  });
  afterAll(async () => { await tenant?.close(); });

  it('is retried, not stopped, the first time, whatever the attempt number; the pages before it are stored', async () => {
    const failure = failureOf(await runAttempt(20, syncRoster, tenant.deps, tenantId));
    expect(failure).toMatchObject({ code: 'DUO_MALFORMED_RESPONSE', retryable: true });
    expect(await streak()).toEqual({ malformed_streak: 1, malformed_at: 'users offset 300' });
    expect(await users()).toEqual({ listed: 300, deleted: 0 });
  });

  it(`stops the roster with SYNC_STALLED naming "users offset 300" once that page was malformed ${MALFORMED_ATTEMPTS_BEFORE_STALL} times in a row`, async () => {
    const codes: string[] = [];
    let last: AppError | undefined;
    for (let attempt = 2; attempt <= MALFORMED_ATTEMPTS_BEFORE_STALL; attempt++) {
      last = failureOf(await runAttempt(attempt, syncRoster, tenant.deps, tenantId));
      codes.push(last.code);
    }
    expect(codes.slice(0, -1).every((code) => code === 'DUO_MALFORMED_RESPONSE')).toBe(true);
    expect(last).toMatchObject({ code: 'SYNC_STALLED', retryable: false });
    expect(last?.message).toContain('users offset 300');
    expect(await users()).toEqual({ listed: 300, deleted: 0 });
  });

  it('ends the streak once Duo answers that page: the next time it breaks starts a new streak', async () => {
    usersPageAt300IsMalformed(false);
    const complete = await runAttempt(1, syncRoster, tenant.deps, tenantId);
    expect(complete).toMatchObject({ ok: true, value: { users: 700 } });
    expect(await streak()).toEqual({ malformed_streak: 0, malformed_at: null });
    usersPageAt300IsMalformed(true);
    for (let attempt = 1; attempt < MALFORMED_ATTEMPTS_BEFORE_STALL; attempt++) {
      expect(failureOf(await runAttempt(attempt, syncRoster, tenant.deps, tenantId)).code).toBe('DUO_MALFORMED_RESPONSE');
    }
    expect(await streak()).toEqual({ malformed_streak: MALFORMED_ATTEMPTS_BEFORE_STALL - 1, malformed_at: 'users offset 300' });
  });
});

describe('a user deleted in Duo while the roster is being scanned', () => {
  // 700 users: pages at offsets 0, 300 and 600. Deleting a user of the first page before the second
  // is fetched shifts every later user one place left, so the user first at offset 300 is on no page.
  const account = makeAccount({ dataset: { seed: 5050, users: 700, groups: 2, authEvents: 10, days: 1 } });
  const tenantId = 'roster-shifted';
  let tenant: SimulatedTenant;
  let deletedUserId = '';
  const markedDeleted = async () => {
    const rows = await tenant.database.sql<{ user_id: string }[]>`
      select user_id from duo_users where tenant_id = ${tenantId} and deleted_at is not null order by user_id`;
    return rows.map((row) => row.user_id);
  };

  beforeAll(async () => {
    tenant = await startSimulatedTenant(tenantId, [account]);
    // The tenant already holds all 700 users from an earlier refresh.
    expect(await runAttempt(1, syncRoster, tenant.deps, tenantId)).toMatchObject({ ok: true, value: { users: 700 } });
    tenant.proxy.script = async (request) => {
      if (!deletedUserId && request.path === '/admin/v1/users' && request.params.get('offset') === '300') {
        const roster = await tenant.simulator.control.roster(account.integrationKey);
        deletedUserId = roster.users[0]!.user_id;
        await tenant.simulator.control.deleteUser(account.integrationKey, deletedUserId);
      }
      return undefined;
    };
  });
  afterAll(async () => { await tenant?.close(); });

  it('marks nobody deleted after a scan during which Duo\'s count changed', async () => {
    const outcome = await runAttempt(1, syncRoster, tenant.deps, tenantId);
    expect(deletedUserId).not.toBe('');
    expect(outcome).toMatchObject({ ok: true, value: { users: 699, usersMarkedDeleted: 0 } });
    expect(await markedDeleted()).toEqual([]);
  });

  it('marks exactly the deleted user at the next complete scan', async () => {
    const outcome = await runAttempt(1, syncRoster, tenant.deps, tenantId);
    expect(outcome).toMatchObject({ ok: true, value: { users: 699, usersMarkedDeleted: 1 } });
    expect(await markedDeleted()).toEqual([deletedUserId]);
  });
});

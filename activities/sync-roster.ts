import { Context } from '@temporalio/activity';
import { assertConnectedForWrite, setLastRosterSync } from '../db/integrations.js';
import { sweepRoster, upsertGroups, upsertUsers } from '../db/roster.js';
import type { RosterSyncResult } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';
import { toGroupRecord, toUserRecord } from './duo-records.js';
import { loadDuoClient } from './tenant-connection.js';

/**
 * Groups, then every user (300 per page) with their groups and status, upserted page by page; then
 * whatever Duo no longer lists is marked deleted. A retry rescans from the start (upserts are
 * idempotent) but keeps the first attempt's scan start, so nothing seen by it is swept.
 */
export async function syncRoster(deps: ActivityDeps, tenantId: string): Promise<RosterSyncResult> {
  const context = Context.current();
  const previous = context.info.heartbeatDetails as { scanStartedAtMs?: number } | undefined;
  const scanStartedAt = new Date(previous?.scanStartedAtMs ?? Date.now());
  const beat = (extra: Record<string, number> = {}) => context.heartbeat({ scanStartedAtMs: scanStartedAt.getTime(), ...extra });
  beat();
  const duo = await loadDuoClient(deps, tenantId, { onBudgetWait: () => beat() });
  const signal = context.cancellationSignal;

  let groups = 0;
  for await (const page of duo.groupPages({ signal })) {
    await deps.db.transaction(async (tx) => {
      await assertConnectedForWrite(tx, tenantId);
      await upsertGroups(tx, tenantId, page.items.map(toGroupRecord), new Date());
    });
    groups += page.items.length;
    beat({ groups });
  }
  let users = 0;
  let memberships = 0;
  for await (const page of duo.userPages({ signal })) {
    const records = page.items.map(toUserRecord);
    await deps.db.transaction(async (tx) => {
      await assertConnectedForWrite(tx, tenantId);
      await upsertUsers(tx, tenantId, records, new Date());
    });
    users += records.length;
    memberships += records.reduce((n, r) => n + r.groupIds.length, 0);
    beat({ groups, users });
  }
  const swept = await deps.db.transaction(async (tx) => {
    const result = await sweepRoster(tx, tenantId, scanStartedAt);
    await setLastRosterSync(tx, tenantId, scanStartedAt);
    return result;
  });
  return { users, groups, memberships, ...swept };
}

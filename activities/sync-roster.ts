import { Context, log } from '@temporalio/activity';
import { replaceApplicationCatalogue, storeAccountSummary, type CatalogueApplication } from '../db/account-facts.js';
import { requireIntegration, setLastRosterSync } from '../db/integrations.js';
import { clearMalformedRosterPage, recordMalformedRosterPage } from '../db/roster-malformed.js';
import { sweepRoster, upsertGroups, upsertUsers } from '../db/roster.js';
import type { DuoClient } from '../duo/client.js';
import { AppError } from '../errors/app-error.js';
import { SyncPausedError } from '../errors/integration-errors.js';
import type { RosterSyncResult } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';
import { toGroupRecord, toUserRecord } from './duo-records.js';
import { countMalformedPage } from './failures.js';
import { loadDuoClient, unlessCredentialsRotated } from './tenant-connection.js';

/**
 * Groups, then every user (300 per page) with their groups and status, upserted page by page; then
 * whatever Duo no longer lists is marked deleted. A retry rescans from the start (upserts are
 * idempotent) but keeps the first attempt's scan start, so nothing seen by it is swept. A page Duo
 * keeps answering malformed stops the roster with SYNC_STALLED naming it ("users offset 600").
 */
export async function syncRoster(deps: ActivityDeps, tenantId: string): Promise<RosterSyncResult> {
  const context = Context.current();
  const previous = context.info.heartbeatDetails as { scanStartedAtMs?: number } | undefined;
  const scanStartedAt = new Date(previous?.scanStartedAtMs ?? Date.now());
  const beat = (extra: Record<string, number> = {}) => context.heartbeat({ scanStartedAtMs: scanStartedAt.getTime(), ...extra });
  beat();
  const { duo, builtFrom } = await loadDuoClient(deps, tenantId, { onBudgetWait: () => beat() });
  const signal = context.cancellationSignal;

  // Where the request in flight started: what a malformed answer is counted against.
  let position = 'groups offset 0';
  let groups = 0;
  let users = 0;
  let memberships = 0;
  // Offset paging over a list that changes during the scan can skip an entry (one deleted before it
  // shifts the rest left). Duo's count changing between pages, or fewer distinct ids than it counts,
  // says this scan may have missed someone, and then nobody is marked deleted this time.
  const lists = { groups: new ListScan(), users: new ListScan() };
  try {
    for await (const page of duo.groupPages({ signal })) {
      await deps.db.transaction(async (tx) => {
        await requireIntegration(tx, tenantId, { connected: true, lock: 'share' });
        await upsertGroups(tx, tenantId, page.items.map(toGroupRecord), new Date());
        await clearMalformedRosterPage(tx, tenantId, position);
      });
      groups += page.items.length;
      lists.groups.saw(page.items.map((group) => group.group_id), page.totalObjects);
      position = `groups offset ${page.next ?? 'end'}`;
      beat({ groups });
    }
    position = 'users offset 0';
    for await (const page of duo.userPages({ signal })) {
      const records = page.items.map(toUserRecord);
      await deps.db.transaction(async (tx) => {
        await requireIntegration(tx, tenantId, { connected: true, lock: 'share' });
        await upsertUsers(tx, tenantId, records, new Date());
        await clearMalformedRosterPage(tx, tenantId, position);
      });
      users += records.length;
      lists.users.saw(records.map((record) => record.userId), page.totalObjects);
      memberships += records.reduce((n, r) => n + r.groupIds.length, 0);
      position = `users offset ${page.next ?? 'end'}`;
      beat({ groups, users });
    }
  } catch (error) {
    // Paused mid-scan: the upserted pages stay; nothing is swept, since the scan is incomplete.
    if (error instanceof SyncPausedError) return { users, groups, memberships, usersMarkedDeleted: 0, groupsMarkedDeleted: 0, paused: true };
    const failedAt = position;
    throw await countMalformedPage(
      await unlessCredentialsRotated(deps, tenantId, builtFrom, error),
      () => recordMalformedRosterPage(deps.db, tenantId, failedAt),
      `roster ${failedAt} (the roster rescans from its first page)`,
    );
  }
  const complete = { groups: lists.groups.complete(), users: lists.users.complete() };
  if (!complete.groups || !complete.users) {
    log.warn('Duo roster changed during the scan; nothing is marked deleted this time', {
      tenantId, groups: lists.groups.summary(), users: lists.users.summary(),
    });
  }
  const swept = await deps.db.transaction(async (tx) => {
    const result = await sweepRoster(tx, tenantId, scanStartedAt, complete);
    await setLastRosterSync(tx, tenantId, scanStartedAt);
    return result;
  });
  await refreshAccountFacts(deps, tenantId, duo, signal);
  return { users, groups, memberships, ...swept };
}

/**
 * With "Grant read information", the account summary (seat counts, users pending deletion); with
 * "Grant applications", the application catalogue (every protected application, used or not). Both
 * are optional: a refusal (403) forgets what was stored and records the grant as absent, and any other
 * failure leaves the stored facts as they were until the next refresh. Neither ever fails the roster,
 * which is already stored. Two requests a day when granted (the catalogue pages by 300 applications).
 */
async function refreshAccountFacts(deps: ActivityDeps, tenantId: string, duo: DuoClient, signal: AbortSignal): Promise<void> {
  const now = new Date();
  try {
    const summary = await duo.accountSummary({ signal });
    await storeAccountSummary(deps.db, tenantId, {
      userCount: summary.user_count,
      adminCount: summary.admin_count,
      integrationCount: summary.integration_count,
      userPendingDeletionCount: summary.user_pending_deletion_count ?? null,
    }, now);
  } catch (error) {
    if (signal.aborted) throw error;
    if (isRefusal(error)) await storeAccountSummary(deps.db, tenantId, null, now);
    else log.warn('Duo account summary not refreshed this time', { tenantId, code: codeOf(error) });
  }
  try {
    const applications: CatalogueApplication[] = [];
    for await (const page of duo.applicationPages({ signal })) {
      applications.push(...page.items.map((a) => ({ applicationKey: a.integration_key, name: a.name, type: a.type ?? null })));
    }
    await deps.db.transaction((tx) => replaceApplicationCatalogue(tx, tenantId, applications, now));
  } catch (error) {
    if (signal.aborted) throw error;
    if (isRefusal(error)) await deps.db.transaction((tx) => replaceApplicationCatalogue(tx, tenantId, null, now));
    else log.warn('Duo application catalogue not refreshed this time', { tenantId, code: codeOf(error) });
  }
}

const isRefusal = (error: unknown): boolean => error instanceof AppError && error.code === 'DUO_PERMISSION_MISSING';
const codeOf = (error: unknown): string => (error instanceof AppError ? error.code : 'UNKNOWN');

/** Whether one offset-paged scan saw the whole list: Duo's count stayed put and every entry was seen. */
class ListScan {
  private readonly ids = new Set<string>();
  private counts = new Set<number>();

  saw(ids: string[], totalObjects: number | null): void {
    for (const id of ids) this.ids.add(id);
    if (totalObjects !== null) this.counts.add(totalObjects);
  }

  /** Without counts from Duo there is nothing to check against: the scan is taken as complete. */
  complete(): boolean {
    const [count] = this.counts;
    return count === undefined || (this.counts.size === 1 && this.ids.size >= count);
  }

  summary(): { seen: number; duoCounts: number[] } {
    return { seen: this.ids.size, duoCounts: [...this.counts] };
  }
}

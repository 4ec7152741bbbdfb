import { invalidParameter } from '../duo-errors.js';
import { breakRequiredField, driftItems, type FaultType } from '../faults.js';
import { logView, walkVisible } from '../log-view.js';
import type { HandlerContext, HandlerResult } from './context.js';

/** v1 logs answer with at most this many rows, the earliest first, and no paging metadata. */
export const ADMIN_LOG_PAGE = 1000;

/**
 * `/admin/v1/logs/administrator`: rows with timestamp >= mintime (seconds, default 0), the 1000
 * earliest. Callers page by asking again from the last timestamp they saw.
 */
export function listAdminLogs(context: HandlerContext): HandlerResult {
  const rawMin = context.query.get('mintime') ?? '0';
  if (!/^\d+$/.test(rawMin)) return { ok: false, failure: invalidParameter('mintime') };
  const account = context.account;
  const view = logView(account, 'admin', context.nowMs, Number(rawMin) * 1000, Number.POSITIVE_INFINITY);
  const rows: Record<string, unknown>[] = [];
  for (const key of walkVisible(view, 'asc')) {
    rows.push({ ...account.adminLog.rowFor(key).row });
    if (rows.length >= ADMIN_LOG_PAGE) break;
  }
  const applied: FaultType[] = [];
  if (context.plan.schemaDrift) {
    driftItems(rows, ['description'], context.plan.rng);
    applied.push('schemaDrift');
  }
  let response: Record<string, unknown>[] | null = rows;
  if (context.plan.typeDrift) {
    // Rows have no id; the timestamp is what a consumer cannot do without.
    if (!breakRequiredField(rows, 'timestamp', context.plan.rng)) response = null;
    applied.push('typeDrift');
  }
  return { ok: true, body: { stat: 'OK', response }, applied };
}

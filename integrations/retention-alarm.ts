import type { Queryable } from '../db/client.js';
import { clearRetentionAlarm, raiseRetentionAlarm } from '../db/retention-alarm.js';
import { findRetentionRisks } from '../db/stream-checkpoints.js';
import type { Notification } from '../workflows/notifications.js';

const DAY_MS = 86_400_000;
/** Duo keeps this many days of logs. */
const DUO_LOG_RETENTION_DAYS = 180;
/** Alarm when a checkpoint is within 7 days of losing data for good. */
export const RETENTION_ALARM_AGE_MS = (DUO_LOG_RETENTION_DAYS - 7) * DAY_MS;

/**
 * Raises (once) and clears the retention alarm of every connected tenant. Runs beside reconciliation,
 * not inside a sync run: a paused or failing tenant, whose runs do not happen, is exactly the one at risk.
 * Returns the notifications to send for newly raised alarms.
 *
 * Several workers run this at once: raising is one conditional UPDATE, so exactly one of them wins
 * the row and sends the webhook.
 */
export async function checkRetentionHorizon(db: Queryable, now: Date = new Date()): Promise<Notification[]> {
  const notifications: Notification[] = [];
  for (const risk of await findRetentionRisks(db, now.getTime(), RETENTION_ALARM_AGE_MS)) {
    if (risk.streams.length === 0) {
      await clearRetentionAlarm(db, risk.tenantId);
      continue;
    }
    if (risk.alarmAt) continue;
    if (!(await raiseRetentionAlarm(db, risk.tenantId, now))) continue; // another worker raised it first
    notifications.push({
      type: 'retention.at_risk',
      tenantId: risk.tenantId,
      at: now.toISOString(),
      details: {
        streams: risk.streams.join(','),
        syncedThrough: new Date(risk.oldestSyncedThroughMs).toISOString(),
        unrecoverableAfter: new Date(risk.oldestSyncedThroughMs + DUO_LOG_RETENTION_DAYS * DAY_MS).toISOString(),
      },
    });
  }
  return notifications;
}

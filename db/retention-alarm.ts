import { sql } from 'drizzle-orm';
import type { Queryable } from './client.js';

/** The tenant's checkpoints are clear of Duo's retention horizon again. */
export async function clearRetentionAlarm(db: Queryable, tenantId: string): Promise<void> {
  await db.execute(sql`
    update duo_integrations set retention_alarm_at = null
    where tenant_id = ${tenantId} and retention_alarm_at is not null`);
}

/** Raises the alarm unless it is up already (or the tenant disconnected); true when this call raised it. */
export async function raiseRetentionAlarm(db: Queryable, tenantId: string, now: Date): Promise<boolean> {
  const raised = await db.execute<{ tenant_id: string }>(sql`
    update duo_integrations set retention_alarm_at = ${now.toISOString()}::timestamptz
    where tenant_id = ${tenantId} and retention_alarm_at is null and status not in ('disconnected', 'purging')
    returning tenant_id`);
  return raised.length > 0;
}

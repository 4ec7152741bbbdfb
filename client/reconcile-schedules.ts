import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import type { Config } from '../config/config.js';
import type { Queryable } from '../db/client.js';
import { listIntegrations } from '../db/integrations.js';
import { incrementalScheduleId } from '../workflows/definitions.js';
import { deleteIncrementalSchedule, ensureIncrementalSchedule } from './schedules.js';

export interface ReconcileReport {
  created: string[];
  updated: number;
  deleted: string[];
}

const SCHEDULE_PREFIX = incrementalScheduleId('');

/**
 * Makes Temporal match Postgres: every connected integration has its schedule in the state Postgres
 * says (created if missing, paused or unpaused, interval), and no schedule exists for a disconnected
 * or unknown tenant. Idempotent; safe to run from several workers at once.
 *
 * A schedule of an unknown tenant is deleted only when it starts workflows on our task queue: another
 * deployment sharing the namespace (staging beside production, or another test file) has its own
 * Postgres, so its tenants are unknown here but its schedules are not ours to delete.
 */
export async function reconcileSchedules(client: Client, db: Queryable, config: Config): Promise<ReconcileReport> {
  const report: ReconcileReport = { created: [], updated: 0, deleted: [] };
  const integrations = await listIntegrations(db);
  const connected = new Set<string>();
  for (const integration of integrations) {
    if (integration.status === 'disconnected') {
      if (await deleteIncrementalSchedule(client, integration.tenantId)) report.deleted.push(integration.tenantId);
      continue;
    }
    connected.add(integration.tenantId);
    const result = await ensureIncrementalSchedule(client, config, integration);
    if (result === 'created') report.created.push(integration.tenantId);
    else report.updated += 1;
  }
  for await (const schedule of client.schedule.list()) {
    if (!schedule.scheduleId.startsWith(SCHEDULE_PREFIX)) continue;
    const tenantId = schedule.scheduleId.slice(SCHEDULE_PREFIX.length);
    if (connected.has(tenantId) || (await scheduleTaskQueue(client, schedule.scheduleId)) !== config.TEMPORAL_TASK_QUEUE) continue;
    if (await deleteIncrementalSchedule(client, tenantId)) report.deleted.push(tenantId);
  }
  return report;
}

/** The task queue a schedule starts its workflows on; undefined when it is gone or starts nothing. */
async function scheduleTaskQueue(client: Client, scheduleId: string): Promise<string | undefined> {
  try {
    const { action } = await client.schedule.getHandle(scheduleId).describe();
    return action.type === 'startWorkflow' ? action.taskQueue : undefined;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return undefined;
    throw error;
  }
}

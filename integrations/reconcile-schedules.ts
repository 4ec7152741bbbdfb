import { isGrpcServiceError, ScheduleAlreadyRunning, ScheduleNotFoundError, type Client, type ScheduleDescription, type ScheduleOptions } from '@temporalio/client';
import { msOptionalToNumber } from '@temporalio/common/lib/time.js';
import type { Config } from '../config/config.js';
import type { Queryable } from '../db/client.js';
import { findIntegration, listIntegrations, type IntegrationRow } from '../db/integrations.js';
import { listTenantsPendingReconciliation, markScheduleReconciled, markScheduleUnreconciled } from '../db/schedule-reconciliation.js';
import { incrementalScheduleId } from '../workflows/definitions.js';
import { deleteIncrementalSchedule, desiredSchedule } from './schedules.js';

export interface ReconcileReport {
  /** `changed`: only tenants whose desired state changed since they were last reconciled; `full`: every tenant and schedule. */
  mode: ReconcileMode;
  /** Tenants whose schedule this pass compared with Postgres. */
  visited: number;
  created: string[];
  updated: string[];
  deleted: string[];
  /** Tenants this pass could not bring in line (the next pass tries again); the rest were repaired. */
  failed: { tenantId: string; message: string }[];
  /** Temporal did not answer: the pass stopped early and a full sweep is still owed. */
  unreachable: boolean;
}

export type ReconcileMode = 'changed' | 'full';

const SCHEDULE_PREFIX = incrementalScheduleId('');

/** Act, then re-read: Postgres changed meanwhile (an operator's pause) → act again, a few times at most. */
const ATTEMPTS_PER_TENANT = 3;

/**
 * Makes Temporal match Postgres: every connected integration has its schedule in the state Postgres
 * says (created if missing, paused or unpaused, interval), and no schedule exists for a disconnected
 * or unknown tenant. Idempotent; safe to run from several workers at once (the worker runs it from
 * one at a time: integrations/reconciliation-pass.ts).
 *
 * `changed` visits only the tenants whose desired state changed since it was last matched (their
 * `schedule_desired_version` is ahead of `schedule_reconciled_version`): a pass where nothing changed
 * reads one index and calls Temporal not at all. `full` visits every tenant and lists every schedule,
 * so it also repairs drift Postgres cannot see (a schedule deleted or paused in the UI, a changed
 * service default, a schedule left behind by a tenant that is gone).
 *
 * Each tenant is handled on its own (one tenant's error is reported, the others are still repaired),
 * and from a fresh read of its row taken right before acting, re-checked after: a pass takes a
 * while, and acting on a row read at its start would undo an operator's pause or a disconnect made
 * in between. A tenant that could not be repaired is marked pending, so the next pass retries it.
 *
 * A schedule of an unknown tenant is deleted only when it starts workflows on our task queue: another
 * deployment sharing the namespace (staging beside production, or another test file) has its own
 * Postgres, so its tenants are unknown here but its schedules are not ours to delete.
 */
export async function reconcileSchedules(
  client: Client,
  db: Queryable,
  config: Config,
  options: { mode?: ReconcileMode } = {},
): Promise<ReconcileReport> {
  const mode = options.mode ?? 'full';
  const report: ReconcileReport = { mode, visited: 0, created: [], updated: [], deleted: [], failed: [], unreachable: false };
  const known = new Set<string>();
  const attempt = async (tenantId: string, action: () => Promise<void>): Promise<boolean> => {
    // Temporal unreachable: every other tenant would wait out the same retries; the next pass resumes.
    if (report.unreachable) {
      report.failed.push({ tenantId, message: 'skipped: Temporal is unreachable' });
      return false;
    }
    try {
      await action();
      return true;
    } catch (error) {
      report.unreachable = temporalUnreachable(error);
      report.failed.push({ tenantId, message: error instanceof Error ? error.message.slice(0, 500) : String(error) });
      return false;
    }
  };

  const tenantIds = mode === 'full' ? (await listIntegrations(db)).map((row) => row.tenantId) : await listTenantsPendingReconciliation(db);
  for (const tenantId of tenantIds) {
    known.add(tenantId);
    report.visited++;
    const ok = await attempt(tenantId, async () => {
      const { outcome, row } = await reconcileTenant(client, db, config, tenantId);
      if (outcome !== 'unchanged') report[outcome].push(tenantId);
      if (row && row.scheduleReconciledVersion !== row.scheduleDesiredVersion) await markScheduleReconciled(db, tenantId, row.scheduleDesiredVersion);
    });
    // Its row may say "reconciled" while its schedule drifted: make it pending, so the next
    // changed-only pass retries it. (Temporal unreachable: the whole sweep is retried anyway.)
    if (!ok && mode === 'full' && !report.unreachable) await markScheduleUnreconciled(db, tenantId);
  }
  if (mode === 'changed') return report;

  await attempt('(schedule list)', async () => {
    for await (const schedule of client.schedule.list()) {
      if (!schedule.scheduleId.startsWith(SCHEDULE_PREFIX)) continue;
      const tenantId = schedule.scheduleId.slice(SCHEDULE_PREFIX.length);
      if (known.has(tenantId)) continue;
      await attempt(tenantId, async () => {
        if ((await scheduleTaskQueue(client, schedule.scheduleId)) !== config.TEMPORAL_TASK_QUEUE) return;
        // Connected since the pass listed the integrations: its connect made this schedule.
        if (isConnected(await findIntegration(db, tenantId))) return;
        if (await deleteIncrementalSchedule(client, tenantId)) report.deleted.push(tenantId);
      });
    }
  });
  return report;
}

type TenantOutcome = 'created' | 'updated' | 'deleted' | 'unchanged';

/** What was done, and the row whose desired state Temporal now matches (undefined: the tenant is gone). */
async function reconcileTenant(
  client: Client,
  db: Queryable,
  config: Config,
  tenantId: string,
): Promise<{ outcome: TenantOutcome; row: IntegrationRow | undefined }> {
  const handle = client.schedule.getHandle(incrementalScheduleId(tenantId));
  let outcome: TenantOutcome = 'unchanged';
  let row = await findIntegration(db, tenantId);
  for (let i = 0; i < ATTEMPTS_PER_TENANT; i++) {
    if (!isConnected(row)) {
      return { outcome: (await deleteIncrementalSchedule(client, tenantId)) ? 'deleted' : outcome, row };
    }
    const desired = desiredSchedule(config, row);
    const description = await describe(handle);
    if (!description) {
      try {
        await client.schedule.create(desired);
        outcome = 'created';
      } catch (error) {
        if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      }
    } else {
      if (!sameShape(description, desired)) {
        // The update writes the whole schedule, pause state included: take that from Postgres too.
        await handle.update((previous) => ({
          ...previous,
          spec: desired.spec,
          action: desired.action,
          policies: desired.policies,
          state: { ...previous.state, paused: row!.schedulePaused, note: row!.pauseNote ?? previous.state.note },
        }));
        if (outcome === 'unchanged') outcome = 'updated';
      }
      if (description.state.paused !== row.schedulePaused) {
        const note = row.pauseNote ?? 'matched to the integration state';
        if (row.schedulePaused) await handle.pause(note);
        else await handle.unpause(note);
        if (outcome === 'unchanged') outcome = 'updated';
      }
    }
    // Writers change Postgres first, then Temporal: a change that landed while this pass acted shows here.
    const after = await findIntegration(db, tenantId);
    if (sameDesiredState(row, after)) return { outcome, row: after };
    row = after;
  }
  // Still changing after every attempt: leave it pending for the next pass.
  return { outcome, row: undefined };
}

/** gRPC UNAVAILABLE and DEADLINE_EXCEEDED. */
const GRPC_UNREACHABLE_CODES = [14, 4];

function temporalUnreachable(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (isGrpcServiceError(cause) && GRPC_UNREACHABLE_CODES.includes(cause.code)) return true;
  }
  return false;
}

function isConnected(row: IntegrationRow | undefined): row is IntegrationRow {
  return row !== undefined && row.status !== 'disconnected';
}

function sameDesiredState(before: IntegrationRow, after: IntegrationRow | undefined): boolean {
  return (
    isConnected(after) &&
    before.schedulePaused === after.schedulePaused &&
    before.pauseNote === after.pauseNote &&
    JSON.stringify(before.settings) === JSON.stringify(after.settings)
  );
}

async function describe(handle: ReturnType<Client['schedule']['getHandle']>): Promise<ScheduleDescription | undefined> {
  try {
    return await handle.describe();
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return undefined;
    throw error;
  }
}

/** Whether the schedule already runs what Postgres asks (interval, jitter, workflow, policies). */
function sameShape(description: ScheduleDescription, desired: ScheduleOptions): boolean {
  const ms = (value: Parameters<typeof msOptionalToNumber>[0]) => msOptionalToNumber(value);
  const { action } = description;
  const wanted = desired.action;
  return (
    action.type === 'startWorkflow' &&
    wanted.type === 'startWorkflow' &&
    ms(description.spec.intervals?.[0]?.every) === ms(desired.spec.intervals?.[0]?.every) &&
    (description.spec.intervals?.length ?? 0) === (desired.spec.intervals?.length ?? 0) &&
    (ms(description.spec.jitter) ?? 0) === (ms(desired.spec.jitter) ?? 0) &&
    action.workflowType === wanted.workflowType &&
    action.workflowId === wanted.workflowId &&
    action.taskQueue === wanted.taskQueue &&
    ms(action.workflowRunTimeout) === ms(wanted.workflowRunTimeout) &&
    (action.staticSummary ?? undefined) === (wanted.staticSummary ?? undefined) &&
    description.policies.overlap === desired.policies?.overlap &&
    ms(description.policies.catchupWindow) === ms(desired.policies?.catchupWindow)
  );
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

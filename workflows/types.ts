/**
 * Workflow and activity inputs and results: plain, serialisable and Node-free. They carry ids, time
 * bounds and counts only: never credentials, never Duo rows.
 */

export type LogStream = 'auth' | 'telephony' | 'activity' | 'administrator';

import type { InitialSyncPhase } from '../db/integration-states.js';
import type { Notification } from './notifications.js';

export type { InitialSyncPhase };

export interface InitialSyncInput {
  tenantId: string;
  /** Instant pinned at connect; the backfill covers [backfillStartMs, anchorMs). */
  anchorMs: number;
  backfillStartMs: number;
  /** Day windows fetched at once (BACKFILL_WINDOWS_PER_TENANT when started; runs started before it: 4). */
  windowConcurrency?: number;
  /** Set by continue-as-new: where the previous run stopped. */
  resume?: InitialSyncResume;
}

export interface InitialSyncResume {
  phase: InitialSyncPhase;
  /** Windows are walked newest first; the next window ends here. */
  nextWindowEndMs: number;
  totals: SyncTotals;
}

export interface SyncTotals {
  users: number;
  groups: number;
  events: number;
  windowsDone: number;
}

export interface InitialSyncProgress {
  tenantId: string;
  phase: InitialSyncPhase;
  totals: SyncTotals;
  windowsTotal: number;
  /** Oldest instant the backfill has reached so far (windows are walked newest first). */
  reachedBackMs: number | null;
  anchorMs: number;
  backfillStartMs: number;
}

export interface RosterSyncResult {
  users: number;
  groups: number;
  memberships: number;
  usersMarkedDeleted: number;
  groupsMarkedDeleted: number;
  /** The tenant was paused: the scan stopped before its next page and swept nothing; run it again on resume. */
  paused?: boolean;
}

export interface LogWindowInput {
  tenantId: string;
  stream: LogStream;
  windowStartMs: number;
  windowEndMs: number;
  /**
   * Return `budgetWaitUntilMs` instead of sleeping when the account's budget has no token for more
   * than a moment (the workflow then waits on a timer). Unset by runs recorded before that: they wait inside.
   */
  yieldOnBudgetWait?: boolean;
}

export interface LogWindowResult {
  /** Rows newly stored by this window (re-delivered rows are not counted twice). */
  events: number;
  pages: number;
  /** The window had aged out of Duo's 180 days before it could be fetched. */
  expired: boolean;
  /**
   * Only with `yieldOnBudgetWait`: the window is not finished and the account's next token is due at
   * this instant; the pages fetched so far are committed with their cursor, and a call from then on resumes.
   */
  budgetWaitUntilMs?: number;
  /** The tenant was paused: the window stopped at a page boundary (cursor kept); run it again on resume. */
  paused?: boolean;
}

export interface FailureNote {
  code: string;
  message: string;
}

export interface RunRef {
  tenantId: string;
  workflowId: string;
  /** The first run of a continue-as-new chain: one sync-run row per chain. */
  runId: string;
}

export interface IncrementalSyncInput {
  tenantId: string;
}

export interface IncrementalSyncResult {
  /** New rows per stream, plus roster figures when the roster was refreshed. */
  counts: Record<string, number>;
}

export interface DeliverNotificationsInput {
  tenantId: string;
  notifications: Notification[];
}

/** The delivery workflow's signature, for the activity that starts it by name (activities import no workflow code). */
export type DeliverNotificationsWorkflow = (input: DeliverNotificationsInput) => Promise<number>;

export interface TenantPurgeInput {
  tenantId: string;
  /** Rows per batch (one transaction each); PURGE_BATCH_ROWS when the purge was asked for. */
  batchRows: number;
  /** Set by continue-as-new: rows deleted by the earlier runs. */
  rowsDeletedBefore?: number;
}

export interface TenantPurgeResult {
  rowsDeleted: number;
}

/** What one purge activity did: batches for a bounded time, then back to the workflow. */
export interface PurgeSliceResult {
  rowsDeleted: number;
  batches: number;
  /** Nothing of the tenant is left. */
  done: boolean;
}

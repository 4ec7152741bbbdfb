import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { InitialSyncProgress } from './types.js';

/** Workflow ids come only from these builders: they are plaintext in the UI, so tenant ids only. */
export const initialSyncWorkflowId = (tenantId: string) => `duo-initial-sync:${tenantId}`;
export const incrementalScheduleId = (tenantId: string) => `duo-incremental:${tenantId}`;
export const tenantPurgeWorkflowId = (tenantId: string) => `duo-tenant-purge:${tenantId}`;

/** The recurring sync's own task queue, so backfills waiting on Duo's budget never take its worker slots. */
export const incrementalTaskQueue = (taskQueue: string) => `${taskQueue}-incremental`;

/** Keyword search attribute on every workflow and schedule: operators filter with `TenantId = "acme"`. */
export const tenantIdSearchAttribute = defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD);

export const initialSyncProgressQuery = defineQuery<InitialSyncProgress>('progress');

/**
 * Sent by pause (true) and resume (false): a paused initial sync schedules no more windows and waits.
 * Postgres stays the truth (activities read it before each Duo request); the signal only spares the wait.
 */
export const initialSyncPausedSignal = defineSignal<[paused: boolean]>('paused');

/** One day of authentication logs per activity: ~180 activities per backfill, each resumable by page. */
export const BACKFILL_WINDOW_MS = 24 * 60 * 60 * 1000;

import type { ActivityOptions, RetryPolicy } from '@temporalio/workflow';
import { nonRetryableErrorCodes } from '../errors/codes.js';

/**
 * Retries back off from 5 s to at most 10 minutes and never stop for transient failures (5xx,
 * network, 429, malformed pages): the cursor is in Postgres, so a retry costs one page at most.
 * Non-retryable codes (rejected keys, missing permission) fail at once and reach the workflow.
 */
export const duoRetryPolicy: RetryPolicy = {
  initialInterval: '5s',
  backoffCoefficient: 2,
  maximumInterval: '10m',
  nonRetryableErrorTypes: nonRetryableErrorCodes,
};

/** Long activities that page through Duo and heartbeat after every page and while waiting for budget. */
export const pagingActivityOptions: ActivityOptions = {
  startToCloseTimeout: '4h',
  // Activities heartbeat after every page (Duo request timeout: 30 s) and every few seconds while
  // waiting for budget, so a minute of silence means the worker died: retry elsewhere.
  heartbeatTimeout: '1m',
  retry: duoRetryPolicy,
};

/**
 * A scheduled run gives up after a bounded number of attempts so failures are counted and reported;
 * the next scheduled run resumes from the same checkpoint.
 */
export const INCREMENTAL_MAX_ATTEMPTS = 5;

export const incrementalPagingActivityOptions: ActivityOptions = {
  ...pagingActivityOptions,
  retry: { ...duoRetryPolicy, maximumAttempts: INCREMENTAL_MAX_ATTEMPTS },
};

/** Short Postgres bookkeeping. */
export const bookkeepingActivityOptions: ActivityOptions = {
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: nonRetryableErrorCodes },
};

/** Webhooks sent inline by runs recorded before delivery moved to its own workflow (replay only). */
export const notificationActivityOptions: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 5 },
};

/** Starting the delivery workflow: quick, a few attempts, then the events are dropped (never the sync). */
export const notificationHandOffActivityOptions: ActivityOptions = {
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 3 },
};

/**
 * Webhook delivery in its own workflow (nothing waits for it): spaced attempts over about half an
 * hour, then given up. A receiver that hangs costs one request timeout per attempt.
 */
export const notificationDeliveryActivityOptions: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 12 },
};

/**
 * The purge's batches: each activity deletes for at most PURGE_SLICE_MS and heartbeats after every
 * batch (a batch is one short transaction), so 30 s of silence means the worker died: the retry, on
 * any worker, resumes with the next batch. Database errors retry without end, with backoff.
 */
export const purgeActivityOptions: ActivityOptions = {
  startToCloseTimeout: '10m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: nonRetryableErrorCodes },
};

import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { AppError } from '../errors/app-error.js';

/**
 * AppError -> ApplicationFailure, in one place: the failure `type` is the stable error code (what the
 * workflow's retry policy and the README's table match on), retryability comes from the code, and a
 * rate-limit delay becomes `nextRetryDelay`. Messages are already safe (no secrets, no Duo bodies).
 * Anything else propagates unchanged and Temporal retries it as a plain error.
 */
export function toApplicationFailure(error: unknown): unknown {
  if (!(error instanceof AppError)) return error;
  return ApplicationFailure.create({
    type: error.code,
    message: error.message,
    nonRetryable: !error.retryable,
    nextRetryDelay: error.retryAfterMs,
    details: [error.details],
    category: error.code === 'DUO_RATE_LIMITED' ? ApplicationFailureCategory.BENIGN : undefined,
  });
}

/** Wraps an activity so every AppError it throws crosses into Temporal as a typed failure. */
export function withTypedFailures<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (error) {
      throw toApplicationFailure(error);
    }
  };
}

/** Attempts of one backfill window that may meet malformed Duo answers before the sync stops (≈ 10 min of backoff). */
export const MALFORMED_ATTEMPTS_BEFORE_STALL = 8;

/**
 * A page Duo keeps answering in a broken way (bad JSON, wrong shape, a cursor that does not advance)
 * must neither be skipped nor retried forever: after enough attempts the stream stops with a
 * non-retryable SYNC_STALLED naming the exact position, so operators see it and data is never skipped.
 */
export function stallIfPersistentlyMalformed(
  error: unknown,
  attempt: number,
  position: string,
  attemptsBeforeStall: number = MALFORMED_ATTEMPTS_BEFORE_STALL,
): unknown {
  if (!(error instanceof AppError) || error.code !== 'DUO_MALFORMED_RESPONSE' || attempt < attemptsBeforeStall) return error;
  return new AppError('SYNC_STALLED', `Duo answered the same page malformed ${attempt} times (${error.message}); stopped at ${position}`, {
    details: { ...error.details, position },
    cause: error,
  });
}

import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { AppError } from '../errors/app-error.js';

/**
 * AppError -> ApplicationFailure, in one place: the failure `type` is the stable error code (what the
 * workflow's retry policy and the failure-type table of docs/OPERATIONS.md match on), retryability
 * comes from the code, and a rate-limit delay becomes `nextRetryDelay`. Messages are already safe
 * (no secrets, no Duo bodies). Anything else propagates unchanged and Temporal retries it as a plain error.
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

/**
 * Malformed answers in a row for the same page (≈ 10 min of backoff) before the sync stops. Counted
 * per page position in Postgres, not by Temporal's attempt number: 429s, 5xx and timeouts in between
 * neither add to it nor break it; a stored page ends it.
 */
export const MALFORMED_ATTEMPTS_BEFORE_STALL = 8;

export function isMalformedResponse(error: unknown): error is AppError {
  return error instanceof AppError && error.code === 'DUO_MALFORMED_RESPONSE';
}

/**
 * A page Duo keeps answering in a broken way (bad JSON, wrong shape, a cursor that does not advance)
 * must neither be skipped nor retried forever: once the same page was malformed `streak` times in a
 * row the stream stops with a non-retryable SYNC_STALLED naming the exact position, so operators see
 * it and data is never skipped.
 */
export function stallIfPersistentlyMalformed(
  error: unknown,
  streak: number,
  position: string,
  streakBeforeStall: number = MALFORMED_ATTEMPTS_BEFORE_STALL,
): unknown {
  if (!isMalformedResponse(error) || streak < streakBeforeStall) return error;
  return new AppError('SYNC_STALLED', `Duo answered the same page malformed ${streak} times in a row (${error.message}); stopped at ${position}`, {
    details: { ...error.details, position, malformedInARow: streak },
    cause: error,
  });
}

/**
 * For a failed page: a malformed answer is counted at its position (`recordMalformed` stores it and
 * returns the streak), and becomes SYNC_STALLED once the streak is long enough; anything else passes.
 */
export async function countMalformedPage(
  error: unknown,
  recordMalformed: () => Promise<number>,
  position: string,
  streakBeforeStall: number = MALFORMED_ATTEMPTS_BEFORE_STALL,
): Promise<unknown> {
  if (!isMalformedResponse(error)) return error;
  return stallIfPersistentlyMalformed(error, await recordMalformed(), position, streakBeforeStall);
}

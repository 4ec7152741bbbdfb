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

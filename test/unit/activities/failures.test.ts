import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { MALFORMED_ATTEMPTS_BEFORE_STALL, stallIfPersistentlyMalformed, toApplicationFailure } from '../../../activities/failures.js';
import { AppError } from '../../../errors/app-error.js';

const malformed = () => new AppError('DUO_MALFORMED_RESPONSE', 'Duo answered /admin/v2/logs/authentication with malformed JSON');

describe('toApplicationFailure', () => {
  it('uses the stable code as the failure type and its retryability', () => {
    const failure = toApplicationFailure(new AppError('DUO_CREDENTIALS_REJECTED', 'rejected'));
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'DUO_CREDENTIALS_REJECTED', nonRetryable: true });
  });

  it('turns a rate-limit delay into nextRetryDelay', () => {
    const failure = toApplicationFailure(new AppError('DUO_RATE_LIMITED', '429', { retryAfterMs: 2000 })) as ApplicationFailure;
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBe(2000);
  });

  it('leaves errors that are not ours untouched', () => {
    const error = new TypeError('boom');
    expect(toApplicationFailure(error)).toBe(error);
  });
});

describe('stallIfPersistentlyMalformed', () => {
  it('keeps retrying a malformed page for the first attempts', () => {
    const error = malformed();
    expect(stallIfPersistentlyMalformed(error, MALFORMED_ATTEMPTS_BEFORE_STALL - 1, 'here')).toBe(error);
  });

  it('stops with a non-retryable SYNC_STALLED naming the exact position once malformed answers persist', () => {
    const stalled = stallIfPersistentlyMalformed(malformed(), MALFORMED_ATTEMPTS_BEFORE_STALL, 'auth window A..B after page 3');
    expect(stalled).toMatchObject({ code: 'SYNC_STALLED', retryable: false });
    expect((stalled as AppError).message).toContain('auth window A..B after page 3');
  });

  it('never stalls on other failures, however many attempts', () => {
    const error = new AppError('DUO_SERVER_ERROR', '503');
    expect(stallIfPersistentlyMalformed(error, 100, 'here')).toBe(error);
  });
});

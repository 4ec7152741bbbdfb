import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { countMalformedPage, MALFORMED_ATTEMPTS_BEFORE_STALL, stallIfPersistentlyMalformed, toApplicationFailure } from '../../../activities/failures.js';
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
  it('keeps retrying a page malformed fewer times in a row than the limit', () => {
    const error = malformed();
    expect(stallIfPersistentlyMalformed(error, MALFORMED_ATTEMPTS_BEFORE_STALL - 1, 'here')).toBe(error);
  });

  it('stops with a non-retryable SYNC_STALLED naming the exact position once the same page was malformed enough times in a row', () => {
    const stalled = stallIfPersistentlyMalformed(malformed(), MALFORMED_ATTEMPTS_BEFORE_STALL, 'auth window A..B after page 3');
    expect(stalled).toMatchObject({ code: 'SYNC_STALLED', retryable: false, details: { position: 'auth window A..B after page 3' } });
    expect((stalled as AppError).message).toContain('auth window A..B after page 3');
    expect((stalled as AppError).message).toContain(`${MALFORMED_ATTEMPTS_BEFORE_STALL} times in a row`);
  });

  it('never stalls on other failures, however long their streak', () => {
    const error = new AppError('DUO_SERVER_ERROR', '503');
    expect(stallIfPersistentlyMalformed(error, 100, 'here')).toBe(error);
  });
});

describe('countMalformedPage', () => {
  it('records a malformed answer at its position and stalls when the recorded streak reaches the limit', async () => {
    const positions: string[] = [];
    const failure = await countMalformedPage(malformed(), async () => { positions.push('p'); return 5; }, 'users offset 600', 5);
    expect(positions).toEqual(['p']);
    expect(failure).toMatchObject({ code: 'SYNC_STALLED' });
  });

  it('records nothing for other failures: a 429 or 5xx neither adds to a streak nor breaks it', async () => {
    const error = new AppError('DUO_RATE_LIMITED', '429');
    let recorded = false;
    expect(await countMalformedPage(error, async () => { recorded = true; return 1; }, 'here')).toBe(error);
    expect(recorded).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../simulator/rate-limit.js';

describe('TokenBucket', () => {
  it('allows a minute of requests at once, then refuses', () => {
    const bucket = new TokenBucket(3, 0);
    expect([bucket.tryTake(0), bucket.tryTake(0), bucket.tryTake(0), bucket.tryTake(0)]).toEqual([true, true, true, false]);
  });

  it('refills at the per-minute rate', () => {
    const bucket = new TokenBucket(2, 0);
    bucket.tryTake(0);
    bucket.tryTake(0);
    expect(bucket.tryTake(29_999)).toBe(false);
    expect(bucket.tryTake(30_000)).toBe(true);
  });

  it('holds at least one token when the rate is below one a minute', () => {
    const bucket = new TokenBucket(0.5, 0);
    expect(bucket.tryTake(0)).toBe(true);
    expect(bucket.tryTake(60_000)).toBe(false);
    expect(bucket.tryTake(120_000)).toBe(true);
  });

  it('ignores a clock that goes backwards', () => {
    const bucket = new TokenBucket(1, 60_000);
    expect(bucket.tryTake(60_000)).toBe(true);
    expect(bucket.tryTake(0)).toBe(false);
  });
});

/**
 * A token bucket refilled continuously at `perMinute`, holding at most one minute's worth (and at
 * least one token), timed by the simulator clock so tests can advance it.
 */
export class TokenBucket {
  private readonly capacity: number;
  private tokens: number;
  private updatedAtMs: number;

  constructor(
    private readonly perMinute: number,
    nowMs: number,
  ) {
    this.capacity = Math.max(1, perMinute);
    this.tokens = this.capacity;
    this.updatedAtMs = nowMs;
  }

  tryTake(nowMs: number): boolean {
    if (nowMs > this.updatedAtMs) {
      this.tokens = Math.min(this.capacity, this.tokens + ((nowMs - this.updatedAtMs) * this.perMinute) / 60_000);
      this.updatedAtMs = nowMs;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

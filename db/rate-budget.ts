import { sql } from 'drizzle-orm';
import { BudgetWaitRequired } from '../errors/app-error.js';
import type { Queryable } from './client.js';

export type BudgetClass = 'log' | 'object';

export interface RateBudgetOptions {
  /** Configured ceiling per endpoint class, requests per minute, per Duo account. */
  requestsPerMinute: Record<BudgetClass, number>;
  /** Called while waiting for a token (activities heartbeat here). */
  onWait?: (waitMs: number) => void;
  /** Lowest share of the configured rate the adaptive factor may fall to. */
  minFactor?: number;
  /**
   * Longest wait `acquire` sleeps through; a longer one throws {@link BudgetWaitRequired} with the
   * instant the next token is due, so the caller can give its worker slot back meanwhile. Unset = always wait.
   */
  maxWaitMs?: number;
}

/** Outcome feedback after each request attempt. */
export type BudgetOutcome = 'ok' | 'rate_limited' | 'failed';

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * A request budget per Duo account (API host) and endpoint class, shared by every workflow and every
 * worker process through one Postgres row: an adaptive token bucket. A 429 halves the rate and blocks
 * the account for a jittered pause; successes bring the rate back, quickly up to 90% of where the 429
 * happened and slowly beyond it.
 */
export class PostgresRateBudget {
  private readonly minFactor: number;

  constructor(
    private readonly db: Queryable,
    private readonly apiHost: string,
    private readonly options: RateBudgetOptions,
  ) {
    this.minFactor = options.minFactor ?? 0.05;
  }

  private key(endpointClass: BudgetClass) {
    return `${this.apiHost}:${endpointClass}`;
  }

  /** Waits until a request of this class may be sent, then takes one token. */
  async acquire(endpointClass: BudgetClass, signal?: AbortSignal): Promise<void> {
    const perMinute = this.options.requestsPerMinute[endpointClass];
    const capacity = Math.max(1, perMinute / 60);
    for (;;) {
      const [row] = await this.db.execute<{ granted: boolean; wait_ms: number }>(sql`
        with ensured as (
          insert into duo_rate_budgets (budget_key, tokens) values (${this.key(endpointClass)}, ${capacity})
          on conflict (budget_key) do nothing
        ),
        current as (
          select b.*, least(${capacity}::float8, b.tokens + extract(epoch from (clock_timestamp() - b.refilled_at)) / 60.0
            * ${perMinute}::float8 * b.rate_factor) as available
          from duo_rate_budgets b where b.budget_key = ${this.key(endpointClass)} for update
        ),
        updated as (
          update duo_rate_budgets b set
            tokens = case when c.available >= 1 and coalesce(c.blocked_until <= clock_timestamp(), true)
              then c.available - 1 else c.available end,
            refilled_at = clock_timestamp(),
            requests = b.requests + case when c.available >= 1 and coalesce(c.blocked_until <= clock_timestamp(), true) then 1 else 0 end
          from current c where b.budget_key = c.budget_key
          returning c.available, c.blocked_until, c.rate_factor
        )
        select
          (available >= 1 and coalesce(blocked_until <= clock_timestamp(), true)) as granted,
          greatest(
            coalesce(extract(epoch from (blocked_until - clock_timestamp())) * 1000, 0),
            case when available >= 1 then 0 else (1 - available) * 60000.0 / (${perMinute}::float8 * rate_factor) end
          )::float8 as wait_ms
        from updated`);
      if (row?.granted) return;
      // The first caller of a new account creates the row; its first select may not see it yet.
      const waitMs = row ? Math.max(10, row.wait_ms) : 10;
      if (this.options.maxWaitMs !== undefined && waitMs > this.options.maxWaitMs) {
        throw new BudgetWaitRequired(Date.now() + waitMs);
      }
      // Jitter so that workers waiting on one account do not wake in lockstep.
      const jittered = waitMs * (1 + Math.random() * 0.2);
      this.options.onWait?.(jittered);
      await sleep(Math.min(jittered, 10_000), signal);
    }
  }

  /** Adapts the rate to what Duo answered. */
  async report(endpointClass: BudgetClass, outcome: BudgetOutcome): Promise<void> {
    const key = this.key(endpointClass);
    if (outcome === 'rate_limited') {
      const perMinute = this.options.requestsPerMinute[endpointClass];
      // Pause about two request intervals (60 s at Duo's 2 per minute), jittered, bounded.
      const pauseMs = Math.min(120_000, Math.max(1_000, (2 * 60_000) / perMinute)) * (1 + Math.random() * 0.5);
      await this.db.execute(sql`
        update duo_rate_budgets set
          limited_factor = rate_factor,
          rate_factor = greatest(${this.minFactor}::float8, rate_factor * 0.5),
          tokens = least(tokens, 0),
          blocked_until = greatest(coalesce(blocked_until, clock_timestamp()), clock_timestamp() + make_interval(secs => ${pauseMs / 1000})),
          rate_limited = rate_limited + 1
        where budget_key = ${key}`);
    } else if (outcome === 'ok') {
      // Back to 90% of the rate that drew a 429 quickly, then probe above it slowly: the 429 share
      // stays near one in fifty even when the configured ceiling is far above Duo's real limit.
      await this.db.execute(sql`
        update duo_rate_budgets set
          rate_factor = least(1.0, rate_factor + case
            when limited_factor is null or rate_factor < 0.9 * limited_factor then 0.05 else 0.002 end),
          limited_factor = case when rate_factor > limited_factor then null else limited_factor end
        where budget_key = ${key} and rate_factor < 1.0`);
    }
  }
}
